// recv_str_on_push.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/recv_str_on_push.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving on a pusher with zpat_recv_str.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_push_t

#include <zpat.h>

void case_recv_str_on_push (zpat_push_t *push, zpat_pull_t *pull);

void
case_recv_str_on_push (zpat_push_t *push, zpat_pull_t *pull)
{
#ifdef ZPAT_MISUSE
    char *text = zpat_recv_str (push);
    zpat_str_free (&text);
    (void)pull;
#else
    char *text = zpat_recv_str (pull);
    zpat_str_free (&text);
    (void)push;
#endif
}
