// test_garbage.c - Check suite: bad peers on the wire. A raw TCP client
// (plain BSD sockets, no ZeroMQ) sends junk to bound REP, PULL and PUB
// objects, which must stay up and keep serving proper peers.
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// The three roles that bind by default and so face unknown peers, and the
// ZMTP socket type a proper peer of each announces.
typedef enum { ROLE_REP, ROLE_PULL, ROLE_PUB, ROLES } role_t;
static const char *const role_names[] = {"REP", "PULL", "PUB"};
static const char *const peer_types[] = {"REQ", "PUSH", "SUB"};

// Sizes a huge frame header announces: one byte over the default maximum,
// just under 2^63, 2^63, and the largest 64-bit value.
static const uint64_t huge_sizes[] = {
    (uint64_t)ZPAT_DEFAULT_MAX_MSG_BYTES + 1,
    UINT64_C (0x7FFFFFFFFFFFFFFF),
    UINT64_C (0x8000000000000000),
    UINT64_C (0xFFFFFFFFFFFFFFFF),
};
#define HUGE_SIZES ((int)(sizeof huge_sizes / sizeof huge_sizes[0]))

// Bounded waits everywhere, so that a server that stops answering fails its
// test instead of hanging it; no linger, so that teardown is quick.
static const zpat_options_t server_opts = {
    .send_timeout_ms = 5000,
    .recv_timeout_ms = 5000,
    .linger_ms = ZPAT_WAIT_NONE,
};

// How long a peer that broke the protocol may stay connected.
#define DISCONNECT_WAIT_MS (5000 * hu_time_factor ())

// A server under test: one object of one of the three roles, bound to an
// ephemeral loopback port.
typedef struct {
    role_t role;
    zpat_rep_t *rep;
    zpat_pull_t *pull;
    zpat_pub_t *pub;
    int port;
    char endpoint[64];
    unsigned markers;      // proper exchanges done, to tell markers apart
    unsigned junk;         // junk messages the application saw and dropped
    unsigned lost_replies; // REP: replies sent to a proper REQ that never came
} server_t;

static void
s_server_start (server_t *self, role_t role, const zpat_options_t *opts)
{
    memset (self, 0, sizeof *self);
    self->role = role;
    const char *any = "tcp://127.0.0.1:*";
    const char *bound = NULL;
    if (role == ROLE_REP) {
        self->rep = zpat_rep_new (any, opts);
        bound = self->rep ? zpat_endpoint (self->rep) : NULL;
    } else if (role == ROLE_PULL) {
        self->pull = zpat_pull_new (any, opts);
        bound = self->pull ? zpat_endpoint (self->pull) : NULL;
    } else {
        self->pub = zpat_pub_new (any, opts);
        bound = self->pub ? zpat_endpoint (self->pub) : NULL;
    }
    ck_assert_msg (bound, "%s on %s: %s", role_names[role], any,
                   zpat_strerror (errno));
    snprintf (self->endpoint, sizeof self->endpoint, "%s", bound);
    self->port = hu_tcp_port (bound);
    ck_assert_int_gt (self->port, 0);
}

static void
s_server_stop (server_t *self)
{
    ck_assert_msg (self->lost_replies == 0,
                   "%s: %u replies to proper requests were lost (see the "
                   "REP tests below and bugs.md)",
                   role_names[self->role], self->lost_replies);
    zpat_rep_destroy (&self->rep);
    zpat_pull_destroy (&self->pull);
    zpat_pub_destroy (&self->pub);
}

// Checks that a proper zpat peer still gets served: a REQ gets its reply, a
// PUSH's message arrives, a SUB receives what is published. Junk that junk
// peers managed to get through to the application is read and dropped on
// the way, as a real server would.
static void
s_server_serves (server_t *self)
{
    char marker[64];
    snprintf (marker, sizeof marker, "marker-%u", ++self->markers);
    zpat_options_t opts = {.send_timeout_ms = 5000,
                           .recv_timeout_ms = 5000,
                           .linger_ms = ZPAT_WAIT_NONE};
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    double deadline = hu_now_ms () + 10000.0 * hu_time_factor ();
    if (self->role == ROLE_REP) {
        // A reply that never comes is counted (s_server_stop fails the test
        // on it) and the request retried from a new REQ, so that the rest
        // of a test still runs.
        opts.recv_timeout_ms = 2000;
        for (int attempt = 0; attempt < 3; attempt++) {
            snprintf (marker, sizeof marker, "marker-%u", ++self->markers);
            zpat_req_t *req = zpat_req_new (self->endpoint, &opts);
            ck_assert_ptr_nonnull (req);
            ck_assert_int_eq (zpat_send_str (req, marker), 0);
            while (true) {
                ck_assert_msg (hu_now_ms () < deadline, "REP never got %s",
                               marker);
                int frames = zpat_recv_msg (self->rep, msg);
                ck_assert_msg (frames > 0, "REP receive: %s",
                               zpat_strerror (errno));
                bool mine =
                    frames == 1 && zpat_msg_size (msg, 0) == strlen (marker) &&
                    memcmp (zpat_msg_data (msg, 0), marker, strlen (marker)) ==
                        0;
                ck_assert_int_eq (
                    zpat_send_str (self->rep, mine ? "ok" : "junk"), 0);
                if (mine)
                    break;
                self->junk++;
            }
            char *reply = zpat_recv_str (req);
            zpat_req_destroy (&req);
            if (reply) {
                ck_assert_str_eq (reply, "ok");
                zpat_str_free (&reply);
                break;
            }
            ck_assert_int_eq (errno, EAGAIN);
            self->lost_replies++;
        }
    } else if (self->role == ROLE_PULL) {
        zpat_push_t *push = zpat_push_new (self->endpoint, &opts);
        ck_assert_ptr_nonnull (push);
        ck_assert_int_eq (zpat_send_str (push, marker), 0);
        while (true) {
            ck_assert_msg (hu_now_ms () < deadline, "PULL never got %s",
                           marker);
            int frames = zpat_recv_msg (self->pull, msg);
            ck_assert_msg (frames > 0, "PULL receive: %s",
                           zpat_strerror (errno));
            if (frames == 1 && zpat_msg_size (msg, 0) == strlen (marker) &&
                memcmp (zpat_msg_data (msg, 0), marker, strlen (marker)) == 0)
                break;
            self->junk++;
        }
        zpat_push_destroy (&push);
    } else {
        // Publish the marker until the new subscriber has it: its receive
        // timeout paces the loop, so no sleep is needed for it to join.
        opts.recv_timeout_ms = 20;
        zpat_sub_t *sub = zpat_sub_new (self->endpoint, marker, &opts);
        ck_assert_ptr_nonnull (sub);
        while (true) {
            ck_assert_msg (hu_now_ms () < deadline, "SUB never got %s", marker);
            ck_assert_int_eq (zpat_send_str (self->pub, marker), 0);
            char *got = zpat_recv_str (sub);
            if (got) {
                ck_assert_str_eq (got, marker);
                zpat_str_free (&got);
                break;
            }
            ck_assert_int_eq (errno, EAGAIN);
        }
        zpat_sub_destroy (&sub);
    }
    zpat_msg_destroy (&msg);
}

