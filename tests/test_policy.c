// test_policy.c - the error policy: a handler installed with
// zpat_set_error_handler hears of every failing call exactly once, under
// the name a program writes, with the object, its endpoint and the errno
// (and not of failures zpat handles inside itself); NULL puts back the
// default. zpat_exit_on_error, in child processes: a failure prints one
// line naming the program, the call, the endpoint and the reason and exits
// 1, even when two threads fail at once; Ctrl-C, the end of input and
// zpat_shutdown () end the program quietly with 0; EAGAIN returns; queued
// messages still get their linger.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// What the handler heard.
#define HEARD_MAX 8
typedef struct {
    int count;
    char call[HEARD_MAX][64];
    const void *object[HEARD_MAX];
    char endpoint[HEARD_MAX][256];
    int errnum[HEARD_MAX];
} heard_t;

static heard_t s_heard;

static void
s_listen (const char *call, const void *object, const char *endpoint,
          int errnum, void *arg)
{
    heard_t *heard = arg;
    if (heard->count < HEARD_MAX) {
        int i = heard->count;
        snprintf (heard->call[i], sizeof heard->call[i], "%s", call);
        heard->object[i] = object;
        snprintf (heard->endpoint[i], sizeof heard->endpoint[i], "%s",
                  endpoint ? endpoint : "(none)");
        heard->errnum[i] = errnum;
    }
    heard->count++;
    errno = 0; // the call must give its own errno back regardless
}

static void
s_setup (void)
{
    memset (&s_heard, 0, sizeof s_heard);
    zpat_set_error_handler (s_listen, &s_heard);
}

static void
s_teardown (void)
{
    zpat_set_error_handler (NULL, NULL);
}

// Asserts that the handler heard exactly one failure, of call with errnum
// and endpoint (NULL: any), and forgets it.
static void
s_heard_once (const char *call, int errnum, const char *endpoint)
{
    ck_assert_msg (s_heard.count == 1, "%s: heard %d reports (first: %s)", call,
                   s_heard.count, s_heard.count ? s_heard.call[0] : "none");
    ck_assert_str_eq (s_heard.call[0], call);
    ck_assert_msg (s_heard.errnum[0] == errnum, "%s: errnum %d (%s), not %s",
                   call, s_heard.errnum[0], zpat_strerror (s_heard.errnum[0]),
                   zpat_strerror (errnum));
    if (endpoint)
        ck_assert_str_eq (s_heard.endpoint[0], endpoint);
    memset (&s_heard, 0, sizeof s_heard);
}

START_TEST (constructors_and_binds_are_named)
{
    NULL_WITH (EINVAL, zpat_rep_new ("nonsense://x", &tu_opts));
    s_heard_once ("zpat_rep_new", EINVAL, "nonsense://x");
    NULL_WITH (EINVAL, zpat_sub_new ("tcp://127.0.0.1:99999", "", &tu_opts));
    s_heard_once ("zpat_sub_new", EINVAL, "tcp://127.0.0.1:99999");

    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", &tu_opts);
    ck_assert_ptr_nonnull (pull);
    char endpoint[TU_ENDPOINT_SIZE];
    snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (pull));
    // The port is taken: the second bind fails, once, named by its call.
    NULL_WITH (EADDRINUSE, zpat_pull_new (endpoint, &tu_opts));
    s_heard_once ("zpat_pull_new", EADDRINUSE, endpoint);
    zpat_pull_t *other = zpat_pull_new (NULL, &tu_opts);
    FAILS_WITH (EADDRINUSE, zpat_bind (other, endpoint));
    s_heard_once ("zpat_bind", EADDRINUSE, endpoint);
    // A bad endpoint names itself.
    FAILS_WITH (EINVAL, zpat_connect (other, "tcp://nowhere:notaport"));
    s_heard_once ("zpat_connect", EINVAL, "tcp://nowhere:notaport");
    zpat_pull_destroy (&other);
    zpat_pull_destroy (&pull);
    ck_assert_int_eq (s_heard.count, 0);
}
END_TEST

