// bind_on_void_pointer.cpp - a misuse that must not compile, and its twin.
// The C++ mirror of tests/compile_fail/bind_on_void_pointer.c.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: binding through an untyped void * handle.
//
// tests/compile_fail_cpp/run.sh builds this file twice. With -DZPAT_MISUSE
// (plain -std=c++17 -c, no -Werror) it must fail, with an error about
// overloads or conversions that names the type on the EXPECT line below;
// without it, the correct twin must compile cleanly with every warning on.
// EXPECT: void

#include <zpat.h>

void case_bind_on_void_pointer (void *handle, zpat_pull_t *pull);

void
case_bind_on_void_pointer (void *handle, zpat_pull_t *pull)
{
#ifdef ZPAT_MISUSE
    zpat_bind (handle, "tcp://127.0.0.1:*");
    (void)pull;
#else
    zpat_bind (pull, "tcp://127.0.0.1:*");
    (void)handle;
#endif
}
