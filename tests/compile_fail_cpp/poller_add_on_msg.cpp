// poller_add_on_msg.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/poller_add_on_msg.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: adding a message, not an object, to a poller with the generic
// zpat_poller_add (it takes the roles zpat_socket takes, and only those).
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: zpat_msg_t

#include <zpat.h>

int case_poller_add_on_msg (zpat_poller_t *poller, zpat_msg_t *msg,
                            zpat_pull_t *pull);

int
case_poller_add_on_msg (zpat_poller_t *poller, zpat_msg_t *msg,
                        zpat_pull_t *pull)
{
#ifdef ZPAT_MISUSE
    (void)pull;
    return zpat_poller_add (poller, msg, ZPAT_POLLIN, NULL);
#else
    (void)msg;
    return zpat_poller_add (poller, pull, ZPAT_POLLIN, NULL);
#endif
}
