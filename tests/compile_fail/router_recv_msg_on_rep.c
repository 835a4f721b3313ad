// router_recv_msg_on_rep.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving with a peer on a REP with zpat_router_recv_msg.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
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
