// recv_on_pub.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/recv_on_pub.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: receiving on a publisher with zpat_recv.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_pub_t

#include <zpat.h>

void case_recv_on_pub (zpat_pub_t *pub, zpat_sub_t *sub);

void
case_recv_on_pub (zpat_pub_t *pub, zpat_sub_t *sub)
{
#ifdef ZPAT_MISUSE
    char buf[8];
    zpat_recv (pub, buf, sizeof buf);
    (void)sub;
#else
    char buf[8];
    zpat_recv (sub, buf, sizeof buf);
    (void)pub;
#endif
}
