// test_rep_paths.c - a REP's fast path (a request read in three libzmq
// calls, the reply's envelope sent ahead of it) and the general path behind
// it give the same answers: every receive kind with every send kind, junk
// and extra routing frames between good requests, multipart and oversized
// requests, the receive timeout kept while junk is dropped, order errors,
// and all of it again with signals caught (the fast paths then must not
// wait).
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { RECV_BUF, RECV_STR, RECV_MSG, RECV_FRESH, RECV_LEND } rkind_t;
typedef enum { SEND_BUF, SEND_STR, SEND_MSG, SEND_FRAMES } skind_t;
#define RKINDS 5
#define SKINDS 4
#define ROUNDS 20

// A REP bound to a fresh endpoint of transport, and its endpoint for peers.
static zpat_rep_t *
s_rep (const char *transport, const zpat_options_t *opts, char *bound)
{
    char where[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, transport);
    zpat_rep_t *rep = zpat_rep_new (where, opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", where, bound);
    return rep;
}

// Receives one request on rep with kind and copies its text into out (of
// size bytes, NUL-terminated). msg is the message reused across calls.
static void
s_take (zpat_rep_t *rep, rkind_t kind, zpat_msg_t *msg, char *out, size_t size)
{
    int rc = -1;
    switch (kind) {
    case RECV_BUF:
        rc = zpat_recv (rep, out, size - 1);
        ck_assert_msg (rc >= 0, "zpat_recv: %s", zpat_strerror (errno));
        out[rc] = 0;
        return;
    case RECV_STR: {
        char *text = zpat_recv_str (rep);
        ck_assert_msg (text, "zpat_recv_str: %s", zpat_strerror (errno));
        snprintf (out, size, "%s", text);
        zpat_str_free (&text);
        return;
    }
    case RECV_MSG:
    case RECV_FRESH: {
        bool own = kind == RECV_FRESH || !msg;
        zpat_msg_t *fresh = own ? zpat_msg_new () : msg;
        ck_assert_ptr_nonnull (fresh);
        rc = zpat_recv_msg (rep, fresh);
        ck_assert_msg (rc == 1, "zpat_recv_msg: %d, %s", rc,
                       zpat_strerror (errno));
        size_t length = zpat_msg_size (fresh, 0);
        ck_assert_uint_lt (length, size);
        memcpy (out, zpat_msg_data (fresh, 0), length);
        out[length] = 0;
        if (own)
            zpat_msg_destroy (&fresh);
        return;
    }
    case RECV_LEND: {
        const void *data = NULL;
        rc = zpat_recv_lend (rep, &data);
        ck_assert_msg (rc >= 0, "zpat_recv_lend: %s", zpat_strerror (errno));
        ck_assert_uint_lt ((size_t)rc, size);
        memcpy (out, data, (size_t)rc);
        out[rc] = 0;
        return;
    }
    }
}

// Answers on rep with kind: the reply is "re:" and the request, in one
// frame, or, for SEND_FRAMES, in two ("re:" and the request).
static void
s_answer (zpat_rep_t *rep, skind_t kind, zpat_msg_t *msg, const char *request)
{
    char reply[128];
    snprintf (reply, sizeof reply, "re:%s", request);
    int rc = -1;
    switch (kind) {
    case SEND_BUF:
        rc = zpat_send (rep, reply, strlen (reply));
        break;
    case SEND_STR:
        rc = zpat_send_str (rep, reply);
        break;
    case SEND_MSG:
        zpat_msg_reset (msg);
        ck_assert_int_eq (zpat_msg_add (msg, reply, strlen (reply)), 0);
        rc = zpat_send_msg (rep, msg);
        break;
    case SEND_FRAMES: {
        zpat_frame_t frames[2] = {{"re:", 3}, {request, strlen (request)}};
        rc = zpat_send_frames (rep, frames, 2);
    } break;
    }
    ck_assert_msg (rc == 0, "send kind %d: %s", (int)kind,
                   zpat_strerror (errno));
}

// Receives the reply to request on req and checks it is that one.
static void
s_check_reply (zpat_req_t *req, skind_t kind, const char *request)
{
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    int frames = zpat_recv_msg (req, msg);
    ck_assert_msg (frames >= 1, "reply to %s: %s", request,
                   zpat_strerror (errno));
    char got[160] = "";
    for (int i = 0; i < frames; i++) {
        size_t length = strlen (got);
        size_t size = zpat_msg_size (msg, (size_t)i);
        ck_assert_uint_lt (length + size, sizeof got);
        memcpy (got + length, zpat_msg_data (msg, (size_t)i), size);
        got[length + size] = 0;
    }
    ck_assert_int_eq (frames, kind == SEND_FRAMES ? 2 : 1);
    char wanted[160];
    snprintf (wanted, sizeof wanted, "re:%s", request);
    ck_assert_str_eq (got, wanted);
    zpat_msg_destroy (&msg);
}

// Every receive kind with every send kind, ROUNDS round trips each, every
// reply the request's own.
static void
s_all_kinds (const char *transport)
{
    char bound[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep (transport, &tu_opts, bound);
    zpat_req_t *req = zpat_req_new (bound, &tu_opts);
    ck_assert_ptr_nonnull (req);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    int sent = 0;
    for (int r = 0; r < RKINDS; r++)
        for (int s = 0; s < SKINDS; s++)
            for (int i = 0; i < ROUNDS; i++) {
                char request[64], got[64];
                snprintf (request, sizeof request, "%s-%d-%d-%d", transport, r,
                          s, i);
                ck_assert_int_eq (zpat_send_str (req, request), 0);
                s_take (rep, (rkind_t)r, msg, got, sizeof got);
                ck_assert_str_eq (got, request);
                s_answer (rep, (skind_t)s, msg, got);
                s_check_reply (req, (skind_t)s, request);
                sent++;
            }
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_stats (rep, &stats), 0);
    ck_assert_uint_eq (stats.msgs_received, (uint64_t)sent);
    ck_assert_uint_eq (stats.msgs_dropped, 0);
    zpat_msg_destroy (&msg);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}

START_TEST (test_all_kinds)
{
    s_all_kinds (tu_transports[_i]);
}
END_TEST

START_TEST (test_all_kinds_signals_caught)
{
    // The fast paths then pass ZMQ_DONTWAIT and hand a receive that finds
    // nothing to the general path, which waits.
    ck_assert_int_eq (zpat_catch_signals (), 0);
    s_all_kinds (tu_transports[_i]);
    // And a receive with nothing to come still ends on its timeout.
    char bound[TU_ENDPOINT_SIZE];
    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = 100;
    zpat_rep_t *rep = s_rep (tu_transports[_i], &opts, bound);
    long long start = tu_now_ms ();
    FAILS_WITH (EAGAIN, zpat_recv (rep, NULL, 0));
    ck_assert_int_ge (tu_now_ms () - start, 90);
    zpat_rep_destroy (&rep);
}
END_TEST

// Sends frames from a DEALER (a REQ's envelope, or not).
static void
s_dealer_send (zpat_dealer_t *dealer, const char *const *texts, size_t count)
{
    zpat_frame_t frames[4];
    for (size_t i = 0; i < count; i++) {
        frames[i].data = texts[i];
        frames[i].size = strlen (texts[i]);
    }
    ck_assert_int_eq (zpat_send_frames (dealer, frames, count), 0);
}

// Junk between good requests from a DEALER: no delimiter, a delimiter with
// no body, a delimiter alone; and good requests with and without a routing
// frame ahead of the delimiter (as a device adds). Only the good ones are
// answered, in order, each with its envelope back; the junk is counted.
START_TEST (test_junk_and_routing_frames)
{
    char bound[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep (tu_transports[_i], &tu_opts, bound);
    zpat_dealer_t *dealer = zpat_dealer_new (bound, &tu_opts);
    ck_assert_ptr_nonnull (dealer);
    int good = 0, junk = 0;
    for (int round = 0; round < 12; round++) {
        char body[32];
        snprintf (body, sizeof body, "body %d", round);
        // One kind of junk a round, the first thing the receive meets (so
        // that the fast path meets each), and all three every third round
        // (so that the general path meets them after it).
        if (round % 4 == 0 || round % 4 == 3)
            s_dealer_send (dealer, (const char *[]){"junk"}, 1);
        if (round % 4 == 1 || round % 4 == 3)
            s_dealer_send (dealer, (const char *[]){""}, 1);
        if (round % 4 == 2 || round % 4 == 3)
            s_dealer_send (dealer, (const char *[]){"hop", "nodelimiter"}, 2);
        junk += round % 4 == 3 ? 3 : 1;
        bool routed = round % 2;
        if (routed)
            s_dealer_send (dealer, (const char *[]){"hop", "", body}, 3);
        else
            s_dealer_send (dealer, (const char *[]){"", body}, 2);
        char got[64];
        s_take (rep, (rkind_t)(round % RKINDS), NULL, got, sizeof got);
        ck_assert_str_eq (got, body);
        ck_assert_int_eq (zpat_send_str (rep, "ok"), 0);
        good++;

        zpat_msg_t *reply = zpat_msg_new ();
        ck_assert_int_eq (zpat_recv_msg (dealer, reply), routed ? 3 : 2);
        size_t at = 0;
        if (routed) {
            ck_assert_uint_eq (zpat_msg_size (reply, 0), 3);
            ck_assert_int_eq (memcmp (zpat_msg_data (reply, 0), "hop", 3), 0);
            at = 1;
        }
        ck_assert_uint_eq (zpat_msg_size (reply, at), 0);
        ck_assert_uint_eq (zpat_msg_size (reply, at + 1), 2);
        ck_assert_int_eq (memcmp (zpat_msg_data (reply, at + 1), "ok", 2), 0);
        zpat_msg_destroy (&reply);
    }
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_stats (rep, &stats), 0);
    ck_assert_uint_eq (stats.msgs_received, (uint64_t)good);
    ck_assert_uint_eq (stats.msgs_dropped, (uint64_t)junk);
    zpat_dealer_destroy (&dealer);
    zpat_rep_destroy (&rep);
}
END_TEST

// A request of three frames: zpat_recv and zpat_recv_str refuse it with
// ZPAT_EFRAMES and keep it, zpat_recv_msg then takes it whole, and the
// reply goes back to its REQ.
START_TEST (test_multipart_request)
{
    char bound[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep (tu_transports[_i], &tu_opts, bound);
    zpat_req_t *req = zpat_req_new (bound, &tu_opts);
    ck_assert_ptr_nonnull (req);
    for (int round = 0; round < 3; round++) {
        zpat_frame_t frames[3] = {{"one", 3}, {"two", 3}, {"three", 5}};
        ck_assert_int_eq (zpat_send_frames (req, frames, 3), 0);
        char buf[64];
        FAILS_WITH (ZPAT_EFRAMES, zpat_recv (rep, buf, sizeof buf));
        // Kept: a reply now would answer a request not taken yet.
        FAILS_WITH (ZPAT_EFSM, zpat_send_str (rep, "too early"));
        zpat_msg_t *msg = zpat_msg_new ();
        ck_assert_int_eq (zpat_recv_msg (rep, msg), 3);
        ck_assert_uint_eq (zpat_msg_size (msg, 2), 5);
        ck_assert_int_eq (memcmp (zpat_msg_data (msg, 2), "three", 5), 0);
        ck_assert_int_eq (zpat_send_msg (rep, msg), 0); // echoed whole
        ck_assert_int_eq (zpat_recv_msg (req, msg), 3);
        ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), "one", 3), 0);
        zpat_msg_destroy (&msg);
        // And a one-frame request after it takes the fast path again.
        ck_assert_int_eq (zpat_send_str (req, "single"), 0);
        char *text = zpat_recv_str (rep);
        ck_assert_str_eq (text, "single");
        zpat_str_free (&text);
        ck_assert_int_eq (zpat_send_str (rep, "re:single"), 0);
        s_check_reply (req, SEND_STR, "single");
    }
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// Over inproc:// (where libzmq does not check max_msg_bytes) a request over
// the limit is dropped and counted, and the next is answered.
START_TEST (test_oversized_request_inproc)
{
    char bound[TU_ENDPOINT_SIZE];
    zpat_options_t opts = tu_opts;
    opts.max_msg_bytes = 100;
    zpat_rep_t *rep = s_rep ("inproc", &opts, bound);
    zpat_options_t quick = tu_opts;
    quick.recv_timeout_ms = 50;
    zpat_req_t *big = zpat_req_new (bound, &quick);
    zpat_req_t *small = zpat_req_new (bound, &tu_opts);
    ck_assert_ptr_nonnull (big);
    ck_assert_ptr_nonnull (small);
    char payload[200];
    memset (payload, 'x', sizeof payload);
    for (int round = 0; round < 5; round++) {
        ck_assert_int_eq (zpat_send (big, payload, sizeof payload), 0);
        char request[32], got[64];
        snprintf (request, sizeof request, "small %d", round);
        ck_assert_int_eq (zpat_send_str (small, request), 0);
        s_take (rep, (rkind_t)(round % RKINDS), NULL, got, sizeof got);
        ck_assert_str_eq (got, request);
        ck_assert_int_eq (zpat_send_str (rep, "re:small"), 0);
        char *reply = zpat_recv_str (small);
        ck_assert_str_eq (reply, "re:small");
        zpat_str_free (&reply);
        // The big REQ's request was dropped: it gets no reply, and a
        // request that never gets stuck lets it ask again.
        FAILS_WITH (EAGAIN, zpat_recv (big, NULL, 0));
    }
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_stats (rep, &stats), 0);
    ck_assert_uint_eq (stats.msgs_dropped, 5);
    ck_assert_uint_eq (stats.msgs_received, 5);
    zpat_req_destroy (&big);
    zpat_req_destroy (&small);
    zpat_rep_destroy (&rep);
}
END_TEST

