// test_reqrep.c - Check suite for request-reply: zpat_req_t and zpat_rep_t.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <zpat.h>

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Makes a REP bound to a fresh endpoint on transport and copies the endpoint
// it really bound (a tcp:// port resolved) into endpoint, for peers.
static zpat_rep_t *
s_rep_bound (const char *transport, char *endpoint)
{
    char wanted[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, transport);
    zpat_rep_t *rep = zpat_rep_new (wanted, &tu_opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", wanted, endpoint);
    return rep;
}

static zpat_req_t *
s_req_connected (const char *endpoints)
{
    zpat_req_t *req = zpat_req_new (endpoints, &tu_opts);
    ck_assert_msg (req, "zpat_req_new (%s): %s", endpoints,
                   zpat_strerror (errno));
    return req;
}

// Makes a REP bound to a fresh endpoint on transport and a REQ connected to
// it. The caller destroys both.
static zpat_rep_t *
s_rep_with_req (const char *transport, zpat_req_t **req)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep_bound (transport, endpoint);
    *req = s_req_connected (endpoint);
    return rep;
}

// Receives a string on rep and checks it is expected.
static void
s_rep_expect (zpat_rep_t *rep, const char *expected)
{
    char *got = zpat_recv_str (rep);
    ck_assert_msg (got, "REP receive: %s", zpat_strerror (errno));
    ck_assert_str_eq (got, expected);
    zpat_str_free (&got);
}

static void
s_req_expect (zpat_req_t *req, const char *expected)
{
    char *got = zpat_recv_str (req);
    ck_assert_msg (got, "REQ receive: %s", zpat_strerror (errno));
    ck_assert_str_eq (got, expected);
    zpat_str_free (&got);
}

// One whole round trip of text, checked at both ends.
static void
s_round_trip (zpat_req_t *req, zpat_rep_t *rep, const char *request,
              const char *reply)
{
    ck_assert_int_eq (zpat_send_str (req, request), 0);
    s_rep_expect (rep, request);
    ck_assert_int_eq (zpat_send_str (rep, reply), 0);
    s_req_expect (req, reply);
}

