// test_teardown.c - Check suite: destroying an object gives the messages it
// already sent up to the linger to reach a reading peer, bound or connected,
// on tcp://, ipc:// and inproc://, as a raw zmq_close () does. A bound
// sender must not drop the messages queued on its connections by ending its
// listeners first; and the linger stays a bound, never a hang.
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

// The burst each sender queues and is destroyed after: MESSAGES numbered
// messages of MESSAGE_SIZE bytes.
#define MESSAGES 20000
#define MESSAGE_SIZE 1024
// The slow reader pauses SLOW_PAUSE_US every SLOW_EVERY messages: a peer that
// reads slower than the sender sends (the burst takes it some 100 ms), so
// that when the sender is destroyed much of the burst is still queued on
// the sender's side, beyond what the reader's queue (its default high-water
// mark) and the kernel's socket buffers hold: that is the part a teardown
// which ends the sender's connections early loses.
#define SLOW_EVERY 20
#define SLOW_PAUSE_US 50
// The linger of the senders: the default, scaled under valgrind so that the
// slower drain still fits in it.
#define LINGER_MS (ZPAT_DEFAULT_LINGER_MS * hu_time_factor ())
// How long a reader waits for the next message before it gives up, and how
// long the main thread waits for a peer to be connected.
#define RECV_TIMEOUT_MS (5000 * hu_time_factor ())
// How many times each burst probe is tried per transport (see
// s_burst_round).
#define ROUNDS 6
// The REP's last reply, and how many times each transport tries it. The
// late reader of 3b keeps its kernel receive buffer at RAW_RCVBUF, so that
// the reply cannot all sit in the kernel's buffers when the REP is destroyed
// (over ipc:// the kernel holds a few hundred KiB at most anyway).
#define REPLY_SIZE (8 * 1024 * 1024)
#define REPLY_ROUNDS 10
#define RAW_RCVBUF (16 * 1024)
// The linger-bound probe: a short linger, small queues, large messages so
// that the kernel's socket buffers fill quickly, and the margin asserted on
// top of the linger for a loaded two-core machine.
#define STUCK_LINGER_MS 200
#define STUCK_HWM 10
#define STUCK_SIZE (64 * 1024)
#define STUCK_MAX_SENDS 4000
#define STUCK_SEND_TIMEOUT_MS 100
#define STUCK_MARGIN_MS (2000 * hu_time_factor ())

// ---------------------------------------------------------------------------
// Transports

typedef enum { TRANSPORT_TCP, TRANSPORT_IPC, TRANSPORT_INPROC } transport_t;

static const char *const transport_names[] = {"tcp", "ipc", "inproc"};

// Fills out with an endpoint to bind for transport: a wildcard loopback
// port, or an ipc:// path or inproc:// name used nowhere else (the process
// id and a counter: under CK_FORK=no every test shares one process).
static void
s_bind_endpoint (transport_t transport, char *out, size_t size)
{
    static atomic_int counter;
    int n = atomic_fetch_add (&counter, 1);
    switch (transport) {
    case TRANSPORT_TCP:
        snprintf (out, size, "tcp://127.0.0.1:*");
        break;
    case TRANSPORT_IPC:
        snprintf (out, size, "ipc:///tmp/zpat-teardown-%ld-%d", (long)getpid (),
                  n);
        break;
    case TRANSPORT_INPROC:
        snprintf (out, size, "inproc://zpat-teardown-%ld-%d", (long)getpid (),
                  n);
        break;
    }
}

// Removes an ipc:// endpoint's file, should libzmq have left it behind.
static void
s_forget_endpoint (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0)
        unlink (endpoint + 6);
}

// ---------------------------------------------------------------------------
// Numbered messages

// Fills out (MESSAGE_SIZE bytes) with message seq: its number, then bytes
// made from it.
static void
s_message_make (unsigned char *out, uint32_t seq)
{
    memcpy (out, &seq, sizeof seq);
    for (size_t i = sizeof seq; i < MESSAGE_SIZE; i++)
        out[i] = (unsigned char)(seq * 31u + i);
}

