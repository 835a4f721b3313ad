// test_signals.c - after zpat_catch_signals, SIGINT and SIGTERM end blocking
// calls with EINTR within milliseconds, in the thread that took the signal
// and in any other, and every later blocking call at once until
// zpat_clear_interrupt acknowledges the signal (then calls wait and deliver
// again, until the next one); other signals interrupt nothing.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// How long after a signal a blocked call may take to return: the promise is
// a few milliseconds; 100 ms leaves room for a loaded 2-core machine (45
// runs beside two CPU burners stayed within it) and is scaled for valgrind.
#define WAKE_LIMIT_MS (100 * tu_time_factor ())

static const int s_signals[] = {SIGINT, SIGTERM};

static void
s_pause_ms (long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep (&pause, NULL);
}

// Waits until the thread has been seen asleep 20 times in a row, 1 ms
// apart: under valgrind, which runs one thread at a time, a thread waiting
// for its turn also shows as asleep for a moment, so one look is not enough.
static void
s_await_sleeping (const atomic_long *tid)
{
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    int seen = 0;
    while (seen < 20 && tu_now_ms () < deadline) {
        if (atomic_load (tid) && tu_thread_sleeps (atomic_load (tid)))
            seen++;
        else
            seen = 0;
        s_pause_ms (1);
    }
    ck_assert_msg (seen >= 20, "the thread never blocked");
}

// Arms a one-shot POSIX timer that sends signum to this process after
// delay_ms (and every interval_ms after that, if not 0).
static timer_t
s_arm_timer (int signum, long delay_ms, long interval_ms)
{
    struct sigevent event;
    memset (&event, 0, sizeof event);
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = signum;
    timer_t timer;
    ck_assert_int_eq (timer_create (CLOCK_MONOTONIC, &event, &timer), 0);
    struct itimerspec when = {
        {interval_ms / 1000, (interval_ms % 1000) * 1000000},
        {delay_ms / 1000, (delay_ms % 1000) * 1000000}};
    ck_assert_int_eq (timer_settime (timer, 0, &when, NULL), 0);
    return timer;
}

// ---------------------------------------------------------------------------
// Blocked calls of every kind wake up

// The blocking calls this suite interrupts, each on an object that will
// never be ready: a receive with no sender, a send with no receiver, a
// publisher waiting for a subscriber, a REQ waiting for its reply.
enum { RECV, SEND, WAIT_SUBSCRIPTIONS, REQ_RECV, OPERATIONS };

typedef struct {
    zpat_pull_t *pull;
    zpat_push_t *push;
    zpat_pub_t *pub;
    zpat_req_t *req;
    zpat_rep_t *rep;
} objects_t;

static objects_t
s_objects_new (void)
{
    objects_t o;
    char endpoint[64];
    o.pull =
        zpat_pull_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    o.push = zpat_push_new (NULL, NULL);
    o.pub =
        zpat_pub_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    o.rep =
        zpat_rep_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    o.req = zpat_req_new (endpoint, NULL);
    ck_assert (o.pull && o.push && o.pub && o.rep && o.req);
    // The REQ has sent its request; the REP will never answer.
    ck_assert_int_eq (zpat_send_str (o.req, "request"), 0);
    return o;
}

static void
s_objects_destroy (objects_t *o)
{
    zpat_req_destroy (&o->req);
    zpat_rep_destroy (&o->rep);
    zpat_pub_destroy (&o->pub);
    zpat_push_destroy (&o->push);
    zpat_pull_destroy (&o->pull);
}

// Runs one blocking call; returns its result and stores errno in *error.
static int
s_block (objects_t *o, int operation, int *error)
{
    char buf[16];
    int rc = -2;
    errno = 0;
    switch (operation) {
    case RECV:
        rc = zpat_recv (o->pull, buf, sizeof buf);
        break;
    case SEND:
        rc = zpat_send_str (o->push, "nobody takes this");
        break;
    case WAIT_SUBSCRIPTIONS:
        rc = zpat_pub_wait_subscriptions (o->pub, 1, ZPAT_WAIT_FOREVER);
        break;
    case REQ_RECV: {
        char *reply = zpat_recv_str (o->req);
        rc = reply ? 0 : -1;
        zpat_str_free (&reply);
        break;
    }
    }
    *error = errno;
    return rc;
}

