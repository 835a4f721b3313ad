// bind_on_void_pointer.c - a role misuse that must not compile, and its twin.
// SPDX-License-Identifier: MPL-2.0
//
// The misuse: binding through an untyped void * handle.
//
// tests/compile_fail/run.sh builds this file twice. With -DZPAT_MISUSE (plain
// -std=c11 -c, no -Werror) it must fail, with an error about _Generic and
// the type on the EXPECT line below; without it, the correct twin must
// compile cleanly with every warning on.
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
