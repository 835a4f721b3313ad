// zpat_rep.c - REP, the reply (server) role: binds by default;
// receives a request, then sends its reply.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

// The libzmq socket is a ROUTER, with REP's envelope handled here: libzmq
// 4.3.4's REP can silently drop the reply to a good request after a bad
// peer. The hooks below make every receive keep the request's envelope and
// every send put it back in front of the reply, so a REP never takes the
// core's fast paths.
struct zpat_rep {
    zpat_socket_t sock;
    struct zpat_msg envelope; // the routing frames of the request
    bool replying;            // a request was received, not yet answered
    // The fast receive dropped junk: the general path, which takes over,
    // waits for the next message with what is left of the timeout.
    bool dropped_fast;
};

static int s_recv (zpat_socket_t *sock);
static int s_recv_fast (zpat_socket_t *sock, int flags);
static int s_send_envelope (zpat_socket_t *sock);
static int s_send_head_fast (zpat_socket_t *sock, int flags);

static void
s_close (zpat_socket_t *sock)
{
    zpat__msg_fini (&((zpat_rep_t *)sock)->envelope);
}

// Makes the envelope's slots now, so that the first request takes the fast
// receive too (it needs two slots at hand).
static int
s_open (zpat_socket_t *sock)
{
    return zpat__msg_slot (&((zpat_rep_t *)sock)->envelope) ? 0 : -1;
}

// A REP owes a reply after each request it hands over: until it is sent it
// can only send, and after it only receive, whatever its ROUTER could do.
static int
s_ready (zpat_socket_t *sock, int events)
{
    zpat_rep_t *self = (zpat_rep_t *)sock;
    // A request kept by a failed receive is still the caller's to take.
    if (self->replying && sock->kept == ZPAT__KEPT_NONE)
        return events & ZPAT_POLLOUT;
    return events & ZPAT_POLLIN;
}

static const zpat__role_t s_role = {
    .name = "REP",
    .zmq_type = ZMQ_ROUTER,
    .size = sizeof (zpat_rep_t),
    .attach = '@',
    .sends = true,
    .receives = true,
    .open = s_open,
    .close = s_close,
    .recv = s_recv,
    .recv_fast = s_recv_fast,
    .send_head = s_send_envelope,
    .send_head_fast = s_send_head_fast,
    .ready = s_ready,
};

zpat_rep_t *
zpat_rep_new_sized (const char *endpoints, const zpat_options_t *opts,
                    size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size), "zpat_rep_new",
        NULL, endpoints);
}

zpat_rep_t *
zpat_rep_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_rep_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_rep_destroy (zpat_rep_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}

// Frames a request's envelope may hold: the peer's routing id, any routing
// frames added by devices on the way, and the empty delimiter.
#define ENVELOPE_MAX 32

// Reads and drops what is left of a message whose frame in hand had the
// more flag set.
static void
s_skip_rest (zpat_socket_t *self, zmq_msg_t *scratch)
{
    while (zmq_msg_more (scratch) &&
           zpat__socket_transfer (self, scratch, 0, false, false) >= 0) {
    }
}

