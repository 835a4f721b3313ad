// test_reliable_pipeline.c - Check suite for the reliable pipeline:
// zpat_push_t and zpat_pull_t with options.reliable_credit (at-least-once,
// credit, dead pullers, the high-water mark, plain mode left alone).
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <zpat.h>

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define DEADLINE_MS (15000LL * tu_time_factor ())

static void
s_pause_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep (&pause, NULL);
}

static zpat_options_t
s_opts (int credit)
{
    zpat_options_t opts = tu_opts;
    opts.reliable_credit = credit;
    return opts;
}

// A reliable pusher bound to a fresh endpoint of transport; its endpoint,
// resolved, goes into endpoint.
static zpat_push_t *
s_push_bound (const char *transport, char *endpoint, zpat_options_t *opts)
{
    char wanted[TU_ENDPOINT_SIZE + 1] = "@";
    tu_endpoint (wanted + 1, sizeof wanted - 1, transport);
    zpat_push_t *push = zpat_push_new (wanted, opts);
    ck_assert_msg (push, "zpat_push_new (%s): %s", wanted,
                   zpat_strerror (errno));
    const char *bound = zpat_endpoint (push);
    ck_assert_ptr_nonnull (bound);
    snprintf (endpoint, TU_ENDPOINT_SIZE, ">%s", bound);
    return push;
}

// The transports that cross processes (and have connection events).
static const char *const s_process_transports[] = {"tcp", "ipc"};

static int
s_number (const char *text)
{
    return atoi (text + 1); // "m123"
}

// ---------------------------------------------------------------------------

#define ONCE_COUNT 3000
#define ONCE_PULLERS 3

START_TEST (each_message_exactly_once_without_deaths)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (5);
    zpat_push_t *push = s_push_bound (tu_transports[_i], endpoint, &opts);
    zpat_options_t pull_opts = s_opts (5);
    pull_opts.recv_timeout_ms = ZPAT_WAIT_NONE;
    zpat_pull_t *pulls[ONCE_PULLERS];
    for (int i = 0; i < ONCE_PULLERS; i++) {
        pulls[i] = zpat_pull_new (endpoint, &pull_opts);
        ck_assert_ptr_nonnull (pulls[i]);
    }
    static unsigned char seen[ONCE_COUNT];
    memset (seen, 0, sizeof seen);
    int got[ONCE_PULLERS] = {0};
    int total = 0, sent = 0;
    long long deadline = tu_now_ms () + DEADLINE_MS;
    while (total < ONCE_COUNT && tu_now_ms () < deadline) {
        // Sends ahead while the pullers take, never more than the mark.
        while (sent < ONCE_COUNT && sent - total < 500) {
            char text[32];
            snprintf (text, sizeof text, "m%d", sent);
            ck_assert_int_eq (zpat_send_str (push, text), 0);
            sent++;
        }
        bool any = false;
        for (int i = 0; i < ONCE_PULLERS; i++) {
            char *text = zpat_recv_str (pulls[i]);
            if (!text) {
                ck_assert_int_eq (errno, EAGAIN);
                continue;
            }
            any = true;
            int n = s_number (text);
            ck_assert_int_ge (n, 0);
            ck_assert_int_lt (n, ONCE_COUNT);
            ck_assert_msg (!seen[n], "message %d twice", n);
            seen[n] = 1;
            got[i]++;
            total++;
            zpat_str_free (&text);
        }
        if (!any)
            s_pause_ms (1);
    }
    ck_assert_int_eq (total, ONCE_COUNT);
    for (int i = 0; i < ONCE_PULLERS; i++)
        ck_assert_msg (got[i] > 0, "puller %d got nothing", i);
    // Nothing comes twice later either.
    long long quiet = tu_now_ms () + 300;
    while (tu_now_ms () < quiet) {
        for (int i = 0; i < ONCE_PULLERS; i++) {
            errno = 0;
            char *text = zpat_recv_str (pulls[i]);
            ck_assert_msg (!text, "a duplicate: %s", text ? text : "");
        }
        s_pause_ms (5);
    }
    for (int i = 0; i < ONCE_PULLERS; i++)
        zpat_pull_destroy (&pulls[i]);
    zpat_push_destroy (&push);
}
END_TEST