// ---------------------------------------------------------------------------
// The slow reader: a thread that receives a "hello", then MESSAGES numbered
// messages, checking each, until it has them all or a receive times out.

typedef struct {
    zpat_socket_t *socket; // made in the main thread, used by this one only
    bool hello;            // expect a "hello" first
    atomic_bool greeted;   // the hello arrived
    atomic_bool done;      // the reader has stopped
    int received;          // numbered messages received in order
    int bad_seq;           // the first message out of order or damaged
    int bad_size;          //   (its number and size), or -1
    int error;             // errno of the receive that ended it, or 0
    double last_ms;        // when the last message arrived
} reader_t;

static void *
s_reader (void *arg)
{
    reader_t *self = arg;
    unsigned char buf[2 * MESSAGE_SIZE];
    unsigned char expected[MESSAGE_SIZE];
    struct timespec pause = {0, SLOW_PAUSE_US * 1000};
    if (self->hello) {
        int size = zpat_socket_recv (self->socket, buf, sizeof buf);
        if (size != 5 || memcmp (buf, "hello", 5) != 0) {
            self->error = size == -1 ? errno : EPROTO;
            atomic_store (&self->done, true);
            return NULL;
        }
        atomic_store (&self->greeted, true);
    }
    while (self->received < MESSAGES) {
        int size = zpat_socket_recv (self->socket, buf, sizeof buf);
        if (size == -1) {
            self->error = errno;
            break;
        }
        self->last_ms = hu_now_ms ();
        uint32_t seq = 0;
        if (size == MESSAGE_SIZE)
            memcpy (&seq, buf, sizeof seq);
        s_message_make (expected, (uint32_t)self->received);
        if (size != MESSAGE_SIZE || memcmp (buf, expected, MESSAGE_SIZE)) {
            self->bad_seq = (int)seq;
            self->bad_size = size;
            break;
        }
        self->received++;
        if (self->received % SLOW_EVERY == 0)
            nanosleep (&pause, NULL);
    }
    atomic_store (&self->done, true);
    return NULL;
}

static void
s_reader_start (reader_t *self, pthread_t *thread, zpat_socket_t *socket,
                bool hello)
{
    memset (self, 0, sizeof *self);
    self->socket = socket;
    self->hello = hello;
    atomic_init (&self->greeted, false);
    atomic_init (&self->done, false);
    self->bad_seq = -1;
    self->bad_size = -1;
    ck_assert_int_eq (pthread_create (thread, NULL, s_reader, self), 0);
}

// Waits until the reader got its hello: the handshake that says the peers
// are connected and the reader is reading. No sleeping: it yields.
static void
s_reader_wait_greeted (reader_t *self)
{
    double start = hu_now_ms ();
    while (!atomic_load (&self->greeted) && !atomic_load (&self->done) &&
           hu_now_ms () - start < RECV_TIMEOUT_MS)
        sched_yield ();
    ck_assert_msg (atomic_load (&self->greeted), "the reader got no hello: %s",
                   zpat_strerror (self->error));
}

// Sends the MESSAGES numbered messages on sender.
static void
s_send_burst (zpat_socket_t *sender)
{
    unsigned char message[MESSAGE_SIZE];
    for (int i = 0; i < MESSAGES; i++) {
        s_message_make (message, (uint32_t)i);
        ck_assert_msg (zpat_socket_send (sender, message, sizeof message) == 0,
                       "sending message %d: %s", i, zpat_strerror (errno));
    }
}

// ---------------------------------------------------------------------------
// 1, 2, 4. A sender destroyed right after its burst: the slow reader gets
// every message. Each kind is tried ROUNDS times per transport, each round
// with new objects and endpoints: the loss this guards against depends on
// which of libzmq's threads gets to the queue first, so one round can be
// lucky.

typedef enum {
    BURST_BOUND_PUSH,    // a bound PUSH, a connected PULL reads
    BURST_BOUND_PUB,     // a bound PUB, a connected SUB reads
    BURST_CONNECTED_PUSH // a connected PUSH, a bound PULL reads
} burst_kind_t;