// A raw connection that has done the whole handshake as the proper peer of
// the server's role would.
static int
s_raw_ready (server_t *self)
{
    int fd = hu_raw_connect (self->port, 5000);
    ck_assert_msg (fd >= 0, "connect: %s", strerror (errno));
    ck_assert_msg (hu_handshake (fd, peer_types[self->role]) == 0,
                   "handshake with %s failed", role_names[self->role]);
    return fd;
}

// Sends count requests ("req!" behind an empty delimiter frame) over the
// raw connection fd in one write, as a peer that pipelines them and reads
// no reply would.
static void
s_send_pipelined_requests (int fd, int count)
{
    // Each request: two frame headers of at most 9 bytes each, and 4 bytes.
    unsigned char *burst = malloc ((size_t)count * (2 * 9 + 4));
    ck_assert_ptr_nonnull (burst);
    size_t size = 0;
    for (int i = 0; i < count; i++) {
        size += hu_frame_header (burst + size, 0, HU_MORE);
        size += hu_frame_header (burst + size, 4, 0);
        memcpy (burst + size, "req!", 4);
        size += 4;
    }
    ck_assert_int_eq (hu_send_all (fd, burst, size), 0);
    free (burst);
}

// One proper exchange with the REP server, from a fresh REQ that waits at
// most timeout_ms to send or receive and does not linger: the REP must get
// "proper", and answers "answer". Returns the reply the REQ received, to be
// freed with zpat_str_free, or NULL with errno set when it never came.
static char *
s_proper_exchange (server_t *server, int timeout_ms)
{
    zpat_options_t opts = {.send_timeout_ms = timeout_ms,
                           .recv_timeout_ms = timeout_ms,
                           .linger_ms = ZPAT_WAIT_NONE};
    zpat_req_t *req = zpat_req_new (server->endpoint, &opts);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "proper"), 0);
    char *request = zpat_recv_str (server->rep);
    ck_assert_ptr_nonnull (request);
    ck_assert_str_eq (request, "proper");
    zpat_str_free (&request);
    ck_assert_int_eq (zpat_send_str (server->rep, "answer"), 0);
    char *reply = zpat_recv_str (req);
    int error = errno;
    zpat_req_destroy (&req);
    errno = error;
    return reply;
}

// Asserts that the server hangs up on fd within DISCONNECT_WAIT_MS.
static double
s_assert_dropped (int fd, const char *what)
{
    double took = hu_wait_closed (fd, DISCONNECT_WAIT_MS);
    ck_assert_msg (took >= 0, "%s: still connected after %d ms", what,
                   DISCONNECT_WAIT_MS);
    return took;
}

static uint64_t
s_random (uint64_t *state)
{
    // xorshift64*: reproducible junk from a seed.
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C (2685821657736338717);
}

// ---------------------------------------------------------------------------
// Positive controls: the raw peer speaks ZMTP well enough to be served, so
// that a dropped junk connection means the junk was refused, not the peer.

START_TEST (raw_req_peer_gets_reply_from_rep)
{
    server_t server;
    s_server_start (&server, ROLE_REP, &server_opts);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, "", 0, HU_MORE), 0);
    ck_assert_int_eq (hu_send_frame (fd, "ping", 4, 0), 0);
    char *request = zpat_recv_str (server.rep);
    ck_assert_ptr_nonnull (request);
    ck_assert_str_eq (request, "ping");
    zpat_str_free (&request);
    ck_assert_int_eq (zpat_send_str (server.rep, "pong"), 0);
    char buf[64];
    size_t size;
    int flags;
    ck_assert_int_eq (hu_recv_frame (fd, buf, sizeof buf, &size, &flags), 0);
    ck_assert_uint_eq (size, 0); // the empty delimiter comes back first
    ck_assert_int_eq (flags & HU_MORE, HU_MORE);
    ck_assert_int_eq (hu_recv_frame (fd, buf, sizeof buf, &size, &flags), 0);
    ck_assert_uint_eq (size, 4);
    ck_assert_int_eq (memcmp (buf, "pong", 4), 0);
    close (fd);
    s_server_stop (&server);
}
END_TEST