// The socket is a ROUTER: a request arrives as [routing frames..., empty
// delimiter, body frames...]. The envelope goes straight into its own slots
// and the body into the kept message, so nothing is moved twice. A message
// without a delimiter, or with no body, did not come from a REQ (or a
// DEALER speaking REQ's envelope): it is dropped here, where libzmq's REP
// would drop it and could leave its router half-way through a dropped reply,
// losing the next good one.
//
// Reads a request on from what the envelope already holds (nothing: the
// first frame waits, with the caller's timeout) and keeps its body. Returns
// 1 for a request, kept; 0 for junk, dropped; -1 with errno.
static int
s_read_request (zpat_socket_t *self)
{
    struct zpat_msg *envelope = &((zpat_rep_t *)self)->envelope;
    bool more = true, delimited = false;
    if (envelope->count) {
        zmq_msg_t *last = &envelope->frames[envelope->count - 1];
        more = zmq_msg_more (last);
        delimited = envelope->count > 1 && zmq_msg_size (last) == 0;
    }
    while (more && !delimited && envelope->count < ENVELOPE_MAX) {
        zmq_msg_t *slot = zpat__msg_slot (envelope);
        if (!slot)
            break;
        zmq_msg_init (slot);
        // Only the first frame waits, with the caller's timeout.
        int size =
            zpat__socket_transfer (self, slot, 0, false, envelope->count == 0);
        if (size == -1) {
            int saved = errno;
            zmq_msg_close (slot);
            zpat_msg_reset (envelope);
            return zpat__fail (saved);
        }
        envelope->count++;
        more = zmq_msg_more (slot);
        delimited = envelope->count > 1 && size == 0;
    }
    if (envelope->count == 0)
        return zpat__fail (ENOMEM);
    if (!delimited || !more) {
        zmq_msg_t *last = &envelope->frames[envelope->count - 1];
        s_skip_rest (self, last);
        zpat_msg_reset (envelope);
        self->dropped++;
        return 0;
    }
    if (zpat__socket_recv_body (self, false) == -1) {
        int saved = errno;
        zpat_msg_reset (envelope);
        return zpat__fail (saved);
    }
    if (zpat__socket_oversized (self)) {
        zpat__socket_drop_kept (self);
        zpat_msg_reset (envelope);
        self->dropped++;
        return 0;
    }
    return 1;
}

static int
s_recv (zpat_socket_t *self)
{
    zpat_rep_t *rep = (zpat_rep_t *)self;
    if (rep->replying)
        return zpat__fail (ZPAT_EFSM);
    bool waited = rep->dropped_fast;
    rep->dropped_fast = false;
    int64_t start = zpat__socket_wait_start (self);
    for (;; waited = true) {
        // After a dropped message, wait for the next with what is left of
        // the timeout, so that junk cannot hold the call past it.
        if (waited && zpat__socket_wait_rest (self, start) == -1)
            return -1;
        zpat_msg_reset (&rep->envelope);
        int rc = s_read_request (self);
        if (rc == -1)
            return -1;
        if (rc == 1) {
            rep->replying = true;
            return 0;
        }
    }
}

// The fast receive (the role's recv_fast): a request as a REQ sends it,
// [routing id, empty delimiter, one body frame], read in three libzmq calls
// straight into the envelope's slots and the socket's frame, sizes taken
// from what each call returns. Anything else goes on through
// s_read_request, as the general path reads it. With a receive timeout the
// wait's start is noted first (wait_from), so that junk dropped here does not
// extend the general path's wait: a clock read costs far less than a try
// that finds nothing, and a REP mostly waits for its next request.
static int
s_recv_fast (zpat_socket_t *self, int flags)
{
    zpat_rep_t *rep = (zpat_rep_t *)self;
    struct zpat_msg *envelope = &rep->envelope;
    if (rep->replying || envelope->count || envelope->capacity < 2)
        return -2; // ZPAT_EFSM, or slots to make: the general path
    // wait_from stays set only when the general path waits on (after a
    // signal, or a request dropped here).
    if (self->opts.recv_timeout_ms > 0)
        self->wait_from = zpat__clock_ms ();
    zmq_msg_t *frames = envelope->frames;
    zmq_msg_init (&frames[0]);
    if (zmq_msg_recv (&frames[0], self->handle, flags) < 0) {
        int saved = errno;
        zmq_msg_close (&frames[0]);
        if (saved == EINTR) {
            self->interrupted = true; // the general path waits on, once
            return -2;
        }
        if (saved == EAGAIN && flags & ZMQ_DONTWAIT) {
            self->tried = true; // signals caught: the general path waits
            return -2;
        }
        self->wait_from = 0;
        return zpat__fail (saved);
    }
    envelope->count = 1;
    // A ROUTER's first frame, the routing id, always has more after it; and
    // the rest of a message is there once its first frame is.
    zmq_msg_init (&frames[1]);
    int size = zmq_msg_recv (&frames[1], self->handle, 0);
    if (size < 0) {
        int saved = errno;
        zmq_msg_close (&frames[1]);
        zpat_msg_reset (envelope);
        self->wait_from = 0;
        return zpat__fail (saved);
    }
    envelope->count = 2;
    int rc;
    if (size == 0 && zmq_msg_more (&frames[1])) {
        size = zmq_msg_recv (self->frame, self->handle, 0);
        if (size >= 0 && size <= self->recv_limit &&
            !zmq_msg_more (self->frame)) {
            self->wait_from = 0;
            rep->replying = true;
            return size;
        }
        // A multipart or oversized body: kept for the general path, which
        // hands it over, or dropped.
        if (size < 0 || zpat__socket_recv_finish (self, size) == -1)
            rc = -1;
        else if (zpat__socket_oversized (self)) {
            zpat__socket_drop_kept (self);
            self->dropped++;
            rc = 0;
        } else
            rc = 1;
        if (rc != 1) {
            int saved = errno;
            zpat_msg_reset (envelope);
            errno = saved;
        }
    } else {
        // More routing frames (devices on the way), or not a request.
        rc = s_read_request (self);
    }
    if (rc == 0) {
        rep->dropped_fast = true; // the general path waits for the next
        return -2;
    }
    self->wait_from = 0;
    if (rc == -1)
        return -1;
    rep->replying = true;
    return -2; // kept: the general path hands it over
}

