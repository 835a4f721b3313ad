// allochook.h - counts the heap allocations of the whole process (libzmq's
// and czmq's included) by defining malloc, calloc and realloc in the test
// executable itself, which the dynamic linker then binds every library to.
// SPDX-License-Identifier: MPL-2.0

#ifndef ZPAT_ALLOCHOOK_H
#define ZPAT_ALLOCHOOK_H

#include <stdbool.h>
#include <stddef.h>

// ah_allocs returns the number of malloc, calloc and realloc calls so far,
// in every thread.
long ah_allocs (void);

// ah_largest returns the largest size asked for since the last
// ah_reset_largest (), and ah_reset_largest starts over.
size_t ah_largest (void);
void ah_reset_largest (void);

// ah_active tells whether the hooks see libzmq's allocations: under
// valgrind, which replaces malloc for the libraries, or a sanitizer, they do
// not, and no count can be checked.
bool ah_active (void);

#endif