static const char *const s_operation_names[] = {
    "recv", "send", "pub_wait_subscriptions", "req recv"};

// Asserts that every blocking call fails with EINTR at once.
static void
s_assert_all_fail_at_once (objects_t *o)
{
    for (int operation = 0; operation < OPERATIONS; operation++) {
        long long start = tu_now_ms ();
        int error;
        int rc = s_block (o, operation, &error);
        long long took = tu_now_ms () - start;
        ck_assert_msg (rc == -1 && error == EINTR, "later %s: %d, %s",
                       s_operation_names[operation], rc, zpat_strerror (error));
        ck_assert_msg (took < WAKE_LIMIT_MS, "later %s took %lld ms",
                       s_operation_names[operation], took);
    }
}

START_TEST (signal_wakes_blocked_call_in_same_thread)
{
    int signum = s_signals[_i % 2];
    int operation = _i / 2;
    ck_assert_int_eq (zpat_catch_signals (), 0);
    objects_t o = s_objects_new ();
    ck_assert_int_eq (zpat_interrupted (), 0);

    // The timer fires while this thread is blocked (if it fired before the
    // call started, the call must fail with EINTR at once, which passes too).
    long long fires = tu_now_ms () + 50;
    timer_t timer = s_arm_timer (signum, 50, 0);
    int error;
    int rc = s_block (&o, operation, &error);
    long long woke_after = tu_now_ms () - fires;
    timer_delete (timer);

    ck_assert_msg (rc == -1 && error == EINTR, "%s after %s: %d, %s",
                   s_operation_names[operation], strsignal (signum), rc,
                   zpat_strerror (error));
    ck_assert_msg (woke_after < WAKE_LIMIT_MS, "%s woke %lld ms after %s",
                   s_operation_names[operation], woke_after,
                   strsignal (signum));
    ck_assert_int_ne (zpat_interrupted (), 0);
    s_assert_all_fail_at_once (&o);
    s_objects_destroy (&o);
}
END_TEST

// ---------------------------------------------------------------------------
// A signal taken by one thread wakes a call blocked in another

typedef struct {
    objects_t *objects;
    int operation;
    int block_signum; // blocked in this thread, so the kernel cannot pick it
    atomic_long tid;
    atomic_int done;
    int rc, error;
    long long returned_ms;
} blocked_t;

static void *
s_blocked_thread (void *arg)
{
    blocked_t *self = arg;
    if (self->block_signum) {
        sigset_t set;
        sigemptyset (&set);
        sigaddset (&set, self->block_signum);
        pthread_sigmask (SIG_BLOCK, &set, NULL);
    }
    atomic_store (&self->tid, (long)syscall (SYS_gettid));
    self->rc = s_block (self->objects, self->operation, &self->error);
    self->returned_ms = tu_now_ms ();
    atomic_store (&self->done, 1);
    return NULL;
}

