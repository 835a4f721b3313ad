// zpat_pull.c - PULL, the pipeline puller: binds by default;
// receives only, fairly from every pusher. With options.reliable_credit,
// the reliable puller: a DEALER that asks a reliable pusher for work and
// acknowledges each message as it asks for the next (zpat_reliable.h).
// SPDX-License-Identifier: MPL-2.0

#include "zpat_reliable.h"

// How many of its latest acknowledgements each ACK repeats: one lost (sent
// to another pusher, or not taken by libzmq) is made good by the next.
#define ACKS_REPEATED 16

struct zpat_pull {
    zpat_socket_t sock;
    // The reliable mode's state (zero in plain mode).
    uint32_t credit;
    int heartbeat_ms;
    bool owed;         // a message returned and not acknowledged yet
    uint64_t owed_seq; // its sequence number
    uint64_t recent[ACKS_REPEATED]; // the latest acknowledged, newest first
    size_t recent_count;
    bool unsent;      // libzmq could not take the last ACK
    unsigned acks;    // ACKs sent, to look at the connections now and then
    int64_t ready_ms; // when READY last went out
};

static const zpat__role_t s_role = {
    .name = "PULL",
    .zmq_type = ZMQ_PULL,
    .size = sizeof (zpat_pull_t),
    .attach = '@',
    .sends = false,
    .receives = true,
};

// Sends one frame on the reliable puller's DEALER without waiting: 0, or
// -1 with errno (EAGAIN: no connection, or its queue is full).
static int
s_send (zpat_pull_t *self, const uint8_t *data, size_t size)
{
    int rc;
    do
        rc = zmq_send (self->sock.handle, data, size, ZMQ_DONTWAIT);
    while (rc == -1 && errno == EINTR);
    return rc == -1 ? -1 : 0;
}

// How many pushers the DEALER is connected to, as far as its monitor has
// said (tcp:// and ipc://; 1 over inproc://). A DEALER sends each message
// to its connections in turn, so a message sent that many times reaches
// every pusher: the pusher whose message it acknowledges among them.
static unsigned
s_copies (zpat_pull_t *self)
{
    if (self->acks++ % 16 == 0)
        zpat__monitor_drain (&self->sock);
    uint64_t peers = self->sock.peers;
    return peers > 1 ? (peers < 64 ? (unsigned)peers : 64) : 1;
}

// Sends an ACK of the latest acknowledgements (with the credit), as many
// times as there are pushers; marks it unsent if libzmq takes none.
static void
s_send_acks (zpat_pull_t *self)
{
    uint8_t ack[ZPAT__REL_ACK_HEAD + 8 * ACKS_REPEATED];
    ack[0] = ZPAT__REL_ACK;
    zpat__put_be (ack + 1, self->credit, 4);
    for (size_t i = 0; i < self->recent_count; i++)
        zpat__put_be (ack + ZPAT__REL_ACK_HEAD + 8 * i, self->recent[i], 8);
    size_t size = ZPAT__REL_ACK_HEAD + 8 * self->recent_count;
    unsigned copies = s_copies (self);
    bool sent = false;
    for (unsigned i = 0; i < copies; i++)
        sent |= s_send (self, ack, size) == 0;
    self->unsent = !sent;
}

static void
s_flush_acks (zpat_pull_t *self)
{
    if (self->unsent)
        s_send_acks (self);
}

// Acknowledges the message owed, now or as soon as libzmq takes it.
static void
s_ack_owed (zpat_pull_t *self)
{
    if (!self->owed)
        return;
    self->owed = false;
    if (self->recent_count < ACKS_REPEATED)
        self->recent_count++;
    memmove (self->recent + 1, self->recent,
             (self->recent_count - 1) * sizeof self->recent[0]);
    self->recent[0] = self->owed_seq;
    s_send_acks (self);
}

static void
s_ready (zpat_pull_t *self)
{
    uint8_t ready[ZPAT__REL_READY_SIZE];
    ready[0] = ZPAT__REL_READY;
    zpat__put_be (ready + 1, self->credit, 4);
    unsigned copies = s_copies (self);
    for (unsigned i = 0; i < copies; i++)
        s_send (self, ready, sizeof ready);
    self->ready_ms = zpat__clock_ms ();
}

