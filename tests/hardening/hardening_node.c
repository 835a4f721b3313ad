// hardening_node.c - one node of the test pipeline, as its own process, for
// the dying-peer and multi-host tests: a ventilator, a worker, a sink, or
// the analysis of what the sinks received.
// SPDX-License-Identifier: MPL-2.0
//
//   hardening_node vent ENDPOINT[,ENDPOINT...] COUNT HWM SMALLBUF
//   hardening_node worker ID PULL_ENDPOINT PUSH_ENDPOINT HWM DELAY_US SMALLBUF
//   hardening_node sink ENDPOINT[,ENDPOINT...] HWM OUTFILE SMALLBUF
//   hardening_node analyze COUNT BOUND EVENTS FILE...
//
// SMALLBUF 1 shrinks the kernel's socket buffers to 4 KiB (ZMQ_SNDBUF and
// ZMQ_RCVBUF through zpat_handle), so that what a dead peer takes with it
// is mostly what the high-water marks allow: the kernel (which doubles the
// 4 KiB) and libzmq's 8 KiB batches then hold about four 2 KiB jobs each.
// EVENTS is a comma-separated list of the sequence numbers at which a peer
// was killed ("-" for none); BOUND the most jobs a kill may cost (0: report
// only).
// Exit status: 0 done, 1 a check failed, 2 bad usage or set-up.

#include "hardening_util.h"

#include <zpat.h>
#include <zmq.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SMALL_BUFFER 4096

static int
s_fail (const char *what)
{
    fprintf (stderr, "hardening_node: %s: %s\n", what, zpat_strerror (errno));
    return 2;
}

// Binds to each endpoint of a comma-separated list.
static int
s_bind_all (zpat_socket_t *socket, const char *endpoints)
{
    char list[1024];
    snprintf (list, sizeof list, "%s", endpoints);
    for (char *save = NULL, *one = strtok_r (list, ",", &save); one;
         one = strtok_r (NULL, ",", &save))
        if (zpat_socket_bind (socket, one) == -1)
            return -1;
    return 0;
}

// Shrinks the kernel buffers of connections made from now on.
static int
s_small_buffers (void *handle, bool small)
{
    if (!small)
        return 0;
    int size = SMALL_BUFFER;
    if (zmq_setsockopt (handle, ZMQ_SNDBUF, &size, sizeof size) == -1 ||
        zmq_setsockopt (handle, ZMQ_RCVBUF, &size, sizeof size) == -1)
        return -1;
    return 0;
}

static int
s_vent (const char *endpoints, unsigned count, int hwm, bool small)
{
    zpat_options_t opts = {
        .send_hwm = hwm, .send_timeout_ms = 1000, .linger_ms = 5000};
    zpat_push_t *push = zpat_push_new (NULL, &opts);
    if (!push || s_small_buffers (zpat_handle (push), small) == -1 ||
        s_bind_all (zpat_socket (push), endpoints) == -1)
        return s_fail ("vent set-up");
    unsigned char job[HU_JOB_SIZE];
    unsigned long eagain = 0;
    double worst = 0;
    for (uint32_t seq = 0; seq < count; seq++) {
        hu_job_make (job, seq);
        while (true) {
            double start = hu_now_ms ();
            int rc = zpat_send (push, job, sizeof job);
            double took = hu_now_ms () - start;
            if (took > worst)
                worst = took;
            if (rc == 0)
                break;
            if (errno != EAGAIN)
                return s_fail ("vent send");
            eagain++;
        }
    }
    printf ("vent: sent %u, send timeouts (EAGAIN, retried) %lu, longest "
            "send %.1f ms\n",
            count, eagain, worst);
    fflush (stdout);
    zpat_push_destroy (&push);
    return 0;
}

static int
s_worker (int id, const char *in, const char *out, int hwm, int delay_us,
          bool small)
{
    zpat_options_t in_opts = {.recv_hwm = hwm, .linger_ms = ZPAT_WAIT_NONE};
    zpat_options_t out_opts = {.send_hwm = hwm, .linger_ms = 1000};
    zpat_pull_t *pull = zpat_pull_new (NULL, &in_opts);
    zpat_push_t *push = zpat_push_new (NULL, &out_opts);
    if (!pull || !push || s_small_buffers (zpat_handle (pull), small) == -1 ||
        s_small_buffers (zpat_handle (push), small) == -1 ||
        zpat_connect (pull, in) == -1 || zpat_connect (push, out) == -1)
        return s_fail ("worker set-up");
    unsigned char job[HU_JOB_SIZE + 1];
    struct timespec work = {0, (long)delay_us * 1000};
    while (true) {
        int size = zpat_recv (pull, job, sizeof job);
        if (size == -1 && errno == EINTR)
            break;
        if (size == -1)
            return s_fail ("worker receive");
        if (size > HU_JOB_WORKER)
            job[HU_JOB_WORKER] = (unsigned char)id;
        if (delay_us > 0)
            nanosleep (&work, NULL);
        if (zpat_send (push, job, (size_t)size) == -1) {
            if (errno == EINTR)
                break;
            return s_fail ("worker send");
        }
    }
    zpat_pull_destroy (&pull);
    zpat_push_destroy (&push);
    return 0;
}