START_TEST (raw_push_peer_delivers_to_pull)
{
    server_t server;
    s_server_start (&server, ROLE_PULL, &server_opts);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, "work", 4, 0), 0);
    char *got = zpat_recv_str (server.pull);
    ck_assert_ptr_nonnull (got);
    ck_assert_str_eq (got, "work");
    zpat_str_free (&got);
    close (fd);
    s_server_stop (&server);
}
END_TEST

START_TEST (raw_sub_peer_receives_from_pub)
{
    server_t server;
    s_server_start (&server, ROLE_PUB, &server_opts);
    int fd = s_raw_ready (&server);
    // A ZMTP 3.0 subscription: a data frame of 1 then the prefix.
    ck_assert_int_eq (hu_send_frame (fd, "\001news", 5, 0), 0);
    ck_assert_int_eq (zpat_pub_wait_subscriptions (server.pub, 1, 5000), 1);
    ck_assert_int_eq (zpat_send_str (server.pub, "weather"), 0);
    ck_assert_int_eq (zpat_send_str (server.pub, "news at ten"), 0);
    char buf[64];
    size_t size;
    int flags;
    ck_assert_int_eq (hu_recv_frame (fd, buf, sizeof buf, &size, &flags), 0);
    ck_assert_uint_eq (size, 11);
    ck_assert_int_eq (memcmp (buf, "news at ten", 11), 0);
    close (fd);
    s_server_stop (&server);
}
END_TEST

// ---------------------------------------------------------------------------
// Junk before or instead of a handshake

// 300 connections per role, each sending 1 to 3,000 random bytes: plain
// noise (which libzmq reads as a ZMTP 1.0 peer), noise behind a ZMTP
// signature byte, noise behind a whole greeting, and noise after a complete
// handshake (random frames and commands).
START_TEST (random_bytes_leave_server_serving)
{
    server_t server;
    s_server_start (&server, (role_t)_i, &server_opts);
    uint64_t state = UINT64_C (0x9E3779B97F4A7C15) + (uint64_t)_i;
    unsigned char junk[3000 + HU_GREETING_SIZE + 64];
    int tries = 0;
    for (int i = 0; i < 300; i++) {
        int fd = hu_raw_connect (server.port, 2000);
        ck_assert_msg (fd >= 0, "connect %d: %s", i, strerror (errno));
        size_t size = 0;
        if (i % 4 == 3) {
            close (fd);
            fd = s_raw_ready (&server);
        } else if (i % 4 == 2) {
            hu_greeting (junk);
            size = HU_GREETING_SIZE;
        } else if (i % 4 == 1)
            junk[size++] = 0xFF;
        size_t noise = 1 + s_random (&state) % 3000;
        for (size_t k = 0; k < noise; k++)
            junk[size++] = (unsigned char)s_random (&state);
        // The server may hang up half-way; that is its right.
        hu_send_all (fd, junk, size);
        close (fd);
        tries++;
        if (i % 100 == 99)
            s_server_serves (&server);
    }
    s_server_serves (&server);
    printf ("[figures] garbage %s: %d random-byte connections, %u junk "
            "messages reached the application and were dropped\n",
            role_names[_i], tries, server.junk);
    s_server_stop (&server);
}
END_TEST

// A greeting and READY cut short at every interesting place; every other
// connection stays open while a proper peer is served, the rest hang up.
START_TEST (truncated_greetings_leave_server_serving)
{
    server_t server;
    s_server_start (&server, (role_t)_i, &server_opts);
    unsigned char hello[HU_GREETING_SIZE + 64];
    hu_greeting (hello);
    size_t full =
        HU_GREETING_SIZE + hu_ready (hello + HU_GREETING_SIZE, peer_types[_i]);
    const size_t cuts[] = {1,  2,  9,  10, 11, 12, 16,      32,
                           33, 52, 53, 63, 64, 65, full - 1};
    const int count = (int)(sizeof cuts / sizeof cuts[0]);
    int open_fds[sizeof cuts / sizeof cuts[0]];
    for (int i = 0; i < count; i++) {
        open_fds[i] = hu_raw_connect (server.port, 2000);
        ck_assert_int_ge (open_fds[i], 0);
        ck_assert_int_eq (hu_send_all (open_fds[i], hello, cuts[i]), 0);
        if (i % 2) {
            close (open_fds[i]);
            open_fds[i] = -1;
        }
    }
    s_server_serves (&server);
    for (int i = 0; i < count; i++)
        if (open_fds[i] >= 0)
            close (open_fds[i]);
    s_server_serves (&server);
    printf ("[figures] garbage %s: %d truncated greetings\n", role_names[_i],
            count);
    s_server_stop (&server);
}
END_TEST