// The reliable puller's receive: acknowledges the message returned last,
// then keeps the next DATA message's frames, skipping pings (and anything
// else), and says READY (its credit) whenever it has to wait, again every
// quarter heartbeat: so that a pusher that is new, or that lost track of it
// on a reconnection, learns of it.
static int
s_reliable_recv (zpat_socket_t *sock)
{
    zpat_pull_t *self = (zpat_pull_t *)sock;
    s_ack_owed (self);
    s_flush_acks (self);
    int timeout = sock->opts.recv_timeout_ms;
    int64_t start = zpat__clock_ms ();
    int resend_ms = self->heartbeat_ms / 4 > 0 ? self->heartbeat_ms / 4 : 1;
    bool said = false;
    zmq_msg_t head;
    zmq_msg_init (&head);
    while (true) {
        int size = zmq_msg_recv (&head, sock->handle, ZMQ_DONTWAIT);
        if (size >= 0) {
            const uint8_t *data = zmq_msg_data (&head);
            bool more = zmq_msg_more (&head);
            if (size == ZPAT__REL_DATA_SIZE && data[0] == ZPAT__REL_DATA &&
                more) {
                uint64_t seq = zpat__get_be (data + 1, 8);
                if (zpat__socket_recv_body (sock, false) == -1)
                    break;
                self->owed = true;
                self->owed_seq = seq;
                if (zpat__socket_oversized (sock)) {
                    // Dropped, and acknowledged: another puller would
                    // drop it too.
                    zpat__socket_drop_kept (sock);
                    sock->dropped++;
                    s_ack_owed (self);
                    continue;
                }
                zmq_msg_close (&head);
                return 0;
            }
            bool ping = size == 1 && data[0] == ZPAT__REL_PING && !more;
            while (more &&
                   zmq_msg_recv (&head, sock->handle, ZMQ_DONTWAIT) >= 0)
                more = zmq_msg_more (&head);
            if (!ping)
                sock->dropped++;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            break;
        int64_t now = zpat__clock_ms ();
        // At once when this call starts waiting, unless one went out in
        // the last millisecond (a loop of receives that must not wait
        // would send one per call), then every quarter heartbeat.
        if (now - self->ready_ms >= (said ? resend_ms : 1)) {
            s_flush_acks (self);
            s_ready (self);
            said = true;
        }
        int wait = resend_ms;
        if (timeout == 0) {
            errno = EAGAIN;
            break;
        }
        if (timeout > 0) {
            int64_t left = start + timeout - now;
            if (left <= 0) {
                errno = EAGAIN;
                break;
            }
            if (left < wait)
                wait = (int)left;
        }
        if (zpat__socket_poll (sock, ZMQ_POLLIN, wait, false) == -1)
            break;
    }
    int saved = errno;
    zmq_msg_close (&head);
    return zpat__fail (saved);
}

static const zpat__role_t s_reliable_role = {
    .name = "PULL",
    .zmq_type = ZMQ_DEALER,
    .size = sizeof (zpat_pull_t),
    .attach = '@',
    .sends = false,
    .receives = true,
    .recv = s_reliable_recv,
};

static zpat_socket_t *
s_new_reliable (const char *endpoints, const zpat_options_t *given)
{
    zpat_options_t opts;
    int heartbeat_ms;
    zpat_socket_t *sock =
        zpat__rel_socket_new (&s_reliable_role, given, &opts, &heartbeat_ms);
    if (!sock)
        return NULL;
    zpat_pull_t *self = (zpat_pull_t *)sock;
    self->credit = (uint32_t)given->reliable_credit;
    self->heartbeat_ms = heartbeat_ms;
    int rc = zpat__socket_enter (sock);
    if (rc == 0) {
        // The last acknowledgement gets a moment to leave at destroy
        // (unless the caller set a linger).
        int linger = opts.linger_ms ? sock->opts.linger_ms : 1000;
        rc = zpat__rel_heartbeats (sock->handle, heartbeat_ms);
        if (rc == 0)
            rc = zmq_setsockopt (sock->handle, ZMQ_LINGER, &linger,
                                 sizeof linger);
        zpat__socket_leave (sock);
    }
    if (rc == 0 && endpoints)
        rc = zpat__socket_attach (sock, endpoints);
    if (rc == -1) {
        int saved = errno;
        zpat__socket_destroy (sock, &s_reliable_role);
        return zpat__fail_null (saved);
    }
    return sock;
}

static zpat_socket_t *
s_new (const char *endpoints, const zpat_options_t *opts, size_t opts_size)
{
    zpat_options_t copied;
    if (opts && zpat__options_copy (&copied, opts, opts_size) == -1)
        return NULL;
    if (opts && (copied.reliable_credit || copied.heartbeat_ms))
        return s_new_reliable (endpoints, &copied);
    return zpat__socket_new (&s_role, endpoints, opts, opts_size);
}

zpat_pull_t *
zpat_pull_new_sized (const char *endpoints, const zpat_options_t *opts,
                     size_t opts_size)
{
    return zpat__api_ptr (s_new (endpoints, opts, opts_size), "zpat_pull_new",
                          NULL, endpoints);
}

zpat_pull_t *
zpat_pull_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_pull_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_pull_destroy (zpat_pull_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zpat_pull_t *self = *self_p;
    const zpat__role_t *role =
        self->sock.role == &s_reliable_role ? &s_reliable_role : &s_role;
    if (role == &s_reliable_role && zpat__socket_check (&self->sock) &&
        (self->owed || self->unsent)) {
        // The message returned last was taken: acknowledge it.
        int saved = errno;
        if (zpat__socket_enter (&self->sock) == 0) {
            s_ack_owed (self);
            s_flush_acks (self);
            zpat__socket_leave (&self->sock);
        }
        errno = saved;
    }
    if (zpat__socket_destroy (&self->sock, role) == 0)
        *self_p = NULL;
}

static int
s_ack (zpat_pull_t *self)
{
    if (zpat__socket_is ((zpat_socket_t *)self, &s_reliable_role) == -1)
        return -1;
    if (!self->owed)
        return zpat__fail (ZPAT_EFSM);
    if (zpat__socket_enter (&self->sock) == -1)
        return -1;
    s_ack_owed (self);
    zpat__socket_leave (&self->sock);
    return 0;
}

int (zpat_pull_ack) (zpat_pull_t *self)
{
    return zpat__api_sock (s_ack (self), "zpat_pull_ack",
                           (zpat_socket_t *)self);
}
