// zpat_router.c - ROUTER, the addressed server: binds by default; every
// message received comes with the peer that sent it, and every message sent
// goes to a peer named explicitly. Sending to a peer that is not connected
// fails with EHOSTUNREACH (ZMQ_ROUTER_MANDATORY) rather than vanishing.
// SPDX-License-Identifier: MPL-2.0
//
// The peer's routing id travels as the first frame of each message on the
// libzmq socket. The hooks below take it off every message received (into
// `from`) and put the one the caller names (`to`) in front of every message
// sent, so the core's receive and send paths serve the router's verbs.

#include "zpat_internal.h"

struct zpat_router {
    zpat_socket_t sock;
    zpat_peer_t from;      // who sent the message kept
    const zpat_peer_t *to; // the peer of the send in progress, or NULL
    bool receiving;        // a router verb's receive is in progress
};

// Receives a message's routing id into from and the rest into the kept
// message (dropping one that has no frame after the id, or an oversized
// one over inproc://, within the receive timeout). EINVAL outside the
// router's own verbs: a generic receive would lose the peer.
static int
s_recv (zpat_socket_t *sock)
{
    zpat_router_t *self = (zpat_router_t *)sock;
    if (!self->receiving)
        return zpat__fail (EINVAL);
    int64_t start = zpat__socket_wait_start (sock);
    zmq_msg_t id;
    zmq_msg_init (&id);
    for (bool waited = false;; waited = true) {
        if (waited && zpat__socket_wait_rest (sock, start) == -1)
            break;
        int size = zpat__socket_transfer (sock, &id, 0, false, true);
        if (size == -1)
            break;
        if (!zmq_msg_more (&id) || size > (int)sizeof self->from.id) {
            // Not a message from a peer (libzmq always adds the id); skip
            // whatever follows.
            while (zmq_msg_more (&id) &&
                   zpat__socket_transfer (sock, &id, 0, false, false) >= 0) {
            }
            sock->dropped++;
            continue;
        }
        memcpy (self->from.id, zmq_msg_data (&id), (size_t)size);
        self->from.size = (size_t)size;
        if (zpat__socket_recv_body (sock, false) == -1)
            break;
        if (zpat__socket_oversized (sock)) {
            zpat__socket_drop_kept (sock);
            sock->dropped++;
            continue;
        }
        zmq_msg_close (&id);
        return 0;
    }
    int saved = errno;
    zmq_msg_close (&id);
    return zpat__fail (saved);
}

// Sends the routing id of the peer named by the router verb ahead of the
// message: 1, or -1 with EINVAL (no peer named: a plain send on a router),
// EHOSTUNREACH (no such peer connected now), EAGAIN (its queue is full
// until the send timeout), EINTR, ZPAT_ETERM.
static int
s_send_to (zpat_socket_t *sock)
{
    zpat_router_t *self = (zpat_router_t *)sock;
    const zpat_peer_t *to = self->to;
    if (!to)
        return zpat__fail (EINVAL);
    zmq_msg_t id;
    if (zmq_msg_init_size (&id, to->size) == -1)
        return zpat__fail (ENOMEM);
    if (to->size)
        memcpy (zmq_msg_data (&id), to->id, to->size);
    if (zpat__socket_transfer (sock, &id, ZMQ_SNDMORE, true, true) == -1) {
        int saved = errno;
        zmq_msg_close (&id);
        return zpat__fail (saved);
    }
    return 1;
}

// Every send names its peer, and a peer that is not there is an error.
static int
s_open (zpat_socket_t *sock)
{
    int on = 1;
    if (zpat__socket_enter (sock) == -1)
        return -1;
    int rc =
        zmq_setsockopt (sock->handle, ZMQ_ROUTER_MANDATORY, &on, sizeof on);
    zpat__socket_leave (sock);
    return rc;
}

static const zpat__role_t s_role = {
    .name = "ROUTER",
    .zmq_type = ZMQ_ROUTER,
    .size = sizeof (zpat_router_t),
    .attach = '@',
    .sends = true,
    .receives = true,
    .open = s_open,
    .recv = s_recv,
    .send_head = s_send_to,
};

zpat_router_t *
zpat_router_new_sized (const char *endpoints, const zpat_options_t *opts,
                       size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size),
        "zpat_router_new", NULL, endpoints);
}