// Several pushers feed one bound puller: its acknowledgements reach each.
START_TEST (several_pushers_feed_one_puller)
{
    char wanted[TU_ENDPOINT_SIZE], endpoint[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, s_process_transports[_i]);
    zpat_options_t opts = s_opts (3);
    zpat_pull_t *pull = zpat_pull_new (wanted, &opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", wanted, endpoint);
    zpat_push_t *pushes[3];
    for (int p = 0; p < 3; p++) {
        pushes[p] = zpat_push_new (endpoint, &opts);
        ck_assert_ptr_nonnull (pushes[p]);
    }
    for (int i = 0; i < 300; i++) {
        char text[32];
        snprintf (text, sizeof text, "m%d", i);
        ck_assert_int_eq (zpat_send_str (pushes[i % 3], text), 0);
    }
    unsigned char seen[300] = {0};
    for (int i = 0; i < 300; i++) {
        char *text = zpat_recv_str (pull);
        ck_assert_msg (text, "message %d: %s", i, zpat_strerror (errno));
        int n = s_number (text);
        ck_assert (n >= 0 && n < 300);
        ck_assert_msg (!seen[n]++, "message %d twice", n);
        zpat_str_free (&text);
    }
    for (int p = 0; p < 3; p++) {
        long long started = tu_now_ms ();
        zpat_push_destroy (&pushes[p]); // quick: all acknowledged
        ck_assert_int_lt (tu_now_ms () - started, 1500);
    }
    zpat_pull_destroy (&pull);
}
END_TEST

// A puller that connects first takes no more than its credit: the rest of
// a burst goes to the one that comes later.
START_TEST (credit_limits_what_a_fast_puller_takes)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (100);
    zpat_push_t *push = s_push_bound (tu_transports[_i], endpoint, &opts);
    zpat_options_t pull_opts = s_opts (2);
    zpat_pull_t *first = zpat_pull_new (endpoint, &pull_opts);
    ck_assert_ptr_nonnull (first);
    for (int i = 0; i < 20; i++) {
        char text[32];
        snprintf (text, sizeof text, "m%d", i);
        ck_assert_int_eq (zpat_send_str (push, text), 0);
    }
    char *text = zpat_recv_str (first);
    ck_assert_ptr_nonnull (text);
    zpat_str_free (&text);
    // first now holds that one and at most one more.
    zpat_pull_t *second = zpat_pull_new (endpoint, &pull_opts);
    ck_assert_ptr_nonnull (second);
    for (int i = 0; i < 18; i++) {
        text = zpat_recv_str (second);
        ck_assert_msg (text, "second puller, message %d: %s", i,
                       zpat_strerror (errno));
        zpat_str_free (&text);
    }
    ck_assert_int_eq (zpat_pull_ack (second), 0);
    FAILS_WITH (ZPAT_EFSM, zpat_pull_ack (second));
    ck_assert_int_eq (zpat_set_recv_timeout_ms (first, 2000), 0);
    text = zpat_recv_str (first);
    ck_assert_ptr_nonnull (text);
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (first, 200), 0);
    NULL_WITH (EAGAIN, zpat_recv_str (first));
    ck_assert_int_eq (zpat_set_recv_timeout_ms (second, 200), 0);
    NULL_WITH (EAGAIN, zpat_recv_str (second));
    zpat_pull_destroy (&first);
    zpat_pull_destroy (&second);
    zpat_push_destroy (&push);
}
END_TEST

// A puller process killed with SIGKILL while it holds messages: they reach
// a live puller within the heartbeat bound (2 s by default).

START_TEST (messages_of_a_killed_puller_go_to_a_live_one)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (10);
    zpat_push_t *push =
        s_push_bound (s_process_transports[_i], endpoint, &opts);
    int report[2];
    ck_assert_int_eq (pipe (report), 0);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (report[0]);
        zpat_options_t child_opts = s_opts (5);
        zpat_pull_t *pull = zpat_pull_new (endpoint, &child_opts);
        char *text = pull ? zpat_recv_str (pull) : NULL;
        char line[64] = "";
        if (text)
            snprintf (line, sizeof line, "%s\n", text);
        if (write (report[1], line, strlen (line) + 1) < 0)
            _exit (1);
        pause ();
        _exit (0);
    }
    close (report[1]);
    for (int i = 0; i < 10; i++) {
        char text[32];
        snprintf (text, sizeof text, "m%d", i);
        ck_assert_int_eq (zpat_send_str (push, text), 0);
    }
    struct pollfd item = {report[0], POLLIN, 0};
    ck_assert_int_eq (poll (&item, 1, (int)DEADLINE_MS), 1);
    char line[64] = "";
    ck_assert_int_gt (read (report[0], line, sizeof line - 1), 1);
    close (report[0]);
    ck_assert_msg (line[0] == 'm', "the child got nothing: %s", line);
    // It holds what it returned and up to 4 more. Kill it.
    kill (child, SIGKILL);
    waitpid (child, NULL, 0);
    long long killed = tu_now_ms ();
    zpat_options_t pull_opts = s_opts (100);
    zpat_pull_t *pull = zpat_pull_new (endpoint, &pull_opts);
    ck_assert_ptr_nonnull (pull);
    unsigned char seen[10] = {0};
    int distinct = 0;
    while (distinct < 10) {
        char *text = zpat_recv_str (pull);
        ck_assert_msg (text, "%d of 10 after the kill: %s", distinct,
                       zpat_strerror (errno));
        int n = s_number (text);
        ck_assert (n >= 0 && n < 10);
        if (!seen[n]++)
            distinct++;
        zpat_str_free (&text);
    }
    long long took = tu_now_ms () - killed;
    ck_assert_msg (took <= 2000LL * tu_time_factor () + 500,
                   "redelivered after %lld ms", took);
    zpat_pull_destroy (&pull);
    zpat_push_destroy (&push);
}
END_TEST

