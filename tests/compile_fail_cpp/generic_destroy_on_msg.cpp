// generic_destroy_on_msg.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/generic_destroy_on_msg.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: destroying a message with the role-only zpat_destroy.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_msg_t

#include <zpat.h>

void case_generic_destroy_on_msg (zpat_msg_t *msg, zpat_push_t *push);

void
case_generic_destroy_on_msg (zpat_msg_t *msg, zpat_push_t *push)
{
#ifdef ZPAT_MISUSE
    zpat_destroy (&msg);
    (void)push;
#else
    zpat_destroy (&push);
    zpat_msg_destroy (&msg);
#endif
}