zpat_router_t *
zpat_router_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_router_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_router_destroy (zpat_router_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}

static int
s_check (zpat_router_t *self, const void *peer)
{
    if (zpat__socket_is ((zpat_socket_t *)self, &s_role) == -1)
        return -1;
    return peer ? 0 : zpat__fail (EINVAL);
}

static int
s_check_peer (zpat_router_t *self, const zpat_peer_t *peer)
{
    if (s_check (self, peer) == -1)
        return -1;
    return peer->size <= sizeof peer->id ? 0 : zpat__fail (EINVAL);
}

// Who sent the message just received (after a successful receive only:
// a failed one leaves *peer as it was).
static void
s_sender (zpat_router_t *self, zpat_peer_t *peer)
{
    peer->size = self->from.size;
    memcpy (peer->id, self->from.id, self->from.size);
}

static int
s_recv_in (zpat_router_t *self, zpat_peer_t *peer, void *buf, size_t size)
{
    if (s_check (self, peer) == -1)
        return -1;
    self->receiving = true;
    int rc = zpat__socket_recv (&self->sock, buf, size);
    self->receiving = false;
    if (rc >= 0)
        s_sender (self, peer);
    return rc;
}

int
zpat_router_recv (zpat_router_t *self, zpat_peer_t *peer, void *buf,
                  size_t size)
{
    return zpat__api_sock (s_recv_in (self, peer, buf, size),
                           "zpat_router_recv", (zpat_socket_t *)self);
}

static char *
s_recv_str_in (zpat_router_t *self, zpat_peer_t *peer)
{
    if (s_check (self, peer) == -1)
        return NULL;
    self->receiving = true;
    char *string = zpat__socket_recv_str (&self->sock);
    self->receiving = false;
    if (string)
        s_sender (self, peer);
    return string;
}

char *
zpat_router_recv_str (zpat_router_t *self, zpat_peer_t *peer)
{
    return zpat__api_sock_ptr (s_recv_str_in (self, peer),
                               "zpat_router_recv_str", (zpat_socket_t *)self);
}

static int
s_recv_msg_in (zpat_router_t *self, zpat_peer_t *peer, zpat_msg_t *msg)
{
    if (s_check (self, peer) == -1)
        return -1;
    self->receiving = true;
    int rc = zpat__socket_recv_msg (&self->sock, msg);
    self->receiving = false;
    if (rc >= 0)
        s_sender (self, peer);
    return rc;
}

int
zpat_router_recv_msg (zpat_router_t *self, zpat_peer_t *peer, zpat_msg_t *msg)
{
    return zpat__api_sock (s_recv_msg_in (self, peer, msg),
                           "zpat_router_recv_msg", (zpat_socket_t *)self);
}

static int
s_send_in (zpat_router_t *self, const zpat_peer_t *peer, const void *data,
           size_t size)
{
    if (s_check_peer (self, peer) == -1)
        return -1;
    self->to = peer;
    int rc = zpat__socket_send (&self->sock, data, size);
    self->to = NULL;
    return rc;
}

int
zpat_router_send (zpat_router_t *self, const zpat_peer_t *peer,
                  const void *data, size_t size)
{
    return zpat__api_sock (s_send_in (self, peer, data, size),
                           "zpat_router_send", (zpat_socket_t *)self);
}

static int
s_send_str_in (zpat_router_t *self, const zpat_peer_t *peer, const char *string)
{
    if (!string)
        return zpat__fail (EINVAL);
    return s_send_in (self, peer, string, strlen (string));
}

int
zpat_router_send_str (zpat_router_t *self, const zpat_peer_t *peer,
                      const char *string)
{
    return zpat__api_sock (s_send_str_in (self, peer, string),
                           "zpat_router_send_str", (zpat_socket_t *)self);
}

static int
s_send_msg_in (zpat_router_t *self, const zpat_peer_t *peer, zpat_msg_t *msg)
{
    if (s_check_peer (self, peer) == -1)
        return -1;
    self->to = peer;
    int rc = zpat__socket_send_msg (&self->sock, msg);
    self->to = NULL;
    return rc;
}

int
zpat_router_send_msg (zpat_router_t *self, const zpat_peer_t *peer,
                      zpat_msg_t *msg)
{
    return zpat__api_sock (s_send_msg_in (self, peer, msg),
                           "zpat_router_send_msg", (zpat_socket_t *)self);
}
