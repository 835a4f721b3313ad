// test_context.c - the shared context: zpat_shutdown wakes blocked calls and
// ends every object's use, a fresh context follows the last destroy, leaving
// the process delivers what was sent and never hangs (a thread blocked in a
// receive included), and no signal handler is installed behind the user's
// back.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
s_pause_ms (long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep (&pause, NULL);
}

// How long after zpat_shutdown a blocked call may take to return: the
// 100 ms promised (the wake-up itself takes a few milliseconds), scaled for
// valgrind. 45 runs beside two CPU burners stayed within it.
#define WAKE_LIMIT_MS (100LL * tu_time_factor ())

// The slack allowed on top of a linger for a process to exit, for loaded
// machines, and scaled for valgrind (which also checks for leaks at exit).
#define EXIT_SLACK_MS (2000LL * tu_time_factor ())

// A round trip over a fresh inproc:// pair, to show zpat works.
static void
s_assert_round_trip (void)
{
    char endpoint[64];
    zpat_options_t opts = {.recv_timeout_ms = 5000};
    zpat_pull_t *pull = zpat_pull_new (
        tu_endpoint (endpoint, sizeof endpoint, "inproc"), &opts);
    ck_assert_msg (pull, "pull: %s", zpat_strerror (errno));
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    ck_assert_msg (push, "push: %s", zpat_strerror (errno));
    ck_assert_int_eq (zpat_send_str (push, "round trip"), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "round trip");
    zpat_str_free (&text);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}

// ---------------------------------------------------------------------------
// zpat_shutdown

typedef struct {
    zpat_pull_t *pull;
    atomic_long tid;
    atomic_int done;
    int rc, error;
    long long returned_ms;
} blocked_t;

static void *
s_blocked_receiver (void *arg)
{
    blocked_t *self = arg;
    atomic_store (&self->tid, (long)syscall (SYS_gettid));
    char buf[16];
    self->rc = zpat_recv (self->pull, buf, sizeof buf);
    self->error = errno;
    self->returned_ms = tu_now_ms ();
    atomic_store (&self->done, 1);
    return NULL;
}

START_TEST (shutdown_wakes_blocked_recv_with_eterm)
{
    char endpoint[64];
    blocked_t blocked = {0};
    blocked.pull =
        zpat_pull_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    ck_assert_ptr_nonnull (blocked.pull);
    pthread_t thread;
    ck_assert_int_eq (
        pthread_create (&thread, NULL, s_blocked_receiver, &blocked), 0);

    // Wait until the receiver is blocked in zpat_recv (no message will ever
    // come: it waits for ever).
    // Seen asleep 20 times in a row, 1 ms apart: under valgrind, which runs
    // one thread at a time, a thread waiting for its turn also looks asleep.
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    int seen = 0;
    while (seen < 20 && tu_now_ms () < deadline) {
        if (atomic_load (&blocked.tid) &&
            tu_thread_sleeps (atomic_load (&blocked.tid)))
            seen++;
        else
            seen = 0;
        s_pause_ms (1);
    }
    ck_assert_int_ge (seen, 20);
    ck_assert_int_eq (atomic_load (&blocked.done), 0);

    long long start = tu_now_ms ();
    zpat_shutdown ();
    deadline = start + 5000LL * tu_time_factor ();
    while (!atomic_load (&blocked.done) && tu_now_ms () < deadline)
        s_pause_ms (1);
    ck_assert_msg (atomic_load (&blocked.done),
                   "the receiver is still blocked %lld ms after zpat_shutdown",
                   tu_now_ms () - start);
    pthread_join (thread, NULL);
    ck_assert_int_eq (blocked.rc, -1);
    ck_assert_int_eq (blocked.error, ZPAT_ETERM);
    long long woke_after = blocked.returned_ms - start;
    ck_assert_msg (woke_after < WAKE_LIMIT_MS,
                   "woke %lld ms after zpat_shutdown", woke_after);

    zpat_pull_destroy (&blocked.pull);
    s_assert_round_trip ();
}
END_TEST

