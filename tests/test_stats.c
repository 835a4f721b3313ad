// test_stats.c - the counters: messages and bytes sent and received are
// exact whatever call sends or receives them (a multipart message counts
// once, a REP's envelope not at all), on every transport, across the tick
// that the countdowns run on, with zpat_catch_signals () in force too;
// drops, send timeouts and peers; zpat_stats_reset; bad calls; and reading
// them after zpat_shutdown ().
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

// How long a condition that must come true may take: generous, scaled
// under valgrind.
#define WAIT_MS (5000 * tu_time_factor ())

// More than one tick (256) of the countdowns, and less.
static const int s_counts[] = {1000, 7};
#define COUNTS ((int)(sizeof s_counts / sizeof s_counts[0]))

static zpat_stats_t
s_stats (zpat_socket_t *sock)
{
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_socket_stats (sock, &stats), 0);
    return stats;
}

// Asserts the four traffic counters of sock.
static void
s_assert_traffic (zpat_socket_t *sock, uint64_t msgs_sent, uint64_t bytes_sent,
                  uint64_t msgs_received, uint64_t bytes_received)
{
    zpat_stats_t stats = s_stats (sock);
    ck_assert_uint_eq (stats.msgs_sent, msgs_sent);
    ck_assert_uint_eq (stats.bytes_sent, bytes_sent);
    ck_assert_uint_eq (stats.msgs_received, msgs_received);
    ck_assert_uint_eq (stats.bytes_received, bytes_received);
}

static void
s_pause_ms (long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep (&pause, NULL);
}

// Waits until sock counts peers peers, within WAIT_MS.
static void
s_await_peers (zpat_socket_t *sock, uint64_t peers)
{
    long long deadline = tu_now_ms () + WAIT_MS;
    while (s_stats (sock).peers != peers && tu_now_ms () < deadline)
        s_pause_ms (1);
    ck_assert_uint_eq (s_stats (sock).peers, peers);
}

static zpat_pull_t *
s_pull_bound (const char *transport, char *endpoint, const zpat_options_t *opts)
{
    char wanted[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, transport);
    zpat_pull_t *pull = zpat_pull_new (wanted, opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", wanted, endpoint);
    return pull;
}

// ---------------------------------------------------------------------------
// Exact counts, whatever the call

// Message i: which send call makes it, and its frames' sizes. Frames hold
// 'a' + their index, so a receiver can check what it got.
enum { SEND, SEND_STR, SENDF, SEND_MSG_ONE, SEND_MSG_MANY, SEND_FRAMES, WAYS };
#define FRAMES_MAX 3

static size_t
s_plan (int i, size_t sizes[FRAMES_MAX])
{
    int way = i % WAYS;
    size_t count = way == SEND_MSG_MANY ? 3 : way == SEND_FRAMES ? 2 : 1;
    for (size_t f = 0; f < count; f++)
        sizes[f] = (size_t)(i * 7 + f * 13) % 41 + (way == SENDF ? 1 : 0);
    return count;
}

static void
s_send_one (zpat_push_t *push, int i, zpat_msg_t *msg)
{
    size_t sizes[FRAMES_MAX];
    size_t count = s_plan (i, sizes);
    char data[FRAMES_MAX][64];
    for (size_t f = 0; f < count; f++)
        memset (data[f], 'a' + (int)f, sizes[f]);
    int rc = -1;
    switch (i % WAYS) {
    case SEND:
        rc = zpat_send (push, data[0], sizes[0]);
        break;
    case SEND_STR:
        data[0][sizes[0]] = 0;
        rc = zpat_send_str (push, data[0]);
        break;
    case SENDF:
        rc = zpat_sendf (push, "%.*s", (int)sizes[0], data[0]);
        break;
    case SEND_MSG_ONE:
    case SEND_MSG_MANY:
        for (size_t f = 0; f < count; f++)
            ck_assert_int_eq (zpat_msg_add (msg, data[f], sizes[f]), 0);
        rc = zpat_send_msg (push, msg);
        break;
    case SEND_FRAMES: {
        zpat_frame_t frames[FRAMES_MAX];
        for (size_t f = 0; f < count; f++)
            frames[f] = (zpat_frame_t){data[f], sizes[f]};
        rc = zpat_send_frames (push, frames, count);
        break;
    }
    }
    ck_assert_msg (rc == 0, "send %d: %s", i, zpat_strerror (errno));
}

// Receives message i with one of the receive calls (j picks which), and
// checks it. Calls that cannot return it (a multipart message to
// zpat_recv, a buffer too small) fail first and count nothing.
static void
s_recv_one (zpat_pull_t *pull, int i, int j, zpat_msg_t *msg)
{
    size_t sizes[FRAMES_MAX];
    size_t count = s_plan (i, sizes);
    if (count > 1) {
        if (j % 3 == 1) {
            char buf[64];
            FAILS_WITH (ZPAT_EFRAMES, zpat_recv (pull, buf, sizeof buf));
        }
        if (j % 3 == 2) {
            // Taken, then dropped by the caller: received all the same.
            char buf[64];
            FAILS_WITH (ZPAT_EFRAMES, zpat_recv (pull, buf, sizeof buf));
            ck_assert_int_eq (zpat_discard (pull), 1);
            return;
        }
        ck_assert_int_eq (zpat_recv_msg (pull, msg), (int)count);
        for (size_t f = 0; f < count; f++)
            ck_assert_uint_eq (zpat_msg_size (msg, f), sizes[f]);
        return;
    }
    char buf[64];
    switch (j % 4) {
    case 0:
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), (int)sizes[0]);
        break;
    case 1: {
        if (sizes[0] > 0)
            FAILS_WITH (EMSGSIZE, zpat_recv (pull, buf, sizes[0] - 1));
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), (int)sizes[0]);
        break;
    }
    case 2: {
        char *text = zpat_recv_str (pull);
        ck_assert_ptr_nonnull (text);
        ck_assert_uint_eq (strlen (text), sizes[0]);
        zpat_str_free (&text);
        break;
    }
    default:
        ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
        ck_assert_uint_eq (zpat_msg_size (msg, 0), sizes[0]);
        break;
    }
}