START_TEST (signal_to_another_thread_wakes_blocked_call)
{
    int signum = s_signals[_i % 2];
    int operation = _i / 2;
    ck_assert_int_eq (zpat_catch_signals (), 0);
    objects_t o = s_objects_new ();
    // The objects move to the blocked thread, and back after it ends.
    blocked_t blocked = {
        .objects = &o, .operation = operation, .block_signum = signum};
    pthread_t thread;
    ck_assert_int_eq (
        pthread_create (&thread, NULL, s_blocked_thread, &blocked), 0);
    s_await_sleeping (&blocked.tid);

    // This thread takes the signal; only the library's pipe can tell the
    // other one.
    long long sent = tu_now_ms ();
    ck_assert_int_eq (pthread_kill (pthread_self (), signum), 0);
    ck_assert_int_ne (zpat_interrupted (), 0);
    long long deadline = sent + 5000LL * tu_time_factor ();
    while (!atomic_load (&blocked.done) && tu_now_ms () < deadline)
        s_pause_ms (1);
    ck_assert_msg (atomic_load (&blocked.done),
                   "%s still blocked after %lld ms",
                   s_operation_names[operation], tu_now_ms () - sent);
    pthread_join (thread, NULL);

    ck_assert_msg (blocked.rc == -1 && blocked.error == EINTR, "%s: %d, %s",
                   s_operation_names[operation], blocked.rc,
                   zpat_strerror (blocked.error));
    long long woke_after = blocked.returned_ms - sent;
    ck_assert_msg (woke_after < WAKE_LIMIT_MS, "%s woke %lld ms after %s",
                   s_operation_names[operation], woke_after,
                   strsignal (signum));
    s_assert_all_fail_at_once (&o);
    s_objects_destroy (&o);
}
END_TEST

// ---------------------------------------------------------------------------
// Another thread signals the blocked one once it sees it blocked

typedef struct {
    pthread_t target;
    atomic_long target_tid;
    int signum;
    long long sent_ms;
} killer_t;

static void *
s_killer_thread (void *arg)
{
    killer_t *self = arg;
    s_await_sleeping (&self->target_tid);
    self->sent_ms = tu_now_ms ();
    pthread_kill (self->target, self->signum);
    return NULL;
}

START_TEST (signal_from_another_thread_wakes_blocked_recv)
{
    int signum = s_signals[_i];
    ck_assert_int_eq (zpat_catch_signals (), 0);
    objects_t o = s_objects_new ();
    killer_t killer = {.target = pthread_self (), .signum = signum};
    atomic_store (&killer.target_tid, (long)syscall (SYS_gettid));
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_killer_thread, &killer),
                      0);
    int error;
    int rc = s_block (&o, RECV, &error);
    long long returned = tu_now_ms ();
    pthread_join (thread, NULL);
    ck_assert_msg (rc == -1 && error == EINTR, "recv: %d, %s", rc,
                   zpat_strerror (error));
    ck_assert_msg (returned - killer.sent_ms < WAKE_LIMIT_MS,
                   "recv woke %lld ms after %s", returned - killer.sent_ms,
                   strsignal (signum));
    ck_assert_int_ne (zpat_interrupted (), 0);
    s_assert_all_fail_at_once (&o);
    s_objects_destroy (&o);
}
END_TEST

// ---------------------------------------------------------------------------
// Before and after the signal

