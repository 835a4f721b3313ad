// zpat_ctx.c - the process-wide context: made on first use inside czmq's
// process context, ended by zpat_shutdown () or at exit, never hanging.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <linux/membarrier.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static void *s_ctx;     // czmq's process context, while we use it
atomic_uint zpat__slow; // ZPAT__SLOW_ENDED is s_shut, read without the lock
static bool s_shut;     // zpat_shutdown () or exit has ended s_ctx
static bool s_exited;   // the exit handler has run: no new context
static zpat_socket_t *s_live; // every socket not yet destroyed
// In a fork () child: the objects and the context inherited from the
// parent, kept only so that they stay reachable (valgrind) until destroyed.
static zpat_socket_t *s_inherited;
static void *volatile s_inherited_ctx; // volatile: written, never read
static bool s_threads; // libzmq has started the context's threads
// A socket czmq counts as open, made with each context: while it is open,
// czmq's exit handler does not wait in zmq_ctx_term () (which would wait
// forever for a socket some thread is still inside at exit). Closed as soon
// as every socket is known closed.
static void *s_pin;

// tcp:// ports released lately: libzmq closes a listener in its I/O thread
// after zmq_unbind/zmq_close return, so a quick re-bind can meet EADDRINUSE.
#define RECENT_PORTS 16
static struct {
    long port;
    int64_t when_ms;
} s_recent[RECENT_PORTS];
static size_t s_recent_next;
// The ports have a lock of their own: binds and destroys note and look up
// ports while their socket is marked busy, and must not wait for s_lock,
// which the exit handler holds while it waits for busy sockets.
static pthread_mutex_t s_ports_lock = PTHREAD_MUTEX_INITIALIZER;

// How long the exit handler waits for calls in other threads to leave
// libzmq once the context is ended (they wake with ZPAT_ETERM at once).
#define EXIT_WAIT_MS 500