static const char *const burst_names[] = {
    "bound PUSH destroyed after its burst",
    "bound PUB destroyed after its burst",
    "connected PUSH destroyed after its burst"};

// One round: returns the number of messages that arrived (asserting that
// they all did, in order and intact).
static int
s_burst_round (burst_kind_t kind, transport_t transport, int round)
{
    char endpoint[256], bind[260], connect[260];
    s_bind_endpoint (transport, endpoint, sizeof endpoint);
    snprintf (bind, sizeof bind, "@%s", endpoint);
    zpat_options_t send_opts = {.send_hwm = ZPAT_UNLIMITED,
                                .linger_ms = LINGER_MS,
                                .send_timeout_ms = RECV_TIMEOUT_MS};
    // The reader keeps its default high-water mark, so that what it has
    // not read waits in the sender's queue rather than in its own.
    zpat_options_t recv_opts = {.recv_timeout_ms = RECV_TIMEOUT_MS};
    zpat_push_t *push = NULL;
    zpat_pub_t *pub = NULL;
    zpat_pull_t *pull = NULL;
    zpat_sub_t *sub = NULL;
    zpat_socket_t *sender, *receiver;
    switch (kind) {
    case BURST_BOUND_PUSH:
        push = zpat_push_new (bind, &send_opts);
        ck_assert_msg (push, "PUSH bound to %s: %s", endpoint,
                       zpat_strerror (errno));
        snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (push));
        snprintf (connect, sizeof connect, ">%s", endpoint);
        pull = zpat_pull_new (connect, &recv_opts);
        ck_assert_msg (pull, "PULL to %s: %s", endpoint, zpat_strerror (errno));
        sender = zpat_socket (push);
        receiver = zpat_socket (pull);
        break;
    case BURST_BOUND_PUB:
        pub = zpat_pub_new (bind, &send_opts);
        ck_assert_msg (pub, "PUB bound to %s: %s", endpoint,
                       zpat_strerror (errno));
        snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (pub));
        snprintf (connect, sizeof connect, ">%s", endpoint);
        sub = zpat_sub_new (connect, "", &recv_opts);
        ck_assert_msg (sub, "SUB to %s: %s", endpoint, zpat_strerror (errno));
        sender = zpat_socket (pub);
        receiver = zpat_socket (sub);
        break;
    default:
        pull = zpat_pull_new (bind, &recv_opts);
        ck_assert_msg (pull, "PULL bound to %s: %s", endpoint,
                       zpat_strerror (errno));
        snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (pull));
        snprintf (connect, sizeof connect, ">%s", endpoint);
        push = zpat_push_new (connect, &send_opts);
        ck_assert_msg (push, "PUSH to %s: %s", endpoint, zpat_strerror (errno));
        sender = zpat_socket (push);
        receiver = zpat_socket (pull);
        break;
    }
    // Connected before the burst: a PUB waits for the subscription; a PUSH
    // sends a hello and waits until the reader has it.
    reader_t reader;
    pthread_t thread;
    if (pub)
        ck_assert_msg (
            zpat_pub_wait_subscriptions (pub, 1, RECV_TIMEOUT_MS) >= 1,
            "the SUB's subscription never arrived: %s", zpat_strerror (errno));
    s_reader_start (&reader, &thread, receiver, !pub);
    if (!pub) {
        ck_assert_msg (zpat_socket_send_str (sender, "hello") == 0, "hello: %s",
                       zpat_strerror (errno));
        s_reader_wait_greeted (&reader);
    }
    s_send_burst (sender);
    double start = hu_now_ms ();
    if (pub)
        zpat_pub_destroy (&pub);
    else
        zpat_push_destroy (&push);
    double destroyed = hu_now_ms ();
    ck_assert_ptr_null (pub);
    ck_assert_ptr_null (push);
    pthread_join (thread, NULL);
    char bad[96] = "";
    if (reader.bad_seq != -1 || reader.bad_size != -1)
        snprintf (bad, sizeof bad, ", then #%d of %d bytes where #%d was due",
                  reader.bad_seq, reader.bad_size, reader.received);
    printf ("[figures] teardown: %s over %s, round %d of %d: %d of %d "
            "messages arrived in order%s; destroy took %.1f ms, the last "
            "message came %.1f ms after it%s%s\n",
            burst_names[kind], transport_names[transport], round + 1, ROUNDS,
            reader.received, MESSAGES, bad, destroyed - start,
            reader.received ? reader.last_ms - destroyed : 0.0,
            reader.error ? "; the reader stopped with " : "",
            reader.error ? zpat_strerror (reader.error) : "");
    zpat_pull_destroy (&pull);
    zpat_sub_destroy (&sub);
    s_forget_endpoint (endpoint);
    ck_assert_msg (reader.bad_seq == -1 && reader.bad_size == -1,
                   "%s over %s, round %d: message #%d of %d bytes where #%d "
                   "was due",
                   burst_names[kind], transport_names[transport], round + 1,
                   reader.bad_seq, reader.bad_size, reader.received);
    ck_assert_msg (reader.received == MESSAGES,
                   "%s over %s, round %d: only %d of %d messages arrived (%s)",
                   burst_names[kind], transport_names[transport], round + 1,
                   reader.received, MESSAGES, zpat_strerror (reader.error));
    return reader.received;
}