START_TEST (later_blocking_calls_fail_at_once_even_with_a_message_waiting)
{
    int signum = s_signals[_i];
    ck_assert_int_eq (zpat_catch_signals (), 0);
    char endpoint[64];
    zpat_pull_t *pull =
        zpat_pull_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    ck_assert_int_eq (zpat_send_str (push, "waiting"), 0);
    ck_assert_int_eq (raise (signum), 0);
    ck_assert_int_ne (zpat_interrupted (), 0);

    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (pull));
    ck_assert_int_eq (errno, EINTR);
    errno = 0;
    ck_assert_int_eq (zpat_send_str (push, "more"), -1);
    ck_assert_int_eq (errno, EINTR);
    ck_assert_int_lt (tu_now_ms () - start, WAKE_LIMIT_MS);
    // It stays so until zpat_clear_interrupt ().
    ck_assert_int_ne (zpat_interrupted (), 0);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (catch_signals_installs_handlers_once)
{
    ck_assert_int_eq (zpat_interrupted (), 0);
    ck_assert_int_eq (zpat_catch_signals (), 0);
    ck_assert_int_eq (zpat_catch_signals (), 0);
    struct sigaction action;
    ck_assert_int_eq (sigaction (SIGINT, NULL, &action), 0);
    ck_assert (action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN);
    ck_assert_int_eq (sigaction (SIGTERM, NULL, &action), 0);
    ck_assert (action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN);
    // Installing is not being interrupted.
    ck_assert_int_eq (zpat_interrupted (), 0);
    // And objects work as before.
    char endpoint[64];
    zpat_pull_t *pull =
        zpat_pull_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    ck_assert_int_eq (zpat_send_str (push, "fine"), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "fine");
    zpat_str_free (&text);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// SIGUSR1 comes every 20 ms for three seconds (150 times), then stops: the
// handler disarms its timer (timer_settime is async-signal-safe).
#define USR1_SIGNALS 150
static atomic_int s_usr1_count;
static timer_t s_usr1_timer;

static void
s_count_usr1 (int signum)
{
    (void)signum;
    if (atomic_fetch_add (&s_usr1_count, 1) + 1 >= USR1_SIGNALS) {
        struct itimerspec stop;
        memset (&stop, 0, sizeof stop);
        timer_settime (s_usr1_timer, 0, &stop, NULL);
    }
}

// Receives on a PULL with nothing to receive and a timeout of timeout_ms,
// through SIGUSR1 every period_ms from a handler of the program's own,
// without SA_RESTART, so that the signals interrupt system calls (zpat was
// asked to catch SIGINT and SIGTERM when catching is true, never SIGUSR1).
// The receive must end with EAGAIN; returns how long it took.
static long long
s_recv_through_usr1 (bool catching, int timeout_ms, long period_ms)
{
    if (catching)
        ck_assert_int_eq (zpat_catch_signals (), 0);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_count_usr1;
    sigemptyset (&action.sa_mask);
    ck_assert_int_eq (sigaction (SIGUSR1, &action, NULL), 0);

    zpat_options_t opts = {.recv_timeout_ms = timeout_ms};
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    ck_assert_ptr_nonnull (pull);
    s_usr1_timer = s_arm_timer (SIGUSR1, period_ms, period_ms);
    long long start = tu_now_ms ();
    char buf[8];
    errno = 0;
    int rc = zpat_recv (pull, buf, sizeof buf);
    int error = errno;
    long long took = tu_now_ms () - start;
    timer_delete (s_usr1_timer);
    ck_assert_int_gt (atomic_load (&s_usr1_count), 0);
    ck_assert_msg (rc == -1 && error == EAGAIN, "recv: %d, %s", rc,
                   zpat_strerror (error));
    ck_assert_int_eq (zpat_interrupted (), 0);
    zpat_pull_destroy (&pull);
    return took;
}

START_TEST (other_signals_do_not_interrupt)
{
    // The receive waits 300 ms, through a stream of signals that each
    // interrupt the wait: it must still end after 300 ms, not start its
    // timeout again after every signal (it would then end only when the
    // signals stop, three seconds on).
    long long took = s_recv_through_usr1 (_i == 1, 300, 20);
    ck_assert_int_ge (took, 250);
    ck_assert_msg (took < 2500,
                   "a 300 ms receive took %lld ms through %d signals", took,
                   atomic_load (&s_usr1_count));
}
END_TEST

// Signals of the program's own that come just before the timeout would
// end the wait: each cuts a wait short, and a wait that started over after
// every one would never end. zpat starts the wait over once, counted from
// the first signal, so the receive ends within twice its timeout.
START_TEST (stray_signals_near_the_timeout_restart_the_wait_once)
{
    int factor = tu_time_factor ();
    int timeout = 300 * factor;
    long long took = s_recv_through_usr1 (_i == 1, timeout, 270L * factor);
    ck_assert_int_ge (took, timeout - 10);
    ck_assert_msg (took < 5 * timeout / 2,
                   "a %d ms receive took %lld ms through %d signals", timeout,
                   took, atomic_load (&s_usr1_count));
}
END_TEST

// ---------------------------------------------------------------------------
// Acknowledging the signal: zpat_clear_interrupt

// A PULL bound and a PUSH connected to it, over inproc://; the PULL waits
// forever unless told otherwise.
typedef struct {
    zpat_pull_t *pull;
    zpat_push_t *push;
} pair_t;

static pair_t
s_pair_new (void)
{
    char endpoint[64];
    pair_t pair;
    pair.pull =
        zpat_pull_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    ck_assert_ptr_nonnull (pair.pull);
    zpat_options_t opts = {.send_timeout_ms = 5000};
    pair.push = zpat_push_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pair.push);
    return pair;
}