START_TEST (calls_on_objects_name_the_object_and_its_endpoint)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = 10;
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", &opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", "tcp", endpoint);
    // A timeout: the handler hears of it too (the exit policy lets it go).
    char buf[8];
    FAILS_WITH (EAGAIN, zpat_recv (pull, buf, sizeof buf));
    ck_assert_int_eq (s_heard.count, 1);
    ck_assert_ptr_eq (s_heard.object[0], pull);
    s_heard_once ("zpat_recv", EAGAIN, endpoint);
    NULL_WITH (EAGAIN, zpat_recv_str (pull));
    s_heard_once ("zpat_recv_str", EAGAIN, endpoint);

    // A connecting object is named by where it connects.
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_ptr_nonnull (push);
    FAILS_WITH (EINVAL, zpat_send_frames (push, NULL, 2));
    s_heard_once ("zpat_send_frames", EINVAL, endpoint);
    FAILS_WITH (EINVAL, zpat_send_str (push, NULL));
    s_heard_once ("zpat_send_str", EINVAL, endpoint);
    FAILS_WITH (EINVAL, zpat_set_send_hwm (push, -5));
    s_heard_once ("zpat_set_send_hwm", EINVAL, endpoint);
    // A call that succeeds is not heard of.
    ck_assert_int_eq (zpat_send_str (push, "fine"), 0);
    ck_assert_int_eq (s_heard.count, 0);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (null_and_bad_objects_are_heard_without_an_endpoint)
{
    FAILS_WITH (EINVAL, zpat_socket_send_str (NULL, "x"));
    s_heard_once ("zpat_send_str", EINVAL, "(none)");
    NULL_WITH (EINVAL, zpat_cert_load (NULL));
    s_heard_once ("zpat_cert_load", EINVAL, "(none)");
    NULL_WITH (ENOENT, zpat_cert_load ("/nonexistent/zpat/cert.key"));
    s_heard_once ("zpat_cert_load", ENOENT, NULL);
}
END_TEST

// Failures zpat meets and handles inside a call are not the caller's: the
// authenticator reading a key directory with files that are not
// certificates, a router's receive (which reports as itself).
START_TEST (failures_inside_zpat_are_not_heard)
{
    char dir[] = "/tmp/zpat-policy-XXXXXX";
    ck_assert_ptr_nonnull (mkdtemp (dir));
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/junk.key", dir);
    FILE *junk = fopen (path, "w");
    ck_assert_ptr_nonnull (junk);
    fputs ("not a certificate\n", junk);
    fclose (junk);
    zpat_auth_t *auth = zpat_auth_new ();
    ck_assert_ptr_nonnull (auth);
    ck_assert_int_eq (zpat_auth_curve_keys (auth, dir), 0);
    ck_assert_int_eq (s_heard.count, 0);
    zpat_auth_destroy (&auth);
    unlink (path);
    rmdir (dir);

    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = 10;
    zpat_router_t *router = zpat_router_new ("inproc://policy-router", &opts);
    ck_assert_ptr_nonnull (router);
    zpat_peer_t peer;
    NULL_WITH (EAGAIN, zpat_router_recv_str (router, &peer));
    s_heard_once ("zpat_router_recv_str", EAGAIN, NULL);
    peer.size = 3;
    memcpy (peer.id, "who", 3);
    FAILS_WITH (EHOSTUNREACH, zpat_router_send_str (router, &peer, "x"));
    s_heard_once ("zpat_router_send_str", EHOSTUNREACH, NULL);
    zpat_router_destroy (&router);
}
END_TEST

START_TEST (null_handler_puts_back_the_default)
{
    zpat_set_error_handler (NULL, NULL);
    NULL_WITH (EINVAL, zpat_req_new ("nonsense://x", NULL));
    ck_assert_int_eq (s_heard.count, 0);
}
END_TEST

// ---------------------------------------------------------------------------
// zpat_exit_on_error, in a child process each

typedef struct {
    int status;     // the child's exit status, or -1 (killed, hung)
    char err[2048]; // what it wrote on stderr
} outcome_t;

typedef void (child_fn) (const char *arg);

// Runs fn (arg) in a child whose stderr is captured and stdin is /dev/null;
// fn is not expected to return (the policy ends the child); if it does, the
// child exits 99.
static outcome_t
s_run_child (child_fn *fn, const char *arg)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    fflush (NULL);
    pid_t pid = fork ();
    ck_assert_int_ne (pid, -1);
    if (pid == 0) {
        close (fds[0]);
        dup2 (fds[1], 2);
        int null = open ("/dev/null", O_RDONLY);
        dup2 (null, 0);
        fn (arg);
        _exit (99);
    }
    close (fds[1]);
    outcome_t out;
    memset (&out, 0, sizeof out);
    size_t have = 0;
    ssize_t got;
    while ((got = read (fds[0], out.err + have, sizeof out.err - 1 - have)) > 0)
        have += (size_t)got;
    close (fds[0]);
    int status = 0;
    long long deadline = tu_now_ms () + 20000LL * tu_time_factor ();
    pid_t done;
    while ((done = waitpid (pid, &status, WNOHANG)) == 0 &&
           tu_now_ms () < deadline) {
        struct timespec pause = {0, 2000000};
        nanosleep (&pause, NULL);
    }
    if (done != pid) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        out.status = -1;
    } else
        out.status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    return out;
}

static void
s_bad_endpoint_child (const char *arg)
{
    (void)arg;
    if (zpat_exit_on_error () == -1)
        _exit (98);
    zpat_rep_t *rep = zpat_rep_new ("tcp://*:99999", NULL);
    (void)rep; // never reached
}

START_TEST (exit_on_error_says_why_and_exits_1)
{
    outcome_t out = s_run_child (s_bad_endpoint_child, NULL);
    ck_assert_int_eq (out.status, 1);
    ck_assert_str_eq (out.err,
                      "test_policy: zpat_rep_new (tcp://*:99999): Invalid "
                      "argument\n");
}
END_TEST