START_TEST (calls_after_shutdown_fail_with_eterm)
{
    char rep_endpoint[64], pub_endpoint[64], pull_endpoint[64];
    zpat_rep_t *rep = zpat_rep_new (
        tu_endpoint (rep_endpoint, sizeof rep_endpoint, "inproc"), NULL);
    zpat_req_t *req = zpat_req_new (rep_endpoint, NULL);
    zpat_pub_t *pub = zpat_pub_new (
        tu_endpoint (pub_endpoint, sizeof pub_endpoint, "inproc"), NULL);
    zpat_sub_t *sub = zpat_sub_new (pub_endpoint, "", NULL);
    zpat_pull_t *pull = zpat_pull_new (
        tu_endpoint (pull_endpoint, sizeof pull_endpoint, "inproc"), NULL);
    zpat_push_t *push = zpat_push_new (pull_endpoint, NULL);
    ck_assert (rep && req && pub && sub && pull && push);

    zpat_shutdown ();

    // Calls that only change settings come first, before any send or
    // receive has had a chance to notice the shutdown.
    FAILS_WITH (ZPAT_ETERM, zpat_sub_subscribe (sub, "more"));
    FAILS_WITH (ZPAT_ETERM, zpat_sub_unsubscribe (sub, ""));
    FAILS_WITH (ZPAT_ETERM, zpat_set_linger_ms (req, 10));
    FAILS_WITH (ZPAT_ETERM, zpat_set_send_hwm (push, 10));
    FAILS_WITH (ZPAT_ETERM, zpat_set_recv_timeout_ms (pull, 10));
    FAILS_WITH (ZPAT_ETERM, zpat_pub_subscriptions (pub));

    char endpoint[64];
    FAILS_WITH (
        ZPAT_ETERM,
        zpat_bind (rep, tu_endpoint (endpoint, sizeof endpoint, "inproc")));
    FAILS_WITH (ZPAT_ETERM, zpat_connect (req, endpoint));
    FAILS_WITH (ZPAT_ETERM, zpat_send_str (req, "x"));
    FAILS_WITH (ZPAT_ETERM, zpat_sendf (push, "%d", 1));
    zpat_frame_t frames[2] = {{"a", 1}, {"b", 1}};
    FAILS_WITH (ZPAT_ETERM, zpat_send_frames (push, frames, 2));
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "kept"), 0);
    FAILS_WITH (ZPAT_ETERM, zpat_send_msg (push, msg));
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    FAILS_WITH (ZPAT_ETERM, zpat_pub_send_topic (pub, "t", "d", 1));
    FAILS_WITH (ZPAT_ETERM, zpat_pub_wait_subscriptions (pub, 1, 100));
    char buf[8];
    FAILS_WITH (ZPAT_ETERM, zpat_recv (pull, buf, sizeof buf));
    NULL_WITH (ZPAT_ETERM, zpat_recv_str (rep));
    FAILS_WITH (ZPAT_ETERM, zpat_recv_msg (pull, msg));
    char *topic = NULL, *payload = NULL;
    FAILS_WITH (ZPAT_ETERM, zpat_sub_recv_topic (sub, &topic, &payload));
    ck_assert_ptr_null (topic);

    // They must still be destroyed, and destroying them does not hang.
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
    s_assert_round_trip ();
}
END_TEST

START_TEST (constructors_fail_with_eterm_until_last_destroy)
{
    zpat_pull_t *old_pull = zpat_pull_new (NULL, NULL);
    zpat_sub_t *old_sub = zpat_sub_new (NULL, "", NULL);
    ck_assert (old_pull && old_sub);
    zpat_shutdown ();

    for (int round = 0; round < 2; round++) {
        NULL_WITH (ZPAT_ETERM, zpat_req_new (NULL, NULL));
        NULL_WITH (ZPAT_ETERM, zpat_rep_new (NULL, NULL));
        NULL_WITH (ZPAT_ETERM, zpat_pub_new (NULL, NULL));
        NULL_WITH (ZPAT_ETERM, zpat_sub_new (NULL, NULL, NULL));
        NULL_WITH (ZPAT_ETERM, zpat_push_new (NULL, NULL));
        NULL_WITH (ZPAT_ETERM, zpat_pull_new ("inproc://never", NULL));
        // One old object gone, one left: still ended.
        zpat_pull_destroy (&old_pull);
    }
    // Shutting down again changes nothing.
    zpat_shutdown ();
    NULL_WITH (ZPAT_ETERM, zpat_push_new (NULL, NULL));

    // The last one gone, the next constructor starts a fresh context.
    zpat_sub_destroy (&old_sub);
    s_assert_round_trip ();
    s_assert_round_trip ();
}
END_TEST