// Handshakes libzmq must refuse: each such peer is disconnected.
START_TEST (bad_handshakes_are_disconnected)
{
    server_t server;
    s_server_start (&server, (role_t)_i, &server_opts);
    // A socket type that cannot talk to the server: its own type.
    const char *wrong_type = _i == ROLE_REP    ? "REP"
                             : _i == ROLE_PULL ? "PULL"
                                               : "PUB";
    unsigned char hello[HU_GREETING_SIZE + 64];
    int tries = 0;

    int fd = hu_raw_connect (server.port, 2000);
    ck_assert_int_ge (fd, 0);
    hu_greeting (hello);
    size_t size =
        HU_GREETING_SIZE + hu_ready (hello + HU_GREETING_SIZE, wrong_type);
    hu_send_all (fd, hello, size);
    s_assert_dropped (fd, "wrong Socket-Type");
    close (fd);
    tries++;

    // Mechanisms the server does not run.
    const char *mechanisms[] = {"PLAIN", "CURVE", "JUNK\001\002"};
    for (int m = 0; m < 3; m++) {
        fd = hu_raw_connect (server.port, 2000);
        ck_assert_int_ge (fd, 0);
        hu_greeting (hello);
        memset (hello + 12, 0, 20);
        memcpy (hello + 12, mechanisms[m], strlen (mechanisms[m]));
        size = HU_GREETING_SIZE +
               hu_ready (hello + HU_GREETING_SIZE, peer_types[_i]);
        hu_send_all (fd, hello, size);
        s_assert_dropped (fd, mechanisms[m]);
        close (fd);
        tries++;
    }

    // A READY whose property name runs past the end of the command.
    const unsigned char bad_ready[] = {HU_COMMAND, 9,   5,   'R', 'E', 'A',
                                       'D',        'Y', 200, 'S', 'o'};
    fd = hu_raw_connect (server.port, 2000);
    ck_assert_int_ge (fd, 0);
    hu_greeting (hello);
    hu_send_all (fd, hello, HU_GREETING_SIZE);
    hu_send_all (fd, bad_ready, sizeof bad_ready);
    s_assert_dropped (fd, "malformed READY");
    close (fd);
    tries++;

    // A data frame before any READY, and a command with a huge size.
    fd = hu_raw_connect (server.port, 2000);
    ck_assert_int_ge (fd, 0);
    hu_greeting (hello);
    hu_send_all (fd, hello, HU_GREETING_SIZE);
    hu_send_frame (fd, "early", 5, 0);
    s_assert_dropped (fd, "data before READY");
    close (fd);
    tries++;
    fd = hu_raw_connect (server.port, 2000);
    ck_assert_int_ge (fd, 0);
    hu_send_all (fd, hello, HU_GREETING_SIZE);
    unsigned char head[9];
    hu_send_all (fd, head,
                 hu_frame_header (head, UINT64_C (0x7FFFFFFFFFFFFFFF),
                                  HU_COMMAND | HU_LONG));
    s_assert_dropped (fd, "huge command");
    close (fd);
    tries++;

    s_server_serves (&server);
    printf ("[figures] garbage %s: %d refused handshakes, all dropped\n",
            role_names[_i], tries);
    s_server_stop (&server);
}
END_TEST

// Handshakes libzmq may accept or refuse (it accepts a READY without a
// Socket-Type, or whose property claims a 4 GiB value that is not there, as
// a READY with no properties): whichever it does, the server goes on
// serving, and such a peer is cut off when it sends junk frames.
START_TEST (odd_handshakes_leave_server_serving)
{
    server_t server;
    s_server_start (&server, (role_t)_i, &server_opts);
    const unsigned char odd[][40] = {
        // READY, no properties.
        {HU_COMMAND, 6, 5, 'R', 'E', 'A', 'D', 'Y'},
        // READY whose Socket-Type value claims 4 GiB.
        {HU_COMMAND, 22,  5,   'R', 'E', 'A', 'D', 'Y', 11,   'S',  'o',  'c',
         'k',        'e', 't', '-', 'T', 'y', 'p', 'e', 0xFF, 0xFF, 0xFF, 0xFF},
        // READY with an empty property name and a property without value.
        {HU_COMMAND, 11, 5, 'R', 'E', 'A', 'D', 'Y', 0, 0, 0, 0, 0},
        // An unknown command where READY should be.
        {HU_COMMAND, 6, 5, 'H', 'E', 'L', 'L', 'O'},
        // A PING with a 30-byte context.
        {HU_COMMAND, 37,  4,   'P', 'I', 'N', 'G', 0,   10,  'c',
         'o',        'n', 't', 'e', 'x', 't', 'c', 'o', 'n', 't',
         'e',        'x', 't', 'c', 'o', 'n', 't', 'e', 'x', 't',
         'c',        'o', 'n', 't', 'e', 'x', 't', 'c', 'o', 'n'},
    };
    const size_t sizes[] = {8, 24, 13, 8, 39};
    const int count = (int)(sizeof sizes / sizeof sizes[0]);
    unsigned char hello[HU_GREETING_SIZE];
    hu_greeting (hello);
    for (int i = 0; i < count; i++) {
        int fd = hu_raw_connect (server.port, 2000);
        ck_assert_int_ge (fd, 0);
        hu_send_all (fd, hello, sizeof hello);
        hu_send_all (fd, odd[i], sizes[i]);
        s_server_serves (&server);
        // Junk frames: a first frame with MORE, then a command mid-message.
        hu_send_frame (fd, "x", 1, HU_MORE);
        unsigned char head[9];
        hu_send_all (fd, head, hu_frame_header (head, 3, HU_COMMAND));
        hu_send_all (fd, "abc", 3);
        close (fd);
        s_server_serves (&server);
    }
    printf ("[figures] garbage %s: %d odd handshakes\n", role_names[_i], count);
    s_server_stop (&server);
}
END_TEST

// ---------------------------------------------------------------------------
// Huge frames after a good handshake

// A frame header announcing more than the default maximum message size, up
// to 2^64 - 1: the peer is cut off on the header alone, nothing is
// allocated, and the server goes on serving. Looped over role x size.
START_TEST (huge_frame_peer_is_disconnected)
{
    role_t role = (role_t)(_i / HUGE_SIZES);
    uint64_t announced = huge_sizes[_i % HUGE_SIZES];
    server_t server;
    s_server_start (&server, role, &server_opts);
    long rss_before = hu_rss_kb (0);
    int fd = s_raw_ready (&server);
    unsigned char head[9];
    ck_assert_int_eq (
        hu_send_all (fd, head, hu_frame_header (head, announced, HU_LONG)), 0);
    // Follow with a little payload, as a real sender would.
    ck_assert_int_eq (hu_send_all (fd, "xxxxxxxx", 8), 0);
    double took = s_assert_dropped (fd, "huge frame");
    close (fd);
    s_server_serves (&server);
    long rss_after = hu_rss_kb (0);
    printf ("[figures] huge frame: %s announced %llu bytes: dropped after "
            "%.1f ms, RSS %+ld KiB\n",
            role_names[role], (unsigned long long)announced, took,
            rss_after - rss_before);
    s_server_stop (&server);
}
END_TEST

