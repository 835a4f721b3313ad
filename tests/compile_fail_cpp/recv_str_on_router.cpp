// recv_str_on_router.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/recv_str_on_router.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving on a router with zpat_recv_str, which returns no peer.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
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
