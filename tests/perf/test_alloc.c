// test_alloc.c - zpat's send and receive paths make no heap allocation per
// message: 100,000 messages cost no more allocations than 1,000.
// SPDX-License-Identifier: MPL-2.0
//
// Every malloc, calloc and realloc in the process is counted (allochook.c),
// libzmq's own and the peer thread's included. The test's thread sends
// messages in batches of BATCH over a PUSH to a PULL in a peer thread, which
// echoes each one back over a second PUSH/PULL pair; the test receives the
// batch before it sends the next. Queues thus stay shorter than one of
// libzmq's queue chunks (256 messages), and libzmq keeps a message of at
// most 33 bytes inside zmq_msg_t, so libzmq itself allocates nothing per
// message: the raw-libzmq baseline shows that. Each zpat path is measured
// with the other half of the exchange done in raw libzmq on the socket's
// handle, so that a failure names the path. A test measures zpat's REP,
// whose envelope handling is zpat's own, in lock-step round trips, and a
// last one zpat_poller_wait, which allocates nothing at all.

#include "zpat.h"
#include "allochook.h"
#include "../testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define SMALL 16    // bytes: kept inside zmq_msg_t, never allocated
#define LARGE 1024  // bytes: libzmq allocates one block per message
#define BATCH 100   // messages sent before the echoes are read
#define WARMUP 1000 // messages before counting: libzmq's first chunks
#define FEW 1000    // messages
#define MANY 100000 // messages
// Allocations that may come and go whatever the count (a libzmq command
// queue that grows once more, a late connection event).
#define SLACK 16

typedef enum {
    PATH_SEND,     // zpat_send; raw receive
    PATH_RECV,     // raw send; zpat_recv into a buffer
    PATH_RECV_MSG, // raw send; zpat_recv_msg into one zpat_msg_t
    PATH_SEND_MSG, // zpat_msg_add + zpat_send_msg of one zpat_msg_t; raw
    PATH_BOTH,     // zpat_send; zpat_recv
    PATH_RAW,      // raw send; raw receive
} path_t;

// The test's PUSH (out) and PULL (back), and the peer's PULL and PUSH, as
// zpat objects or, for the baseline, raw libzmq sockets in a context of
// their own.
typedef struct {
    bool raw;
    void *raw_ctx;
    zpat_push_t *out;
    zpat_pull_t *back;
    zpat_pull_t *peer_in;
    zpat_push_t *peer_out;
    void *out_handle, *back_handle, *peer_in_handle, *peer_out_handle;
    zpat_msg_t *msg; // reused by the *_MSG paths
    long echoes;     // messages the peer sends back
    pthread_t peer;
} pipes_t;

// The peer: sends each message straight back, with libzmq's zero-copy
// calls, which allocate nothing.
static void *
s_echo (void *arg)
{
    pipes_t *pipes = arg;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (long i = 0; i < pipes->echoes; i++) {
        if (zmq_msg_recv (&msg, pipes->peer_in_handle, 0) == -1 ||
            zmq_msg_send (&msg, pipes->peer_out_handle, 0) == -1)
            break;
    }
    zmq_msg_close (&msg);
    return NULL;
}

// Connects two raw sockets of ctx over a fresh inproc:// name.
static void
s_raw_pair (void *ctx, void **binder, int bind_type, void **connecter,
            int connect_type)
{
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    *binder = zmq_socket (ctx, bind_type);
    *connecter = zmq_socket (ctx, connect_type);
    ck_assert_ptr_nonnull (*binder);
    ck_assert_ptr_nonnull (*connecter);
    ck_assert_int_eq (zmq_bind (*binder, endpoint), 0);
    ck_assert_int_eq (zmq_connect (*connecter, endpoint), 0);
}

