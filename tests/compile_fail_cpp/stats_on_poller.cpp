// stats_on_poller.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/stats_on_poller.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: asking a poller for an object's counters with zpat_stats.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
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