static int
s_sink (const char *endpoint, int hwm, const char *path, bool small)
{
    zpat_options_t opts = {.recv_hwm = hwm, .linger_ms = ZPAT_WAIT_NONE};
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    if (!pull || s_small_buffers (zpat_handle (pull), small) == -1 ||
        s_bind_all (zpat_socket (pull), endpoint) == -1)
        return s_fail ("sink set-up");
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd == -1)
        return s_fail (path);
    // The port, for the workers and for a sink started in our place.
    printf ("port %d\n", hu_tcp_port (zpat_endpoint (pull)));
    fflush (stdout);
    unsigned char job[HU_JOB_SIZE + 1];
    while (true) {
        int size = zpat_recv (pull, job, sizeof job);
        if (size == -1 && errno == EINTR)
            break;
        if (size == -1)
            return s_fail ("sink receive");
        hu_record_t record = {0, 0, 0, 0};
        int worker = 0;
        record.intact =
            (uint8_t)hu_job_check (job, (size_t)size, &record.seq, &worker);
        record.worker = (uint8_t)worker;
        // One write per job, so that a SIGKILL loses no record of a job
        // that was received.
        if (write (fd, &record, sizeof record) != sizeof record)
            return s_fail ("sink write");
    }
    close (fd);
    zpat_pull_destroy (&pull);
    return 0;
}

// Reads the sinks' records and reports, for COUNT jobs sent: how many
// arrived, were lost, duplicated or corrupted, and which kill each lost
// job is nearest to. Fails when a job was duplicated or corrupted, when a
// kill cost more than bound jobs (bound > 0), or when jobs were lost with
// no kill at all.
static int
s_analyze (unsigned count, unsigned long bound, const char *events,
           char **paths, int files)
{
    unsigned kills[16];
    int nkills = 0;
    for (const char *at = events; *at && *at != '-' && nkills < 16;) {
        kills[nkills++] = (unsigned)strtoul (at, NULL, 10);
        at = strchr (at, ',');
        if (!at)
            break;
        at++;
    }
    unsigned char *seen = calloc (count, 1);
    unsigned long per_worker[256] = {0};
    unsigned long received = 0, duplicated = 0, corrupt = 0, stray = 0;
    for (int f = 0; f < files; f++) {
        FILE *file = fopen (paths[f], "rb");
        if (!file) {
            perror (paths[f]);
            return 2;
        }
        hu_record_t record;
        while (fread (&record, sizeof record, 1, file) == 1) {
            received++;
            if (!record.intact)
                corrupt++;
            else if (record.seq >= count)
                stray++;
            else if (seen[record.seq]++)
                duplicated++;
            else
                per_worker[record.worker]++;
        }
        fclose (file);
    }
    unsigned long lost = 0, lost_at[16] = {0};
    for (unsigned seq = 0; seq < count; seq++) {
        if (seen[seq])
            continue;
        lost++;
        int nearest = -1;
        for (int k = 0; k < nkills; k++)
            if (nearest == -1 || labs ((long)seq - (long)kills[k]) <
                                     labs ((long)seq - (long)kills[nearest]))
                nearest = k;
        if (nearest >= 0)
            lost_at[nearest]++;
    }
    printf ("analyze: %u sent, %lu received, %lu lost, %lu duplicated, %lu "
            "corrupted, %lu stray\n",
            count, received, lost, duplicated, corrupt, stray);
    printf ("analyze: delivered per worker:");
    for (int w = 0; w < 256; w++)
        if (per_worker[w])
            printf (" worker %d: %lu", w, per_worker[w]);
    printf ("\n");
    bool ok = duplicated == 0 && corrupt == 0 && stray == 0;
    for (int k = 0; k < nkills; k++) {
        printf ("analyze: kill at job %u: %lu lost (bound %lu%s)\n", kills[k],
                lost_at[k], bound, bound ? "" : ": not checked");
        if (bound && lost_at[k] > bound)
            ok = false;
    }
    if (nkills == 0 && lost > 0)
        ok = false;
    free (seen);
    return ok ? 0 : 1;
}

int
main (int argc, char **argv)
{
    if (argc < 2)
        return 2;
    // SIGTERM ends a node cleanly: its blocking calls return EINTR.
    if (strcmp (argv[1], "analyze") != 0 && zpat_catch_signals () == -1)
        return s_fail ("zpat_catch_signals");
    if (strcmp (argv[1], "vent") == 0 && argc == 6)
        return s_vent (argv[2], (unsigned)strtoul (argv[3], NULL, 10),
                       atoi (argv[4]), atoi (argv[5]) != 0);
    if (strcmp (argv[1], "worker") == 0 && argc == 8)
        return s_worker (atoi (argv[2]), argv[3], argv[4], atoi (argv[5]),
                         atoi (argv[6]), atoi (argv[7]) != 0);
    if (strcmp (argv[1], "sink") == 0 && argc == 6)
        return s_sink (argv[2], atoi (argv[3]), argv[4], atoi (argv[5]) != 0);
    if (strcmp (argv[1], "analyze") == 0 && argc >= 6)
        return s_analyze ((unsigned)strtoul (argv[2], NULL, 10),
                          strtoul (argv[3], NULL, 10), argv[4], argv + 5,
                          argc - 5);
    fprintf (stderr, "hardening_node: bad usage (see the file's header)\n");
    return 2;
}