static void
s_pipes_open (pipes_t *pipes, bool raw, long echoes)
{
    memset (pipes, 0, sizeof *pipes);
    pipes->raw = raw;
    pipes->echoes = echoes;
    if (raw) {
        pipes->raw_ctx = zmq_ctx_new ();
        ck_assert_ptr_nonnull (pipes->raw_ctx);
        s_raw_pair (pipes->raw_ctx, &pipes->peer_in_handle, ZMQ_PULL,
                    &pipes->out_handle, ZMQ_PUSH);
        s_raw_pair (pipes->raw_ctx, &pipes->back_handle, ZMQ_PULL,
                    &pipes->peer_out_handle, ZMQ_PUSH);
    } else {
        char there[128], back[128];
        tu_endpoint (there, sizeof there, "inproc");
        tu_endpoint (back, sizeof back, "inproc");
        pipes->peer_in = zpat_pull_new (there, NULL);
        pipes->out = zpat_push_new (there, NULL);
        pipes->back = zpat_pull_new (back, NULL);
        pipes->peer_out = zpat_push_new (back, NULL);
        ck_assert_ptr_nonnull (pipes->peer_in);
        ck_assert_ptr_nonnull (pipes->out);
        ck_assert_ptr_nonnull (pipes->back);
        ck_assert_ptr_nonnull (pipes->peer_out);
        pipes->out_handle = zpat_handle (pipes->out);
        pipes->back_handle = zpat_handle (pipes->back);
        pipes->peer_in_handle = zpat_handle (pipes->peer_in);
        pipes->peer_out_handle = zpat_handle (pipes->peer_out);
    }
    // A generous bound on every wait, so a lost message fails the test
    // instead of hanging it.
    int timeout = 10000;
    zmq_setsockopt (pipes->back_handle, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (pipes->peer_in_handle, ZMQ_RCVTIMEO, &timeout,
                    sizeof timeout);
    pipes->msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (pipes->msg);
    ck_assert_int_eq (pthread_create (&pipes->peer, NULL, s_echo, pipes), 0);
}

static void
s_pipes_close (pipes_t *pipes)
{
    pthread_join (pipes->peer, NULL);
    zpat_msg_destroy (&pipes->msg);
    if (pipes->raw) {
        void *sockets[] = {pipes->out_handle, pipes->back_handle,
                           pipes->peer_in_handle, pipes->peer_out_handle};
        for (int i = 0; i < 4; i++) {
            int linger = 0;
            zmq_setsockopt (sockets[i], ZMQ_LINGER, &linger, sizeof linger);
            zmq_close (sockets[i]);
        }
        zmq_ctx_term (pipes->raw_ctx);
    } else {
        zpat_push_destroy (&pipes->out);
        zpat_pull_destroy (&pipes->back);
        zpat_pull_destroy (&pipes->peer_in);
        zpat_push_destroy (&pipes->peer_out);
    }
}

// Sends one message of size bytes by path; false if the call failed.
static bool
s_send (pipes_t *pipes, path_t path, size_t size)
{
    static char out[LARGE];
    if (path == PATH_SEND || path == PATH_BOTH)
        return zpat_send (pipes->out, out, size) == 0;
    if (path == PATH_SEND_MSG)
        return zpat_msg_add (pipes->msg, out, size) == 0 &&
               zpat_send_msg (pipes->out, pipes->msg) == 0;
    return zmq_send (pipes->out_handle, out, size, 0) == (int)size;
}

// Receives one echo of size bytes by path; false on failure or a wrong
// size.
static bool
s_recv (pipes_t *pipes, path_t path, size_t size)
{
    static char in[LARGE];
    if (path == PATH_RECV || path == PATH_BOTH)
        return zpat_recv (pipes->back, in, sizeof in) == (int)size;
    if (path == PATH_RECV_MSG)
        return zpat_recv_msg (pipes->back, pipes->msg) == 1 &&
               zpat_msg_size (pipes->msg, 0) == size;
    return zmq_recv (pipes->back_handle, in, sizeof in, 0) == (int)size;
}

// Returns the allocations made in the whole process while count messages
// (a multiple of BATCH) went out and came back by path. No ck_assert in the
// loop: Check's assertions record their place even when they pass, and that
// allocates.
static long
s_allocs_over (pipes_t *pipes, path_t path, size_t size, long count)
{
    long before = ah_allocs ();
    long done = 0;
    bool ok = true;
    while (ok && done < count) {
        for (int i = 0; ok && i < BATCH; i++)
            ok = s_send (pipes, path, size);
        for (int i = 0; ok && i < BATCH; i++)
            ok = s_recv (pipes, path, size);
        if (ok)
            done += BATCH;
    }
    long allocs = ah_allocs () - before;
    ck_assert_msg (ok, "a message of batch %ld of %ld failed: %s",
                   done / BATCH + 1, count / BATCH, zpat_strerror (errno));
    return allocs;
}

// Counts the allocations over FEW and over MANY messages by path and fails
// if the larger count made more than SLACK more.
static void
s_check_flat (path_t path)
{
    if (!ah_active ()) {
        // valgrind replaces malloc in the executable too: nothing to count.
        printf ("allocation hooks inactive (valgrind?): not counted\n");
        return;
    }
    pipes_t pipes;
    s_pipes_open (&pipes, path == PATH_RAW, WARMUP + FEW + MANY);
    s_allocs_over (&pipes, path, SMALL, WARMUP);
    long few = s_allocs_over (&pipes, path, SMALL, FEW);
    long many = s_allocs_over (&pipes, path, SMALL, MANY);
    s_pipes_close (&pipes);
    ck_assert_msg (many <= few + SLACK,
                   "%d messages made %ld allocations, %d made %ld: "
                   "allocations grow with the message count",
                   FEW, few, MANY, many);
}

START_TEST (raw_libzmq_baseline_does_not_allocate_per_message)
{
    s_check_flat (PATH_RAW);
}
END_TEST

START_TEST (send_does_not_allocate_per_message)
{
    s_check_flat (PATH_SEND);
}
END_TEST

START_TEST (recv_into_buffer_does_not_allocate_per_message)
{
    s_check_flat (PATH_RECV);
}
END_TEST

START_TEST (recv_msg_into_one_message_does_not_allocate_per_message)
{
    s_check_flat (PATH_RECV_MSG);
}
END_TEST

START_TEST (send_msg_of_one_reused_message_does_not_allocate_per_message)
{
    s_check_flat (PATH_SEND_MSG);
}
END_TEST

// Above 33 bytes libzmq allocates each message's bytes itself; zpat must
// add nothing to that.
START_TEST (large_messages_allocate_no_more_than_raw_libzmq)
{
    if (!ah_active ()) {
        printf ("allocation hooks inactive (valgrind?): not counted\n");
        return;
    }
    pipes_t pipes;
    s_pipes_open (&pipes, false, WARMUP + 2 * FEW);
    s_allocs_over (&pipes, PATH_BOTH, LARGE, WARMUP);
    long raw = s_allocs_over (&pipes, PATH_RAW, LARGE, FEW);
    long zpat = s_allocs_over (&pipes, PATH_BOTH, LARGE, FEW);
    s_pipes_close (&pipes);
    // The hooks must see libzmq's own allocations, or the comparison says
    // nothing.
    ck_assert_msg (raw >= FEW / 2, "raw libzmq made only %ld allocations", raw);
    ck_assert_msg (zpat <= raw + SLACK,
                   "%d messages of %d bytes: zpat made %ld allocations, "
                   "raw libzmq %ld",
                   FEW, LARGE, zpat, raw);
}
END_TEST

// zpat's REP keeps each request's envelope for the reply in slots it
// reuses. Round trips go in lock-step, two thread wake-ups each, so fewer
// of them than above.
#define REP_FEW 1000
#define REP_MANY 20000

typedef struct {
    zpat_rep_t *rep;
    long echoes;
} replier_t;

static void *
s_reply (void *arg)
{
    replier_t *replier = arg;
    zpat_msg_t *msg = zpat_msg_new ();
    for (long i = 0; msg && i < replier->echoes; i++) {
        if (zpat_recv_msg (replier->rep, msg) == -1 ||
            zpat_send_msg (replier->rep, msg) == -1)
            break;
    }
    zpat_msg_destroy (&msg);
    return NULL;
}

static long
s_round_trips (void *req, long count)
{
    char buf[SMALL] = {0};
    long before = ah_allocs ();
    long done = 0;
    while (done < count && zmq_send (req, buf, SMALL, 0) == SMALL &&
           zmq_recv (req, buf, SMALL, 0) == SMALL)
        done++;
    long allocs = ah_allocs () - before;
    ck_assert_msg (done == count, "round trip %ld of %ld failed: %s", done + 1,
                   count, zpat_strerror (errno));
    return allocs;
}

START_TEST (rep_replies_without_allocating_per_message)
{
    if (!ah_active ()) {
        printf ("allocation hooks inactive (valgrind?): not counted\n");
        return;
    }
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.recv_timeout_ms = 10000};
    replier_t replier = {.echoes = WARMUP + REP_FEW + REP_MANY};
    replier.rep = zpat_rep_new (endpoint, &opts);
    ck_assert_ptr_nonnull (replier.rep);
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    ck_assert_ptr_nonnull (req);
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_reply, &replier), 0);
    // The test's side is raw libzmq on the REQ's handle: only the REP's
    // calls are zpat's.
    void *handle = zpat_handle (req);
    s_round_trips (handle, WARMUP);
    long few = s_round_trips (handle, REP_FEW);
    long many = s_round_trips (handle, REP_MANY);
    pthread_join (thread, NULL);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&replier.rep);
    ck_assert_msg (many <= few + SLACK,
                   "%d round trips made %ld allocations, %d made %ld: "
                   "allocations grow with the message count",
                   REP_FEW, few, REP_MANY, many);
}
END_TEST