// xorshift32: reproducible message sizes and contents, NUL bytes included.
static uint32_t
s_random (uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

// ---------------------------------------------------------------------------
// Exchange

#define ECHO_COUNT 10000
#define ECHO_MAX (64 * 1024 + 16)

// 10,000 requests of varied sizes (empty, small, up to 64 KiB) and random
// bytes come back from an echoing REP byte for byte. The REP echoes through
// zpat_recv_msg and zpat_send_msg, the REQ copies into its own buffer.
START_TEST (echo_10000_messages_byte_exact)
{
    const char *transport = tu_transports[_i];
    zpat_req_t *req;
    zpat_rep_t *rep = s_rep_with_req (transport, &req);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    unsigned char *sent = malloc (ECHO_MAX);
    unsigned char *back = malloc (ECHO_MAX);
    ck_assert (sent && back);
    uint32_t state = 0x2545f491u + (uint32_t)_i;
    size_t total = 0;

    for (int i = 0; i < ECHO_COUNT; i++) {
        size_t size = s_random (&state) % 1024;
        if (i == 0)
            size = 0;
        else if (i % 1000 == 1)
            size = 64 * 1024 + (size_t)(i % 16);
        for (size_t b = 0; b < size; b++)
            sent[b] = (unsigned char)s_random (&state);
        if (zpat_send (req, sent, size) != 0)
            ck_abort_msg ("request %d: %s", i, zpat_strerror (errno));
        if (zpat_recv_msg (rep, msg) != 1)
            ck_abort_msg ("serve %d: %s", i, zpat_strerror (errno));
        if (zpat_msg_size (msg, 0) != size ||
            (size && memcmp (zpat_msg_data (msg, 0), sent, size) != 0))
            ck_abort_msg ("request %d (%zu bytes) arrived changed", i, size);
        if (zpat_send_msg (rep, msg) != 0)
            ck_abort_msg ("reply %d: %s", i, zpat_strerror (errno));
        int got = zpat_recv (req, back, ECHO_MAX);
        if (got != (int)size)
            ck_abort_msg ("reply %d: got %d of %zu bytes: %s", i, got, size,
                          got < 0 ? zpat_strerror (errno) : "wrong size");
        if (size && memcmp (back, sent, size) != 0)
            ck_abort_msg ("reply %d (%zu bytes) differs from request", i, size);
        total += size;
    }
    ck_assert_uint_gt (total, (size_t)ECHO_COUNT * 400);
    free (sent);
    free (back);
    zpat_msg_destroy (&msg);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// Serves one request on whichever of reps gets it first and replies with the
// REP's index; returns that index, or -1 when none got one within 5 s
// (times the time factor).
static int
s_serve_any (zpat_rep_t **reps, int count)
{
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    while (tu_now_ms () < deadline) {
        for (int r = 0; r < count; r++) {
            char *request = zpat_recv_str (reps[r]);
            if (!request) {
                ck_assert_int_eq (errno, EAGAIN);
                continue;
            }
            zpat_str_free (&request);
            ck_assert_int_eq (zpat_sendf (reps[r], "%d", r), 0);
            return r;
        }
    }
    return -1;
}

// A REQ connected to two REPs ("ep1,ep2") sends its requests to them in
// turn. First both must have answered once (their connections are up), then
// 20 more requests must alternate strictly.
START_TEST (req_connected_to_two_reps_round_robins)
{
    const char *transport = tu_transports[_i];
    char first[TU_ENDPOINT_SIZE], second[TU_ENDPOINT_SIZE];
    zpat_rep_t *reps[2];
    reps[0] = s_rep_bound (transport, first);
    reps[1] = s_rep_bound (transport, second);
    for (int r = 0; r < 2; r++)
        ck_assert_int_eq (zpat_set_recv_timeout_ms (reps[r], 2), 0);
    char both[2 * TU_ENDPOINT_SIZE + 1];
    snprintf (both, sizeof both, "%s,%s", first, second);
    zpat_req_t *req = s_req_connected (both);

    bool answered[2] = {false, false};
    for (int tries = 0; !(answered[0] && answered[1]); tries++) {
        ck_assert_int_lt (tries, 1000);
        ck_assert_int_eq (zpat_send_str (req, "warm-up"), 0);
        int r = s_serve_any (reps, 2);
        ck_assert_int_ge (r, 0);
        answered[r] = true;
        char *reply = zpat_recv_str (req);
        ck_assert_ptr_nonnull (reply);
        zpat_str_free (&reply);
    }
    int previous = -1;
    int served[2] = {0, 0};
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq (zpat_sendf (req, "request %d", i), 0);
        int r = s_serve_any (reps, 2);
        ck_assert_int_ge (r, 0);
        ck_assert_int_ne (r, previous);
        previous = r;
        served[r]++;
        char expected[16];
        snprintf (expected, sizeof expected, "%d", r);
        s_req_expect (req, expected);
    }
    ck_assert_int_eq (served[0], 10);
    ck_assert_int_eq (served[1], 10);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&reps[0]);
    zpat_rep_destroy (&reps[1]);
}
END_TEST

// ---------------------------------------------------------------------------
// State errors

