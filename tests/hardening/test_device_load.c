// test_device_load.c - Check suite: the devices under load, with a worker
// killed mid-stream, and with junk on the wire at both sides of each.
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const zpat_options_t opts = {
    .send_timeout_ms = 5000,
    .recv_timeout_ms = 5000,
    .linger_ms = ZPAT_WAIT_NONE,
};

static void
s_sleep_ms (int ms)
{
    struct timespec wait = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep (&wait, NULL);
}

// ---------------------------------------------------------------------------
// Load: 1,000,000 requests from 8 DEALER clients (100 in flight each)
// through a queue to 4 REP workers over ipc.

#define LOAD_CLIENTS 8
#define LOAD_WORKERS 4
#define LOAD_REQUESTS 1000000
#define PER_CLIENT (LOAD_REQUESTS / LOAD_CLIENTS)
#define WINDOW 100

typedef struct {
    const char *endpoint;
    atomic_bool *stop;
    uint64_t served;
    int error;
} load_worker_t;

static void *
s_load_worker (void *arg)
{
    load_worker_t *self = arg;
    zpat_options_t o = opts;
    o.recv_timeout_ms = 100;
    zpat_rep_t *rep = zpat_rep_new (self->endpoint, &o);
    if (!rep) {
        self->error = errno;
        return NULL;
    }
    unsigned char buf[64];
    while (!atomic_load (self->stop)) {
        int size = zpat_recv (rep, buf, sizeof buf);
        if (size == -1) {
            if (errno == EAGAIN)
                continue;
            self->error = errno;
            break;
        }
        if (zpat_send (rep, buf, (size_t)size) == -1) { // the echo
            self->error = errno;
            break;
        }
        self->served++;
    }
    zpat_rep_destroy (&rep);
    return NULL;
}

typedef struct {
    const char *endpoint;
    uint8_t id;
    uint8_t *seen; // per request number: replies received
    uint64_t answered, duplicated, misrouted, corrupt;
    int error;
} load_client_t;

static void *
s_load_client (void *arg)
{
    load_client_t *self = arg;
    zpat_dealer_t *dealer = zpat_dealer_new (self->endpoint, &opts);
    zpat_msg_t *msg = zpat_msg_new ();
    if (!dealer || !msg) {
        self->error = errno;
        goto done;
    }
    uint32_t sent = 0;
    while (self->answered + self->misrouted + self->corrupt < PER_CLIENT) {
        while (sent < PER_CLIENT && sent - self->answered < WINDOW) {
            unsigned char body[9];
            body[0] = self->id;
            memcpy (body + 1, &sent, 4);
            uint32_t check = hu_fnv1a (body, 5);
            memcpy (body + 5, &check, 4);
            zpat_frame_t frames[] = {{"", 0}, {body, sizeof body}};
            if (zpat_send_frames (dealer, frames, 2) == -1) {
                self->error = errno;
                goto done;
            }
            sent++;
        }
        if (zpat_recv_msg (dealer, msg) == -1) {
            self->error = errno;
            goto done;
        }
        const unsigned char *body = zpat_msg_data (msg, 1);
        uint32_t seq, check;
        if (zpat_msg_count (msg) != 2 || zpat_msg_size (msg, 0) != 0 ||
            zpat_msg_size (msg, 1) != 9) {
            self->corrupt++;
            continue;
        }
        memcpy (&seq, body + 1, 4);
        memcpy (&check, body + 5, 4);
        if (check != hu_fnv1a (body, 5) || seq >= PER_CLIENT)
            self->corrupt++;
        else if (body[0] != self->id)
            self->misrouted++;
        else if (self->seen[seq]++)
            self->duplicated++;
        else
            self->answered++;
    }
done:
    zpat_msg_destroy (&msg);
    zpat_dealer_destroy (&dealer);
    return NULL;
}