// zpat_poller_wait allocates nothing once its items are added: waits that
// find objects ready (messages queued and left there, a writable PUSH, a
// readable pipe) and waits that time out at once (timeout 0), after a
// warm-up that builds what poll (2) sleeps on. Over inproc:// with no
// other thread sending, libzmq itself has no work, so the count is exact.
#define POLLER_OBJECTS 3
#define POLLER_WAITS 10000

// Runs count waits with timeout 0 and max ready items; returns how many
// found something, or -1 when one failed otherwise than with EAGAIN.
static long
s_poller_waits (zpat_poller_t *poller, size_t max, long count)
{
    zpat_ready_t ready[POLLER_OBJECTS + 2];
    long found = 0;
    for (long i = 0; i < count; i++) {
        int rc = zpat_poller_wait (poller, 0, ready, max);
        if (rc > 0)
            found++;
        else if (errno != EAGAIN)
            return -1;
    }
    return found;
}

START_TEST (poller_wait_does_not_allocate)
{
    if (!ah_active ()) {
        printf ("allocation hooks inactive (valgrind?): not counted\n");
        return;
    }
    zpat_pull_t *pulls[POLLER_OBJECTS];
    zpat_push_t *pushes[POLLER_OBJECTS];
    zpat_poller_t *ready_poller = zpat_poller_new ();
    zpat_poller_t *idle_poller = zpat_poller_new ();
    ck_assert_ptr_nonnull (ready_poller);
    ck_assert_ptr_nonnull (idle_poller);
    for (int i = 0; i < POLLER_OBJECTS; i++) {
        char endpoint[128];
        tu_endpoint (endpoint, sizeof endpoint, "inproc");
        pulls[i] = zpat_pull_new (endpoint, NULL);
        pushes[i] = zpat_push_new (endpoint, NULL);
        ck_assert_ptr_nonnull (pulls[i]);
        ck_assert_ptr_nonnull (pushes[i]);
        ck_assert_int_eq (
            zpat_poller_add (ready_poller, pulls[i], ZPAT_POLLIN, pulls[i]), 0);
    }
    // Ready: messages queued on every PULL, never received.
    for (int i = 0; i < POLLER_OBJECTS; i++)
        ck_assert_int_eq (zpat_send_str (pushes[i], "ready"), 0);
    int fds[2], idle_fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    ck_assert_int_eq (pipe (idle_fds), 0);
    ck_assert_int_eq (write (fds[1], "x", 1), 1);
    ck_assert_int_eq (
        zpat_poller_add (ready_poller, pushes[0], ZPAT_POLLOUT, NULL), 0);
    ck_assert_int_eq (
        zpat_poller_add_fd (ready_poller, fds[0], ZPAT_POLLIN, NULL), 0);
    // Idle: a PULL with nothing queued and a pipe with nothing written.
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_pull_t *idle = zpat_pull_new (endpoint, NULL);
    ck_assert_ptr_nonnull (idle);
    ck_assert_int_eq (zpat_poller_add (idle_poller, idle, ZPAT_POLLIN, NULL),
                      0);
    ck_assert_int_eq (
        zpat_poller_add_fd (idle_poller, idle_fds[0], ZPAT_POLLIN, NULL), 0);

    // Warm-up, then count: no ck_assert in between (it allocates).
    long warm = s_poller_waits (ready_poller, 1, 100) +
                s_poller_waits (ready_poller, POLLER_OBJECTS + 2, 100) +
                s_poller_waits (idle_poller, 1, 100);
    long before = ah_allocs ();
    long found_one = s_poller_waits (ready_poller, 1, POLLER_WAITS);
    long found_all =
        s_poller_waits (ready_poller, POLLER_OBJECTS + 2, POLLER_WAITS);
    long found_idle = s_poller_waits (idle_poller, 1, POLLER_WAITS);
    long allocs = ah_allocs () - before;

    ck_assert_int_eq (warm, 200);
    ck_assert_int_eq (found_one, POLLER_WAITS);
    ck_assert_int_eq (found_all, POLLER_WAITS);
    ck_assert_int_eq (found_idle, 0);
    ck_assert_msg (allocs == 0, "%d poller waits made %ld allocations",
                   3 * POLLER_WAITS, allocs);

    zpat_poller_destroy (&ready_poller);
    zpat_poller_destroy (&idle_poller);
    zpat_pull_destroy (&idle);
    for (int i = 0; i < POLLER_OBJECTS; i++) {
        zpat_push_destroy (&pushes[i]);
        zpat_pull_destroy (&pulls[i]);
    }
    close (fds[0]);
    close (fds[1]);
    close (idle_fds[0]);
    close (idle_fds[1]);
}
END_TEST

static Suite *
alloc_suite (void)
{
    Suite *suite = suite_create ("alloc");
    TCase *steady = tcase_create ("steady state");
    // About 1,000 thread wake-ups per test, and 40,000 for the REP; ten
    // times slower under valgrind (where nothing is counted).
    tcase_set_timeout (steady, 60);
    tcase_add_test (steady, raw_libzmq_baseline_does_not_allocate_per_message);
    tcase_add_test (steady, send_does_not_allocate_per_message);
    tcase_add_test (steady, recv_into_buffer_does_not_allocate_per_message);
    tcase_add_test (steady,
                    recv_msg_into_one_message_does_not_allocate_per_message);
    tcase_add_test (
        steady, send_msg_of_one_reused_message_does_not_allocate_per_message);
    tcase_add_test (steady, large_messages_allocate_no_more_than_raw_libzmq);
    tcase_add_test (steady, rep_replies_without_allocating_per_message);
    tcase_add_test (steady, poller_wait_does_not_allocate);
    suite_add_tcase (suite, steady);
    return suite;
}

int
main (void)
{
    return tu_run_suite (alloc_suite (), CK_FORK_GETENV);
}
