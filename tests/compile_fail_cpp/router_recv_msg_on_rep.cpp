// router_recv_msg_on_rep.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/router_recv_msg_on_rep.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving with a peer on a REP with zpat_router_recv_msg.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_rep_t

#include <zpat.h>

void case_router_recv_msg_on_rep (zpat_router_t *router, zpat_rep_t *rep,
                                  zpat_peer_t *peer, zpat_msg_t *msg);

void
case_router_recv_msg_on_rep (zpat_router_t *router, zpat_rep_t *rep,
                             zpat_peer_t *peer, zpat_msg_t *msg)
{
#ifdef ZPAT_MISUSE
    zpat_router_recv_msg (rep, peer, msg);
    (void)router;
#else
    zpat_router_recv_msg (router, peer, msg);
    (void)rep;
#endif
}
