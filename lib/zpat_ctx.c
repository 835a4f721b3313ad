// zpat_ctx.c - the process-wide context: made on first use inside czmq's
// process context, ended by zpat_shutdown () or at exit, never hanging.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static void *s_ctx;     // czmq's process context, while we use it
atomic_uint zpat__slow; // ZPAT__SLOW_ENDED is s_shut, read without the lock
static bool s_shut;     // zpat_shutdown () has ended s_ctx
static zpat_socket_t *s_live; // every socket not yet destroyed
static bool s_threads;        // libzmq has started the context's threads

// tcp:// ports released lately: libzmq closes a listener in its I/O thread
// after zmq_unbind/zmq_close return, so a quick re-bind can meet EADDRINUSE.
#define RECENT_PORTS 16
static struct {
    long port;
    int64_t when_ms;
} s_recent[RECENT_PORTS];
static size_t s_recent_next;

// At exit, close the sockets the program did not destroy, so that czmq's own
// exit handler (which runs after this one) can terminate the context: libzmq
// waits forever for a socket it does not know of, but at most the linger for
// the messages a closed socket still holds.
static void
s_at_exit (void)
{
    pthread_mutex_lock (&s_lock);
    for (zpat_socket_t *it = s_live; it; it = it->next) {
        if (it->handle) {
            zmq_close (it->handle);
            it->handle = NULL;
        }
    }
    s_live = NULL;
    pthread_mutex_unlock (&s_lock);
}

// Starts czmq's context without letting czmq take SIGINT and SIGTERM: tell
// czmq not to, and put back whatever handlers were there in case a czmq
// version installs its own anyway. Called with s_lock held.
static void *
s_start (void)
{
    struct sigaction old_int, old_term;
    pthread_mutex_lock (&zpat__signal_lock);
    sigaction (SIGINT, NULL, &old_int);
    sigaction (SIGTERM, NULL, &old_term);
    zsys_handler_set (NULL);
    void *ctx = zsys_init ();
    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);
    pthread_mutex_unlock (&zpat__signal_lock);
    // czmq registered its exit handler in zsys_init (); ours, registered
    // after it, runs before it.
    if (ctx && atexit (s_at_exit) != 0)
        return zpat__fail_null (ENOMEM);
    return ctx;
}

// libzmq starts the context's I/O and reaper threads with its first socket,
// and aborts the process (epoll.cpp) when it cannot get their descriptors.
// Make sure a handful can be had first, and report EMFILE (or ENFILE)
// instead. Returns 0 or the errno.
static int
s_descriptors_for_threads (void)
{
    int fds[6];
    int made = 0, code = 0;
    while (made < 6 && code == 0) {
        fds[made] = eventfd (0, EFD_CLOEXEC);
        if (fds[made] == -1)
            code = errno;
        else
            made++;
    }
    while (made > 0)
        close (fds[--made]);
    return code == EMFILE || code == ENFILE ? code : 0;
}

// Frees a context that was shut down once its last socket is gone, so that
// the next object starts a new one. Called with s_lock held.
static void
s_free_if_done (void)
{
    if (s_shut && !s_live) {
        zsys_shutdown ();
        s_ctx = NULL;
        s_shut = false;
        s_threads = false;
        atomic_fetch_and (&zpat__slow, ~ZPAT__SLOW_ENDED);
    }
}

int
zpat__ctx_open (zpat_socket_t *core, int type)
{
    // libzmq's first socket starts its I/O and reaper threads, which block
    // every signal only once they first run. A SIGINT arriving before then
    // could be handled there, leaving the thread the user blocked in read ()
    // on stdin uninterrupted. Threads inherit the creator's mask, so block
    // everything while they are made.
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    pthread_mutex_lock (&s_lock);
    int code = 0;
    if (s_shut)
        code = ZPAT_ETERM;
    else if (!s_ctx) {
        s_ctx = s_start ();
        if (!s_ctx)
            code = errno ? errno : ENOMEM;
    }
    if (code == 0 && !s_threads)
        code = s_descriptors_for_threads ();
    if (code == 0) {
        core->handle = zmq_socket (s_ctx, type);
        if (!core->handle)
            code = errno;
        else
            s_threads = true;
    }
    if (code == 0) {
        core->prev = NULL;
        core->next = s_live;
        if (s_live)
            s_live->prev = core;
        s_live = core;
    }
    pthread_mutex_unlock (&s_lock);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    return code ? zpat__fail (code) : 0;
}

void
zpat__ctx_close (zpat_socket_t *core)
{
    pthread_mutex_lock (&s_lock);
    if (core->handle) {
        zmq_close (core->handle);
        core->handle = NULL;
        if (core->prev)
            core->prev->next = core->next;
        else
            s_live = core->next;
        if (core->next)
            core->next->prev = core->prev;
    }
    s_free_if_done ();
    pthread_mutex_unlock (&s_lock);
}

void
zpat_shutdown (void)
{
    pthread_mutex_lock (&s_lock);
    if (s_ctx && !s_shut) {
        // Wakes every blocked call with ETERM; the sockets stay open until
        // their owners destroy them.
        zmq_ctx_shutdown (s_ctx);
        s_shut = true;
        atomic_fetch_or (&zpat__slow, ZPAT__SLOW_ENDED);
    }
    s_free_if_done ();
    pthread_mutex_unlock (&s_lock);
}

void
zpat__ctx_released (long port)
{
    pthread_mutex_lock (&s_lock);
    s_recent[s_recent_next].port = port;
    s_recent[s_recent_next].when_ms = zpat__clock_ms ();
    s_recent_next = (s_recent_next + 1) % RECENT_PORTS;
    pthread_mutex_unlock (&s_lock);
}

bool
zpat__ctx_recently_released (long port)
{
    int64_t now = zpat__clock_ms ();
    bool found = false;
    pthread_mutex_lock (&s_lock);
    for (size_t i = 0; i < RECENT_PORTS && !found; i++)
        found = s_recent[i].port == port && now - s_recent[i].when_ms < 1000;
    pthread_mutex_unlock (&s_lock);
    return found;
}
