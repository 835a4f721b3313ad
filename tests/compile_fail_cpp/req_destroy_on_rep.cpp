// req_destroy_on_rep.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/req_destroy_on_rep.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: destroying a REP with zpat_req_destroy.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_rep_t

#include <zpat.h>

void case_req_destroy_on_rep (zpat_rep_t *rep);

void
case_req_destroy_on_rep (zpat_rep_t *rep)
{
#ifdef ZPAT_MISUSE
    zpat_req_destroy (&rep);
#else
    zpat_rep_destroy (&rep);
#endif
}
