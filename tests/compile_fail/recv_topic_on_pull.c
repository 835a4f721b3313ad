// recv_topic_on_pull.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving topic + payload on a puller with zpat_sub_recv_topic.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
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