// At its high-water mark a reliable pusher's send waits, then EAGAIN.
START_TEST (send_at_the_high_water_mark_times_out_with_eagain)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (1);
    opts.send_hwm = 10;
    opts.send_timeout_ms = 100;
    opts.linger_ms = ZPAT_WAIT_NONE;
    zpat_push_t *push = s_push_bound ("tcp", endpoint, &opts);
    int sent = 0;
    long long started = 0;
    while (sent < 1000) {
        started = tu_now_ms ();
        if (zpat_send_str (push, "x") == -1)
            break;
        sent++;
    }
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_int_le (sent, 30);
    ck_assert_int_ge (tu_now_ms () - started, 80);
    // A puller makes room again.
    zpat_options_t pull_opts = s_opts (1);
    zpat_pull_t *pull = zpat_pull_new (endpoint, &pull_opts);
    for (int i = 0; i < sent; i++) {
        char *text = zpat_recv_str (pull);
        ck_assert_ptr_nonnull (text);
        zpat_str_free (&text);
    }
    ck_assert_int_eq (zpat_send_str (push, "x"), 0);
    zpat_pull_destroy (&pull);
    zpat_push_destroy (&push);
}
END_TEST

// Destroy gives the messages sent up to the linger to be acknowledged: a
// slow puller in another process gets them all.
START_TEST (destroy_waits_for_acknowledgements_within_the_linger)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (1);
    opts.linger_ms = 4000;
    zpat_push_t *push =
        s_push_bound (s_process_transports[_i], endpoint, &opts);
    int report[2];
    ck_assert_int_eq (pipe (report), 0);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (report[0]);
        // The child first frees what it inherited, leaving the parent's
        // pusher alone.
        zpat_push_destroy (&push);
        zpat_options_t child_opts = s_opts (1);
        child_opts.recv_timeout_ms = 3000;
        zpat_pull_t *pull = zpat_pull_new (endpoint, &child_opts);
        int count = 0;
        char *text;
        while (pull && count < 5 && (text = zpat_recv_str (pull))) {
            count++;
            zpat_str_free (&text);
            s_pause_ms (100);
        }
        // Asking for the next acknowledges the fifth.
        zpat_set_recv_timeout_ms (pull, 300);
        text = zpat_recv_str (pull);
        char line[16];
        snprintf (line, sizeof line, "%d", text ? -1 : count);
        if (write (report[1], line, strlen (line) + 1) < 0)
            _exit (1);
        zpat_pull_destroy (&pull);
        _exit (0);
    }
    close (report[1]);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq (zpat_send_str (push, "late"), 0);
    long long started = tu_now_ms ();
    zpat_push_destroy (&push);
    long long took = tu_now_ms () - started;
    ck_assert_ptr_null (push);
    struct pollfd item = {report[0], POLLIN, 0};
    ck_assert_int_eq (poll (&item, 1, (int)DEADLINE_MS), 1);
    char line[16] = "";
    ck_assert_int_gt (read (report[0], line, sizeof line - 1), 0);
    close (report[0]);
    waitpid (child, NULL, 0);
    ck_assert_str_eq (line, "5");
    ck_assert_msg (took >= 300 && took < 3500, "destroy took %lld ms", took);
}
END_TEST

