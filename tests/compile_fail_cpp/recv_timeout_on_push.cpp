// recv_timeout_on_push.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/recv_timeout_on_push.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: setting a receive timeout on a pusher.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
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
