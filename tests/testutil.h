// testutil.h - small helpers shared by the Check suites: unique endpoint
// names, so suites can run side by side, and the runner every main () uses.
// SPDX-License-Identifier: MPL-2.0

#ifndef ZPAT_TESTUTIL_H
#define ZPAT_TESTUTIL_H

#include <zpat.h>

#include <check.h>
#include <errno.h>
#include <stddef.h>

// The transports a loop test runs once each on, in this order: register it
// with tcase_add_loop_test (tc, test, 0, TU_TRANSPORTS) and let it use
// tu_transports[_i].
#define TU_TRANSPORTS 3
extern const char *const tu_transports[TU_TRANSPORTS];

// The size of the endpoint buffers the suites fill: tu_bound_endpoint's out.
#define TU_ENDPOINT_SIZE 256

// tu_opts gives a socket bounded waits (5 s to send or receive), so that a
// lost message fails its test instead of hanging it, and a short linger
// (100 ms), so that teardown is quick.
extern const zpat_options_t tu_opts;

// tu_endpoint writes a fresh endpoint for transport ("inproc", "ipc" or
// "tcp") into buf and returns buf: a unique inproc:// name, a unique ipc://
// path, or "tcp://127.0.0.1:*" (bind it, then read the real endpoint back
// with zpat_endpoint). The ipc:// paths are in a directory of their own
// under $TMPDIR (when it is at most 20 bytes long) or /tmp, which
// tu_run_suite removes, with every socket file in it, once the tests have
// run (or, outside tu_run_suite, the process removes when it exits). It
// fails the test when the endpoint does not fit in size bytes (64 do).
char *tu_endpoint (char *buf, size_t size, const char *transport);

// tu_bound_endpoint fails the test unless sock, made by what (a name for the
// message, "zpat_pub_new") to bind wanted, exists and has an endpoint, and
// copies the endpoint it really bound (a tcp:// port resolved) into out, of
// TU_ENDPOINT_SIZE bytes, for its peers. Call it straight after the maker,
// before errno changes.
void tu_bound_endpoint (zpat_socket_t *sock, const char *what,
                        const char *wanted, char *out);

// tu_now_ms returns a monotonic clock in milliseconds.
long long tu_now_ms (void);

// tu_time_factor returns how much slower than normal this run may be: the
// ZPAT_TEST_TIME_FACTOR environment variable (the valgrind test setup sets
// it), or 1. Upper bounds on wake-up times are multiplied by it.
int tu_time_factor (void);

// tu_thread_sleeps returns non-zero once thread tid (a gettid () value) of
// this process sleeps in the kernel, that is once it is blocked in the wait
// it was about to start: read from /proc, so no guessing delay. Under
// valgrind, which runs one thread at a time, a thread waiting for its turn
// shows as asleep for a moment too: look several times in a row.
int tu_thread_sleeps (long tid);

// TU_FORKS_SAFE is 0 under AddressSanitizer, whose allocator (gcc 12's)
// does not hold its locks across fork (): a child forked while another
// thread of the parent (libzmq's, a reliable pusher's) allocates can hang
// in its first allocation. Tests that fork while zpat's threads run are
// registered only when it is 1; the valgrind leg runs them.
#if defined(__SANITIZE_ADDRESS__)
#define TU_FORKS_SAFE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_FORKS_SAFE 0
#endif
#endif
#ifndef TU_FORKS_SAFE
#define TU_FORKS_SAFE 1
#endif
// FAILS_WITH asserts that call returns -1 with errno code, and NULL_WITH
// that it returns NULL with errno code; the failure message names the call,
// what it returned and the errno it left. errno is cleared before the call.
#define FAILS_WITH(code, call)                                                 \
    do {                                                                       \
        errno = 0;                                                             \
        int rc_ = (call);                                                      \
        int errno_ = errno;                                                    \
        ck_assert_msg (rc_ == -1 && errno_ == (code),                          \
                       "%s: returned %d, errno %d (%s); wanted -1, %s", #call, \
                       rc_, errno_, zpat_strerror (errno_),                    \
                       zpat_strerror (code));                                  \
    } while (0)

#define NULL_WITH(code, call)                                                  \
    do {                                                                       \
        errno = 0;                                                             \
        const void *ptr_ = (call);                                             \
        int errno_ = errno;                                                    \
        ck_assert_msg (ptr_ == NULL && errno_ == (code),                       \
                       "%s: returned %p, errno %d (%s); wanted NULL, %s",      \
                       #call, ptr_, errno_, zpat_strerror (errno_),            \
                       zpat_strerror (code));                                  \
    } while (0)

// tu_run_suite runs every test of suite with Check's normal output, then
// frees the runner, which owns and frees suite. mode is CK_FORK_GETENV to
// leave it to the CK_FORK environment variable (Check's default), or
// CK_FORK for a process of its own per test even where CK_FORK=no is set.
// Returns EXIT_SUCCESS when every test passed, else EXIT_FAILURE: what
// main () returns.
int tu_run_suite (Suite *suite, enum fork_status mode);

#endif