// A second send before the reply fails with ZPAT_EFSM and queues nothing; the
// REQ completes its exchange and works normally afterwards.
START_TEST (req_send_twice_fails_with_efsm_and_req_still_works)
{
    zpat_req_t *req;
    zpat_rep_t *rep = s_rep_with_req (tu_transports[_i], &req);

    ck_assert_int_eq (zpat_send_str (req, "first"), 0);
    errno = 0;
    ck_assert_int_eq (zpat_send_str (req, "second"), -1);
    ck_assert_int_eq (errno, ZPAT_EFSM);
    s_rep_expect (rep, "first");
    ck_assert_int_eq (zpat_send_str (rep, "reply to first"), 0);
    s_req_expect (req, "reply to first");
    // "second" was never queued: the REP's next request is "third".
    s_round_trip (req, rep, "third", "reply to third");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// Receiving on a REQ that has sent nothing fails at once with ZPAT_EFSM.
START_TEST (req_recv_before_send_fails_with_efsm)
{
    zpat_req_t *req;
    zpat_rep_t *rep = s_rep_with_req (tu_transports[_i], &req);

    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (req));
    ck_assert_int_eq (errno, ZPAT_EFSM);
    s_round_trip (req, rep, "after", "fine");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// A REP cannot speak first: its send fails with ZPAT_EFSM, and it serves the
// next request normally.
START_TEST (rep_send_before_recv_fails_with_efsm)
{
    zpat_req_t *req;
    zpat_rep_t *rep = s_rep_with_req (tu_transports[_i], &req);

    errno = 0;
    ck_assert_int_eq (zpat_send_str (rep, "unasked"), -1);
    ck_assert_int_eq (errno, ZPAT_EFSM);
    s_round_trip (req, rep, "question", "answer");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// A REP holding a request must answer it before receiving another.
START_TEST (rep_recv_twice_fails_with_efsm)
{
    zpat_req_t *req;
    zpat_rep_t *rep = s_rep_with_req (tu_transports[_i], &req);

    ck_assert_int_eq (zpat_send_str (req, "one"), 0);
    s_rep_expect (rep, "one");
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (rep));
    ck_assert_int_eq (errno, ZPAT_EFSM);
    ck_assert_int_eq (zpat_send_str (rep, "reply"), 0);
    s_req_expect (req, "reply");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// ---------------------------------------------------------------------------
// Timeouts

#define TIMEOUT_MS 200

// Checks that a wait that timed out took about timeout_ms: not much less,
// and (generously, for loaded machines) less than five times as long, times
// the time factor under valgrind.
static void
s_check_elapsed (long long elapsed, int timeout_ms)
{
    ck_assert_int_ge (elapsed, timeout_ms - 20);
    ck_assert_int_lt (elapsed, 5LL * timeout_ms * tu_time_factor ());
}

// A REP with nothing to receive gives up after its receive timeout with
// EAGAIN.
START_TEST (rep_recv_times_out_with_eagain)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep_bound (tu_transports[_i], endpoint);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (rep, TIMEOUT_MS), 0);

    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (rep));
    ck_assert_int_eq (errno, EAGAIN);
    s_check_elapsed (tu_now_ms () - start, TIMEOUT_MS);
    zpat_rep_destroy (&rep);
}
END_TEST

// A REQ whose REP does not answer gives up after recv_timeout_ms with
// EAGAIN; the failed receive loses nothing, so the late reply still arrives.
START_TEST (req_recv_times_out_with_eagain_and_late_reply_arrives)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep_bound (tu_transports[_i], endpoint);
    zpat_options_t short_wait = tu_opts;
    short_wait.recv_timeout_ms = TIMEOUT_MS;
    zpat_req_t *req = zpat_req_new (endpoint, &short_wait);
    ck_assert_ptr_nonnull (req);

    ck_assert_int_eq (zpat_send_str (req, "anyone?"), 0);
    s_rep_expect (rep, "anyone?");
    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (req));
    ck_assert_int_eq (errno, EAGAIN);
    s_check_elapsed (tu_now_ms () - start, TIMEOUT_MS);

    ck_assert_int_eq (zpat_send_str (rep, "late"), 0);
    s_req_expect (req, "late");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// ZPAT_WAIT_NONE makes a receive return EAGAIN at once.
START_TEST (recv_with_wait_none_returns_eagain_at_once)
{
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &tu_opts);
    ck_assert_ptr_nonnull (rep);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (rep, ZPAT_WAIT_NONE), 0);
    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (rep));
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_int_lt (tu_now_ms () - start, 1000LL * tu_time_factor ());
    zpat_rep_destroy (&rep);
}
END_TEST

// ---------------------------------------------------------------------------
// Constructors and endpoints

