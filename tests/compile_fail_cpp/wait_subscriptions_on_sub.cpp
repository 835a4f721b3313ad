// wait_subscriptions_on_sub.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/wait_subscriptions_on_sub.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: waiting for subscriptions on a subscriber.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_sub_t

#include <zpat.h>

void case_wait_subscriptions_on_sub (zpat_pub_t *pub, zpat_sub_t *sub);

void
case_wait_subscriptions_on_sub (zpat_pub_t *pub, zpat_sub_t *sub)
{
#ifdef ZPAT_MISUSE
    zpat_pub_wait_subscriptions (sub, 1, 1000);
    (void)pub;
#else
    zpat_pub_wait_subscriptions (pub, 1, 1000);
    (void)sub;
#endif
}
