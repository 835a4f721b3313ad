// send_on_pull.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/send_on_pull.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: sending on a puller with zpat_send.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_pull_t

#include <zpat.h>

void case_send_on_pull (zpat_push_t *push, zpat_pull_t *pull);

void
case_send_on_pull (zpat_push_t *push, zpat_pull_t *pull)
{
#ifdef ZPAT_MISUSE
    zpat_send (pull, "x", 1);
    (void)push;
#else
    zpat_send (push, "x", 1);
    (void)pull;
#endif
}