// Sends n messages of known sizes with every send call, in batches, and
// receives them with every receive call; the counters must match exactly.
static void
s_count_exactly (const char *transport, int n)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint, &tu_opts);
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_ptr_nonnull (push);
    zpat_msg_t *msg = zpat_msg_new ();
    zpat_msg_t *received = zpat_msg_new ();
    uint64_t bytes = 0;
    for (int start = 0; start < n; start += 50) {
        int end = start + 50 < n ? start + 50 : n;
        for (int i = start; i < end; i++) {
            size_t sizes[FRAMES_MAX];
            size_t count = s_plan (i, sizes);
            for (size_t f = 0; f < count; f++)
                bytes += sizes[f];
            s_send_one (push, i, msg);
        }
        for (int i = start; i < end; i++)
            s_recv_one (pull, i, i / WAYS, received);
    }
    s_assert_traffic (zpat_socket (push), (uint64_t)n, bytes, 0, 0);
    s_assert_traffic (zpat_socket (pull), 0, 0, (uint64_t)n, bytes);
    zpat_stats_t stats = s_stats (zpat_socket (pull));
    ck_assert_uint_eq (stats.msgs_dropped, 0);
    ck_assert_uint_eq (stats.send_timeouts, 0);
    ck_assert_uint_eq (s_stats (zpat_socket (push)).send_timeouts, 0);
    zpat_msg_destroy (&received);
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}

START_TEST (counts_are_exact)
{
    s_count_exactly (tu_transports[_i % TU_TRANSPORTS],
                     s_counts[_i / TU_TRANSPORTS]);
}
END_TEST

// The same with zpat_catch_signals () in force, which sends and receives
// through other paths (a process of its own: it is for good).
START_TEST (counts_are_exact_with_signals_caught)
{
    ck_assert_int_eq (zpat_catch_signals (), 0);
    s_count_exactly (tu_transports[_i % TU_TRANSPORTS],
                     s_counts[_i / TU_TRANSPORTS]);
}
END_TEST