// A reliable pusher whose context is shut down, and the process exiting.
START_TEST (shutdown_ends_the_engine_at_once)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (1);
    opts.linger_ms = 5000;
    zpat_push_t *push = s_push_bound ("tcp", endpoint, &opts);
    ck_assert_int_eq (zpat_send_str (push, "never taken"), 0);
    zpat_shutdown ();
    FAILS_WITH (ZPAT_ETERM, zpat_send_str (push, "x"));
    long long started = tu_now_ms ();
    zpat_push_destroy (&push);
    ck_assert_int_lt (tu_now_ms () - started, 1000);
}
END_TEST

START_TEST (plain_mode_is_libzmq_push_pull)
{
    char wanted[TU_ENDPOINT_SIZE], endpoint[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, "tcp");
    zpat_pull_t *pull = zpat_pull_new (wanted, &tu_opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", wanted, endpoint);
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_ptr_nonnull (push);
    int type = 0;
    size_t size = sizeof type;
    ck_assert_int_eq (
        zmq_getsockopt (zpat_handle (push), ZMQ_TYPE, &type, &size), 0);
    ck_assert_int_eq (type, ZMQ_PUSH);
    ck_assert_int_eq (
        zmq_getsockopt (zpat_handle (pull), ZMQ_TYPE, &type, &size), 0);
    ck_assert_int_eq (type, ZMQ_PULL);
    ck_assert_int_eq (zpat_send_str (push, "plain"), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "plain");
    zpat_str_free (&text);
    FAILS_WITH (EINVAL, zpat_pull_ack (pull));
    zpat_options_t got;
    ck_assert_int_eq (zpat_get_options (push, &got), 0);
    ck_assert_int_eq (got.reliable_credit, 0);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (bad_reliable_options_are_refused)
{
    zpat_options_t opts = s_opts (-1);
    NULL_WITH (EINVAL, zpat_push_new (NULL, &opts));
    NULL_WITH (EINVAL, zpat_pull_new (NULL, &opts));
    opts = tu_opts;
    opts.heartbeat_ms = 100; // without the mode
    NULL_WITH (EINVAL, zpat_push_new (NULL, &opts));
    NULL_WITH (EINVAL, zpat_pull_new (NULL, &opts));
    opts = s_opts (3);
    NULL_WITH (EINVAL, zpat_req_new (NULL, &opts));
    NULL_WITH (EINVAL, zpat_sub_new (NULL, "", &opts));
    NULL_WITH (EINVAL, zpat_dealer_new (NULL, &opts));
    opts.heartbeat_ms = 250;
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    ck_assert_ptr_nonnull (pull);
    zpat_options_t got;
    ck_assert_int_eq (zpat_get_options (pull, &got), 0);
    ck_assert_int_eq (got.reliable_credit, 3);
    ck_assert_int_eq (got.heartbeat_ms, 250);
    FAILS_WITH (ZPAT_EFSM, zpat_pull_ack (pull));
    FAILS_WITH (EINVAL, (zpat_pull_ack)(NULL));
    zpat_pull_destroy (&pull);
}
END_TEST

// Several frames, and pyzmq-free frames of any size, go through whole.
START_TEST (multipart_messages_go_through_whole)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t opts = s_opts (4);
    zpat_push_t *push = s_push_bound (tu_transports[_i], endpoint, &opts);
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pull);
    static char big[100000];
    memset (big, 'b', sizeof big);
    zpat_frame_t frames[3] = {{"one", 3}, {"", 0}, {big, sizeof big}};
    ck_assert_int_eq (zpat_send_frames (push, frames, 3), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 3);
    ck_assert_uint_eq (zpat_msg_size (msg, 2), sizeof big);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), 0);
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
    zpat_push_destroy (&push);
}
END_TEST

