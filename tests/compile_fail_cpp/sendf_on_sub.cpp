// sendf_on_sub.cpp - a misuse that must not compile, and its twin.
// C++ only: zpat_sendf is a variadic template there, not a macro.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: formatting and sending on a subscriber with zpat_sendf.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_sub_t

#include <zpat.h>

void case_sendf_on_sub (zpat_pub_t *pub, zpat_sub_t *sub);

void
case_sendf_on_sub (zpat_pub_t *pub, zpat_sub_t *sub)
{
#ifdef ZPAT_MISUSE
    zpat_sendf (sub, "%d %s", 1, "x");
    (void)pub;
#else
    zpat_sendf (pub, "%d %s", 1, "x");
    zpat_sendf (pub, "no arguments, 100%%");
    (void)sub;
#endif
}