// REQ/REP: one message each way on each side; the REP's envelope (routing
// id and delimiter) is not counted.
static void
s_round_trips (const char *transport, int n)
{
    char wanted[TU_ENDPOINT_SIZE], endpoint[TU_ENDPOINT_SIZE];
    zpat_rep_t *rep =
        zpat_rep_new (tu_endpoint (wanted, sizeof wanted, transport), &tu_opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", wanted, endpoint);
    zpat_req_t *req = zpat_req_new (endpoint, &tu_opts);
    ck_assert_ptr_nonnull (req);
    zpat_msg_t *msg = zpat_msg_new ();
    uint64_t asked = 0, answered = 0;
    for (int i = 0; i < n; i++) {
        if (i % 2) {
            zpat_frame_t frames[2] = {{"request", 7}, {"body", 4}};
            ck_assert_int_eq (zpat_send_frames (req, frames, 2), 0);
            ck_assert_int_eq (zpat_recv_msg (rep, msg), 2);
            asked += 11;
        } else {
            ck_assert_int_eq (zpat_send_str (req, "ping"), 0);
            char *text = zpat_recv_str (rep);
            ck_assert_str_eq (text, "ping");
            zpat_str_free (&text);
            asked += 4;
        }
        ck_assert_int_eq (zpat_send (rep, "pong!", (size_t)(i % 6)), 0);
        char buf[8];
        ck_assert_int_eq (zpat_recv (req, buf, sizeof buf), i % 6);
        answered += (uint64_t)(i % 6);
    }
    s_assert_traffic (zpat_socket (req), (uint64_t)n, asked, (uint64_t)n,
                      answered);
    s_assert_traffic (zpat_socket (rep), (uint64_t)n, answered, (uint64_t)n,
                      asked);
    zpat_msg_destroy (&msg);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}

START_TEST (round_trips_count_once_each_way)
{
    s_round_trips (tu_transports[_i % TU_TRANSPORTS],
                   s_counts[_i / TU_TRANSPORTS]);
}
END_TEST

START_TEST (round_trips_count_with_signals_caught)
{
    ck_assert_int_eq (zpat_catch_signals (), 0);
    s_round_trips (tu_transports[_i], 300);
}
END_TEST

// ---------------------------------------------------------------------------
// Drops

// Over inproc://, zpat holds max_msg_bytes itself and drops what is over.
START_TEST (oversized_inproc_message_is_dropped)
{
    zpat_options_t opts = tu_opts;
    opts.max_msg_bytes = 10;
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("inproc", endpoint, &opts);
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_int_eq (zpat_send (push, "0123456789X", 11), 0);
    ck_assert_int_eq (zpat_send (push, "0123456789", 10), 0);
    char buf[16];
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 10);
    zpat_stats_t stats = s_stats (zpat_socket (pull));
    ck_assert_uint_eq (stats.msgs_dropped, 1);
    ck_assert_uint_eq (stats.msgs_received, 1);
    ck_assert_uint_eq (stats.bytes_received, 10);
    // The sender sent both.
    s_assert_traffic (zpat_socket (push), 2, 21, 0, 0);

    // A multipart one with a frame over, taken with zpat_recv_msg.
    zpat_frame_t frames[2] = {{"ok", 2}, {"0123456789X", 11}};
    ck_assert_int_eq (zpat_send_frames (push, frames, 2), 0);
    ck_assert_int_eq (zpat_send_str (push, "next"), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
    stats = s_stats (zpat_socket (pull));
    ck_assert_uint_eq (stats.msgs_dropped, 2);
    ck_assert_uint_eq (stats.msgs_received, 2);
    ck_assert_uint_eq (stats.bytes_received, 14);
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// A REP drops what a raw DEALER sends without a REQ envelope, and serves
// the well-formed request after it; only the request's body counts.
START_TEST (rep_drops_requests_without_an_envelope)
{
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &tu_opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", "tcp", endpoint);

    void *ctx = zmq_ctx_new ();
    ck_assert_ptr_nonnull (ctx);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    ck_assert_ptr_nonnull (dealer);
    int linger = 0, timeout = WAIT_MS;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    ck_assert_int_eq (zmq_connect (dealer, endpoint), 0);
    // No delimiter; then a delimiter with no body; then a request.
    ck_assert_int_eq (zmq_send (dealer, "junk", 4, 0), 4);
    ck_assert_int_eq (zmq_send (dealer, "", 0, 0), 0);
    ck_assert_int_eq (zmq_send (dealer, "", 0, ZMQ_SNDMORE), 0);
    ck_assert_int_eq (zmq_send (dealer, "good", 4, 0), 4);

    char *text = zpat_recv_str (rep);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "good");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_send_str (rep, "reply"), 0);
    char buf[16];
    ck_assert_int_eq (zmq_recv (dealer, buf, sizeof buf, 0), 0);
    ck_assert_int_eq (zmq_recv (dealer, buf, sizeof buf, 0), 5);

    zpat_stats_t stats = s_stats (zpat_socket (rep));
    ck_assert_uint_eq (stats.msgs_dropped, 2);
    ck_assert_uint_eq (stats.msgs_received, 1);
    ck_assert_uint_eq (stats.bytes_received, 4);
    ck_assert_uint_eq (stats.msgs_sent, 1);
    ck_assert_uint_eq (stats.bytes_sent, 5);

    // And a zpat REQ's request after it.
    zpat_req_t *req = zpat_req_new (endpoint, &tu_opts);
    ck_assert_int_eq (zpat_send_str (req, "again"), 0);
    text = zpat_recv_str (rep);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "again");
    zpat_str_free (&text);
    stats = s_stats (zpat_socket (rep));
    ck_assert_uint_eq (stats.msgs_dropped, 2);
    ck_assert_uint_eq (stats.msgs_received, 2);
    ck_assert_uint_eq (stats.bytes_received, 9);
    zpat_req_destroy (&req);
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    zpat_rep_destroy (&rep);
}
END_TEST

