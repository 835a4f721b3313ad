// subscribe_on_pub.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/subscribe_on_pub.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: subscribing on a publisher with zpat_sub_subscribe.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
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