static void
s_pair_destroy (pair_t *pair)
{
    zpat_push_destroy (&pair->push);
    zpat_pull_destroy (&pair->pull);
}

// Sends signum to this process: with raise () (to this thread) or with
// kill (getpid ()) (to the process, as Ctrl-C and `kill` do). Returns once
// the handler has run.
static void
s_signal_self (int signum, bool by_kill)
{
    if (by_kill)
        ck_assert_int_eq (kill (getpid (), signum), 0);
    else
        ck_assert_int_eq (raise (signum), 0);
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    while (!zpat_interrupted () && tu_now_ms () < deadline)
        s_pause_ms (1);
    ck_assert_msg (zpat_interrupted (), "%s never arrived", strsignal (signum));
}

// Asserts that a receive on pull fails with EINTR at once.
static void
s_assert_recv_interrupted (zpat_pull_t *pull, const char *when)
{
    long long start = tu_now_ms ();
    char buf[16];
    errno = 0;
    int rc = zpat_recv (pull, buf, sizeof buf);
    int error = errno;
    long long took = tu_now_ms () - start;
    ck_assert_msg (rc == -1 && error == EINTR, "recv %s: %d, %s", when, rc,
                   zpat_strerror (error));
    ck_assert_msg (took < WAKE_LIMIT_MS, "recv %s took %lld ms", when, took);
}

// Asserts that the pair works as if no signal had come: a message sent is
// received (the goodbye), and a receive with a timeout of timeout_ms waits
// it out and ends with EAGAIN, not EINTR.
static void
s_assert_pair_works (pair_t *pair, const char *text, int timeout_ms)
{
    ck_assert_msg (zpat_send_str (pair->push, text) == 0, "send \"%s\": %s",
                   text, zpat_strerror (errno));
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pair->pull, 5000), 0);
    char *got = zpat_recv_str (pair->pull);
    ck_assert_msg (got, "recv \"%s\": %s", text, zpat_strerror (errno));
    ck_assert_str_eq (got, text);
    zpat_str_free (&got);

    ck_assert_int_eq (zpat_set_recv_timeout_ms (pair->pull, timeout_ms), 0);
    long long start = tu_now_ms ();
    char buf[16];
    errno = 0;
    int rc = zpat_recv (pair->pull, buf, sizeof buf);
    int error = errno;
    long long took = tu_now_ms () - start;
    ck_assert_msg (rc == -1 && error == EAGAIN,
                   "a %d ms receive after clearing: %d, %s", timeout_ms, rc,
                   zpat_strerror (error));
    ck_assert_msg (took >= timeout_ms - 5,
                   "a %d ms receive after clearing ended after %lld ms",
                   timeout_ms, took);
    ck_assert_msg (took < timeout_ms + 2000LL * tu_time_factor (),
                   "a %d ms receive after clearing took %lld ms", timeout_ms,
                   took);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pair->pull, ZPAT_WAIT_FOREVER),
                      0);
}

