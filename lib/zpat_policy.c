// zpat_policy.c - what happens when a call fails: by default nothing (the
// call returns its error), or the process-wide handler a program installs,
// or zpat_exit_on_error's policy, which reports the failure and ends the
// program as an uncaught Python exception would.
// SPDX-License-Identifier: MPL-2.0
//
// Every public call that can fail passes its result through zpat__api_int
// or zpat__api_ptr (zpat_internal.h) on its way out, after it has left
// libzmq and released its object: the handler may exit () at once.

#include "zpat_internal.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

// glibc's short name of the program (declared by <errno.h> only with
// _GNU_SOURCE).
extern char *program_invocation_short_name;

atomic_int zpat__policy;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zpat_error_fn *s_handler;
static void *s_arg;
// Set by the first failure that ends the program through the policy.
static atomic_bool s_ending;

// Claims the end of the program for this thread. A failure that comes
// while the process is already ending (through this policy in another
// thread, or exit () elsewhere, whose handler ends the context and so fails
// the calls of other threads) does not return from here, and says nothing:
// its thread waits for the exit under way to end it.
static void
s_claim_end (void)
{
    if (atomic_exchange (&s_ending, true) || zpat__ctx_exiting ())
        for (;;)
            pause ();
}

static void
s_exit_policy (const char *call, const void *object, const char *endpoint,
               int errnum, void *arg)
{
    (void)object;
    (void)arg;
    if (errnum == EAGAIN)
        return; // a timeout the caller set, or a call told not to wait
    s_claim_end ();
    // Ctrl-C, SIGTERM, the end of input, zpat_shutdown (): quietly.
    if ((errnum == EINTR && zpat_interrupted ()) || errnum == ZPAT_ETERM ||
        (errnum == ENODATA && strcmp (call, "zpat_input") == 0))
        exit (0);
    const char *name = program_invocation_short_name;
    if (endpoint)
        fprintf (stderr, "%s: %s (%s): %s\n", name ? name : "zpat", call,
                 endpoint, zpat_strerror (errnum));
    else
        fprintf (stderr, "%s: %s: %s\n", name ? name : "zpat", call,
                 zpat_strerror (errnum));
    exit (1);
}

void
zpat_set_error_handler (zpat_error_fn *handler, void *arg)
{
    pthread_mutex_lock (&s_lock);
    s_handler = handler;
    s_arg = arg;
    atomic_store (&zpat__policy, handler != NULL);
    pthread_mutex_unlock (&s_lock);
}

int
zpat_exit_on_error (void)
{
    if (zpat_catch_signals () == -1)
        return -1; // not through the policy: it is not in force yet
    zpat_set_error_handler (s_exit_policy, NULL);
    return 0;
}

void
zpat__report (const char *call, const void *object, const char *endpoint)
{
    int saved = errno;
    pthread_mutex_lock (&s_lock);
    zpat_error_fn *handler = s_handler;
    void *arg = s_arg;
    pthread_mutex_unlock (&s_lock);
    if (handler)
        handler (call, object, endpoint, saved, arg);
    errno = saved;
}

void
zpat__report_socket (const char *call, const zpat_socket_t *self)
{
    // Once exit () is under way its handler may be closing the object: it
    // is named no more.
    zpat__report (call, self,
                  zpat__ctx_exiting () ? NULL : zpat__socket_name (self));
}
