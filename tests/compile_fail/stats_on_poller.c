// stats_on_poller.c - a misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: asking a poller for an object's counters with zpat_stats.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
// EXPECT: zpat_poller_t

#include <zpat.h>

int case_stats_on_poller (zpat_poller_t *poller, zpat_sub_t *sub);

int
case_stats_on_poller (zpat_poller_t *poller, zpat_sub_t *sub)
{
    zpat_stats_t stats;
#ifdef ZPAT_MISUSE
    (void)sub;
    return zpat_stats (poller, &stats);
#else
    (void)poller;
    return zpat_stats (sub, &stats);
#endif
}
