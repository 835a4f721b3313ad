// recv_topic_on_pull.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/recv_topic_on_pull.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving topic + payload on a puller with zpat_sub_recv_topic.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_pull_t

#include <zpat.h>

void case_recv_topic_on_pull (zpat_sub_t *sub, zpat_pull_t *pull);

void
case_recv_topic_on_pull (zpat_sub_t *sub, zpat_pull_t *pull)
{
#ifdef ZPAT_MISUSE
    char *topic, *payload;
    zpat_sub_recv_topic (pull, &topic, &payload);
    (void)sub;
#else
    char *topic, *payload;
    zpat_sub_recv_topic (sub, &topic, &payload);
    (void)pull;
#endif
}
