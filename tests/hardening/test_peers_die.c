// test_peers_die.c - Check suite: a pipeline of processes (this test as
// the ventilator, two workers and a sink run from hardening_node) loses one
// worker to SIGKILL mid-stream and has its sink killed and restarted. The
// rest keeps running, the ventilator never waits more than its 1 s send
// timeout, and the jobs lost are counted exactly and bounded by the
// high-water marks. Run as: hardening_peers_die PATH/TO/hardening_node
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>
#include <zmq.h>

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define JOBS 20000
#define HWM 100
#define KILL_WORKER_AT 5000
#define KILL_SINK_AT 12000
#define WORKER_DELAY_US 50
#define SEND_TIMEOUT_MS 1000

static const char *s_node; // the hardening_node program

// Starts hardening_node with args; its stdout goes to out_fd when that is
// not -1.
static pid_t
s_spawn (char *const args[], int out_fd)
{
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        if (out_fd >= 0)
            dup2 (out_fd, STDOUT_FILENO);
        execv (s_node, args);
        _exit (127);
    }
    return pid;
}

// Starts a sink on endpoint writing to path, and returns its pid once it is
// bound; stores its port.
static pid_t
s_start_sink (const char *endpoint, const char *path, bool small, int *port)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    char hwm[16];
    snprintf (hwm, sizeof hwm, "%d", HWM);
    char *args[] = {
        (char *)s_node,    "sink", (char *)endpoint, hwm, (char *)path,
        small ? "1" : "0", NULL};
    pid_t pid = s_spawn (args, fds[1]);
    close (fds[1]);
    FILE *out = fdopen (fds[0], "r");
    ck_assert_ptr_nonnull (out);
    ck_assert_msg (fscanf (out, "port %d", port) == 1,
                   "the sink did not start");
    fclose (out);
    return pid;
}

static pid_t
s_start_worker (int id, const char *in, const char *out, bool small)
{
    char ids[16], hwm[16], delay[16];
    snprintf (ids, sizeof ids, "%d", id);
    snprintf (hwm, sizeof hwm, "%d", HWM);
    snprintf (delay, sizeof delay, "%d", WORKER_DELAY_US);
    char *args[] = {(char *)s_node, "worker",          ids,
                    (char *)in,     (char *)out,       hwm,
                    delay,          small ? "1" : "0", NULL};
    return s_spawn (args, -1);
}

static void
s_kill_wait (pid_t pid, int signal, const char *what)
{
    kill (pid, signal);
    int status;
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    if (signal == SIGTERM)
        ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                       "%s ended with status %d", what, status);
}

static long
s_file_size (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 ? (long)info.st_size : -1;
}

// The loss a kill may cause: a dead process takes with it the queue toward
// it (the sender's send HWM), its receive queue (its receive HWM) and its
// send queue (its send HWM): 3 x HWM, plus what the byte buffers on the way
// hold (BYTE_SLACK). That bound means something when the kernel's socket
// buffers are small: _i 0 shrinks them to 4 KiB and asserts it for each
// kill. _i 1 keeps the default buffers, where a dead worker also takes the
// megabytes its TCP buffers held: that loss is reported, not bounded.
//
// BYTE_SLACK: five 8 KiB byte buffers lie on a dead worker's path (the
// sender's libzmq output batch and kernel send buffer, the worker's kernel
// receive buffer, its input batch and output batch: Linux doubles the 4 KiB
// asked for, libzmq batches 8 KiB), 20 jobs of 2 KiB, and the job the
// worker was holding: 21 at their nominal sizes. They hold more than that:
// a job split across a batch's edge, a kernel send buffer that takes one
// more write once below its limit, and a receive queue that the kernel
// collapses to fit more. Measured (here and in multihost.sh, about 60
// kills): up to 31 jobs beyond 3 x HWM, which failed the old bound of 21
// about one run in ten under ASan. 50 (about 100 KiB) leaves room for that
// and is still far below the megabytes default buffers lose.
#define BYTE_SLACK 50

