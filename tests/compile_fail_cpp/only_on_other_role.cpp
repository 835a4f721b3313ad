// only_on_other_role.cpp - a misuse that must not compile, and its twin.
// C++ only: ZPAT_ONLY is a macro over a function template there.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: a pointer to a REP where ZPAT_ONLY asks for a REQ.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_rep_t

#include <zpat.h>

zpat_socket_t *case_only_on_other_role (zpat_req_t *req, zpat_rep_t *rep);

zpat_socket_t *
case_only_on_other_role (zpat_req_t *req, zpat_rep_t *rep)
{
#ifdef ZPAT_MISUSE
    (void)req;
    return zpat_socket (ZPAT_ONLY (zpat_req_t *, rep));
#else
    (void)rep;
    return zpat_socket (ZPAT_ONLY (zpat_req_t *, req));
#endif
}
