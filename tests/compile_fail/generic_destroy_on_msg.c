// generic_destroy_on_msg.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: destroying a message with the role-only zpat_destroy.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
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
