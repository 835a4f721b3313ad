// subscribe_on_pub.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: subscribing on a publisher with zpat_sub_subscribe.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
// EXPECT: zpat_pub_t

#include <zpat.h>

void case_subscribe_on_pub (zpat_pub_t *pub, zpat_sub_t *sub);

void
case_subscribe_on_pub (zpat_pub_t *pub, zpat_sub_t *sub)
{
#ifdef ZPAT_MISUSE
    zpat_sub_subscribe (pub, "topic");
    (void)sub;
#else
    zpat_sub_subscribe (sub, "topic");
    (void)pub;
#endif
}