// The same with the limit lifted (ZPAT_UNLIMITED): libzmq then tries to
// allocate what the header says, fails, and must still neither crash nor
// stop serving.
START_TEST (huge_frame_without_limit_does_not_crash)
{
    zpat_options_t opts = server_opts;
    opts.max_msg_bytes = ZPAT_UNLIMITED;
    server_t server;
    s_server_start (&server, ROLE_PULL, &opts);
    for (int i = 1; i < HUGE_SIZES; i++) {
        int fd = s_raw_ready (&server);
        unsigned char head[9];
        ck_assert_int_eq (
            hu_send_all (fd, head,
                         hu_frame_header (head, huge_sizes[i], HU_LONG)),
            0);
        s_assert_dropped (fd, "unallocatable frame");
        close (fd);
        s_server_serves (&server);
    }
    s_server_stop (&server);
}
END_TEST

// The limit is exact: with max_msg_bytes 1000 a 1,000-byte message arrives
// and a 1,001-byte one gets its sender cut off.
START_TEST (max_msg_bytes_is_exact)
{
    zpat_options_t opts = server_opts;
    opts.max_msg_bytes = 1000;
    server_t server;
    s_server_start (&server, ROLE_PULL, &opts);
    static unsigned char payload[1001];
    memset (payload, 'm', sizeof payload);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, payload, 1000, 0), 0);
    static unsigned char got[2000];
    ck_assert_int_eq (zpat_recv (server.pull, got, sizeof got), 1000);
    ck_assert_int_eq (hu_send_frame (fd, payload, 1001, 0), 0);
    s_assert_dropped (fd, "1,001-byte frame");
    close (fd);
    zpat_set_recv_timeout_ms (server.pull, 100);
    ck_assert_int_eq (zpat_recv (server.pull, got, sizeof got), -1);
    ck_assert_int_eq (errno, EAGAIN);
    zpat_set_recv_timeout_ms (server.pull, 5000);
    s_server_serves (&server);
    s_server_stop (&server);
}
END_TEST

// The default is exactly ZPAT_DEFAULT_MAX_MSG_BYTES: a message of that size
// arrives whole; one byte more is refused.
START_TEST (default_max_msg_bytes_is_64_mib)
{
    server_t server;
    s_server_start (&server, ROLE_PULL, &server_opts);
    size_t limit = ZPAT_DEFAULT_MAX_MSG_BYTES;
    unsigned char *payload = malloc (limit + 1);
    ck_assert_ptr_nonnull (payload);
    for (size_t i = 0; i <= limit; i++)
        payload[i] = (unsigned char)(i * 7);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, payload, limit, 0), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (server.pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), limit);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), payload, limit), 0);
    zpat_msg_destroy (&msg);
    unsigned char head[9];
    ck_assert_int_eq (
        hu_send_all (fd, head, hu_frame_header (head, limit + 1, HU_LONG)), 0);
    s_assert_dropped (fd, "64 MiB + 1 frame");
    close (fd);
    free (payload);
    s_server_serves (&server);
    s_server_stop (&server);
}
END_TEST

// ---------------------------------------------------------------------------
// Well-formed ZMTP, unexpected content

// Bytes that are not UTF-8 come back from zpat_recv_str as they were sent.
START_TEST (invalid_utf8_is_returned_as_bytes)
{
    server_t server;
    s_server_start (&server, ROLE_PULL, &server_opts);
    int fd = s_raw_ready (&server);
    const char *bad[] = {
        "\xff\xfe",         // bytes that never occur in UTF-8
        "\xc3\x28",         // a broken two-byte sequence
        "\xed\xa0\x80",     // an encoded UTF-16 surrogate
        "\xf8\x88\x80\x80", // a five-byte form
        "\xc0\xaf",         // an overlong '/'
        "caf\xe9",          // Latin-1, not UTF-8
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq (hu_send_frame (fd, bad[i], strlen (bad[i]), 0), 0);
        char *got = zpat_recv_str (server.pull);
        ck_assert_msg (got, "recv_str: %s", zpat_strerror (errno));
        ck_assert_uint_eq (strlen (got), strlen (bad[i]));
        ck_assert_int_eq (memcmp (got, bad[i], strlen (bad[i])), 0);
        zpat_str_free (&got);
    }
    // An empty frame is an empty string; a NUL inside ends the C string
    // early but zpat_recv gets every byte.
    ck_assert_int_eq (hu_send_frame (fd, "", 0, 0), 0);
    char *empty = zpat_recv_str (server.pull);
    ck_assert_ptr_nonnull (empty);
    ck_assert_str_eq (empty, "");
    zpat_str_free (&empty);
    ck_assert_int_eq (hu_send_frame (fd, "a\0b", 3, 0), 0);
    char buf[8];
    ck_assert_int_eq (zpat_recv (server.pull, buf, sizeof buf), 3);
    ck_assert_int_eq (memcmp (buf, "a\0b", 3), 0);
    close (fd);
    s_server_stop (&server);
}
END_TEST

