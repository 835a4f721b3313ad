// zpat_push.c - PUSH, the pipeline pusher: connects by default;
// sends only, each message to one puller.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_push {
    zpat_socket_t sock;
};

static const zpat__role_t s_role = {
    .name = "PUSH",
    .zmq_type = ZMQ_PUSH,
    .size = sizeof (zpat_push_t),
    .attach = '>',
    .sends = true,
    .receives = false,
};

zpat_push_t *
zpat_push_new_sized (const char *endpoints, const zpat_options_t *opts,
                     size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size), "zpat_push_new",
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
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}
