// router_send_str_on_dealer.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/router_send_str_on_dealer.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: addressing a peer from a dealer with zpat_router_send_str.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_dealer_t

#include <zpat.h>

void case_router_send_str_on_dealer (zpat_router_t *router,
                                     zpat_dealer_t *dealer,
                                     const zpat_peer_t *peer);

void
case_router_send_str_on_dealer (zpat_router_t *router, zpat_dealer_t *dealer,
                                const zpat_peer_t *peer)
{
#ifdef ZPAT_MISUSE
    zpat_router_send_str (dealer, peer, "x");
    (void)router;
#else
    zpat_router_send_str (router, peer, "x");
    (void)dealer;
#endif
}