START_TEST (shutdown_without_objects_is_harmless)
{
    // Before any object was ever made, twice.
    zpat_shutdown ();
    zpat_shutdown ();
    s_assert_round_trip ();
    // After every object is gone, twice.
    zpat_shutdown ();
    zpat_shutdown ();
    s_assert_round_trip ();
    // And objects made after it are not affected by the earlier calls.
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL);
    ck_assert_ptr_nonnull (pull);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, ZPAT_WAIT_NONE), 0);
    char buf[8];
    FAILS_WITH (EAGAIN, zpat_recv (pull, buf, sizeof buf));
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (shutdown_and_fresh_context_repeat)
{
    for (int round = 0; round < 5; round++) {
        zpat_push_t *push = zpat_push_new (NULL, NULL);
        ck_assert_ptr_nonnull (push);
        zpat_shutdown ();
        FAILS_WITH (ZPAT_ETERM, zpat_send_str (push, "x"));
        zpat_push_destroy (&push);
        s_assert_round_trip ();
    }
}
END_TEST

// ---------------------------------------------------------------------------
// Leaving the process

// Waits up to timeout_ms for child to exit; returns its status, or -1 after
// killing it.
static int
s_wait_child (pid_t child, long long timeout_ms)
{
    long long deadline = tu_now_ms () + timeout_ms;
    int status;
    while (tu_now_ms () < deadline) {
        pid_t got = waitpid (child, &status, WNOHANG);
        if (got == child)
            return status;
        s_pause_ms (2);
    }
    kill (child, SIGKILL);
    waitpid (child, &status, 0);
    return -1;
}

// The child's part: read where to send from the pipe, send one message and
// leave with exit () without destroying anything, as returning from main ()
// would. Besides the pusher it leaves a bound puller and a subscriber behind.
static void
s_child_sends_and_exits (int pipe_fd, int linger_ms)
{
    char endpoint[256] = "";
    ssize_t size = read (pipe_fd, endpoint, sizeof endpoint - 1);
    if (size <= 0)
        _exit (10);
    endpoint[size] = 0;
    zpat_options_t opts = {.linger_ms = linger_ms};
    zpat_push_t *push = zpat_push_new (endpoint, &opts);
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", NULL);
    zpat_sub_t *sub = zpat_sub_new (endpoint, "", NULL);
    if (!push || !pull || !sub)
        _exit (11);
    if (zpat_send_str (push, "last words") != 0)
        _exit (12);
    exit (0);
}

// Forks a child that runs s_child_sends_and_exits against endpoint; returns
// its pid, with the endpoint already passed on.
static pid_t
s_fork_sender (const char *endpoint, int linger_ms)
{
    // The child must make its own context: fork before this process makes
    // one, or after ending it (under CK_FORK=no earlier tests made one).
    zpat_shutdown ();
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    fflush (NULL);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (fds[1]);
        s_child_sends_and_exits (fds[0], linger_ms);
    }
    close (fds[0]);
    ck_assert_int_eq (write (fds[1], endpoint, strlen (endpoint)),
                      (ssize_t)strlen (endpoint));
    close (fds[1]);
    return child;
}