// zpat_bind and zpat_connect on a reliable pusher made without endpoints
// attach its engine: pullers reach it, and zpat_endpoint names the port.
START_TEST (bind_and_connect_after_construction)
{
    zpat_options_t opts = s_opts (3);
    zpat_push_t *push = zpat_push_new (NULL, &opts);
    ck_assert_ptr_nonnull (push);
    char where[TU_ENDPOINT_SIZE], endpoint[TU_ENDPOINT_SIZE + 1];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    ck_assert_int_eq (zpat_bind (push, where), 0);
    const char *bound = zpat_endpoint (push);
    ck_assert_ptr_nonnull (bound);
    ck_assert_msg (strchr (bound, '*') == NULL, "unresolved: %s", bound);
    FAILS_WITH (EINVAL, zpat_bind (push, "nonsense"));
    snprintf (endpoint, sizeof endpoint, ">%s", bound);
    zpat_pull_t *first = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (first);
    ck_assert_int_eq (zpat_send_str (push, "to the first"), 0);
    char *text = zpat_recv_str (first);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "to the first");
    zpat_str_free (&text);
    // A bound puller, which the pusher connects to afterwards.
    char second_where[TU_ENDPOINT_SIZE], second_at[TU_ENDPOINT_SIZE];
    tu_endpoint (second_where, sizeof second_where, tu_transports[_i]);
    zpat_pull_t *second = zpat_pull_new (second_where, &opts);
    tu_bound_endpoint (zpat_socket (second), "zpat_pull_new", second_where,
                       second_at);
    zpat_pull_destroy (&first); // acknowledges what it took
    ck_assert_int_eq (zpat_connect (push, second_at), 0);
    ck_assert_int_eq (zpat_send_str (push, "to the second"), 0);
    text = zpat_recv_str (second);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "to the second");
    zpat_str_free (&text);
    zpat_pull_destroy (&second);
    zpat_push_destroy (&push);
}
END_TEST

// exit () with messages still waiting for acknowledgements: the pusher's
// thread gets its linger before the context ends, as destroy would give it.
#define EXIT_COUNT 40

START_TEST (exit_gives_unacknowledged_messages_the_linger)
{
    const char *transport = s_process_transports[_i];
    char where[TU_ENDPOINT_SIZE], bound[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, transport);
    zpat_options_t opts = s_opts (1);
    zpat_pull_t *pull = zpat_pull_new (where, &opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", where, bound);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        zpat_options_t push_opts = s_opts (1);
        push_opts.linger_ms = 10000;
        zpat_push_t *push = zpat_push_new (bound, &push_opts);
        for (int i = 0; push && i < EXIT_COUNT; i++)
            if (zpat_sendf (push, "m%d", i) == -1)
                _exit (2);
        exit (push ? 0 : 3); // no destroy: the exit handler's turn
    }
    // A slow puller: most messages are still the pusher's at its exit.
    static unsigned char seen[EXIT_COUNT];
    memset (seen, 0, sizeof seen);
    int got = 0;
    long long deadline = tu_now_ms () + DEADLINE_MS;
    while (got < EXIT_COUNT && tu_now_ms () < deadline) {
        char *text = zpat_recv_str (pull);
        if (!text)
            continue;
        int n = s_number (text);
        zpat_str_free (&text);
        ck_assert_int_ge (n, 0);
        ck_assert_int_lt (n, EXIT_COUNT);
        ck_assert_msg (!seen[n], "message %d twice", n);
        seen[n] = 1;
        got++;
        s_pause_ms (20);
    }
    int status = 0;
    ck_assert_int_eq (waitpid (child, &status, 0), child);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "the pusher's process ended with status %d", status);
    ck_assert_int_eq (got, EXIT_COUNT);
    zpat_pull_destroy (&pull);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("reliable_pipeline");
    TCase *delivery = tcase_create ("delivery");
    tcase_set_timeout (delivery, 60);
    tcase_add_loop_test (delivery, each_message_exactly_once_without_deaths, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (delivery, credit_limits_what_a_fast_puller_takes, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (delivery, multipart_messages_go_through_whole, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (delivery, bind_and_connect_after_construction, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, delivery);

    TCase *deaths = tcase_create ("deaths");
    tcase_set_timeout (deaths, 60);
    if (TU_FORKS_SAFE)
        tcase_add_loop_test (
            deaths, messages_of_a_killed_puller_go_to_a_live_one, 0, 2);
    tcase_add_loop_test (deaths, several_pushers_feed_one_puller, 0, 2);
    suite_add_tcase (suite, deaths);

    TCase *limits = tcase_create ("limits");
    tcase_set_timeout (limits, 60);
    tcase_add_test (limits, send_at_the_high_water_mark_times_out_with_eagain);
    if (TU_FORKS_SAFE)
        tcase_add_loop_test (
            limits, destroy_waits_for_acknowledgements_within_the_linger, 0, 2);
    tcase_add_test (limits, shutdown_ends_the_engine_at_once);
    if (TU_FORKS_SAFE)
        tcase_add_loop_test (
            limits, exit_gives_unacknowledged_messages_the_linger, 0, 2);
    suite_add_tcase (suite, limits);

    TCase *options = tcase_create ("options");
    tcase_add_test (options, plain_mode_is_libzmq_push_pull);
    tcase_add_test (options, bad_reliable_options_are_refused);
    suite_add_tcase (suite, options);
    return suite;
}

int
main (void)
{
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