// ---------------------------------------------------------------------------
// Send timeouts

// Sends with every send call in turn until each has failed with EAGAIN
// fails_each times; the counters must say exactly how many worked and how
// many timed out.
static void
s_count_timeouts (zpat_push_t *push, int fails_each)
{
    uint64_t sent = 0, bytes = 0, failed = 0;
    zpat_msg_t *msg = zpat_msg_new ();
    for (int way = 0; way < WAYS; way++) {
        int fails = 0;
        for (int tries = 0; fails < fails_each && tries < 100000; tries++) {
            int i = way + WAYS * tries;
            size_t sizes[FRAMES_MAX];
            size_t count = s_plan (i, sizes);
            char data[FRAMES_MAX][64];
            for (size_t f = 0; f < count; f++)
                memset (data[f], 'a', sizes[f]);
            int rc = -1;
            switch (way) {
            case SEND:
                rc = zpat_send (push, data[0], sizes[0]);
                break;
            case SEND_STR:
                data[0][sizes[0]] = 0;
                rc = zpat_send_str (push, data[0]);
                break;
            case SENDF:
                rc = zpat_sendf (push, "%.*s", (int)sizes[0], data[0]);
                break;
            case SEND_MSG_ONE:
            case SEND_MSG_MANY:
                zpat_msg_reset (msg);
                for (size_t f = 0; f < count; f++)
                    ck_assert_int_eq (zpat_msg_add (msg, data[f], sizes[f]), 0);
                rc = zpat_send_msg (push, msg);
                break;
            default: {
                zpat_frame_t frames[FRAMES_MAX];
                for (size_t f = 0; f < count; f++)
                    frames[f] = (zpat_frame_t){data[f], sizes[f]};
                rc = zpat_send_frames (push, frames, count);
                break;
            }
            }
            if (rc == 0) {
                sent++;
                for (size_t f = 0; f < count; f++)
                    bytes += sizes[f];
                continue;
            }
            ck_assert_msg (errno == EAGAIN, "send: %s", zpat_strerror (errno));
            fails++;
            failed++;
        }
        ck_assert_int_eq (fails, fails_each);
        zpat_stats_t stats = s_stats (zpat_socket (push));
        ck_assert_uint_eq (stats.send_timeouts, failed);
        ck_assert_uint_eq (stats.msgs_sent, sent);
        ck_assert_uint_eq (stats.bytes_sent, bytes);
    }
    zpat_msg_destroy (&msg);
}

// No peer at all: every send fails at once.
START_TEST (send_timeouts_without_a_peer)
{
    zpat_options_t opts = tu_opts;
    opts.send_hwm = 1;
    opts.send_timeout_ms = ZPAT_WAIT_NONE;
    zpat_push_t *push = zpat_push_new (NULL, &opts);
    ck_assert_ptr_nonnull (push);
    s_count_timeouts (push, 3);
    ck_assert_uint_eq (s_stats (zpat_socket (push)).msgs_sent, 0);
    zpat_push_destroy (&push);
}
END_TEST

