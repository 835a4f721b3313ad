// req_destroy_on_rep.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: destroying a REP with zpat_req_destroy.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
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