START_TEST (million_requests_through_a_queue)
{
    char front[64], back[64], front_c[70], back_c[70];
    tu_endpoint (front, sizeof front, "ipc");
    tu_endpoint (back, sizeof back, "ipc");
    snprintf (front_c, sizeof front_c, ">%s", front);
    snprintf (back_c, sizeof back_c, ">%s", back);
    zpat_device_t *device = zpat_device_new (ZPAT_QUEUE, front, back, NULL);
    ck_assert_msg (device, "device: %s", zpat_strerror (errno));
    atomic_bool stop;
    atomic_init (&stop, false);
    load_worker_t workers[LOAD_WORKERS];
    pthread_t worker_threads[LOAD_WORKERS], client_threads[LOAD_CLIENTS];
    for (int w = 0; w < LOAD_WORKERS; w++) {
        workers[w] = (load_worker_t){.endpoint = back_c, .stop = &stop};
        ck_assert_int_eq (pthread_create (&worker_threads[w], NULL,
                                          s_load_worker, &workers[w]),
                          0);
    }
    s_sleep_ms (100); // the workers connect (a late one only gets less)
    load_client_t clients[LOAD_CLIENTS];
    double start = hu_now_ms ();
    for (int c = 0; c < LOAD_CLIENTS; c++) {
        clients[c] = (load_client_t){.endpoint = front_c, .id = (uint8_t)c};
        clients[c].seen = calloc (PER_CLIENT, 1);
        ck_assert_int_eq (pthread_create (&client_threads[c], NULL,
                                          s_load_client, &clients[c]),
                          0);
    }
    uint64_t answered = 0, duplicated = 0, misrouted = 0, corrupt = 0, lost = 0;
    for (int c = 0; c < LOAD_CLIENTS; c++) {
        pthread_join (client_threads[c], NULL);
        ck_assert_msg (clients[c].error == 0, "client %d: %s", c,
                       zpat_strerror (clients[c].error));
        for (uint32_t i = 0; i < PER_CLIENT; i++)
            lost += clients[c].seen[i] == 0;
        answered += clients[c].answered;
        duplicated += clients[c].duplicated;
        misrouted += clients[c].misrouted;
        corrupt += clients[c].corrupt;
        free (clients[c].seen);
    }
    double took = hu_now_ms () - start;
    atomic_store (&stop, true);
    printf ("[figures] device load: %llu requests, 8 DEALER clients (window "
            "%d) -> queue -> 4 REP workers over ipc in %.1f s (%.0f round "
            "trips/s); lost %llu, duplicated %llu, misrouted %llu, corrupt "
            "%llu; per worker:",
            (unsigned long long)answered, WINDOW, took / 1000,
            answered / (took / 1000), (unsigned long long)lost,
            (unsigned long long)duplicated, (unsigned long long)misrouted,
            (unsigned long long)corrupt);
    uint64_t served = 0;
    for (int w = 0; w < LOAD_WORKERS; w++) {
        pthread_join (worker_threads[w], NULL);
        ck_assert_int_eq (workers[w].error, 0);
        printf (" %llu", (unsigned long long)workers[w].served);
        served += workers[w].served;
    }
    printf ("\n");
    zpat_device_stats_t stats;
    ck_assert_int_eq (zpat_device_stats (device, &stats), 0);
    zpat_device_destroy (&device);
    ck_assert_uint_eq (answered, LOAD_REQUESTS);
    ck_assert_uint_eq (lost, 0);
    ck_assert_uint_eq (duplicated, 0);
    ck_assert_uint_eq (misrouted, 0);
    ck_assert_uint_eq (corrupt, 0);
    ck_assert_uint_eq (served, LOAD_REQUESTS);
    ck_assert_uint_eq (stats.msgs_forward, LOAD_REQUESTS);
    ck_assert_uint_eq (stats.msgs_back, LOAD_REQUESTS);
}
END_TEST

// ---------------------------------------------------------------------------
// A worker killed with SIGKILL mid-stream. Workers are processes: this
// program run again as "--worker ENDPOINT ID" (answers "w<ID>:<request>")
// or "--worker ENDPOINT hold" (takes requests, answers none, and prints
// each on its standard output).

// Workers run this program again, by the path main () found for it (not
// /proc/self/exe: under valgrind that is valgrind itself).
static char s_self_exe[PATH_MAX];

static int
s_worker_main (const char *endpoint, const char *mode)
{
    bool hold = strcmp (mode, "hold") == 0;
    zpat_rep_t *rep = zpat_rep_new (endpoint, NULL);
    if (!rep)
        return 1;
    char buf[256];
    while (true) {
        int size = zpat_recv (rep, buf, sizeof buf - 1);
        if (size == -1)
            break;
        buf[size] = 0;
        if (hold) {
            printf ("held %s\n", buf);
            fflush (stdout);
            pause ();
        }
        if (zpat_sendf (rep, "w%s:%s", mode, buf) == -1)
            break;
    }
    zpat_rep_destroy (&rep);
    return 0;
}

// Starts a worker process; its standard output comes to *out.
static pid_t
s_spawn_worker (const char *endpoint, const char *mode, int *out)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        dup2 (fds[1], 1);
        close (fds[0]);
        close (fds[1]);
        execl (s_self_exe, s_self_exe, "--worker", endpoint, mode,
               (char *)NULL);
        _exit (127);
    }
    close (fds[1]);
    *out = fds[0];
    return pid;
}