// A peer that does not read: sends work until the queues are full, then
// each waits out its 10 ms and fails. Over tcp:// the system's buffers are
// kept small too, or they would take a great many messages first.
static void
s_timeouts_to_a_full_peer (const char *transport)
{
    zpat_options_t opts = tu_opts;
    opts.recv_hwm = 1;
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    opts = tu_opts;
    opts.send_hwm = 1;
    opts.send_timeout_ms = 10;
    zpat_push_t *push = zpat_push_new (NULL, &opts);
    ck_assert (pull && push);
    int small = 1024;
    ck_assert_int_eq (
        zmq_setsockopt (zpat_handle (pull), ZMQ_RCVBUF, &small, sizeof small),
        0);
    ck_assert_int_eq (
        zmq_setsockopt (zpat_handle (push), ZMQ_SNDBUF, &small, sizeof small),
        0);
    char endpoint[TU_ENDPOINT_SIZE];
    ck_assert_int_eq (
        zpat_bind (pull, tu_endpoint (endpoint, sizeof endpoint, transport)),
        0);
    ck_assert_int_eq (zpat_connect (push, zpat_endpoint (pull)), 0);
    s_count_timeouts (push, 2);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}

START_TEST (send_timeouts_to_a_peer_that_does_not_read)
{
    s_timeouts_to_a_full_peer (tu_transports[_i]);
}
END_TEST

START_TEST (send_timeouts_with_signals_caught)
{
    ck_assert_int_eq (zpat_catch_signals (), 0);
    s_timeouts_to_a_full_peer (tu_transports[_i]);
    zpat_options_t opts = tu_opts;
    opts.send_timeout_ms = ZPAT_WAIT_NONE;
    zpat_push_t *push = zpat_push_new (NULL, &opts);
    s_count_timeouts (push, 2);
    zpat_push_destroy (&push);
}
END_TEST

// ---------------------------------------------------------------------------
// Peers

START_TEST (peers_follow_connections)
{
    const char *transport = tu_transports[_i];
    bool inproc = strcmp (transport, "inproc") == 0;
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint, &tu_opts);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_push_t *pushes[3];
    for (int i = 0; i < 3; i++) {
        pushes[i] = zpat_push_new (endpoint, &tu_opts);
        ck_assert_ptr_nonnull (pushes[i]);
    }
    if (inproc) {
        // libzmq reports no inproc:// connections: the count stays 0
        // (documented), though all three are there.
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq (zpat_send_str (pushes[i], "x"), 0);
        for (int i = 0; i < 3; i++) {
            char *text = zpat_recv_str (pull);
            ck_assert_ptr_nonnull (text);
            zpat_str_free (&text);
        }
        ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
        ck_assert_uint_eq (s_stats (zpat_socket (pushes[0])).peers, 0);
    } else {
        s_await_peers (zpat_socket (pull), 3);
        for (int i = 0; i < 3; i++)
            s_await_peers (zpat_socket (pushes[i]), 1);
    }
    zpat_push_destroy (&pushes[1]);
    if (!inproc) {
        s_await_peers (zpat_socket (pull), 2);
        // It stays at 2.
        s_pause_ms (20);
        ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 2);
    } else
        ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_push_destroy (&pushes[0]);
    zpat_push_destroy (&pushes[2]);
    if (!inproc)
        s_await_peers (zpat_socket (pull), 0);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).reconnects, 0);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Reset