// _i: the signal (bit 0) and how it is sent (bit 1: kill (getpid ())).
START_TEST (clear_interrupt_lets_calls_wait_and_deliver_again)
{
    int signum = s_signals[_i & 1];
    bool by_kill = _i & 2;
    ck_assert_int_eq (zpat_catch_signals (), 0);
    pair_t pair = s_pair_new ();
    ck_assert_int_eq (zpat_send_str (pair.push, "sent before"), 0);
    s_signal_self (signum, by_kill);

    // Interrupted, and it sticks: every receive and send fails at once,
    // and the message waiting is not lost.
    ck_assert_int_ne (zpat_interrupted (), 0);
    s_assert_recv_interrupted (pair.pull, "after the signal");
    s_assert_recv_interrupted (pair.pull, "again");
    errno = 0;
    ck_assert_int_eq (zpat_send_str (pair.push, "lost?"), -1);
    ck_assert_int_eq (errno, EINTR);
    ck_assert_int_ne (zpat_interrupted (), 0);

    // Acknowledged: the message that waited comes, the goodbye goes, and a
    // receive with a timeout waits it out.
    zpat_clear_interrupt ();
    ck_assert_int_eq (zpat_interrupted (), 0);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pair.pull, 5000), 0);
    char *text = zpat_recv_str (pair.pull);
    ck_assert_msg (text, "the message sent before the signal: %s",
                   zpat_strerror (errno));
    ck_assert_str_eq (text, "sent before");
    zpat_str_free (&text);
    s_assert_pair_works (&pair, "goodbye", 300);

    // A second signal interrupts again.
    s_signal_self (signum, by_kill);
    ck_assert_int_ne (zpat_interrupted (), 0);
    s_assert_recv_interrupted (pair.pull, "after a second signal");
    zpat_clear_interrupt ();
    s_assert_pair_works (&pair, "goodbye again", 50);
    s_pair_destroy (&pair);
}
END_TEST

// Twenty rounds of: a timer's signal ends a receive blocked forever, the
// signal is cleared, and the pair works as before. Every round's signal
// must still wake the blocked call (the clear leaves the wake-up path
// intact), and none must leave anything behind that ends a later wait
// early.
START_TEST (signal_clear_rounds)
{
    int signum = s_signals[_i];
    ck_assert_int_eq (zpat_catch_signals (), 0);
    pair_t pair = s_pair_new ();
    for (int round = 0; round < 20; round++) {
        long long fires = tu_now_ms () + 20;
        timer_t timer = s_arm_timer (signum, 20, 0);
        char buf[16];
        errno = 0;
        int rc = zpat_recv (pair.pull, buf, sizeof buf);
        int error = errno;
        long long woke_after = tu_now_ms () - fires;
        timer_delete (timer);
        ck_assert_msg (rc == -1 && error == EINTR, "round %d: %d, %s", round,
                       rc, zpat_strerror (error));
        ck_assert_msg (woke_after < WAKE_LIMIT_MS,
                       "round %d: woke %lld ms after %s", round, woke_after,
                       strsignal (signum));
        ck_assert_int_ne (zpat_interrupted (), 0);
        zpat_clear_interrupt ();
        ck_assert_int_eq (zpat_interrupted (), 0);
        s_assert_pair_works (&pair, "round", 30);
    }
    s_pair_destroy (&pair);
}
END_TEST

// After a signal and its clearing, a signal still wakes a receive blocked
// in another thread: sent to that thread (_i bit 1 clear), or to this one
// while the blocked thread blocks it (bit 1 set), so that only the
// library's pipe can wake the receive. Bit 0 picks the signal.
START_TEST (signal_after_clear_wakes_a_call_blocked_in_another_thread)
{
    int signum = s_signals[_i & 1];
    bool to_main = _i & 2;
    ck_assert_int_eq (zpat_catch_signals (), 0);
    objects_t o = s_objects_new ();
    s_signal_self (signum, false);
    zpat_clear_interrupt ();
    ck_assert_int_eq (zpat_interrupted (), 0);

    blocked_t blocked = {
        .objects = &o, .operation = RECV, .block_signum = to_main ? signum : 0};
    pthread_t thread;
    ck_assert_int_eq (
        pthread_create (&thread, NULL, s_blocked_thread, &blocked), 0);
    s_await_sleeping (&blocked.tid);
    long long sent = tu_now_ms ();
    ck_assert_int_eq (pthread_kill (to_main ? pthread_self () : thread, signum),
                      0);
    long long deadline = sent + 5000LL * tu_time_factor ();
    while (!atomic_load (&blocked.done) && tu_now_ms () < deadline)
        s_pause_ms (1);
    ck_assert_msg (atomic_load (&blocked.done),
                   "recv still blocked %lld ms after %s", tu_now_ms () - sent,
                   strsignal (signum));
    pthread_join (thread, NULL);
    ck_assert_msg (blocked.rc == -1 && blocked.error == EINTR, "recv: %d, %s",
                   blocked.rc, zpat_strerror (blocked.error));
    ck_assert_msg (blocked.returned_ms - sent < WAKE_LIMIT_MS,
                   "recv woke %lld ms after %s", blocked.returned_ms - sent,
                   strsignal (signum));
    ck_assert_int_ne (zpat_interrupted (), 0);
    s_objects_destroy (&o);
}
END_TEST