// Sends request from a fresh REQ with a receive timeout of timeout_ms;
// returns the reply (to free) or NULL with errno.
static char *
s_ask (const char *front, const char *request, int timeout_ms)
{
    zpat_options_t o = opts;
    o.recv_timeout_ms = timeout_ms;
    zpat_req_t *req = zpat_req_new (front, &o);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, request), 0);
    char *reply = zpat_recv_str (req);
    int error = errno;
    zpat_req_destroy (&req);
    errno = error;
    return reply;
}

START_TEST (killed_worker_costs_only_its_request)
{
    char front[64], back[64], front_c[70], back_c[70];
    tu_endpoint (front, sizeof front, "ipc");
    tu_endpoint (back, sizeof back, "ipc");
    snprintf (front_c, sizeof front_c, ">%s", front);
    snprintf (back_c, sizeof back_c, ">%s", back);
    zpat_device_t *device = zpat_device_new (ZPAT_QUEUE, front, back, NULL);
    ck_assert_ptr_nonnull (device);
    int good_out, held_out;
    pid_t good = s_spawn_worker (back_c, "0", &good_out);
    pid_t held = s_spawn_worker (back_c, "hold", &held_out);
    // Both workers up: requests (each from its own client) until one goes
    // to the holding worker, which the client sees as its timeout.
    int timeout = 500 * hu_time_factor ();
    int answered = 0, timed_out = 0;
    char lost[64] = "";
    for (int i = 0; i < 200 && !timed_out; i++) {
        char request[64];
        snprintf (request, sizeof request, "before-%d", i);
        char *reply = s_ask (front_c, request, timeout);
        if (reply) {
            char want[80];
            snprintf (want, sizeof want, "w0:%s", request);
            ck_assert_str_eq (reply, want);
            answered++;
            zpat_str_free (&reply);
        } else {
            ck_assert_int_eq (errno, EAGAIN);
            timed_out++;
            snprintf (lost, sizeof lost, "%s", request);
        }
    }
    ck_assert_int_eq (timed_out, 1);
    // The holding worker has it: kill it in the middle of that request.
    char line[128] = "";
    FILE *held_file = fdopen (held_out, "r");
    ck_assert_ptr_nonnull (fgets (line, sizeof line, held_file));
    char want[80];
    snprintf (want, sizeof want, "held %s\n", lost);
    ck_assert_str_eq (line, want);
    ck_assert_int_eq (kill (held, SIGKILL), 0);
    int status;
    ck_assert_int_eq (waitpid (held, &status, 0), held);
    ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    fclose (held_file);
    s_sleep_ms (100); // the device sees the connection go
    // Everything later is served, by the worker left.
    for (int i = 0; i < 100; i++) {
        char request[64];
        snprintf (request, sizeof request, "after-%d", i);
        char *reply = s_ask (front_c, request, 5000);
        ck_assert_msg (reply, "%s: %s", request, zpat_strerror (errno));
        char want_reply[80];
        snprintf (want_reply, sizeof want_reply, "w0:%s", request);
        ck_assert_str_eq (reply, want_reply);
        zpat_str_free (&reply);
    }
    zpat_device_stats_t stats;
    ck_assert_int_eq (zpat_device_stats (device, &stats), 0);
    printf ("[figures] device worker killed: %d answered before, 1 request "
            "lost with the worker (its client: EAGAIN), 100 answered after; "
            "device forwarded %llu, returned %llu\n",
            answered, (unsigned long long)stats.msgs_forward,
            (unsigned long long)stats.msgs_back);
    ck_assert_uint_eq (stats.msgs_forward, (uint64_t)answered + 1 + 100);
    ck_assert_uint_eq (stats.msgs_back, (uint64_t)answered + 100);
    kill (good, SIGTERM);
    waitpid (good, &status, 0);
    close (good_out);
    zpat_device_destroy (&device);
}
END_TEST

// ---------------------------------------------------------------------------
// Junk at both sides of each device, with valid traffic between.

// The ZMTP type a proper peer of each side announces, per device type.
static const char *const peer_types[3][2] = {
    {"REQ", "REP"}, {"PUB", "SUB"}, {"PUSH", "PULL"}};
static const char *const device_names[3] = {"queue", "forwarder", "streamer"};

