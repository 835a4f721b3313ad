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
};

static int s_recv (zpat_socket_t *sock);
static int s_send_envelope (zpat_socket_t *sock);

static void
s_close (zpat_socket_t *sock)
{
    zpat__msg_fini (&((zpat_rep_t *)sock)->envelope);
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
    .close = s_close,
    .recv = s_recv,
    .send_head = s_send_envelope,
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
static int
s_recv (zpat_socket_t *self)
{
    zpat_rep_t *rep = (zpat_rep_t *)self;
    if (rep->replying)
        return zpat__fail (ZPAT_EFSM);
    struct zpat_msg *envelope = &rep->envelope;
    int64_t start = zpat__socket_wait_start (self);
    for (bool waited = false;; waited = true) {
        // After a dropped message, wait for the next with what is left of
        // the timeout, so that junk cannot hold the call past it.
        if (waited && zpat__socket_wait_rest (self, start) == -1)
            return -1;
        zpat_msg_reset (envelope);
        bool more = true, delimited = false;
        while (more && !delimited && envelope->count < ENVELOPE_MAX) {
            zmq_msg_t *slot = zpat__msg_slot (envelope);
            if (!slot)
                break;
            zmq_msg_init (slot);
            // Only the first frame waits, with the caller's timeout.
            if (zpat__socket_transfer (self, slot, 0, false,
                                       envelope->count == 0) == -1) {
                int saved = errno;
                zmq_msg_close (slot);
                zpat_msg_reset (envelope);
                return zpat__fail (saved);
            }
            envelope->count++;
            more = zmq_msg_more (slot);
            delimited = envelope->count > 1 && zmq_msg_size (slot) == 0;
        }
        if (envelope->count == 0)
            return zpat__fail (ENOMEM);
        if (!delimited || !more) {
            zmq_msg_t *last = &envelope->frames[envelope->count - 1];
            s_skip_rest (self, last);
            self->dropped++;
            continue;
        }
        if (zpat__socket_recv_body (self, false) == -1)
            return -1;
        if (zpat__socket_oversized (self)) {
            zpat__socket_drop_kept (self);
            self->dropped++;
            continue;
        }
        rep->replying = true;
        return 0;
    }
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