START_TEST (leaving_main_delivers_the_last_message_and_exits_promptly)
{
    // Fork first: the puller, and this process's context, come after.
    char ipc[80];
    tu_endpoint (ipc, sizeof ipc, "ipc");
    const char *endpoint = _i == 0 ? "tcp://127.0.0.1:*" : ipc;
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    zpat_shutdown ();
    fflush (NULL);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (fds[1]);
        s_child_sends_and_exits (fds[0], 0);
    }
    close (fds[0]);

    zpat_options_t opts = {.recv_timeout_ms = 5000 * tu_time_factor ()};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pull);
    const char *bound = zpat_endpoint (pull);
    long long start = tu_now_ms ();
    ck_assert_int_eq (write (fds[1], bound, strlen (bound)),
                      (ssize_t)strlen (bound));
    close (fds[1]);

    char *text = zpat_recv_str (pull);
    ck_assert_msg (text, "the child's last message did not arrive: %s",
                   zpat_strerror (errno));
    ck_assert_str_eq (text, "last words");
    zpat_str_free (&text);

    int status = s_wait_child (child, 10000LL * tu_time_factor ());
    long long elapsed = tu_now_ms () - start;
    ck_assert_msg (status != -1, "the child did not exit in %lld ms", elapsed);
    ck_assert (WIFEXITED (status));
    ck_assert_int_eq (WEXITSTATUS (status), 0);
    // Delivered, so there is nothing to linger for.
    ck_assert_msg (elapsed < ZPAT_DEFAULT_LINGER_MS + EXIT_SLACK_MS,
                   "the child took %lld ms to exit", elapsed);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (leaving_main_with_an_absent_peer_waits_at_most_the_linger)
{
    // Nobody ever binds the endpoint: the message cannot leave, and exit
    // waits the linger, no longer.
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "ipc");
    const int lingers[] = {0, 300}; // 0 is the default, 1,000 ms
    long long start = tu_now_ms ();
    pid_t child = s_fork_sender (endpoint, lingers[_i]);
    int status = s_wait_child (child, 15000LL * tu_time_factor ());
    long long elapsed = tu_now_ms () - start;
    ck_assert_msg (status != -1, "the child did not exit in %lld ms", elapsed);
    ck_assert (WIFEXITED (status));
    ck_assert_int_eq (WEXITSTATUS (status), 0);
    long long linger = lingers[_i] ? lingers[_i] : ZPAT_DEFAULT_LINGER_MS;
    ck_assert_msg (elapsed < linger + EXIT_SLACK_MS,
                   "the child took %lld ms to exit with a linger of %lld ms",
                   elapsed, linger);
}
END_TEST

// The child's part: a thread blocked in a receive with no timeout (its PULL
// bound to endpoint, with an idle PUSH connected to it, so that a tcp:// or
// ipc:// one has connections and a monitor), and exit (0) from the main
// thread once that receive sleeps in the kernel. The thread reports the
// errno its receive ended with on report_fd, if it gets the chance before
// the process ends. The objects stay in globals, reachable for leak
// checkers: the process leaves them to exit on purpose.
static zpat_pull_t *s_exit_pull;
static zpat_push_t *s_exit_push;
static atomic_long s_exit_tid;
static int s_exit_report_fd = -1;

static void *
s_exit_blocked_receiver (void *arg)
{
    (void)arg;
    atomic_store (&s_exit_tid, (long)syscall (SYS_gettid));
    char buf[16];
    int rc = zpat_recv (s_exit_pull, buf, sizeof buf);
    int error = rc == -1 ? errno : 0;
    if (write (s_exit_report_fd, &error, sizeof error) != sizeof error)
        return NULL;
    return NULL;
}

static void
s_child_exits_with_a_blocked_receive (const char *endpoint, int stderr_fd,
                                      int report_fd, int ready_fd)
{
    if (dup2 (stderr_fd, 2) == -1)
        _exit (10);
    s_exit_report_fd = report_fd;
    zpat_options_t opts = {.recv_timeout_ms = ZPAT_WAIT_FOREVER};
    char at[TU_ENDPOINT_SIZE + 1];
    snprintf (at, sizeof at, "@%s", endpoint);
    s_exit_pull = zpat_pull_new (at, &opts);
    if (!s_exit_pull)
        _exit (11);
    char connect[TU_ENDPOINT_SIZE + 1];
    snprintf (connect, sizeof connect, ">%s", zpat_endpoint (s_exit_pull));
    s_exit_push = zpat_push_new (connect, NULL);
    if (!s_exit_push)
        _exit (12);
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_exit_blocked_receiver, NULL) != 0)
        _exit (13);
    // Until the receive sleeps: several sightings in a row, for valgrind.
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    int seen = 0;
    while (seen < 5) {
        long tid = atomic_load (&s_exit_tid);
        seen = tid && tu_thread_sleeps (tid) ? seen + 1 : 0;
        if (tu_now_ms () > deadline)
            _exit (14);
        s_pause_ms (2);
    }
    if (write (ready_fd, "!", 1) != 1)
        _exit (15);
    exit (0);
}