START_TEST (reset_zeroes_counts_and_counting_goes_on)
{
    const char *transport = tu_transports[_i];
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint, &tu_opts);
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    char buf[16];
    // 200 messages of 3 bytes, so that the next 100 cross the tick (256).
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq (zpat_send (push, "abc", 3), 0);
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 3);
    }
    s_assert_traffic (zpat_socket (push), 200, 600, 0, 0);
    s_assert_traffic (zpat_socket (pull), 0, 0, 200, 600);
    uint64_t peers = strcmp (transport, "inproc") == 0 ? 0 : 1;
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, peers);

    ck_assert_int_eq (zpat_stats_reset (push), 0);
    ck_assert_int_eq (zpat_stats_reset (pull), 0);
    zpat_stats_t zero = {.peers = peers};
    zpat_stats_t stats = s_stats (zpat_socket (push));
    ck_assert_mem_eq (&stats, &zero, sizeof stats);
    stats = s_stats (zpat_socket (pull));
    ck_assert_mem_eq (&stats, &zero, sizeof stats);

    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq (zpat_send (push, "abcde", 5), 0);
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 5);
    }
    s_assert_traffic (zpat_socket (push), 100, 500, 0, 0);
    s_assert_traffic (zpat_socket (pull), 0, 0, 100, 500);

    // Reset again, just after a tick, and across two more.
    ck_assert_int_eq (zpat_stats_reset (push), 0);
    ck_assert_int_eq (zpat_stats_reset (pull), 0);
    for (int i = 0; i < 600; i++) {
        ck_assert_int_eq (zpat_send (push, "a", 1), 0);
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 1);
    }
    s_assert_traffic (zpat_socket (push), 600, 600, 0, 0);
    s_assert_traffic (zpat_socket (pull), 0, 0, 600, 600);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, peers);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (reset_zeroes_drops_and_timeouts)
{
    zpat_options_t opts = tu_opts;
    opts.max_msg_bytes = 2;
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("inproc", endpoint, &opts);
    opts = tu_opts;
    opts.send_timeout_ms = ZPAT_WAIT_NONE;
    zpat_push_t *lonely = zpat_push_new (NULL, &opts);
    FAILS_WITH (EAGAIN, zpat_send_str (lonely, "x"));
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_int_eq (zpat_send_str (push, "long"), 0);
    ck_assert_int_eq (zpat_send_str (push, "ok"), 0);
    char buf[8];
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 2);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).msgs_dropped, 1);
    ck_assert_uint_eq (s_stats (zpat_socket (lonely)).send_timeouts, 1);
    ck_assert_int_eq (zpat_stats_reset (pull), 0);
    ck_assert_int_eq (zpat_stats_reset (lonely), 0);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).msgs_dropped, 0);
    ck_assert_uint_eq (s_stats (zpat_socket (lonely)).send_timeouts, 0);
    FAILS_WITH (EAGAIN, zpat_send_str (lonely, "x"));
    ck_assert_uint_eq (s_stats (zpat_socket (lonely)).send_timeouts, 1);
    zpat_push_destroy (&push);
    zpat_push_destroy (&lonely);
    zpat_pull_destroy (&pull);
}
END_TEST

// A reconnect libzmq made before the reset, but that zpat had not read yet,
// is from before the reset: it does not show after it. The server's
// receiving the message sent after the restart shows the client has
// connected again.
START_TEST (reset_forgets_a_reconnect_made_before_it)
{
    zpat_pull_t *server = zpat_pull_new ("tcp://127.0.0.1:*", &tu_opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (server), "zpat_pull_new", "tcp", endpoint);
    zpat_options_t opts = tu_opts;
    opts.reconnect_ivl_ms = 10;
    zpat_push_t *client = zpat_push_new (endpoint, &opts);
    ck_assert_ptr_nonnull (client);
    s_await_peers (zpat_socket (client), 1);
    zpat_pull_destroy (&server);
    s_await_peers (zpat_socket (client), 0);
    server = zpat_pull_new (endpoint, &tu_opts);
    ck_assert_msg (server, "bind %s again: %s", endpoint,
                   zpat_strerror (errno));
    ck_assert_int_eq (zpat_send_str (client, "back"), 0);
    char *text = zpat_recv_str (server);
    ck_assert_ptr_nonnull (text);
    zpat_str_free (&text);

    ck_assert_int_eq (zpat_stats_reset (client), 0);
    zpat_stats_t stats = s_stats (zpat_socket (client));
    ck_assert_uint_eq (stats.reconnects, 0);
    ck_assert_uint_eq (stats.peers, 1);
    zpat_push_destroy (&client);
    zpat_pull_destroy (&server);
}
END_TEST

// ---------------------------------------------------------------------------
// Bad calls, and later layouts

START_TEST (bad_calls_are_refused)
{
    zpat_push_t *push = zpat_push_new (NULL, &tu_opts);
    zpat_stats_t stats;
    FAILS_WITH (EINVAL, zpat_socket_stats (NULL, &stats));
    FAILS_WITH (EINVAL, zpat_stats (push, NULL));
    FAILS_WITH (EINVAL,
                zpat_socket_stats_sized (zpat_socket (push), &stats, 4));
    FAILS_WITH (EINVAL, zpat_socket_stats_sized (zpat_socket (push), &stats,
                                                 sizeof stats - 1));
    FAILS_WITH (EINVAL,
                zpat_socket_stats_sized (zpat_socket (push), &stats, 0));
    FAILS_WITH (EINVAL, zpat_socket_stats_reset (NULL));
    // A crossed pointer (not an object) is refused too.
    zpat_msg_t *msg = zpat_msg_new ();
    FAILS_WITH (EINVAL, zpat_socket_stats ((zpat_socket_t *)msg, &stats));
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
}
END_TEST

