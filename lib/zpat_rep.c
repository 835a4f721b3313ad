// zpat_rep.c - REP, the reply (server) role: binds by default;
// receives a request, then sends its reply.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_rep {
    zpat_socket_t sock;
};

zpat_rep_t *
zpat_rep_new (const char *endpoints, const zpat_options_t *opts)
{
    return (zpat_rep_t *)zpat__socket_new (ZPAT__REP, sizeof (zpat_rep_t),
                                           endpoints, opts);
}

void
zpat_rep_destroy (zpat_rep_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, ZPAT__REP) == 0)
        *self_p = NULL;
}

// Frames a request's envelope may hold: the peer's routing id, any routing
// frames added by devices on the way, and the empty delimiter.
#define ENVELOPE_MAX 32

// The socket is a ROUTER: a request arrives as [routing frames..., empty
// delimiter, body frames...]. Split it, keep the envelope for the reply, and
// leave the body as the kept message. A message without a delimiter, or with
// no body, did not come from a REQ (or DEALER speaking REQ's envelope): it
// is refused here, where libzmq's REP would drop it and could leave its
// router half-way through a dropped reply, losing the next good one.
int
zpat__rep_take_envelope (zpat_socket_t *self)
{
    if (self->kept != ZPAT__KEPT_MULTI)
        return -1;
    struct zpat_msg *raw = &self->multi;
    size_t delimiter = 1;
    while (delimiter < raw->count && delimiter < ENVELOPE_MAX &&
           zmq_msg_size (&raw->frames[delimiter]) != 0)
        delimiter++;
    if (delimiter + 1 >= raw->count || delimiter >= ENVELOPE_MAX)
        return -1;
    zpat_msg_reset (&self->envelope);
    for (size_t i = 0; i <= delimiter; i++) {
        zmq_msg_t *slot = zpat__msg_slot (&self->envelope);
        if (!slot)
            return -1;
        zmq_msg_init (slot);
        zmq_msg_move (slot, &raw->frames[i]);
        self->envelope.count++;
    }
    size_t body = raw->count - delimiter - 1;
    if (body == 1) {
        zmq_msg_move (&self->frame, &raw->frames[delimiter + 1]);
        zpat_msg_reset (raw);
        self->kept = ZPAT__KEPT_ONE;
    } else {
        // Slide the body to the front; every frame stays initialised (a
        // moved-from frame is an empty message).
        for (size_t i = 0; i < body; i++)
            zmq_msg_move (&raw->frames[i], &raw->frames[delimiter + 1 + i]);
        for (size_t i = body; i < raw->count; i++)
            zmq_msg_close (&raw->frames[i]);
        raw->count = body;
    }
    self->replying = true;
    return 0;
}

// Sends the kept envelope ahead of a reply's first frame: ZPAT_EFSM when no
// request is waiting for an answer. Only the first frame may wait (a ROUTER
// never does, but a signal may end the call before anything is sent).
int
zpat__rep_send_envelope (zpat_socket_t *self)
{
    if (!self->replying)
        return zpat__fail (ZPAT_EFSM);
    struct zpat_msg *envelope = &self->envelope;
    for (size_t i = 0; i < envelope->count; i++) {
        if (zpat__socket_transfer (self, &envelope->frames[i], ZMQ_SNDMORE,
                                   true, i == 0) == -1)
            return -1;
    }
    // libzmq emptied each frame it took.
    envelope->count = 0;
    return 0;
}