static const uint64_t huge_sizes[] = {
    (uint64_t)ZPAT_DEFAULT_MAX_MSG_BYTES + 1,
    UINT64_C (0x7FFFFFFFFFFFFFFF),
    UINT64_C (0x8000000000000000),
    UINT64_C (0xFFFFFFFFFFFFFFFF),
};

static uint64_t
s_random (uint64_t *state)
{
    // xorshift64*, as test_garbage.c: reproducible junk from a seed.
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C (2685821657736338717);
}

// A device with proper peers on both sides, over tcp.
typedef struct {
    int type;
    zpat_device_t *device;
    int ports[2];
    char front[80], back[80];
    zpat_req_t *req;
    zpat_rep_t *rep;
    pthread_t echo;
    atomic_bool stop;
    zpat_pub_t *pub;
    zpat_sub_t *sub;
    zpat_push_t *push;
    zpat_pull_t *pull;
    unsigned checks, retries, junk;
} rig_t;

static void *
s_echo (void *arg)
{
    rig_t *self = arg;
    char buf[4096];
    while (!atomic_load (&self->stop)) {
        int size = zpat_recv (self->rep, buf, sizeof buf);
        if (size == -1 && errno != EMSGSIZE && errno != ZPAT_EFRAMES)
            continue;
        if (size == -1)
            zpat_discard (self->rep), size = 0;
        zpat_send (self->rep, buf, (size_t)size);
    }
    return NULL;
}