// Returns the port at the end of a resolved tcp:// endpoint, or -1.
static long
s_port (const char *endpoint)
{
    const char *prefix = "tcp://127.0.0.1:";
    if (!endpoint || strncmp (endpoint, prefix, strlen (prefix)) != 0)
        return -1;
    char *end;
    long port = strtol (endpoint + strlen (prefix), &end, 10);
    return *end == 0 && port > 0 && port < 65536 ? port : -1;
}

// "tcp://127.0.0.1:*" binds a free port, zpat_endpoint reads back the port
// picked, and a REQ given that endpoint reaches the REP.
START_TEST (rep_new_binds_ephemeral_port_and_endpoint_reads_it_back)
{
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &tu_opts);
    ck_assert_ptr_nonnull (rep);
    zpat_rep_t *other = zpat_rep_new ("tcp://127.0.0.1:*", &tu_opts);
    ck_assert_ptr_nonnull (other);
    long port = s_port (zpat_endpoint (rep));
    ck_assert_msg (port > 0, "endpoint %s", zpat_endpoint (rep));
    ck_assert_int_ne (port, s_port (zpat_endpoint (other)));

    zpat_req_t *req = s_req_connected (zpat_endpoint (rep));
    s_round_trip (req, rep, "ping", "pong");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&other);
    zpat_rep_destroy (&rep);
}
END_TEST

// A REQ that only connected has bound nothing: no endpoint to read.
START_TEST (endpoint_of_connect_only_socket_is_null_with_einval)
{
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &tu_opts);
    ck_assert_ptr_nonnull (rep);
    zpat_req_t *req = s_req_connected (zpat_endpoint (rep));
    errno = 0;
    ck_assert_ptr_null (zpat_endpoint (req));
    ck_assert_int_eq (errno, EINVAL);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// '@' and '>' turn the usual roles round: the REQ binds, the REP connects.