// 1. A bound PUSH, destroyed right after its burst: a connected slow PULL
// gets every message.
START_TEST (bound_push_destroyed_delivers_its_queue)
{
    for (int round = 0; round < ROUNDS; round++)
        s_burst_round (BURST_BOUND_PUSH, (transport_t)_i, round);
}
END_TEST

// 2. A bound PUB with no high-water mark, destroyed right after its burst:
// a slow SUB subscribed to everything gets every message.
START_TEST (bound_pub_destroyed_delivers_its_queue)
{
    for (int round = 0; round < ROUNDS; round++)
        s_burst_round (BURST_BOUND_PUB, (transport_t)_i, round);
}
END_TEST

// ---------------------------------------------------------------------------
// 3. A bound REP sends an 8 MiB reply and is destroyed at once: the REQ gets
// the whole reply. Tried REPLY_ROUNDS times per transport: the REQ reads as
// fast as it can, so the reply is lost only when the REP's connection ends
// while the reply is still being written (3b makes sure it is).

// What the REQ of tests 3 and 3b asks for.
#define ASK "the big one, please"

// Returns a new REPLY_SIZE-byte reply of made-up bytes, freed with free ().
static unsigned char *
s_reply_new (void)
{
    unsigned char *reply = malloc (REPLY_SIZE);
    ck_assert_ptr_nonnull (reply);
    for (size_t i = 0; i < REPLY_SIZE; i++)
        reply[i] = (unsigned char)(i * 7u + i / 251);
    return reply;
}

// Returns a REP bound to a fresh endpoint on transport, lingering LINGER_MS,
// and writes the endpoint it really bound into endpoint (size bytes), for
// its REQ. The test destroys it.
static zpat_rep_t *
s_rep_bound (transport_t transport, char *endpoint, size_t size)
{
    char bind[260];
    s_bind_endpoint (transport, endpoint, size);
    snprintf (bind, sizeof bind, "@%s", endpoint);
    zpat_options_t rep_opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                               .linger_ms = LINGER_MS};
    zpat_rep_t *rep = zpat_rep_new (bind, &rep_opts);
    ck_assert_msg (rep, "REP bound to %s: %s", endpoint, zpat_strerror (errno));
    snprintf (endpoint, size, "%s", zpat_endpoint (rep));
    return rep;
}

// Has *rep receive ASK and send reply (REPLY_SIZE bytes), then destroys it
// at once. Stores how long the destroy took in *destroy_ms and returns the
// time (hu_now_ms) it ended.
static double
s_reply_and_destroy (zpat_rep_t **rep, const unsigned char *reply,
                     double *destroy_ms)
{
    char *request = zpat_recv_str (*rep);
    ck_assert_msg (request, "the REP got no request: %s",
                   zpat_strerror (errno));
    ck_assert_str_eq (request, ASK);
    zpat_str_free (&request);
    ck_assert_msg (zpat_send (*rep, reply, REPLY_SIZE) == 0, "reply: %s",
                   zpat_strerror (errno));
    double start = hu_now_ms ();
    zpat_rep_destroy (rep);
    double destroyed = hu_now_ms ();
    ck_assert_ptr_null (*rep);
    *destroy_ms = destroyed - start;
    return destroyed;
}

