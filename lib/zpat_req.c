// zpat_req.c - REQ, the request (client) role: connects by default;
// sends a request, then receives its reply.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_req {
    zpat_socket_t sock;
};

static const zpat__role_t s_role = {
    .name = "REQ",
    .zmq_type = ZMQ_REQ,
    .size = sizeof (zpat_req_t),
    .attach = '>',
    .sends = true,
    .receives = true,
    .one_reply = true,
};

zpat_req_t *
zpat_req_new_sized (const char *endpoints, const zpat_options_t *opts,
                    size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size), "zpat_req_new",
        NULL, endpoints);
}

zpat_req_t *
zpat_req_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_req_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_req_destroy (zpat_req_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}