typedef struct {
    const char *endpoint;
    int delay_ms;
} late_junk_t;

static void *
s_late_junk (void *arg)
{
    late_junk_t *self = arg;
    zpat_dealer_t *dealer = zpat_dealer_new (self->endpoint, &tu_opts);
    struct timespec pause = {self->delay_ms / 1000,
                             (self->delay_ms % 1000) * 1000000L};
    nanosleep (&pause, NULL);
    if (dealer)
        s_dealer_send (dealer, (const char *[]){"junk"}, 1);
    zpat_dealer_destroy (&dealer);
    return NULL;
}

// Junk that arrives half-way through a receive's wait, taken and dropped by
// the fast path, does not give the receive a new timeout: it still ends on
// the first one's time (it would end half a timeout late otherwise).
START_TEST (test_junk_keeps_the_timeout)
{
    int factor = tu_time_factor ();
    int timeout = 600 * factor;
    char bound[TU_ENDPOINT_SIZE];
    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = timeout;
    zpat_rep_t *rep = s_rep (tu_transports[_i], &opts, bound);
    late_junk_t junk = {bound, timeout / 2};
    pthread_t thread;
    long long start = tu_now_ms ();
    ck_assert_int_eq (pthread_create (&thread, NULL, s_late_junk, &junk), 0);
    char buf[16];
    FAILS_WITH (EAGAIN, zpat_recv (rep, buf, sizeof buf));
    long long took = tu_now_ms () - start;
    pthread_join (thread, NULL);
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_stats (rep, &stats), 0);
    ck_assert_uint_eq (stats.msgs_dropped, 1);
    ck_assert_int_ge (took, timeout - 10);
    ck_assert_msg (took < timeout + timeout / 3,
                   "a %d ms receive took %lld ms after junk half-way", timeout,
                   took);
    zpat_rep_destroy (&rep);
}
END_TEST