// Several frames where one is expected: EFRAMES, and the message is kept
// whole for zpat_recv_msg.
START_TEST (multipart_where_one_frame_expected_is_kept)
{
    server_t server;
    s_server_start (&server, ROLE_PULL, &server_opts);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, "one", 3, HU_MORE), 0);
    ck_assert_int_eq (hu_send_frame (fd, "", 0, HU_MORE), 0);
    ck_assert_int_eq (hu_send_frame (fd, "\xff", 1, 0), 0);
    ck_assert_ptr_null (zpat_recv_str (server.pull));
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (server.pull, msg), 3);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 3);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), 0);
    ck_assert_uint_eq (zpat_msg_size (msg, 2), 1);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 2), "\xff", 1), 0);
    zpat_msg_destroy (&msg);
    close (fd);
    s_server_serves (&server);
    s_server_stop (&server);
}
END_TEST

// A message without the REQ envelope (no empty delimiter) never reaches the
// REP application, and neither the REP nor that peer's connection is
// disturbed: its next, proper request is answered.
START_TEST (envelope_less_message_to_rep_is_dropped)
{
    server_t server;
    s_server_start (&server, ROLE_REP, &server_opts);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, "no envelope", 11, 0), 0);
    ck_assert_int_eq (hu_send_frame (fd, "two", 3, HU_MORE), 0);
    ck_assert_int_eq (hu_send_frame (fd, "frames", 6, 0), 0);
    zpat_set_recv_timeout_ms (server.rep, 200);
    ck_assert_ptr_null (zpat_recv_str (server.rep));
    ck_assert_int_eq (errno, EAGAIN);
    zpat_set_recv_timeout_ms (server.rep, 5000);
    s_server_serves (&server);
    ck_assert_int_eq (hu_send_frame (fd, "", 0, HU_MORE), 0);
    ck_assert_int_eq (hu_send_frame (fd, "proper", 6, 0), 0);
    char *request = zpat_recv_str (server.rep);
    ck_assert_ptr_nonnull (request);
    ck_assert_str_eq (request, "proper");
    zpat_str_free (&request);
    ck_assert_int_eq (zpat_send_str (server.rep, "answer"), 0);
    char buf[16];
    size_t size;
    int flags;
    ck_assert_int_eq (hu_recv_frame (fd, buf, sizeof buf, &size, &flags), 0);
    ck_assert_uint_eq (size, 0);
    ck_assert_int_eq (hu_recv_frame (fd, buf, sizeof buf, &size, &flags), 0);
    ck_assert_uint_eq (size, 6);
    ck_assert_int_eq (memcmp (buf, "answer", 6), 0);
    close (fd);
    s_server_stop (&server);
}
END_TEST

// The junk peer of the test above, but leaving at once: REP's next reply,
// to a proper REQ, must arrive. libzmq 4.3.4's REP drops it when it reads
// the junk after it has processed the peer's disconnection (bugs.md, H6).
// That order cannot be awaited through the API, so each round gives the
// REP's I/O thread 20 ms after the hang-up; five rounds, all must pass.
START_TEST (rep_answers_after_envelope_less_message_from_departing_peer)
{
    server_t server;
    s_server_start (&server, ROLE_REP, &server_opts);
    s_server_serves (&server);
    int lost = 0;
    for (int round = 0; round < 5; round++) {
        int fd = s_raw_ready (&server);
        ck_assert_int_eq (hu_send_frame (fd, "junk", 4, 0), 0);
        shutdown (fd, SHUT_WR);
        ck_assert_double_ge (hu_wait_closed (fd, DISCONNECT_WAIT_MS), 0);
        close (fd);
        struct timespec pause = {0, 20 * 1000000};
        nanosleep (&pause, NULL);
        char *reply = s_proper_exchange (&server, 1000);
        if (reply)
            ck_assert_str_eq (reply, "answer");
        else
            lost++;
        zpat_str_free (&reply);
    }
    ck_assert_msg (lost == 0, "%d of 5 replies to proper requests were lost",
                   lost);
    s_server_stop (&server);
}
END_TEST

// A junk peer that pipelined requests it never reads (its reply queue is
// full) sends a message without envelope: the next proper reply must still
// arrive. libzmq 4.3.4's REP drops it (bugs.md, H6).
START_TEST (rep_answers_after_envelope_less_message_from_peer_with_full_pipe)
{
    server_t server;
    s_server_start (&server, ROLE_REP, &server_opts);
    int fd = s_raw_ready (&server);
    s_send_pipelined_requests (fd, 3000);
    static char big[10000];
    memset (big, 'r', sizeof big - 1);
    for (int i = 0; i < 3000; i++) {
        char *request = zpat_recv_str (server.rep);
        ck_assert_ptr_nonnull (request);
        zpat_str_free (&request);
        ck_assert_int_eq (zpat_send_str (server.rep, big), 0);
    }
    ck_assert_int_eq (hu_send_frame (fd, "junk", 4, 0), 0);
    char *reply = s_proper_exchange (&server, 2000);
    ck_assert_msg (reply, "the reply to a proper request was lost: %s",
                   zpat_strerror (errno));
    ck_assert_str_eq (reply, "answer");
    zpat_str_free (&reply);
    close (fd);
    s_server_stop (&server);
}
END_TEST

// A requester that vanishes before its reply: the reply is dropped, the
// REP's send still succeeds, and the next request is served.
START_TEST (rep_survives_requester_leaving_before_reply)
{
    server_t server;
    s_server_start (&server, ROLE_REP, &server_opts);
    for (int i = 0; i < 20; i++) {
        int fd = s_raw_ready (&server);
        ck_assert_int_eq (hu_send_frame (fd, "", 0, HU_MORE), 0);
        ck_assert_int_eq (hu_send_frame (fd, "bye", 3, 0), 0);
        char *request = zpat_recv_str (server.rep);
        ck_assert_ptr_nonnull (request);
        zpat_str_free (&request);
        close (fd);
        ck_assert_int_eq (zpat_send_str (server.rep, "too late"), 0);
    }
    s_server_serves (&server);
    s_server_stop (&server);
}
END_TEST

