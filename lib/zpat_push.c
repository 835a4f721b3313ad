// zpat_push.c - PUSH, the pipeline pusher: connects by default;
// sends only, each message to one puller. With options.reliable_credit, the
// reliable pusher: the same verbs over the engine of zpat_reliable_push.c.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_reliable.h"

struct zpat_push {
    zpat_socket_t sock;
    zpat__rpush_t *engine; // the reliable mode's, or NULL
};

static const zpat__role_t s_role = {
    .name = "PUSH",
    .zmq_type = ZMQ_PUSH,
    .size = sizeof (zpat_push_t),
    .attach = '>',
    .sends = true,
    .receives = false,
};

// A reliable pusher's peers connect to its engine's ROUTER, not to the
// pusher's own PAIR: zpat_bind and zpat_connect go there.
static int
s_attach_to (zpat_socket_t *sock, const char *endpoint, char mode)
{
    return zpat__rpush_attach (((zpat_push_t *)sock)->engine, endpoint, mode);
}

// The reliable mode: the application's sends go over an inproc PAIR to the
// engine's thread, whose high-water mark makes them wait.
static const zpat__role_t s_reliable_role = {
    .name = "PUSH",
    .zmq_type = ZMQ_PAIR,
    .size = sizeof (zpat_push_t),
    .attach = '>',
    .sends = true,
    .receives = false,
    .attach_to = s_attach_to,
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
    zpat_push_t *self = (zpat_push_t *)sock;
    self->engine = zpat__rpush_new (sock, endpoints, &opts,
                                    given->reliable_credit, heartbeat_ms);
    if (!self->engine) {
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

zpat_push_t *
zpat_push_new_sized (const char *endpoints, const zpat_options_t *opts,
                     size_t opts_size)
{
    return zpat__api_ptr (s_new (endpoints, opts, opts_size), "zpat_push_new",
                          NULL, endpoints);
}

zpat_push_t *
zpat_push_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_push_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_push_destroy (zpat_push_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zpat_push_t *self = *self_p;
    if (self->sock.role == &s_reliable_role &&
        (self->sock.tag == ZPAT__TAG_LIVE ||
         self->sock.tag == ZPAT__TAG_FORKED)) {
        int saved = errno;
        zpat__rpush_destroy (&self->engine, self->sock.opts.linger_ms);
        errno = saved;
        if (zpat__socket_destroy (&self->sock, &s_reliable_role) == 0)
            *self_p = NULL;
        return;
    }
    if (zpat__socket_destroy (&self->sock, &s_role) == 0)
        *self_p = NULL;
}