// The order a REP keeps: no reply before a request, no second request
// before the reply; each refusal changes nothing.
START_TEST (test_order_errors)
{
    char bound[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep = s_rep (tu_transports[_i], &tu_opts, bound);
    zpat_req_t *req = zpat_req_new (bound, &tu_opts);
    ck_assert_ptr_nonnull (req);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add (msg, "x", 1), 0);
    FAILS_WITH (ZPAT_EFSM, zpat_send_str (rep, "nobody asked"));
    FAILS_WITH (ZPAT_EFSM, zpat_send_msg (rep, msg));
    ck_assert_int_eq (zpat_msg_count (msg), 1); // not taken
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq (zpat_send_str (req, "q"), 0);
        char got[16];
        s_take (rep, RECV_BUF, NULL, got, sizeof got);
        FAILS_WITH (ZPAT_EFSM, zpat_recv (rep, got, sizeof got));
        FAILS_WITH (ZPAT_EFSM, zpat_recv_msg (rep, msg));
        ck_assert_int_eq (zpat_msg_count (msg), 1);
        ck_assert_int_eq (zpat_send_str (rep, "re:q"), 0);
        FAILS_WITH (ZPAT_EFSM, zpat_send_str (rep, "twice"));
        s_check_reply (req, SEND_STR, "q");
    }
    zpat_msg_destroy (&msg);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("rep_paths");
    TCase *tc = tcase_create ("rep");
    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, test_all_kinds, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_all_kinds_signals_caught, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_junk_and_routing_frames, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_multipart_request, 0, TU_TRANSPORTS);
    tcase_add_test (tc, test_oversized_request_inproc);
    tcase_add_loop_test (tc, test_junk_keeps_the_timeout, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_order_errors, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);
    // A process per test: one catches signals, for the whole process.
    return tu_run_suite (suite, CK_FORK);
}