// A peer that pipelines 5,000 requests and never reads a reply: the REP
// answers every one without blocking (replies beyond the high-water mark
// are dropped), and a proper client is served in between.
START_TEST (rep_never_blocks_on_peer_that_does_not_read)
{
    server_t server;
    s_server_start (&server, ROLE_REP, &server_opts);
    int fd = s_raw_ready (&server);
    s_send_pipelined_requests (fd, 5000);
    static char reply[1000];
    memset (reply, 'r', sizeof reply - 1);
    double worst = 0;
    // s_server_serves answers ("junk") the raw peer's requests it meets on
    // the way to its marker: they count as served.
    for (int i = 0; i + (int)server.junk < 5000; i++) {
        char *request = zpat_recv_str (server.rep);
        ck_assert_msg (request, "request %d: %s", i + (int)server.junk,
                       zpat_strerror (errno));
        ck_assert_str_eq (request, "req!");
        zpat_str_free (&request);
        double start = hu_now_ms ();
        ck_assert_int_eq (zpat_send_str (server.rep, reply), 0);
        double took = hu_now_ms () - start;
        if (took > worst)
            worst = took;
        if (i == 2500)
            s_server_serves (&server);
    }
    s_server_serves (&server);
    printf ("[figures] REP answered 5000 pipelined requests from a peer that "
            "never reads; slowest reply send %.2f ms\n",
            worst);
    ck_assert_msg (worst < 1000.0 * hu_time_factor (),
                   "a reply send blocked %.0f ms", worst);
    close (fd);
    s_server_stop (&server);
}
END_TEST

