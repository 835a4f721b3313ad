// zpat_dealer.c - DEALER, the asynchronous requester: connects by default;
// sends and receives freely, each message to one peer in turn and from any
// peer fairly. To a REP (or through a queue device to one), a request is
// an empty frame then the body, and so is the reply that comes back.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_dealer {
    zpat_socket_t sock;
};

static const zpat__role_t s_role = {
    .name = "DEALER",
    .zmq_type = ZMQ_DEALER,
    .size = sizeof (zpat_dealer_t),
    .attach = '>',
    .sends = true,
    .receives = true,
};

zpat_dealer_t *
zpat_dealer_new_sized (const char *endpoints, const zpat_options_t *opts,
                       size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size),
        "zpat_dealer_new", NULL, endpoints);
}

zpat_dealer_t *
zpat_dealer_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_dealer_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_dealer_destroy (zpat_dealer_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}