// Makes every thread of the process pass a full memory barrier, so that
// the busy marks other threads set before they read zpat__slow are visible
// here (see zpat__busy). membarrier () where the kernel has it; otherwise
// changing a page's protection, which makes the kernel interrupt every CPU
// that runs a thread of this process (the same effect, more slowly).
static void
s_barrier_everywhere (void)
{
#ifdef SYS_membarrier
    if (syscall (SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return;
    if (syscall (SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
        return;
#endif
    // A page of its own, mapped once (kept for the next call) and written
    // to, then made read-only and writable again. (Not a 64 KiB-aligned
    // static array: valgrind does not read the symbols of a library whose
    // .bss is aligned so, and the profiles lose zpat's functions.)
    static void *page = MAP_FAILED;
    long size = sysconf (_SC_PAGESIZE);
    size_t length = size > 0 ? (size_t)size : 4096;
    if (page == MAP_FAILED) {
        int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
        // mmap (2): an anonymous mapping takes fd -1, which cppcheck refuses.
        // cppcheck-suppress invalidFunctionArg
        page = mmap (NULL, length, prot, flags, -1, 0);
    }
    if (page != MAP_FAILED) {
        *(volatile char *)page = 1;
        if (mprotect (page, length, PROT_READ) == 0)
            mprotect (page, length, PROT_READ | PROT_WRITE);
    }
    atomic_thread_fence (memory_order_seq_cst);
}

// At exit (the handler runs in the thread that called exit (), while every
// other thread goes on running): end the context, so that calls blocked in
// other threads return ZPAT_ETERM at once and new calls keep out of libzmq;
// wait (a little) for those calls to leave libzmq; then close every socket no
// call is inside, so that czmq's own exit handler, which runs after this one,
// can end the context within the sockets' linger. Closing a socket that
// another thread is inside would crash libzmq, and leaving one open would
// make zmq_ctx_term () wait forever: a socket still busy after the wait is
// left as it is, and czmq is told not to wait (s_pin stays open).
// Closes core's libzmq sockets: the monitor first (its libzmq end stopped
// before ours closes, or libzmq could block sending it an event), then the
// socket. The caller holds s_lock or is the exit handler.
static void
s_close_sockets (zpat_socket_t *core)
{
    if (core->monitor) {
        zmq_socket_monitor (core->handle, NULL, 0);
        zmq_close (core->monitor);
        core->monitor = NULL;
    }
    zmq_close (core->handle);
    core->handle = NULL;
}

// Stops the monitor of every socket still open, before the context is shut
// down: libzmq 4.3.4 sends each event to its monitor without checking the
// send (socket_base.cpp, monitor_event), so an event sent once the context
// is ending fails and its message is never freed. zmq_socket_monitor ()
// takes the socket's monitor lock, so this is safe while another thread is
// inside a call on the socket. The caller holds s_lock or is the exit
// handler.
static void
s_stop_monitors (void)
{
    for (zpat_socket_t *it = s_live; it; it = it->next)
        if (it->handle && it->monitor)
            zmq_socket_monitor (it->handle, NULL, 0);
}

// Exit hooks (zpat__ctx_exit_hook_add): their own lock, as a hook's work
// may make zpat calls that take s_lock.
static pthread_mutex_t s_hooks_lock = PTHREAD_MUTEX_INITIALIZER;
static zpat__exit_hook_t *s_hooks;

void
zpat__ctx_exit_hook_add (zpat__exit_hook_t *hook)
{
    pthread_mutex_lock (&s_hooks_lock);
    zpat__exit_hook_t **at = &s_hooks;
    while (*at)
        at = &(*at)->next;
    hook->next = NULL;
    *at = hook;
    pthread_mutex_unlock (&s_hooks_lock);
}

void
zpat__ctx_exit_hook_remove (zpat__exit_hook_t *hook)
{
    pthread_mutex_lock (&s_hooks_lock);
    for (zpat__exit_hook_t **at = &s_hooks; *at; at = &(*at)->next) {
        if (*at == hook) {
            *at = hook->next;
            break;
        }
    }
    pthread_mutex_unlock (&s_hooks_lock);
}

static void
s_run_exit_hooks (void)
{
    pthread_mutex_lock (&s_hooks_lock);
    for (zpat__exit_hook_t *it = s_hooks; it; it = it->next)
        it->fn (it->arg);
    pthread_mutex_unlock (&s_hooks_lock);
}

static void
s_at_exit (void)
{
    // First the work objects' own threads must finish while the context
    // runs (each bounded by its linger).
    pthread_mutex_lock (&s_lock);
    bool running = s_ctx && !s_exited && !s_shut;
    pthread_mutex_unlock (&s_lock);
    if (running)
        s_run_exit_hooks ();
    pthread_mutex_lock (&s_lock);
    bool again = s_exited;
    s_exited = true;
    if (again || !s_ctx) {
        pthread_mutex_unlock (&s_lock);
        return;
    }
    atomic_fetch_or (&zpat__slow, ZPAT__SLOW_ENDED);
    s_barrier_everywhere ();
    // A socket seen idle once is done with libzmq: any call that marks it
    // busy from now on sees ZPAT__SLOW_ENDED and keeps out. The idle ones
    // are closed before the context is ended, as a program that destroys
    // them would: ending it first loses the end of a burst still queued.
    int64_t deadline = zpat__clock_ms () + EXIT_WAIT_MS;
    size_t stuck;
    for (bool first = true;; first = false) {
        stuck = 0;
        for (zpat_socket_t *it = s_live; it; it = it->next) {
            if (!it->handle)
                continue;
            if (atomic_load_explicit (&it->busy, memory_order_acquire) == 0)
                s_close_sockets (it);
            else
                stuck++;
        }
        // Then the calls blocked in other threads wake with ZPAT_ETERM.
        if (first && stuck && !s_shut) {
            s_stop_monitors ();
            zmq_ctx_shutdown (s_ctx);
        }
        s_shut = true;
        if (stuck == 0 || zpat__clock_ms () >= deadline)
            break;
        struct timespec pause = {0, 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    // The objects stay listed (handles closed) until their owners destroy
    // them, if ever.
    if (s_pin && stuck == 0) {
        zsys_close (s_pin, NULL, 0);
        s_pin = NULL;
    } else if (s_pin)
        zsys_set_logstream (NULL); // czmq would report the pin as dangling
    if (stuck)
        fprintf (stderr,
                 "zpat: at exit, %zu object(s) still inside a call after "
                 "%d ms: left open, and no linger is waited for\n",
                 stuck, EXIT_WAIT_MS);
    s_ctx = NULL;
    pthread_mutex_unlock (&s_lock);
}

// fork (): the child gets a copy of this process's memory but none of its
// threads, so the parent's context is of no use there. Objects it inherited
// are marked (every call on them fails with ZPAT_EFORKED) and forgotten;
// the next object made starts a new context, as czmq's own fork handler
// lets it. The locks are held across fork () so the child's copy is sane.
static void
s_fork_prepare (void)
{
    pthread_mutex_lock (&s_hooks_lock);
    pthread_mutex_lock (&s_lock);
    pthread_mutex_lock (&zpat__signal_lock);
    pthread_mutex_lock (&s_ports_lock);
}

static void
s_fork_parent (void)
{
    pthread_mutex_unlock (&s_ports_lock);
    pthread_mutex_unlock (&zpat__signal_lock);
    pthread_mutex_unlock (&s_lock);
    pthread_mutex_unlock (&s_hooks_lock);
}

static void
s_fork_child (void)
{
    // The exit hooks are the parent's objects' threads: none runs here.
    s_hooks = NULL;
    zpat_socket_t *last = NULL;
    for (zpat_socket_t *it = s_live; it; it = it->next) {
        it->tag = ZPAT__TAG_FORKED;
        it->handle = NULL;
        it->monitor = NULL;
        last = it;
    }
    // The inherited objects join those of earlier generations.
    if (last) {
        last->next = s_inherited;
        if (s_inherited)
            s_inherited->prev = last;
        s_inherited = s_live;
    }
    s_live = NULL;
    if (s_ctx)
        s_inherited_ctx = s_ctx;
    s_ctx = NULL;
    s_pin = NULL;
    s_shut = false;
    s_threads = false;
    memset (s_recent, 0, sizeof s_recent);
    atomic_fetch_and (&zpat__slow, ~ZPAT__SLOW_ENDED);
    zpat__signal_after_fork ();
    pthread_mutex_unlock (&s_ports_lock);
    pthread_mutex_unlock (&zpat__signal_lock);
    pthread_mutex_unlock (&s_lock);
    pthread_mutex_unlock (&s_hooks_lock);
}

// Registered when the library is loaded, so that a process that forks
// before its first object (after zpat_catch_signals (), say) is covered.
static void __attribute__ ((constructor)) s_watch_fork (void)
{
    pthread_atfork (s_fork_prepare, s_fork_parent, s_fork_child);
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
    if (!ctx)
        return NULL;
    // czmq registered its exit handler in zsys_init (); ours, registered
    // after it, runs before it.
    if (atexit (s_at_exit) != 0)
        return zpat__fail_null (ENOMEM);
#ifdef SYS_membarrier
    // Makes the exit handler's barrier cheap; harmless where refused.
    syscall (SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
#endif
    return ctx;
}

// libzmq starts the context's I/O and reaper threads with its first socket,
// and aborts the process (epoll.cpp) when it cannot get their descriptors.
// Make sure a handful can be had first, and report EMFILE (or ENFILE)
// instead. Returns 0 or the errno.
static int
s_descriptors_for_threads (void)
{
    int fds[7];
    int made = 0, code = 0;
    while (made < 7 && code == 0) {
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
    if (s_shut && !s_live && !s_exited) {
        if (s_pin)
            zsys_close (s_pin, NULL, 0);
        s_pin = NULL;
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
    if (s_shut || s_exited)
        code = ZPAT_ETERM;
    else if (!s_ctx) {
        s_ctx = s_start ();
        if (!s_ctx)
            code = errno ? errno : ENOMEM;
    }
    if (code == 0 && !s_threads)
        code = s_descriptors_for_threads ();
    if (code == 0 && !s_pin) {
        // After the descriptor check: the first socket starts the threads.
        s_pin = zsys_socket (ZMQ_PAIR, NULL, 0);
        if (!s_pin)
            code = errno ? errno : EMFILE;
        else
            s_threads = true;
    }
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
        core->linked = true;
    }
    pthread_mutex_unlock (&s_lock);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    return code ? zpat__fail (code) : 0;
}

void *
zpat__ctx_socket (int type)
{
    // Called by an object that is marked busy (inside a bind or connect),
    // so s_lock is not taken: the exit handler holds it while it waits for
    // busy objects. The context cannot go meanwhile (this caller's object
    // keeps it), and once it has ended libzmq refuses with ETERM.
    void *ctx = __atomic_load_n (&s_ctx, __ATOMIC_ACQUIRE);
    if (!ctx || zpat__ctx_ended ())
        return zpat__fail_null (ZPAT_ETERM);
    return zmq_socket (ctx, type);
}

void
zpat__ctx_close (zpat_socket_t *core)
{
    pthread_mutex_lock (&s_lock);
    if (core->handle)
        s_close_sockets (core);
    if (core->linked) {
        zpat_socket_t **head =
            core->tag == ZPAT__TAG_FORKED ? &s_inherited : &s_live;
        if (core->prev)
            core->prev->next = core->next;
        else
            *head = core->next;
        if (core->next)
            core->next->prev = core->prev;
        core->linked = false;
    }
    s_free_if_done ();
    pthread_mutex_unlock (&s_lock);
}

bool
zpat__ctx_exiting (void)
{
    // Without the lock, which the exit handler holds while it waits.
    return __atomic_load_n (&s_exited, __ATOMIC_ACQUIRE);
}

void
zpat_shutdown (void)
{
    pthread_mutex_lock (&s_lock);
    if (s_ctx && !s_shut) {
        // Wakes every blocked call with ETERM; the sockets stay open until
        // their owners destroy them.
        s_stop_monitors ();
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
    pthread_mutex_lock (&s_ports_lock);
    s_recent[s_recent_next].port = port;
    s_recent[s_recent_next].when_ms = zpat__clock_ms ();
    s_recent_next = (s_recent_next + 1) % RECENT_PORTS;
    pthread_mutex_unlock (&s_ports_lock);
}

bool
zpat__ctx_recently_released (long port)
{
    int64_t now = zpat__clock_ms ();
    bool found = false;
    pthread_mutex_lock (&s_ports_lock);
    for (size_t i = 0; i < RECENT_PORTS && !found; i++)
        found = s_recent[i].port == port && now - s_recent[i].when_ms < 1000;
    pthread_mutex_unlock (&s_ports_lock);
    return found;
}
