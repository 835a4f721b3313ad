// send_str_on_sub.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: publishing on a subscriber with zpat_send_str.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
// EXPECT: zpat_sub_t

#include <zpat.h>

void case_send_str_on_sub (zpat_pub_t *pub, zpat_sub_t *sub);

void
case_send_str_on_sub (zpat_pub_t *pub, zpat_sub_t *sub)
{
#ifdef ZPAT_MISUSE
    zpat_send_str (sub, "x");
    (void)pub;
#else
    zpat_send_str (pub, "x");
    (void)sub;
#endif
}
