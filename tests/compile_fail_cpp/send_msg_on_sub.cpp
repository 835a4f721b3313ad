// send_msg_on_sub.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/send_msg_on_sub.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: sending a message on a subscriber with zpat_send_msg.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_sub_t

#include <zpat.h>

void case_send_msg_on_sub (zpat_pub_t *pub, zpat_sub_t *sub, zpat_msg_t *msg);

void
case_send_msg_on_sub (zpat_pub_t *pub, zpat_sub_t *sub, zpat_msg_t *msg)
{
#ifdef ZPAT_MISUSE
    zpat_send_msg (sub, msg);
    (void)pub;
#else
    zpat_send_msg (pub, msg);
    (void)sub;
#endif
}
