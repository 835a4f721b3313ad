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