// A program built against a later zpat, with a larger struct: the fields
// this library lacks read as zero.
START_TEST (larger_struct_is_zero_filled)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("inproc", endpoint, &tu_opts);
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_int_eq (zpat_send (push, "abcd", 4), 0);
    char buf[8];
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 4);
    struct {
        zpat_stats_t stats;
        uint64_t later[5];
    } big;
    memset (&big, 0xa5, sizeof big);
    ck_assert_int_eq (
        zpat_socket_stats_sized (zpat_socket (push), &big.stats, sizeof big),
        0);
    ck_assert_uint_eq (big.stats.msgs_sent, 1);
    ck_assert_uint_eq (big.stats.bytes_sent, 4);
    ck_assert_uint_eq (big.stats.msgs_received, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq (big.later[i], 0);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// After zpat_shutdown (): the counters can still be read (and reset).

START_TEST (stats_work_after_shutdown)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("tcp", endpoint, &tu_opts);
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    char buf[8];
    for (int i = 0; i < 300; i++) {
        ck_assert_int_eq (zpat_send (push, "xy", 2), 0);
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 2);
    }
    s_await_peers (zpat_socket (pull), 1);
    zpat_shutdown ();
    FAILS_WITH (ZPAT_ETERM, zpat_send (push, "xy", 2));
    zpat_stats_t stats = s_stats (zpat_socket (push));
    ck_assert_uint_eq (stats.msgs_sent, 300);
    ck_assert_uint_eq (stats.bytes_sent, 600);
    ck_assert_uint_eq (stats.send_timeouts, 0);
    stats = s_stats (zpat_socket (pull));
    ck_assert_uint_eq (stats.msgs_received, 300);
    ck_assert_uint_eq (stats.bytes_received, 600);
    ck_assert_uint_eq (stats.peers, 1); // as it was
    ck_assert_int_eq (zpat_stats_reset (pull), 0);
    stats = s_stats (zpat_socket (pull));
    ck_assert_uint_eq (stats.msgs_received, 0);
    ck_assert_uint_eq (stats.bytes_received, 0);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

static Suite *
stats_suite (void)
{
    Suite *suite = suite_create ("stats");
    TCase *tc = tcase_create ("traffic");
    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, counts_are_exact, 0, TU_TRANSPORTS * COUNTS);
    tcase_add_loop_test (tc, round_trips_count_once_each_way, 0,
                         TU_TRANSPORTS * COUNTS);
    tcase_add_test (tc, oversized_inproc_message_is_dropped);
    tcase_add_test (tc, rep_drops_requests_without_an_envelope);
    tcase_add_test (tc, send_timeouts_without_a_peer);
    tcase_add_loop_test (tc, send_timeouts_to_a_peer_that_does_not_read, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("peers");
    tcase_set_timeout (tc, 30);
    tcase_add_loop_test (tc, peers_follow_connections, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("reset");
    tcase_set_timeout (tc, 30);
    tcase_add_loop_test (tc, reset_zeroes_counts_and_counting_goes_on, 0,
                         TU_TRANSPORTS);
    tcase_add_test (tc, reset_zeroes_drops_and_timeouts);
    tcase_add_test (tc, reset_forgets_a_reconnect_made_before_it);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("calls");
    tcase_add_test (tc, bad_calls_are_refused);
    tcase_add_test (tc, larger_struct_is_zero_filled);
    suite_add_tcase (suite, tc);
    return suite;
}

// What changes the process for good (zpat_catch_signals) or ends its
// context (zpat_shutdown): each test in a process of its own, even where
// CK_FORK=no asks otherwise.
static Suite *
stats_forked_suite (void)
{
    Suite *suite = suite_create ("stats (own process)");
    TCase *tc = tcase_create ("signals");
    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, counts_are_exact_with_signals_caught, 0,
                         TU_TRANSPORTS * COUNTS);
    tcase_add_loop_test (tc, round_trips_count_with_signals_caught, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (tc, send_timeouts_with_signals_caught, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("shutdown");
    tcase_add_test (tc, stats_work_after_shutdown);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    int rc = tu_run_suite (stats_suite (), CK_FORK_GETENV);
    if (tu_run_suite (stats_forked_suite (), CK_FORK) != EXIT_SUCCESS)
        rc = EXIT_FAILURE;
    return rc;
}