START_TEST (pipeline_survives_killed_worker_and_restarted_sink)
{
    bool small = _i == 0;
    char paths[2][64];
    for (int i = 0; i < 2; i++)
        snprintf (paths[i], sizeof paths[i], "/tmp/zpat-h6-%ld-sink%d.bin",
                  (long)getpid (), i);
    int port;
    pid_t sink = s_start_sink ("tcp://127.0.0.1:*", paths[0], small, &port);
    char sink_endpoint[64];
    snprintf (sink_endpoint, sizeof sink_endpoint, "tcp://127.0.0.1:%d", port);

    zpat_options_t opts = {
        .send_hwm = HWM, .send_timeout_ms = SEND_TIMEOUT_MS, .linger_ms = 5000};
    zpat_push_t *vent = zpat_push_new (NULL, &opts);
    ck_assert_ptr_nonnull (vent);
    if (small) {
        int size = 4096;
        void *handle = zpat_handle (vent);
        ck_assert_int_eq (
            zmq_setsockopt (handle, ZMQ_SNDBUF, &size, sizeof size), 0);
        ck_assert_int_eq (
            zmq_setsockopt (handle, ZMQ_RCVBUF, &size, sizeof size), 0);
    }
    ck_assert_int_eq (zpat_bind (vent, "tcp://127.0.0.1:*"), 0);
    char vent_endpoint[64];
    snprintf (vent_endpoint, sizeof vent_endpoint, "%s", zpat_endpoint (vent));
    pid_t workers[2];
    for (int w = 0; w < 2; w++)
        workers[w] =
            s_start_worker (w + 1, vent_endpoint, sink_endpoint, small);

    unsigned char job[HU_JOB_SIZE];
    unsigned long eagain = 0;
    double worst = 0;
    double start = hu_now_ms ();
    for (uint32_t seq = 0; seq < JOBS; seq++) {
        if (seq == KILL_WORKER_AT)
            s_kill_wait (workers[0], SIGKILL, "worker 1");
        if (seq == KILL_SINK_AT) {
            s_kill_wait (sink, SIGKILL, "sink");
            int again;
            sink = s_start_sink (sink_endpoint, paths[1], small, &again);
            ck_assert_int_eq (again, port);
        }
        hu_job_make (job, seq);
        while (true) {
            double before = hu_now_ms ();
            int rc = zpat_send (vent, job, sizeof job);
            double took = hu_now_ms () - before;
            if (took > worst)
                worst = took;
            if (rc == 0)
                break;
            ck_assert_msg (errno == EAGAIN, "send: %s", zpat_strerror (errno));
            // The job was not taken ("a call that fails changes nothing"):
            // send it again.
            eagain++;
        }
    }
    double sent_ms = hu_now_ms () - start;
    // Wait for the sink to go quiet: no new record for a second.
    long size = -1;
    double quiet_since = hu_now_ms ();
    double deadline = hu_now_ms () + 30000;
    while (hu_now_ms () - quiet_since < 1000 && hu_now_ms () < deadline) {
        long now = s_file_size (paths[1]);
        if (now != size) {
            size = now;
            quiet_since = hu_now_ms ();
        }
        struct timespec pause = {0, 20 * 1000000};
        nanosleep (&pause, NULL);
    }
    int status;
    ck_assert_msg (waitpid (workers[1], &status, WNOHANG) == 0,
                   "worker 2 died (status %d)", status);
    ck_assert_msg (waitpid (sink, &status, WNOHANG) == 0,
                   "the restarted sink died (status %d)", status);
    s_kill_wait (workers[1], SIGTERM, "worker 2");
    s_kill_wait (sink, SIGTERM, "the restarted sink");
    zpat_push_destroy (&vent);

    printf ("[figures] peers die (%s kernel buffers): %d jobs of %d bytes, "
            "HWM %d, sent in %.0f ms; worker 1 SIGKILLed at job %d, sink "
            "SIGKILLed and restarted at job %d; ventilator: %lu send "
            "timeouts (retried), longest send %.1f ms\n",
            small ? "4 KiB" : "default", JOBS, HU_JOB_SIZE, HWM, sent_ms,
            KILL_WORKER_AT, KILL_SINK_AT, eagain, worst);
    char count[16], bound[16], events[32];
    snprintf (count, sizeof count, "%d", JOBS);
    snprintf (bound, sizeof bound, "%d", small ? 3 * HWM + BYTE_SLACK : 0);
    snprintf (events, sizeof events, "%d,%d", KILL_WORKER_AT, KILL_SINK_AT);
    char *args[] = {(char *)s_node, "analyze", count,    bound,
                    events,         paths[0],  paths[1], NULL};
    pid_t analyze = s_spawn (args, -1);
    ck_assert_int_eq (waitpid (analyze, &status, 0), analyze);
    // The restarted sink got work, from worker 2 only.
    FILE *file = fopen (paths[1], "rb");
    ck_assert_ptr_nonnull (file);
    hu_record_t record;
    unsigned long after = 0, from_dead = 0;
    while (fread (&record, sizeof record, 1, file) == 1) {
        after++;
        if (record.worker == 1)
            from_dead++;
    }
    fclose (file);
    unlink (paths[0]);
    unlink (paths[1]);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "analysis failed (status %d): see above", status);
    ck_assert_msg (after > 0, "the restarted sink received nothing");
    ck_assert_uint_eq (from_dead, 0);
    ck_assert_msg (worst < SEND_TIMEOUT_MS + 500.0 * hu_time_factor (),
                   "a send blocked %.0f ms (timeout %d)", worst,
                   SEND_TIMEOUT_MS);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("peers_die");
    TCase *kill = tcase_create ("kill");
    tcase_set_timeout (kill, 120);
    tcase_add_loop_test (
        kill, pipeline_survives_killed_worker_and_restarted_sink, 0, 2);
    suite_add_tcase (suite, kill);
    return suite;
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: %s PATH/TO/hardening_node\n", argv[0]);
        return EXIT_FAILURE;
    }
    s_node = argv[1];
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