static void
s_timeout_then_bad_child (const char *arg)
{
    (void)arg;
    zpat_exit_on_error ();
    zpat_options_t opts = {.recv_timeout_ms = 10};
    zpat_pull_t *pull = zpat_pull_new ("inproc://policy-timeout", &opts);
    char buf[4];
    // EAGAIN returns: the program handles its own timeouts.
    if (zpat_recv (pull, buf, sizeof buf) != -1 || errno != EAGAIN)
        _exit (97);
    zpat_recv (pull, NULL, 4); // EINVAL: ends the program
}

START_TEST (exit_on_error_lets_timeouts_return)
{
    outcome_t out = s_run_child (s_timeout_then_bad_child, NULL);
    ck_assert_int_eq (out.status, 1);
    ck_assert_str_eq (out.err, "test_policy: zpat_recv "
                               "(inproc://policy-timeout): Invalid argument\n");
}
END_TEST

static void
s_interrupted_child (const char *arg)
{
    (void)arg;
    zpat_exit_on_error ();
    zpat_pull_t *pull = zpat_pull_new ("inproc://policy-signal", NULL);
    raise (SIGTERM); // caught: the receive below returns EINTR at once
    zpat_recv_str (pull);
}

static void
s_end_of_input_child (const char *arg)
{
    (void)arg;
    zpat_exit_on_error ();
    zpat_input (NULL); // stdin is /dev/null
}

static void
s_shutdown_child (const char *arg)
{
    (void)arg;
    zpat_exit_on_error ();
    zpat_pull_t *pull = zpat_pull_new ("inproc://policy-shutdown", NULL);
    zpat_shutdown ();
    zpat_recv_str (pull);
}

START_TEST (signals_end_of_input_and_shutdown_end_quietly)
{
    child_fn *children[] = {s_interrupted_child, s_end_of_input_child,
                            s_shutdown_child};
    const char *names[] = {"SIGTERM", "end of input", "zpat_shutdown"};
    for (size_t i = 0; i < 3; i++) {
        outcome_t out = s_run_child (children[i], NULL);
        ck_assert_msg (out.status == 0 && out.err[0] == 0,
                       "%s: status %d, stderr '%s'", names[i], out.status,
                       out.err);
    }
}
END_TEST

static void *
s_fail_repeatedly (void *arg)
{
    (void)arg;
    for (;;)
        zpat_req_new ("nonsense://thread", NULL);
    return NULL;
}

static void
s_two_threads_child (const char *arg)
{
    (void)arg;
    zpat_exit_on_error ();
    pthread_t thread;
    pthread_create (&thread, NULL, s_fail_repeatedly, NULL);
    s_fail_repeatedly (NULL);
}

START_TEST (two_threads_failing_at_once_print_one_line)
{
    for (int round = 0; round < 5; round++) {
        outcome_t out = s_run_child (s_two_threads_child, NULL);
        ck_assert_int_eq (out.status, 1);
        ck_assert_str_eq (out.err, "test_policy: zpat_req_new "
                                   "(nonsense://thread): Invalid argument\n");
    }
}
END_TEST

// The child sends 200 messages to the parent's PULL over tcp, then fails:
// the exit still gives them their linger.
static void
s_linger_child (const char *endpoint)
{
    zpat_exit_on_error ();
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    for (int i = 0; i < 200; i++)
        zpat_sendf (push, "message %d", i);
    zpat_push_new ("nonsense://after", NULL);
}

START_TEST (queued_messages_get_their_linger)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = 5000 * tu_time_factor ();
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", &opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", "tcp", endpoint);
    outcome_t out = s_run_child (s_linger_child, endpoint);
    ck_assert_int_eq (out.status, 1);
    for (int i = 0; i < 200; i++) {
        char *text = zpat_recv_str (pull);
        ck_assert_msg (text, "message %d lost: %s", i, zpat_strerror (errno));
        char want[32];
        snprintf (want, sizeof want, "message %d", i);
        ck_assert_str_eq (text, want);
        zpat_str_free (&text);
    }
    zpat_pull_destroy (&pull);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("policy");
    TCase *tc = tcase_create ("handler");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, constructors_and_binds_are_named);
    tcase_add_test (tc, calls_on_objects_name_the_object_and_its_endpoint);
    tcase_add_test (tc, null_and_bad_objects_are_heard_without_an_endpoint);
    tcase_add_test (tc, failures_inside_zpat_are_not_heard);
    tcase_add_test (tc, null_handler_puts_back_the_default);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("exit on error");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, exit_on_error_says_why_and_exits_1);
    tcase_add_test (tc, exit_on_error_lets_timeouts_return);
    tcase_add_test (tc, signals_end_of_input_and_shutdown_end_quietly);
    tcase_add_test (tc, two_threads_failing_at_once_print_one_line);
    tcase_add_test (tc, queued_messages_get_their_linger);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