static void
s_rig_start (rig_t *self, int type)
{
    memset (self, 0, sizeof *self);
    self->type = type;
    self->device =
        zpat_device_new (type, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", NULL);
    ck_assert_ptr_nonnull (self->device);
    snprintf (self->front, sizeof self->front, ">%s",
              zpat_device_frontend (self->device));
    snprintf (self->back, sizeof self->back, ">%s",
              zpat_device_backend (self->device));
    self->ports[0] = hu_tcp_port (self->front + 1);
    self->ports[1] = hu_tcp_port (self->back + 1);
    zpat_options_t o = opts;
    o.recv_timeout_ms = 50;
    if (type == ZPAT_QUEUE) {
        self->rep = zpat_rep_new (self->back, &o);
        atomic_init (&self->stop, false);
        ck_assert_int_eq (pthread_create (&self->echo, NULL, s_echo, self), 0);
    } else if (type == ZPAT_FORWARDER) {
        self->pub = zpat_pub_new (self->front, &opts);
        self->sub = zpat_sub_new (self->back, "check", &o);
        ck_assert_int_eq (zpat_pub_wait_subscriptions (self->pub, 1, 5000), 1);
    } else {
        self->push = zpat_push_new (self->front, &opts);
        self->pull = zpat_pull_new (self->back, &o);
    }
}

// One valid exchange through the device; junk the peers saw is skipped.
static void
s_rig_serves (rig_t *self)
{
    char marker[32], buf[4096];
    snprintf (marker, sizeof marker, "check-%u", self->checks++);
    if (self->type == ZPAT_QUEUE) {
        // A request sent while a junk connection that libzmq took for a
        // peer is going may be lost with it: retry, as a client would.
        for (int attempt = 0; attempt < 5; attempt++) {
            char *reply = s_ask (self->front, marker, 1000);
            if (reply) {
                ck_assert_str_eq (reply, marker);
                zpat_str_free (&reply);
                return;
            }
            self->retries++;
        }
        ck_abort_msg ("queue: no reply to %s", marker);
    }
    zpat_socket_t *out =
        self->sub ? zpat_socket (self->sub) : zpat_socket (self->pull);
    // A PUSH backend may hand the message to a junk connection that libzmq
    // took for a puller and that is going: send again, as for the queue.
    for (int attempt = 0; attempt < 5; attempt++) {
        if (attempt)
            self->retries++;
        if (self->pub)
            ck_assert_int_eq (zpat_send_str (self->pub, marker), 0);
        else
            ck_assert_int_eq (zpat_send_str (self->push, marker), 0);
        double deadline = hu_now_ms () + 1000.0 * hu_time_factor ();
        while (hu_now_ms () < deadline) {
            int size = zpat_socket_recv (out, buf, sizeof buf);
            if (size == -1 && errno == EAGAIN)
                continue;
            if (size == -1) {
                zpat_socket_discard (out);
                self->junk++;
                continue;
            }
            if (size == (int)strlen (marker) &&
                memcmp (buf, marker, (size_t)size) == 0)
                return;
            self->junk++;
        }
    }
    ck_abort_msg ("%s: %s never came", device_names[self->type - 1], marker);
}

static void
s_rig_stop (rig_t *self)
{
    if (self->rep) {
        atomic_store (&self->stop, true);
        pthread_join (self->echo, NULL);
    }
    zpat_rep_destroy (&self->rep);
    zpat_pub_destroy (&self->pub);
    zpat_sub_destroy (&self->sub);
    zpat_push_destroy (&self->push);
    zpat_pull_destroy (&self->pull);
    zpat_device_destroy (&self->device);
}

START_TEST (junk_at_either_side_leaves_device_serving)
{
    int type = ZPAT_QUEUE + _i / 2, side = _i % 2;
    const char *peer = peer_types[type - 1][side];
    rig_t rig;
    s_rig_start (&rig, type);
    s_rig_serves (&rig);
    int port = rig.ports[side];
    uint64_t state = UINT64_C (0x9E3779B97F4A7C15) + (uint64_t)_i;
    unsigned char junk[3000 + HU_GREETING_SIZE + 64];

    // Random bytes: plain, behind a signature byte, behind a greeting.
    for (int i = 0; i < 150; i++) {
        int fd = hu_raw_connect (port, 2000);
        ck_assert_int_ge (fd, 0);
        size_t size = 0;
        if (i % 3 == 2) {
            hu_greeting (junk);
            size = HU_GREETING_SIZE;
        } else if (i % 3 == 1)
            junk[size++] = 0xFF;
        size_t noise = 1 + s_random (&state) % 3000;
        for (size_t k = 0; k < noise; k++)
            junk[size++] = (unsigned char)s_random (&state);
        hu_send_all (fd, junk, size);
        close (fd);
        if (i % 50 == 49)
            s_rig_serves (&rig);
    }

    // Truncated greetings, held open while valid traffic flows.
    unsigned char hello[HU_GREETING_SIZE + 64];
    hu_greeting (hello);
    size_t full = HU_GREETING_SIZE + hu_ready (hello + HU_GREETING_SIZE, peer);
    const size_t cuts[] = {1, 2, 9, 10, 11, 12, 32, 33, 63, 64, 65, full - 1};
    int open_fds[sizeof cuts / sizeof cuts[0]];
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        open_fds[i] = hu_raw_connect (port, 2000);
        ck_assert_int_ge (open_fds[i], 0);
        ck_assert_int_eq (hu_send_all (open_fds[i], hello, cuts[i]), 0);
    }
    for (int i = 0; i < 5; i++)
        s_rig_serves (&rig);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        close (open_fds[i]);

    // Frames announcing huge sizes after a proper handshake: dropped.
    for (size_t h = 0; h < sizeof huge_sizes / sizeof huge_sizes[0]; h++) {
        int fd = hu_raw_connect (port, 2000);
        ck_assert_int_ge (fd, 0);
        ck_assert_int_eq (hu_handshake (fd, peer), 0);
        unsigned char header[9];
        size_t length = hu_frame_header (header, huge_sizes[h], 0);
        hu_send_all (fd, header, length);
        hu_send_all (fd, "abcdefgh", 8);
        double took = hu_wait_closed (fd, 5000 * hu_time_factor ());
        ck_assert_msg (took >= 0, "%s %s: huge frame %zu not dropped",
                       device_names[type - 1], side ? "backend" : "frontend",
                       h);
        close (fd);
        s_rig_serves (&rig);
    }
    s_rig_serves (&rig);
    zpat_device_stats_t stats;
    ck_assert_int_eq (zpat_device_stats (rig.device, &stats), 0);
    printf ("[figures] device garbage %s %s: 150 random, %zu truncated, %zu "
            "huge; %u valid exchanges (%u retried), %u junk messages "
            "forwarded to the proper peer\n",
            device_names[type - 1], side ? "backend" : "frontend",
            sizeof cuts / sizeof cuts[0],
            sizeof huge_sizes / sizeof huge_sizes[0], rig.checks, rig.retries,
            rig.junk);
    s_rig_stop (&rig);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("hardening-device");
    TCase *tc = tcase_create ("load");
    tcase_set_timeout (tc, 240);
    tcase_add_test (tc, million_requests_through_a_queue);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("dying");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, killed_worker_costs_only_its_request);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("garbage");
    tcase_set_timeout (tc, 120);
    tcase_add_loop_test (tc, junk_at_either_side_leaves_device_serving, 0, 6);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (int argc, char **argv)
{
    if (argc == 4 && strcmp (argv[1], "--worker") == 0)
        return s_worker_main (argv[2], argv[3]);
    if (!realpath (argv[0], s_self_exe))
        snprintf (s_self_exe, sizeof s_self_exe, "%s", argv[0]);
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