static void *
s_clear_thread (void *arg)
{
    (void)arg;
    zpat_clear_interrupt ();
    return NULL;
}

// zpat_clear_interrupt from another thread acknowledges the signal for
// every thread.
START_TEST (clear_interrupt_from_another_thread)
{
    ck_assert_int_eq (zpat_catch_signals (), 0);
    pair_t pair = s_pair_new ();
    s_signal_self (SIGINT, false);
    s_assert_recv_interrupted (pair.pull, "after the signal");
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_clear_thread, NULL), 0);
    pthread_join (thread, NULL);
    ck_assert_int_eq (zpat_interrupted (), 0);
    s_assert_pair_works (&pair, "cleared elsewhere", 100);
    s_pair_destroy (&pair);
}
END_TEST

// With nothing to acknowledge, before or after zpat_catch_signals: nothing
// changes, and nothing is interrupted.
START_TEST (clear_interrupt_without_a_signal_changes_nothing)
{
    zpat_clear_interrupt ();
    ck_assert_int_eq (zpat_interrupted (), 0);
    pair_t pair = s_pair_new ();
    s_assert_pair_works (&pair, "no signals caught", 100);
    ck_assert_int_eq (zpat_catch_signals (), 0);
    zpat_clear_interrupt ();
    zpat_clear_interrupt ();
    ck_assert_int_eq (zpat_interrupted (), 0);
    s_assert_pair_works (&pair, "signals caught", 100);
    s_pair_destroy (&pair);
}
END_TEST

static Suite *
signals_suite (void)
{
    Suite *suite = suite_create ("signals");
    TCase *tc = tcase_create ("wake");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, signal_wakes_blocked_call_in_same_thread, 0,
                         2 * OPERATIONS);
    tcase_add_loop_test (tc, signal_to_another_thread_wakes_blocked_call, 0,
                         2 * OPERATIONS);
    tcase_add_loop_test (tc, signal_from_another_thread_wakes_blocked_recv, 0,
                         2);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("state");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (
        tc, later_blocking_calls_fail_at_once_even_with_a_message_waiting, 0,
        2);
    tcase_add_test (tc, catch_signals_installs_handlers_once);
    tcase_add_loop_test (tc, other_signals_do_not_interrupt, 0, 2);
    tcase_add_loop_test (
        tc, stray_signals_near_the_timeout_restart_the_wait_once, 0, 2);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("clear");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, clear_interrupt_lets_calls_wait_and_deliver_again,
                         0, 4);
    tcase_add_loop_test (tc, signal_clear_rounds, 0, 2);
    tcase_add_loop_test (
        tc, signal_after_clear_wakes_a_call_blocked_in_another_thread, 0, 4);
    tcase_add_test (tc, clear_interrupt_from_another_thread);
    tcase_add_test (tc, clear_interrupt_without_a_signal_changes_nothing);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    // Each test leaves the process interrupted for good, so every test needs
    // a process of its own, even where CK_FORK=no asks otherwise (valgrind
    // follows the forks).
    return tu_run_suite (signals_suite (), CK_FORK);
}