START_TEST (at_and_gt_prefixes_swap_bind_and_connect)
{
    char wanted[TU_ENDPOINT_SIZE], at[TU_ENDPOINT_SIZE + 1],
        endpoint[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, tu_transports[_i]);
    snprintf (at, sizeof at, "@%s", wanted);
    zpat_req_t *req = zpat_req_new (at, &tu_opts);
    ck_assert_msg (req, "zpat_req_new (%s): %s", at, zpat_strerror (errno));
    ck_assert_ptr_nonnull (zpat_endpoint (req));
    snprintf (endpoint, sizeof endpoint, ">%s", zpat_endpoint (req));
    zpat_rep_t *rep = zpat_rep_new (endpoint, &tu_opts);
    ck_assert_msg (rep, "zpat_rep_new (%s): %s", endpoint,
                   zpat_strerror (errno));
    errno = 0;
    ck_assert_ptr_null (zpat_endpoint (rep));
    ck_assert_int_eq (errno, EINVAL);
    s_round_trip (req, rep, "reversed", "still works");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// A comma list binds every endpoint in it, over all three tu_transports at
// once; zpat_endpoint reads back the last, and a REQ on each gets answers.
START_TEST (comma_list_binds_every_endpoint)
{
    char inproc[TU_ENDPOINT_SIZE], ipc[TU_ENDPOINT_SIZE],
        list[3 * TU_ENDPOINT_SIZE];
    tu_endpoint (inproc, sizeof inproc, "inproc");
    tu_endpoint (ipc, sizeof ipc, "ipc");
    snprintf (list, sizeof list, "@%s,%s,@tcp://127.0.0.1:*", inproc, ipc);
    zpat_rep_t *rep = zpat_rep_new (list, &tu_opts);
    ck_assert_msg (rep, "zpat_rep_new (%s): %s", list, zpat_strerror (errno));
    ck_assert_msg (s_port (zpat_endpoint (rep)) > 0, "endpoint %s",
                   zpat_endpoint (rep));

    const char *targets[3] = {inproc, ipc, zpat_endpoint (rep)};
    for (int t = 0; t < 3; t++) {
        zpat_req_t *req = s_req_connected (targets[t]);
        s_round_trip (req, rep, targets[t], "served");
        zpat_req_destroy (&req);
    }
    zpat_rep_destroy (&rep);
}
END_TEST

// Malformed lists are refused with EINVAL and NULL.
START_TEST (malformed_endpoint_lists_fail_with_einval)
{
    const char *bad[] = {
        "",
        ",",
        "@",
        ">",
        "tcp://127.0.0.1:*,",
        ",tcp://127.0.0.1:*",
        "tcp://127.0.0.1:*,,inproc://x",
        "bogus://nowhere",
        "no-transport",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        zpat_rep_t *rep = zpat_rep_new (bad[i], &tu_opts);
        ck_assert_msg (!rep, "\"%s\" was accepted", bad[i]);
        ck_assert_msg (errno == EINVAL, "\"%s\": errno %d (%s)", bad[i], errno,
                       zpat_strerror (errno));
    }
}
END_TEST

// ---------------------------------------------------------------------------

// A REP whose request is kept (the buffer was too small) has not received
// it yet: a reply is refused with ZPAT_EFSM, the request comes back whole,
// and the reply to it reaches the requester.
START_TEST (rep_refuses_to_answer_a_request_it_kept)
{
    zpat_rep_t *rep = zpat_rep_new ("inproc://reqrep-kept", NULL);
    zpat_req_t *req = zpat_req_new ("inproc://reqrep-kept", NULL);
    ck_assert_ptr_nonnull (rep);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "hello world"), 0);
    char small[4];
    ck_assert_int_eq (zpat_recv (rep, small, sizeof small), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    ck_assert_int_eq (zpat_send_str (rep, "too soon"), -1);
    ck_assert_int_eq (errno, ZPAT_EFSM);
    char *request = zpat_recv_str (rep);
    ck_assert_ptr_nonnull (request);
    ck_assert_str_eq (request, "hello world");
    zpat_str_free (&request);
    ck_assert_int_eq (zpat_send_str (rep, "answer"), 0);
    char *reply = zpat_recv_str (req);
    ck_assert_ptr_nonnull (reply);
    ck_assert_str_eq (reply, "answer");
    zpat_str_free (&reply);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("reqrep");

    TCase *exchange = tcase_create ("exchange");
    tcase_set_timeout (exchange, 60);
    tcase_add_loop_test (exchange, echo_10000_messages_byte_exact, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (exchange, req_connected_to_two_reps_round_robins, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, exchange);

    TCase *state = tcase_create ("state");
    tcase_set_timeout (state, 30);
    tcase_add_loop_test (state,
                         req_send_twice_fails_with_efsm_and_req_still_works, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (state, req_recv_before_send_fails_with_efsm, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (state, rep_send_before_recv_fails_with_efsm, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (state, rep_recv_twice_fails_with_efsm, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, state);

    TCase *timeouts = tcase_create ("timeouts");
    tcase_set_timeout (timeouts, 30);
    tcase_add_loop_test (timeouts, rep_recv_times_out_with_eagain, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (timeouts,
                         req_recv_times_out_with_eagain_and_late_reply_arrives,
                         0, TU_TRANSPORTS);
    tcase_add_test (timeouts, recv_with_wait_none_returns_eagain_at_once);
    suite_add_tcase (suite, timeouts);

    TCase *endpoints = tcase_create ("endpoints");
    tcase_set_timeout (endpoints, 30);
    tcase_add_test (endpoints,
                    rep_new_binds_ephemeral_port_and_endpoint_reads_it_back);
    tcase_add_test (endpoints,
                    endpoint_of_connect_only_socket_is_null_with_einval);
    tcase_add_loop_test (endpoints, at_and_gt_prefixes_swap_bind_and_connect, 0,
                         TU_TRANSPORTS);
    tcase_add_test (endpoints, comma_list_binds_every_endpoint);
    tcase_add_test (endpoints, malformed_endpoint_lists_fail_with_einval);
    tcase_add_test (exchange, rep_refuses_to_answer_a_request_it_kept);
    suite_add_tcase (suite, endpoints);
    return suite;
}

int
main (void)
{
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