// Reads fd to its end into said (size bytes, NUL-terminated), keeping the
// start: a writer that has more to say must not die of SIGPIPE.
static void
s_read_all (int fd, char *said, size_t size)
{
    size_t got = 0;
    ssize_t n;
    char rest[512];
    while ((n = read (fd, got < size - 1 ? said + got : rest,
                      got < size - 1 ? size - 1 - got : sizeof rest)) > 0)
        if (got < size - 1)
            got += (size_t)n;
    said[got] = 0;
}

START_TEST (exit_with_a_receive_blocked_in_another_thread_is_prompt)
{
    // One run per transport (_i). Fork first: the child makes the context.
    char endpoint[TU_ENDPOINT_SIZE];
    tu_endpoint (endpoint, sizeof endpoint, tu_transports[_i]);
    int err[2], report[2], ready[2];
    ck_assert_int_eq (pipe (err), 0);
    ck_assert_int_eq (pipe (report), 0);
    ck_assert_int_eq (pipe (ready), 0);
    zpat_shutdown ();
    fflush (NULL);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (err[0]);
        close (report[0]);
        close (ready[0]);
        s_child_exits_with_a_blocked_receive (endpoint, err[1], report[1],
                                              ready[1]);
    }
    close (err[1]);
    close (report[1]);
    close (ready[1]);
    // The child's word that the receive is blocked and exit () is next;
    // end of file instead when it failed first (its status says where).
    char word = 0;
    ssize_t got = read (ready[0], &word, 1);
    long long start = tu_now_ms ();
    close (ready[0]);
    char said[2048];
    s_read_all (err[0], said, sizeof said);
    close (err[0]);
    int status = s_wait_child (child, 15000LL * tu_time_factor ());
    long long elapsed = tu_now_ms () - start;
    int error = -1;
    ssize_t reported = read (report[0], &error, sizeof error);
    close (report[0]);
    ck_assert_msg (status != -1, "the child did not exit in %lld ms (%s)",
                   elapsed, tu_transports[_i]);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "the child ended with status %#x (%s), saying: %s", status,
                   tu_transports[_i], said);
    ck_assert_int_eq (got, 1);
    // The blocked receive was woken and left libzmq, so its object was
    // closed: zpat reports an object still inside a call on stderr.
    ck_assert_msg (strstr (said, "still inside a call") == NULL,
                   "exit found the blocked object still busy (%s): %s",
                   tu_transports[_i], said);
    // Nothing was queued, so there is no linger to wait for.
    ck_assert_msg (elapsed < EXIT_SLACK_MS,
                   "the child took %lld ms to exit (%s)", elapsed,
                   tu_transports[_i]);
    // The receive, if it returned before the process ended, failed with
    // ZPAT_ETERM: it never returns a message that was not sent.
    if (reported == sizeof error)
        ck_assert_msg (error == ZPAT_ETERM,
                       "the blocked receive ended with %d (%s), not "
                       "ZPAT_ETERM",
                       error, zpat_strerror (error));
}
END_TEST

// The child's part: calls zpat refuses, on objects that are otherwise idle,
// then exit (). A refused call must leave its object as idle as it was, so
// that exit closes it at once and gives it its linger: zpat reports an
// object still inside a call at exit on stderr.
static void
s_child_refused_calls_then_exits (int stderr_fd)
{
    if (dup2 (stderr_fd, 2) == -1)
        _exit (10);
    zpat_push_t *push = zpat_push_new ("inproc://refused-calls", NULL);
    zpat_pull_t *pull = zpat_pull_new ("@inproc://refused-calls-pull", NULL);
    zpat_msg_t *empty = zpat_msg_new ();
    if (!push || !pull || !empty)
        _exit (11);
    int refused = 0;
    refused += zpat_send (push, NULL, 5) == -1;
    refused += zpat_send_msg (push, NULL) == -1;
    refused += zpat_send_msg (push, empty) == -1;
    zpat_msg_destroy (&empty);
    refused += zpat_recv (pull, NULL, 5) == -1;
    refused += zpat_recv_msg (pull, NULL) == -1;
    zpat_shutdown ();
    refused += zpat_send_str (push, "after shutdown") == -1;
    refused += zpat_recv (pull, (char[8]){0}, 8) == -1;
    exit (refused == 7 ? 0 : 12);
}

