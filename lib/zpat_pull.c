// zpat_pull.c - PULL, the pipeline puller: binds by default;
// receives only, fairly from every pusher.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_pull {
    zpat_socket_t sock;
};

static const zpat__role_t s_role = {
    .name = "PULL",
    .zmq_type = ZMQ_PULL,
    .size = sizeof (zpat_pull_t),
    .attach = '@',
    .sends = false,
    .receives = true,
};

zpat_pull_t *
zpat_pull_new_sized (const char *endpoints, const zpat_options_t *opts,
                     size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size), "zpat_pull_new",
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
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}
