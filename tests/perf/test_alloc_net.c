// test_alloc_net.c - allocations per REQ/REP round trip over tcp:// and
// ipc:// at 64, 256 and 4,096 bytes: the zpat REQ's receive against raw
// libzmq's zmq_msg_recv into one reused zmq_msg_t, with a raw REP echoing.
// SPDX-License-Identifier: MPL-2.0
//
// A message kept by the caller while the next receive waits holds on to
// libzmq's receive buffer (tcp:// and ipc:// decode in place), so libzmq
// takes a new one: raw zmq_msg_recv releases the message it reuses before
// it waits, where zpat_recv_msg keeps it until a new one has arrived (a
// failed receive must leave the caller's message as it was). The lending
// receive, and zpat_msg_reset before sending the next request, release it
// in time: those must allocate no more than raw libzmq; the reused
// zpat_msg_t's extra is measured and printed (zpat.h documents it).

#include "allochook.h"
#include "../testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define TRIPS 2000
#define WARMUP 500
// Allocations one run may make beyond raw libzmq's (threads, timers).
#define SLACK 40

static const int s_sizes[] = {64, 256, 4096};

typedef enum { RAW, LEND, MSG_RESET, MSG_KEPT } mode_t_;
static const char *const s_names[] = {"raw zmq_msg_recv", "zpat_recv_lend",
                                      "zpat_recv_msg + reset",
                                      "zpat_recv_msg, kept"};

typedef struct {
    void *ctx, *rep;
    long echoes;
} echo_t;

static void *
s_echo (void *arg)
{
    echo_t *echo = arg;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (long i = 0; i < echo->echoes; i++)
        if (zmq_msg_recv (&msg, echo->rep, 0) == -1 ||
            zmq_msg_send (&msg, echo->rep, 0) == -1)
            break;
    zmq_msg_close (&msg);
    return NULL;
}

// Round trips of size bytes in mode; returns the allocations the last
// TRIPS of them made, in the whole process.
static long
s_trips (const char *transport, int size, mode_t_ mode)
{
    char where[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, transport);
    echo_t echo = {.ctx = zmq_ctx_new (), .echoes = WARMUP + TRIPS};
    echo.rep = zmq_socket (echo.ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt (echo.rep, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_bind (echo.rep, where), 0);
    char bound[TU_ENDPOINT_SIZE];
    size_t length = sizeof bound;
    zmq_getsockopt (echo.rep, ZMQ_LAST_ENDPOINT, bound, &length);
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_echo, &echo), 0);

    static char request[4096];
    void *raw_ctx = NULL, *raw_req = NULL;
    zpat_req_t *req = NULL;
    zmq_msg_t raw_msg;
    zmq_msg_init (&raw_msg);
    zpat_msg_t *msg = zpat_msg_new ();
    if (mode == RAW) {
        raw_ctx = zmq_ctx_new ();
        raw_req = zmq_socket (raw_ctx, ZMQ_REQ);
        ck_assert_int_eq (zmq_connect (raw_req, bound), 0);
    } else {
        req = zpat_req_new (bound, &tu_opts);
        ck_assert_ptr_nonnull (req);
    }
    long before = 0;
    for (long i = 0; i < WARMUP + TRIPS; i++) {
        if (i == WARMUP)
            before = ah_allocs ();
        const void *data;
        switch (mode) {
        case RAW:
            ck_assert_int_eq (zmq_send (raw_req, request, (size_t)size, 0),
                              size);
            ck_assert_int_eq (zmq_msg_recv (&raw_msg, raw_req, 0), size);
            break;
        case LEND:
            ck_assert_int_eq (zpat_send (req, request, (size_t)size), 0);
            ck_assert_int_eq (zpat_recv_lend (req, &data), size);
            break;
        case MSG_RESET:
            zpat_msg_reset (msg);
            ck_assert_int_eq (zpat_send (req, request, (size_t)size), 0);
            ck_assert_int_eq (zpat_recv_msg (req, msg), 1);
            break;
        case MSG_KEPT:
            ck_assert_int_eq (zpat_send (req, request, (size_t)size), 0);
            ck_assert_int_eq (zpat_recv_msg (req, msg), 1);
            break;
        }
    }
    long allocs = ah_allocs () - before;
    pthread_join (thread, NULL);
    zmq_msg_close (&raw_msg);
    zpat_msg_destroy (&msg);
    if (raw_req) {
        zmq_close (raw_req);
        zmq_ctx_term (raw_ctx);
    }
    zpat_req_destroy (&req);
    zmq_close (echo.rep);
    zmq_ctx_term (echo.ctx);
    return allocs;
}

// _i: transport (ipc, tcp) x size.
START_TEST (req_allocates_no_more_than_raw_libzmq)
{
    if (!ah_active ()) {
        printf ("allocation hooks inactive (valgrind?): not counted\n");
        return;
    }
    const char *transport = _i / 3 == 0 ? "ipc" : "tcp";
    int size = s_sizes[_i % 3];
    long counts[4];
    for (int mode = RAW; mode <= MSG_KEPT; mode++)
        counts[mode] = s_trips (transport, size, (mode_t_)mode);
    for (int mode = RAW; mode <= MSG_KEPT; mode++)
        printf ("%s %4d B, %d round trips: %-22s %6ld allocations\n", transport,
                size, TRIPS, s_names[mode], counts[mode]);
    ck_assert_msg (counts[LEND] <= counts[RAW] + SLACK,
                   "%s %d B: zpat_recv_lend made %ld allocations, raw %ld",
                   transport, size, counts[LEND], counts[RAW]);
    ck_assert_msg (counts[MSG_RESET] <= counts[RAW] + SLACK,
                   "%s %d B: zpat_recv_msg after a reset made %ld "
                   "allocations, raw %ld",
                   transport, size, counts[MSG_RESET], counts[RAW]);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("alloc_net");
    TCase *tc = tcase_create ("req");
    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, req_allocates_no_more_than_raw_libzmq, 0, 6);
    suite_add_tcase (suite, tc);
    return tu_run_suite (suite, CK_FORK_GETENV);
}