START_TEST (bound_rep_destroyed_delivers_its_last_reply)
{
    transport_t transport = (transport_t)_i;
    unsigned char *reply = s_reply_new ();
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    for (uint32_t round = 0; round < REPLY_ROUNDS; round++) {
        memcpy (reply, &round, sizeof round); // each round's reply differs
        char endpoint[256];
        zpat_rep_t *rep = s_rep_bound (transport, endpoint, sizeof endpoint);
        char connect[260];
        snprintf (connect, sizeof connect, ">%s", endpoint);
        zpat_options_t req_opts = {.recv_timeout_ms = RECV_TIMEOUT_MS};
        zpat_req_t *req = zpat_req_new (connect, &req_opts);
        ck_assert_msg (req, "REQ to %s: %s", endpoint, zpat_strerror (errno));
        ck_assert_int_eq (zpat_send_str (req, ASK), 0);
        double destroy_ms;
        double destroyed = s_reply_and_destroy (&rep, reply, &destroy_ms);
        int frames = zpat_recv_msg (req, msg);
        int error = errno;
        double arrived = hu_now_ms ();
        size_t size = frames == 1 ? zpat_msg_size (msg, 0) : 0;
        bool same = size == REPLY_SIZE &&
                    memcmp (zpat_msg_data (msg, 0), reply, REPLY_SIZE) == 0;
        printf ("[figures] teardown: bound REP destroyed after an 8 MiB "
                "reply over %s, round %u of %d: %s (%d frame(s), %zu bytes, "
                "%s); destroy took %.1f ms, the reply came %.1f ms after "
                "it\n",
                transport_names[transport], round + 1, REPLY_ROUNDS,
                same ? "the whole reply arrived" : "NO whole reply", frames,
                size, frames == -1 ? zpat_strerror (error) : "no error",
                destroy_ms, arrived - destroyed);
        zpat_req_destroy (&req);
        s_forget_endpoint (endpoint);
        ck_assert_msg (frames == 1, "round %u over %s: no reply (%s)",
                       round + 1, transport_names[transport],
                       frames == -1 ? zpat_strerror (error) : "several frames");
        ck_assert_msg (size == REPLY_SIZE,
                       "round %u over %s: a reply of %zu bytes, not %d",
                       round + 1, transport_names[transport], size, REPLY_SIZE);
        ck_assert_msg (same, "round %u over %s: the reply's bytes differ",
                       round + 1, transport_names[transport]);
    }
    zpat_msg_destroy (&msg);
    free (reply);
}
END_TEST

// ---------------------------------------------------------------------------
// 3b. The same with a REQ that starts reading only once the REP is
// destroyed: a raw ZMTP peer on a plain socket with a small receive buffer,
// so that the REP is surely still writing its reply when it is destroyed.
// tcp:// and ipc:// only (inproc:// has no socket to hold back).

