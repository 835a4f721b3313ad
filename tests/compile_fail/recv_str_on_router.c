// recv_str_on_router.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving on a router with zpat_recv_str, which returns no peer.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
// EXPECT: zpat_router_t

#include <zpat.h>

void case_recv_str_on_router (zpat_router_t *router, zpat_peer_t *peer);

void
case_recv_str_on_router (zpat_router_t *router, zpat_peer_t *peer)
{
#ifdef ZPAT_MISUSE
    char *text = zpat_recv_str (router);
    (void)peer;
    zpat_str_free (&text);
#else
    char *text = zpat_router_recv_str (router, peer);
    zpat_str_free (&text);
#endif
}
