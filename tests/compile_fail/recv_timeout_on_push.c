// recv_timeout_on_push.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: setting a receive timeout on a pusher.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
// EXPECT: zpat_push_t

#include <zpat.h>

void case_recv_timeout_on_push (zpat_push_t *push, zpat_pull_t *pull);

void
case_recv_timeout_on_push (zpat_push_t *push, zpat_pull_t *pull)
{
#ifdef ZPAT_MISUSE
    zpat_set_recv_timeout_ms (push, 100);
    (void)pull;
#else
    zpat_set_recv_timeout_ms (pull, 100);
    (void)push;
#endif
}