// Connects a plain socket to a tcp:// or ipc:// endpoint, with a receive
// buffer of RAW_RCVBUF (set before connecting, as TCP needs) and send and
// receive timeouts of RECV_TIMEOUT_MS. Returns the descriptor.
static int
s_raw_connect (transport_t transport, const char *endpoint)
{
    int fd =
        socket (transport == TRANSPORT_TCP ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge (fd, 0);
    int rcvbuf = RAW_RCVBUF;
    ck_assert_int_eq (
        setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    int timeout_ms = RECV_TIMEOUT_MS;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc;
    if (transport == TRANSPORT_TCP) {
        struct sockaddr_in addr;
        memset (&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        int port = hu_tcp_port (endpoint);
        ck_assert_int_gt (port, 0);
        addr.sin_port = htons ((uint16_t)port);
        addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        rc = connect (fd, (struct sockaddr *)&addr, sizeof addr);
    } else {
        struct sockaddr_un addr;
        memset (&addr, 0, sizeof addr);
        addr.sun_family = AF_UNIX;
        ck_assert_uint_lt (strlen (endpoint + 6), sizeof addr.sun_path);
        strcpy (addr.sun_path, endpoint + 6);
        rc = connect (fd, (struct sockaddr *)&addr, sizeof addr);
    }
    ck_assert_msg (rc == 0, "connecting to %s: %s", endpoint, strerror (errno));
    return fd;
}

START_TEST (bound_rep_destroyed_delivers_its_last_reply_to_a_late_reader)
{
    transport_t transport = (transport_t)_i;
    unsigned char *reply = s_reply_new ();
    unsigned char *got = malloc (REPLY_SIZE);
    ck_assert_ptr_nonnull (got);
    for (uint32_t round = 0; round < REPLY_ROUNDS; round++) {
        memcpy (reply, &round, sizeof round); // each round's reply differs
        char endpoint[256];
        zpat_rep_t *rep = s_rep_bound (transport, endpoint, sizeof endpoint);
        int fd = s_raw_connect (transport, endpoint);
        ck_assert_msg (hu_handshake (fd, "REQ") == 0, "no handshake with %s",
                       endpoint);
        // A request: the REQ envelope (an empty frame), then the body.
        ck_assert_int_eq (hu_send_frame (fd, "", 0, HU_MORE), 0);
        ck_assert_int_eq (hu_send_frame (fd, ASK, strlen (ASK), 0), 0);
        double destroy_ms;
        double destroyed = s_reply_and_destroy (&rep, reply, &destroy_ms);
        // Only now read: the envelope, then the reply.
        size_t size = 0;
        int flags = 0;
        int rc = hu_recv_frame (fd, got, REPLY_SIZE, &size, &flags);
        bool envelope = rc == 0 && size == 0 && (flags & HU_MORE);
        size = 0;
        if (envelope)
            rc = hu_recv_frame (fd, got, REPLY_SIZE, &size, &flags);
        double arrived = hu_now_ms ();
        bool same = envelope && rc == 0 && size == REPLY_SIZE &&
                    !(flags & HU_MORE) && memcmp (got, reply, REPLY_SIZE) == 0;
        char what[96];
        if (!envelope)
            snprintf (what, sizeof what, "no envelope");
        else if (rc == -1)
            snprintf (what, sizeof what, "the connection ended in the reply");
        else
            snprintf (what, sizeof what, "a reply of %zu bytes%s", size,
                      same ? "" : ", not the one sent");
        printf ("[figures] teardown: bound REP destroyed after an 8 MiB "
                "reply over %s to a REQ that reads only afterwards, round %u "
                "of %d: %s (%s); destroy took %.1f ms, reading took %.1f ms "
                "after it\n",
                transport_names[transport], round + 1, REPLY_ROUNDS,
                same ? "the whole reply arrived" : "NO whole reply", what,
                destroy_ms, arrived - destroyed);
        close (fd);
        s_forget_endpoint (endpoint);
        ck_assert_msg (same, "round %u over %s: no whole reply (%s)", round + 1,
                       transport_names[transport], what);
    }
    free (got);
    free (reply);
}
END_TEST

// ---------------------------------------------------------------------------
// 4. A connected PUSH, destroyed right after its burst: the bound slow PULL
// gets every message.

START_TEST (connected_push_destroyed_delivers_its_queue)
{
    for (int round = 0; round < ROUNDS; round++)
        s_burst_round (BURST_CONNECTED_PUSH, (transport_t)_i, round);
}
END_TEST

// ---------------------------------------------------------------------------
// 5. The linger is a bound, not a hang: a bound PUSH whose connected PULL
// never reads, its queues full, is destroyed within the linger (plus a
// margin for a loaded machine).

START_TEST (destroy_with_a_stuck_reader_is_bounded_by_linger)
{
    transport_t transport = (transport_t)_i;
    char endpoint[256], bind[260], connect[260];
    s_bind_endpoint (transport, endpoint, sizeof endpoint);
    snprintf (bind, sizeof bind, "@%s", endpoint);
    zpat_options_t send_opts = {.send_hwm = STUCK_HWM,
                                .linger_ms = STUCK_LINGER_MS,
                                .send_timeout_ms = RECV_TIMEOUT_MS};
    zpat_push_t *push = zpat_push_new (bind, &send_opts);
    ck_assert_msg (push, "PUSH bound to %s: %s", endpoint,
                   zpat_strerror (errno));
    snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (push));
    snprintf (connect, sizeof connect, ">%s", endpoint);
    zpat_options_t recv_opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                                .recv_hwm = STUCK_HWM};
    zpat_pull_t *pull = zpat_pull_new (connect, &recv_opts);
    ck_assert_msg (pull, "PULL to %s: %s", endpoint, zpat_strerror (errno));
    // Connected: the hello goes through. Then the PULL reads no more.
    ck_assert_int_eq (zpat_send_str (push, "hello"), 0);
    char *hello = zpat_recv_str (pull);
    ck_assert_msg (hello, "no hello: %s", zpat_strerror (errno));
    ck_assert_str_eq (hello, "hello");
    zpat_str_free (&hello);
    // Queue until the queues and the kernel's buffers are full and a send
    // times out.
    ck_assert_int_eq (zpat_set_send_timeout_ms (push, STUCK_SEND_TIMEOUT_MS),
                      0);
    unsigned char *payload = calloc (1, STUCK_SIZE);
    ck_assert_ptr_nonnull (payload);
    int queued = 0;
    int rc = 0;
    while (queued < STUCK_MAX_SENDS &&
           (rc = zpat_send (push, payload, STUCK_SIZE)) == 0)
        queued++;
    int error = errno;
    free (payload);
    ck_assert_msg (rc == -1 && error == EAGAIN,
                   "%d messages of %d bytes and still no full queue (%s)",
                   queued, STUCK_SIZE,
                   rc ? zpat_strerror (error) : "no send timed out");
    double start = hu_now_ms ();
    zpat_push_destroy (&push);
    double took = hu_now_ms () - start;
    ck_assert_ptr_null (push);
    printf ("[figures] teardown: bound PUSH over %s with %d messages of %d "
            "bytes queued to a PULL that never reads, linger %d ms: "
            "destroy took %.1f ms (bound %d ms)\n",
            transport_names[transport], queued, STUCK_SIZE, STUCK_LINGER_MS,
            took, STUCK_LINGER_MS + STUCK_MARGIN_MS);
    ck_assert_msg (took < STUCK_LINGER_MS + STUCK_MARGIN_MS,
                   "destroy took %.0f ms with a linger of %d ms", took,
                   STUCK_LINGER_MS);
    zpat_pull_destroy (&pull);
    s_forget_endpoint (endpoint);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("teardown");

    TCase *queued = tcase_create ("queued");
    tcase_set_timeout (queued, 60 * hu_time_factor ());
    tcase_add_loop_test (queued, bound_push_destroyed_delivers_its_queue, 0, 3);
    tcase_add_loop_test (queued, bound_pub_destroyed_delivers_its_queue, 0, 3);
    tcase_add_loop_test (queued, connected_push_destroyed_delivers_its_queue, 0,
                         3);
    suite_add_tcase (suite, queued);

    TCase *reply = tcase_create ("reply");
    tcase_set_timeout (reply, 60 * hu_time_factor ());
    tcase_add_loop_test (reply, bound_rep_destroyed_delivers_its_last_reply, 0,
                         3);
    tcase_add_loop_test (
        reply, bound_rep_destroyed_delivers_its_last_reply_to_a_late_reader, 0,
        2);
    suite_add_tcase (suite, reply);

    TCase *bounded = tcase_create ("bounded");
    tcase_set_timeout (bounded, 60 * hu_time_factor ());
    tcase_add_loop_test (
        bounded, destroy_with_a_stuck_reader_is_bounded_by_linger, 0, 3);
    suite_add_tcase (suite, bounded);
    return suite;
}

int
main (void)
{
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
