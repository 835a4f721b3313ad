// send_topic_on_sub.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/send_topic_on_sub.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: publishing a topic on a subscriber with zpat_pub_send_topic.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_sub_t

#include <zpat.h>

void case_send_topic_on_sub (zpat_pub_t *pub, zpat_sub_t *sub);

void
case_send_topic_on_sub (zpat_pub_t *pub, zpat_sub_t *sub)
{
#ifdef ZPAT_MISUSE
    zpat_pub_send_topic (sub, "topic", "data", 4);
    (void)pub;
#else
    zpat_pub_send_topic (pub, "topic", "data", 4);
    (void)sub;
#endif
}
