// allochook.c - malloc, calloc and realloc defined in the test executable,
// forwarding to glibc's own allocator and counting every call.
// SPDX-License-Identifier: MPL-2.0
//
// A symbol defined in the executable comes first in the dynamic linker's
// search, so libzmq, czmq and zpat all call these: no LD_PRELOAD needed.
// glibc exports its allocator under the __libc_ names, which lets the hooks
// forward without dlsym (which may itself allocate). A sanitizer's runtime
// owns malloc and mixes its blocks with glibc's, so under one the hooks are
// left out and ah_active () says so.

#include "allochook.h"

#include <stdatomic.h>
#include <zmq.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||     \
    __has_feature(memory_sanitizer)
#define AH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AH_SANITIZED 1
#endif

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t count, size_t size);
extern void *__libc_realloc (void *pointer, size_t size);
extern void __libc_free (void *pointer);

static atomic_long s_allocs;
static atomic_size_t s_largest;

#ifndef AH_SANITIZED

static void
s_count (size_t size)
{
    atomic_fetch_add_explicit (&s_allocs, 1, memory_order_relaxed);
    size_t seen = atomic_load_explicit (&s_largest, memory_order_relaxed);
    while (size > seen && !atomic_compare_exchange_weak_explicit (
                              &s_largest, &seen, size, memory_order_relaxed,
                              memory_order_relaxed)) {
        // seen now holds the newer value: compare again.
    }
}

void *
malloc (size_t size)
{
    s_count (size);
    return __libc_malloc (size);
}

void *
calloc (size_t count, size_t size)
{
    s_count (count * size);
    return __libc_calloc (count, size);
}

void *
realloc (void *pointer, size_t size)
{
    s_count (size);
    return __libc_realloc (pointer, size);
}

void
free (void *pointer)
{
    __libc_free (pointer);
}
#endif

long
ah_allocs (void)
{
    return atomic_load (&s_allocs);
}

size_t
ah_largest (void)
{
    return atomic_load (&s_largest);
}

void
ah_reset_largest (void)
{
    atomic_store (&s_largest, 0);
}

bool
ah_active (void)
{
    // Probe through libzmq, whose allocations are the ones to count: a call
    // from this executable could reach the hook even where libzmq's do not.
    long before = ah_allocs ();
    zmq_msg_t probe;
    if (zmq_msg_init_size (&probe, 4096) == -1)
        return false;
    zmq_msg_close (&probe);
    return ah_allocs () > before;
}