START_TEST (refused_calls_leave_nothing_busy_at_exit)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    fflush (NULL);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (fds[0]);
        s_child_refused_calls_then_exits (fds[1]);
    }
    close (fds[1]);
    char said[2048];
    s_read_all (fds[0], said, sizeof said);
    close (fds[0]);
    int status = s_wait_child (child, 15000LL * tu_time_factor ());
    ck_assert_msg (status != -1, "the child did not exit");
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "the child ended with status %#x, saying: %s", status, said);
    ck_assert_msg (strstr (said, "still inside a call") == NULL,
                   "exit found a busy object: %s", said);
}
END_TEST

// ---------------------------------------------------------------------------
// Signals

START_TEST (no_signal_handler_is_installed_by_default)
{
    // Check's runner may have left its own handlers in this process, so
    // start from the defaults.
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    zpat_shutdown (); // a context made here starts czmq here
    zpat_pub_t *pub = zpat_pub_new ("tcp://127.0.0.1:*", NULL);
    zpat_sub_t *sub = zpat_sub_new (zpat_endpoint (pub), "", NULL);
    ck_assert (pub && sub);
    s_assert_round_trip ();

    struct sigaction action;
    ck_assert_int_eq (sigaction (SIGINT, NULL, &action), 0);
    ck_assert (action.sa_handler == SIG_DFL);
    ck_assert_int_eq (sigaction (SIGTERM, NULL, &action), 0);
    ck_assert (action.sa_handler == SIG_DFL);
    ck_assert_int_eq (zpat_interrupted (), 0);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

START_TEST (user_signal_handler_is_kept)
{
    // A handler the program installed itself survives zpat starting up.
    struct sigaction mine, seen;
    memset (&mine, 0, sizeof mine);
    mine.sa_handler = SIG_IGN;
    sigemptyset (&mine.sa_mask);
    ck_assert_int_eq (sigaction (SIGTERM, &mine, NULL), 0);
    zpat_shutdown ();
    s_assert_round_trip ();
    ck_assert_int_eq (sigaction (SIGTERM, NULL, &seen), 0);
    ck_assert (seen.sa_handler == SIG_IGN);
    signal (SIGTERM, SIG_DFL);
}
END_TEST

static Suite *
context_suite (void)
{
    Suite *suite = suite_create ("context");
    TCase *tc = tcase_create ("shutdown");
    tcase_set_timeout (tc, 20);
    tcase_add_test (tc, shutdown_wakes_blocked_recv_with_eterm);
    tcase_add_test (tc, calls_after_shutdown_fail_with_eterm);
    tcase_add_test (tc, constructors_fail_with_eterm_until_last_destroy);
    tcase_add_test (tc, shutdown_without_objects_is_harmless);
    tcase_add_test (tc, shutdown_and_fresh_context_repeat);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("exit");
    tcase_set_timeout (tc, 25);
    tcase_add_loop_test (
        tc, leaving_main_delivers_the_last_message_and_exits_promptly, 0, 2);
    tcase_add_loop_test (
        tc, leaving_main_with_an_absent_peer_waits_at_most_the_linger, 0, 2);
    tcase_add_loop_test (
        tc, exit_with_a_receive_blocked_in_another_thread_is_prompt, 0,
        TU_TRANSPORTS);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("signals");
    tcase_add_test (tc, refused_calls_leave_nothing_busy_at_exit);
    tcase_add_test (tc, no_signal_handler_is_installed_by_default);
    tcase_add_test (tc, user_signal_handler_is_kept);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (context_suite (), CK_FORK_GETENV);
}