// Sends the kept envelope ahead of a reply's first frame: 1 (the reply's
// frames follow without waiting), or -1 with ZPAT_EFSM when no request is
// waiting for an answer. Only the first frame may wait (a ROUTER never
// does, but a signal may end the call before anything is sent).
static int
s_send_envelope (zpat_socket_t *self)
{
    zpat_rep_t *rep = (zpat_rep_t *)self;
    // A request the caller has not taken yet (kept after EMSGSIZE or
    // ZPAT_EFRAMES) has not been received: answering it now would send the
    // envelope away and leave the request to be delivered again.
    if (!rep->replying || self->kept != ZPAT__KEPT_NONE)
        return zpat__fail (ZPAT_EFSM);
    struct zpat_msg *envelope = &rep->envelope;
    for (size_t i = 0; i < envelope->count; i++) {
        if (zpat__socket_transfer (self, &envelope->frames[i], ZMQ_SNDMORE,
                                   true, i == 0) == -1)
            return -1;
    }
    // libzmq emptied each frame it took. The reply's own frames now follow
    // without waiting (a ROUTER takes a message whole), so the request is
    // answered: only the end of the context could stop them now, and no
    // call succeeds after that.
    envelope->count = 0;
    rep->replying = false;
    return 1;
}

// The fast send_head: the envelope, in one libzmq call a frame. Only the
// first can fail for a signal or a full queue (a ROUTER takes the rest of a
// message as it comes), and leaves the envelope whole for the general path
// when it does (-2). A later frame fails only when the context ends (-1).
static int
s_send_head_fast (zpat_socket_t *self, int flags)
{
    zpat_rep_t *rep = (zpat_rep_t *)self;
    if (!rep->replying || self->kept != ZPAT__KEPT_NONE)
        return -2; // the general path says ZPAT_EFSM
    struct zpat_msg *envelope = &rep->envelope;
    for (size_t i = 0; i < envelope->count; i++) {
        if (zmq_msg_send (&envelope->frames[i], self->handle,
                          ZMQ_SNDMORE | flags) == -1) {
            if (i == 0)
                return -2;
            // Only the end of the context stops a message half-way: the
            // reply goes with it, as on the general path.
            int saved = errno;
            zpat_msg_reset (envelope);
            rep->replying = false;
            return zpat__fail (saved);
        }
    }
    envelope->count = 0;
    rep->replying = false;
    return 0;
}