// Junk from a subscriber: frames that are neither subscribe (1) nor
// unsubscribe (0), empty frames, unsubscribes of prefixes never subscribed,
// and duplicate subscriptions. Publishing goes on, the count never goes
// negative, and once the junk peer leaves the count is back where it was.
START_TEST (pub_survives_junk_from_subscriber)
{
    server_t server;
    s_server_start (&server, ROLE_PUB, &server_opts);
    int fd = s_raw_ready (&server);
    ck_assert_int_eq (hu_send_frame (fd, "", 0, 0), 0);
    ck_assert_int_eq (hu_send_frame (fd, "\002odd", 4, 0), 0);
    ck_assert_int_eq (hu_send_frame (fd, "\000never", 6, 0), 0);
    ck_assert_int_eq (hu_send_frame (fd, "data", 4, HU_MORE), 0);
    ck_assert_int_eq (hu_send_frame (fd, "\001more", 5, 0), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq (hu_send_frame (fd, "\002x", 2, 0), 0);
    ck_assert_int_eq (hu_send_frame (fd, "\001topic", 6, 0), 0);
    ck_assert_int_ge (zpat_pub_wait_subscriptions (server.pub, 1, 5000), 1);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq (zpat_send_str (server.pub, "topic x"), 0);
    ck_assert_int_ge (zpat_pub_subscriptions (server.pub), 0);
    close (fd);
    s_server_serves (&server);
    // Only the marker subscriber of s_server_serves came and went: wait for
    // the count to settle back to zero.
    double deadline = hu_now_ms () + 5000.0 * hu_time_factor ();
    int count = zpat_pub_subscriptions (server.pub);
    while (count != 0 && hu_now_ms () < deadline) {
        zpat_pub_wait_subscriptions (server.pub, 1000, 20);
        count = zpat_pub_subscriptions (server.pub);
    }
    ck_assert_msg (count == 0,
                   "%d subscriptions counted after every subscriber left",
                   count);
    s_server_stop (&server);
}
END_TEST

// A foreign subscriber that sends the same subscription three times, then
// leaves. libzmq's XPUB reports all three subscribes but, on disconnect, one
// unsubscribe per (peer, prefix): zpat.h documents that such a peer stays
// counted by the extra two. zpat's own SUB sends one subscribe per prefix,
// so it never does this (same_prefix_subscriber_leaving_stops_counting).
// What must hold: the count is exactly the documented one, and the PUB
// keeps serving.
START_TEST (duplicate_subscriptions_count_as_documented)
{
    server_t server;
    s_server_start (&server, ROLE_PUB, &server_opts);
    int fd = s_raw_ready (&server);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq (hu_send_frame (fd, "\001dup", 4, 0), 0);
    int seen = zpat_pub_wait_subscriptions (server.pub, 3, 5000);
    ck_assert_int_eq (seen, 3);
    close (fd);
    double deadline = hu_now_ms () + 3000.0 * hu_time_factor ();
    int count = zpat_pub_subscriptions (server.pub);
    while (count != 2 && hu_now_ms () < deadline) {
        zpat_pub_wait_subscriptions (server.pub, 1000, 20);
        count = zpat_pub_subscriptions (server.pub);
    }
    printf ("[figures] PUB counted %d subscriptions from 3 identical "
            "subscribes; %d left after the subscriber hung up\n",
            seen, count);
    ck_assert_int_eq (count, 2);
    ck_assert_int_eq (zpat_send_str (server.pub, "dup still served"), 0);
    s_server_stop (&server);
}
END_TEST

// Two proper zpat subscribers with the same prefix; one leaves. The count
// must fall to one ("one that disconnects stops counting").
START_TEST (same_prefix_subscriber_leaving_stops_counting)
{
    server_t server;
    s_server_start (&server, ROLE_PUB, &server_opts);
    zpat_sub_t *a = zpat_sub_new (server.endpoint, "same", &server_opts);
    zpat_sub_t *b = zpat_sub_new (server.endpoint, "same", &server_opts);
    ck_assert_ptr_nonnull (a);
    ck_assert_ptr_nonnull (b);
    ck_assert_int_eq (zpat_pub_wait_subscriptions (server.pub, 2, 5000), 2);
    zpat_sub_destroy (&b);
    double deadline = hu_now_ms () + 3000.0 * hu_time_factor ();
    int count = zpat_pub_subscriptions (server.pub);
    while (count != 1 && hu_now_ms () < deadline) {
        zpat_pub_wait_subscriptions (server.pub, 1000, 20);
        count = zpat_pub_subscriptions (server.pub);
    }
    ck_assert_msg (count == 1, "%d subscriptions counted, expected 1", count);
    zpat_sub_destroy (&a);
    s_server_stop (&server);
}
END_TEST

// ---------------------------------------------------------------------------
// Connections that say nothing, and connections that come and go

// 200 connections that send nothing stay open while a proper peer is
// served; then they all leave.
START_TEST (silent_connections_do_not_block_service)
{
    server_t server;
    s_server_start (&server, (role_t)_i, &server_opts);
    int fds[200];
    for (int i = 0; i < 200; i++) {
        fds[i] = hu_raw_connect (server.port, 2000);
        ck_assert_int_ge (fds[i], 0);
    }
    s_server_serves (&server);
    for (int i = 0; i < 200; i++)
        close (fds[i]);
    s_server_serves (&server);
    printf ("[figures] garbage %s: 200 silent connections\n", role_names[_i]);
    s_server_stop (&server);
}
END_TEST

// 1,000 connect/disconnect cycles, some cut with a reset: no leak that
// shows in resident memory, and service goes on.
START_TEST (thousand_connect_disconnect_cycles)
{
    server_t server;
    s_server_start (&server, (role_t)_i, &server_opts);
    s_server_serves (&server);
    long before = hu_rss_kb (0);
    double start = hu_now_ms ();
    for (int i = 0; i < 1000; i++) {
        int fd = hu_raw_connect (server.port, 2000);
        ck_assert_msg (fd >= 0, "cycle %d: %s", i, strerror (errno));
        if (i % 2) {
            // SO_LINGER 0: close sends a reset instead of a FIN.
            struct linger hard = {1, 0};
            setsockopt (fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        }
        close (fd);
    }
    double took = hu_now_ms () - start;
    s_server_serves (&server);
    long after = hu_rss_kb (0);
    printf ("[figures] garbage %s: 1000 connect/disconnect cycles in %.0f ms, "
            "RSS %+ld KiB\n",
            role_names[_i], took, after - before);
    ck_assert_msg (after - before < hu_rss_limit_kb (), "RSS grew by %ld KiB",
                   after - before);
    s_server_stop (&server);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("garbage");

    TCase *controls = tcase_create ("controls");
    tcase_set_timeout (controls, 30);
    tcase_add_test (controls, raw_req_peer_gets_reply_from_rep);
    tcase_add_test (controls, raw_push_peer_delivers_to_pull);
    tcase_add_test (controls, raw_sub_peer_receives_from_pub);
    suite_add_tcase (suite, controls);

    TCase *handshake = tcase_create ("handshake");
    tcase_set_timeout (handshake, 60);
    tcase_add_loop_test (handshake, random_bytes_leave_server_serving, 0,
                         ROLES);
    tcase_add_loop_test (handshake, truncated_greetings_leave_server_serving, 0,
                         ROLES);
    tcase_add_loop_test (handshake, bad_handshakes_are_disconnected, 0, ROLES);
    tcase_add_loop_test (handshake, odd_handshakes_leave_server_serving, 0,
                         ROLES);
    suite_add_tcase (suite, handshake);

    TCase *huge = tcase_create ("huge");
    tcase_set_timeout (huge, 60);
    tcase_add_loop_test (huge, huge_frame_peer_is_disconnected, 0,
                         ROLES * HUGE_SIZES);
    tcase_add_test (huge, huge_frame_without_limit_does_not_crash);
    tcase_add_test (huge, max_msg_bytes_is_exact);
    tcase_add_test (huge, default_max_msg_bytes_is_64_mib);
    suite_add_tcase (suite, huge);

    TCase *content = tcase_create ("content");
    tcase_set_timeout (content, 30);
    tcase_add_test (content, invalid_utf8_is_returned_as_bytes);
    tcase_add_test (content, multipart_where_one_frame_expected_is_kept);
    tcase_add_test (content, envelope_less_message_to_rep_is_dropped);
    tcase_add_test (
        content, rep_answers_after_envelope_less_message_from_departing_peer);
    tcase_add_test (
        content,
        rep_answers_after_envelope_less_message_from_peer_with_full_pipe);
    tcase_add_test (content, rep_survives_requester_leaving_before_reply);
    tcase_add_test (content, rep_never_blocks_on_peer_that_does_not_read);
    tcase_add_test (content, pub_survives_junk_from_subscriber);
    tcase_add_test (content, duplicate_subscriptions_count_as_documented);
    tcase_add_test (content, same_prefix_subscriber_leaving_stops_counting);
    suite_add_tcase (suite, content);

    TCase *connections = tcase_create ("connections");
    tcase_set_timeout (connections, 60);
    tcase_add_loop_test (connections, silent_connections_do_not_block_service,
                         0, ROLES);
    tcase_add_loop_test (connections, thousand_connect_disconnect_cycles, 0,
                         ROLES);
    suite_add_tcase (suite, connections);
    return suite;
}

int
main (void)
{
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
