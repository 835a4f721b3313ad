// test_errors.c - bad input never crashes: NULL arguments, malformed
// endpoints, busy ports, verbs on the wrong role, oversized messages from a
// peer, objects destroyed with messages queued, and zpat_strerror.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <zmq.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// ---------------------------------------------------------------------------
// NULL arguments

START_TEST (null_socket_is_refused_by_every_socket_function)
{
    zpat_socket_t *none = NULL;
    char buf[8];
    zpat_options_t opts;
    zpat_frame_t frame = {"x", 1};
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "x"), 0);

    FAILS_WITH (EINVAL, zpat_socket_bind (none, "inproc://x"));
    FAILS_WITH (EINVAL, zpat_socket_connect (none, "inproc://x"));
    NULL_WITH (EINVAL, zpat_socket_endpoint (none));
    NULL_WITH (EINVAL, zpat_socket_handle (none));
    FAILS_WITH (EINVAL, zpat_socket_set_send_timeout_ms (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_recv_timeout_ms (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_send_hwm (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_recv_hwm (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_linger_ms (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_max_msg_bytes (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_reconnect_ivl_ms (none, 10));
    FAILS_WITH (EINVAL, zpat_socket_set_ipv6 (none, 1));
    FAILS_WITH (EINVAL, zpat_socket_get_options (none, &opts));
    FAILS_WITH (EINVAL, zpat_socket_send (none, "x", 1));
    FAILS_WITH (EINVAL, zpat_socket_send_str (none, "x"));
    FAILS_WITH (EINVAL, zpat_socket_sendf (none, "%d", 1));
    FAILS_WITH (EINVAL, zpat_socket_send_frames (none, &frame, 1));
    FAILS_WITH (EINVAL, zpat_socket_send_msg (none, msg));
    FAILS_WITH (EINVAL, zpat_socket_recv (none, buf, sizeof buf));
    NULL_WITH (EINVAL, zpat_socket_recv_str (none));
    FAILS_WITH (EINVAL, zpat_socket_recv_msg (none, msg));
    // The failed send left the message as it was.
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    zpat_msg_destroy (&msg);
}
END_TEST

START_TEST (null_argument_is_refused_by_every_socket_function)
{
    zpat_req_t *req = zpat_req_new (NULL, NULL);
    ck_assert_ptr_nonnull (req);
    zpat_socket_t *sock = zpat_socket (req);
    zpat_msg_t *msg = zpat_msg_new ();
    zpat_frame_t bad_frames[2] = {{"ok", 2}, {NULL, 3}};

    FAILS_WITH (EINVAL, zpat_socket_bind (sock, NULL));
    FAILS_WITH (EINVAL, zpat_socket_connect (sock, NULL));
    FAILS_WITH (EINVAL, zpat_socket_get_options (sock, NULL));
    FAILS_WITH (EINVAL, zpat_socket_send (sock, NULL, 1));
    FAILS_WITH (EINVAL, zpat_socket_send_str (sock, NULL));
    // Through a pointer, so that the compiler's printf checks do not object
    // to the NULL format this test means to pass.
    int (*sendf) (zpat_socket_t *, const char *, ...) = zpat_socket_sendf;
    FAILS_WITH (EINVAL, sendf (sock, NULL));
    FAILS_WITH (EINVAL, zpat_socket_send_frames (sock, NULL, 1));
    FAILS_WITH (EINVAL, zpat_socket_send_frames (sock, bad_frames, 2));
    FAILS_WITH (EINVAL, zpat_socket_send_frames (sock, bad_frames, 0));
    FAILS_WITH (EINVAL, zpat_socket_send_msg (sock, NULL));
    // An empty message is refused too.
    FAILS_WITH (EINVAL, zpat_socket_send_msg (sock, msg));
    FAILS_WITH (EINVAL, zpat_socket_recv (sock, NULL, 5));
    FAILS_WITH (EINVAL, zpat_socket_recv_msg (sock, NULL));
    // Nothing bound yet: no endpoint to report.
    NULL_WITH (EINVAL, zpat_socket_endpoint (sock));

    // The REQ is still in its first state: none of the refused sends
    // counted as a request.
    char endpoint[64];
    zpat_rep_t *rep =
        zpat_rep_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    ck_assert_ptr_nonnull (rep);
    ck_assert_int_eq (zpat_connect (req, zpat_endpoint (rep)), 0);
    ck_assert_int_eq (zpat_send_str (req, "ping"), 0);
    char *text = zpat_recv_str (rep);
    ck_assert_str_eq (text, "ping");
    zpat_str_free (&text);

    zpat_msg_destroy (&msg);
    zpat_rep_destroy (&rep);
    zpat_req_destroy (&req);
}
END_TEST

START_TEST (null_argument_is_refused_by_role_functions)
{
    char endpoint[64];
    zpat_pub_t *pub =
        zpat_pub_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    zpat_sub_t *sub = zpat_sub_new (zpat_endpoint (pub), NULL, NULL);
    ck_assert_ptr_nonnull (pub);
    ck_assert_ptr_nonnull (sub);
    char *topic = NULL, *payload = NULL;

    // The parentheses reach the functions behind the role-checking macros.
    FAILS_WITH (EINVAL, (zpat_pub_send_topic)(NULL, "t", "d", 1));
    FAILS_WITH (EINVAL, (zpat_pub_send_topic)(pub, NULL, "d", 1));
    FAILS_WITH (EINVAL, (zpat_pub_send_topic)(pub, "t", NULL, 1));
    FAILS_WITH (EINVAL, (zpat_pub_subscriptions)(NULL));
    FAILS_WITH (EINVAL, (zpat_pub_wait_subscriptions)(NULL, 1, 0));
    FAILS_WITH (EINVAL, (zpat_sub_subscribe)(NULL, "x"));
    FAILS_WITH (EINVAL, (zpat_sub_subscribe)(sub, NULL));
    FAILS_WITH (EINVAL, (zpat_sub_unsubscribe)(NULL, "x"));
    FAILS_WITH (EINVAL, (zpat_sub_unsubscribe)(sub, NULL));
    FAILS_WITH (EINVAL, (zpat_sub_recv_topic)(NULL, &topic, &payload));
    FAILS_WITH (EINVAL, (zpat_sub_recv_topic)(sub, NULL, &payload));
    FAILS_WITH (EINVAL, (zpat_sub_recv_topic)(sub, &topic, NULL));
    ck_assert_ptr_null (topic);
    ck_assert_ptr_null (payload);
    // data may be NULL when size is 0.
    ck_assert_int_eq (zpat_pub_send_topic (pub, "t", NULL, 0), 0);

    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

START_TEST (null_argument_is_refused_by_message_functions)
{
    NULL_WITH (EINVAL, zpat_msg_data (NULL, 0));
    NULL_WITH (EINVAL, zpat_msg_strdup (NULL, 0));
    FAILS_WITH (EINVAL, zpat_msg_add (NULL, "x", 1));
    FAILS_WITH (EINVAL, zpat_msg_add_str (NULL, "x"));
    FAILS_WITH (EINVAL, zpat_msg_add_zc (NULL, "x", 1, NULL, NULL));
    ck_assert_uint_eq (zpat_msg_count (NULL), 0);
    ck_assert_uint_eq (zpat_msg_size (NULL, 0), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    FAILS_WITH (EINVAL, zpat_msg_add (msg, NULL, 1));
    FAILS_WITH (EINVAL, zpat_msg_add_str (msg, NULL));
    FAILS_WITH (EINVAL, zpat_msg_add_zc (msg, NULL, 1, NULL, NULL));
    ck_assert_uint_eq (zpat_msg_count (msg), 0);
    zpat_msg_reset (NULL);
    zpat_msg_destroy (&msg);
    zpat_msg_destroy (&msg);
    zpat_msg_destroy (NULL);
    zpat_str_free (NULL);
}
END_TEST

START_TEST (destroying_null_does_nothing)
{
    zpat_req_t *req = NULL;
    zpat_rep_t *rep = NULL;
    zpat_pub_t *pub = NULL;
    zpat_sub_t *sub = NULL;
    zpat_push_t *push = NULL;
    zpat_pull_t *pull = NULL;
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
    zpat_pub_destroy (&pub);
    zpat_sub_destroy (&sub);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    (zpat_req_destroy) (NULL);
    (zpat_rep_destroy) (NULL);
    (zpat_pub_destroy) (NULL);
    (zpat_sub_destroy) (NULL);
    (zpat_push_destroy) (NULL);
    (zpat_pull_destroy) (NULL);
    // And a second destroy of a real object is harmless: the first set the
    // pointer to NULL.
    push = zpat_push_new (NULL, NULL);
    ck_assert_ptr_nonnull (push);
    zpat_destroy (&push);
    ck_assert_ptr_null (push);
    zpat_destroy (&push);
}
END_TEST

START_TEST (null_endpoints_and_options_make_working_objects)
{
    // NULL is not an error for the constructors: no endpoints yet, defaults.
    zpat_req_t *req = zpat_req_new (NULL, NULL);
    zpat_rep_t *rep = zpat_rep_new (NULL, NULL);
    zpat_pub_t *pub = zpat_pub_new (NULL, NULL);
    zpat_sub_t *sub = zpat_sub_new (NULL, NULL, NULL);
    zpat_push_t *push = zpat_push_new (NULL, NULL);
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL);
    ck_assert_ptr_nonnull (req);
    ck_assert_ptr_nonnull (rep);
    ck_assert_ptr_nonnull (pub);
    ck_assert_ptr_nonnull (sub);
    ck_assert_ptr_nonnull (push);
    ck_assert_ptr_nonnull (pull);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
    zpat_pub_destroy (&pub);
    zpat_sub_destroy (&sub);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Endpoints

static char s_long_endpoint[301];

static const char *
s_bad_endpoint (int index)
{
    static const char *const bad[] = {
        "",
        "nonsense",
        "tcp://",
        "tcp://*:99999",
        "tcp://127.0.0.1:99999",
        "bogus://x",
        NULL, // the 300-character endpoint
        ",",
        "@",
        ">",
        "inproc://",
        "ipc://",
    };
    if (!bad[index]) {
        memset (s_long_endpoint, 'a', 300);
        memcpy (s_long_endpoint, "tcp://", 6);
        s_long_endpoint[300] = 0;
        return s_long_endpoint;
    }
    return bad[index];
}
#define BAD_ENDPOINTS 12

START_TEST (bad_endpoint_is_refused_by_constructors)
{
    // Each role both ways: bare (the role's usual bind or connect), and
    // with an explicit '@' (bind) and '>' (connect).
    const char *bare = s_bad_endpoint (_i);
    char bind[320], connect[320];
    snprintf (bind, sizeof bind, "@%s", bare);
    snprintf (connect, sizeof connect, ">%s", bare);
    const char *forms[] = {bare, bind, connect};
    for (size_t f = 0; f < 3; f++) {
        const char *endpoint = forms[f];
        ck_assert_msg (!zpat_req_new (endpoint, NULL) && errno == EINVAL,
                       "req '%s': %s", endpoint, zpat_strerror (errno));
        ck_assert_msg (!zpat_rep_new (endpoint, NULL) && errno == EINVAL,
                       "rep '%s': %s", endpoint, zpat_strerror (errno));
        ck_assert_msg (!zpat_pub_new (endpoint, NULL) && errno == EINVAL,
                       "pub '%s': %s", endpoint, zpat_strerror (errno));
        ck_assert_msg (!zpat_sub_new (endpoint, "", NULL) && errno == EINVAL,
                       "sub '%s': %s", endpoint, zpat_strerror (errno));
        ck_assert_msg (!zpat_push_new (endpoint, NULL) && errno == EINVAL,
                       "push '%s': %s", endpoint, zpat_strerror (errno));
        ck_assert_msg (!zpat_pull_new (endpoint, NULL) && errno == EINVAL,
                       "pull '%s': %s", endpoint, zpat_strerror (errno));
    }
}
END_TEST

START_TEST (bad_endpoint_is_refused_by_bind_and_connect)
{
    const char *endpoint = s_bad_endpoint (_i);
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL);
    zpat_push_t *push = zpat_push_new (NULL, NULL);
    FAILS_WITH (EINVAL, zpat_bind (pull, endpoint));
    FAILS_WITH (EINVAL, zpat_connect (pull, endpoint));
    FAILS_WITH (EINVAL, zpat_bind (push, endpoint));
    FAILS_WITH (EINVAL, zpat_connect (push, endpoint));
    // A failed bind leaves no endpoint behind.
    NULL_WITH (EINVAL, zpat_endpoint (pull));
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (failed_constructor_leaves_nothing_bound)
{
    // The first endpoint of the list binds, the second is bad: the object
    // is not made, and the first endpoint is free again at once.
    char good[64], list[128];
    tu_endpoint (good, sizeof good, "inproc");
    snprintf (list, sizeof list, "%s,nonsense", good);
    NULL_WITH (EINVAL, zpat_pull_new (list, NULL));
    zpat_pull_t *pull = zpat_pull_new (good, NULL);
    ck_assert_msg (pull, "%s: %s", good, zpat_strerror (errno));
    zpat_pull_destroy (&pull);

    // A list that ends in a comma is malformed too.
    snprintf (list, sizeof list, "%s,", good);
    NULL_WITH (EINVAL, zpat_pull_new (list, NULL));
    pull = zpat_pull_new (good, NULL);
    ck_assert_ptr_nonnull (pull);
    zpat_pull_destroy (&pull);
}
END_TEST

// A bind to a host that cannot be resolved, or to a name that is no
// interface here, says so (libzmq's own ENODEV reads "No such device").
START_TEST (unresolvable_bind_host_fails_with_enohost)
{
    NULL_WITH (ZPAT_ENOHOST,
               zpat_pull_new ("tcp://no-such-host.invalid:5555", NULL));
    zpat_rep_t *rep = zpat_rep_new (NULL, NULL);
    ck_assert_ptr_nonnull (rep);
    FAILS_WITH (ZPAT_ENOHOST, zpat_bind (rep, "tcp://nosuchiface0:5555"));
    ck_assert_ptr_null (strstr (zpat_strerror (ZPAT_ENOHOST), "device"));
    // The object is unharmed.
    ck_assert_int_eq (zpat_bind (rep, "tcp://127.0.0.1:*"), 0);
    zpat_rep_destroy (&rep);
}
END_TEST

START_TEST (port_in_use_fails_with_eaddrinuse)
{
    zpat_pull_t *first = zpat_pull_new ("tcp://127.0.0.1:*", NULL);
    ck_assert_ptr_nonnull (first);
    const char *endpoint = zpat_endpoint (first);
    ck_assert_ptr_nonnull (endpoint);
    NULL_WITH (EADDRINUSE, zpat_pull_new (endpoint, NULL));
    NULL_WITH (EADDRINUSE, zpat_pub_new (endpoint, NULL));
    char bind[80];
    snprintf (bind, sizeof bind, "@%s", endpoint);
    NULL_WITH (EADDRINUSE, zpat_push_new (bind, NULL));
    zpat_pull_t *second = zpat_pull_new (NULL, NULL);
    FAILS_WITH (EADDRINUSE, zpat_bind (second, endpoint));

    // The same with an inproc:// name.
    char name[64];
    zpat_rep_t *rep =
        zpat_rep_new (tu_endpoint (name, sizeof name, "inproc"), NULL);
    ck_assert_ptr_nonnull (rep);
    NULL_WITH (EADDRINUSE, zpat_rep_new (name, NULL));
    FAILS_WITH (EADDRINUSE, zpat_bind (second, name));

    // The first owners still work.
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    ck_assert_int_eq (zpat_send_str (push, "still here"), 0);
    char *text = zpat_recv_str (first);
    ck_assert_str_eq (text, "still here");
    zpat_str_free (&text);
    zpat_push_destroy (&push);
    zpat_rep_destroy (&rep);
    zpat_pull_destroy (&second);
    zpat_pull_destroy (&first);
}
END_TEST

// ---------------------------------------------------------------------------
// Roles

START_TEST (send_on_receive_only_role_fails_with_einval)
{
    zpat_sub_t *sub = zpat_sub_new (NULL, "", NULL);
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL);
    zpat_socket_t *receivers[] = {zpat_socket (sub), zpat_socket (pull)};
    zpat_frame_t frame = {"x", 1};
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "x"), 0);
    for (size_t i = 0; i < 2; i++) {
        zpat_socket_t *sock = receivers[i];
        FAILS_WITH (EINVAL, zpat_socket_send_str (sock, "x"));
        FAILS_WITH (EINVAL, zpat_socket_send (sock, "x", 1));
        FAILS_WITH (EINVAL, zpat_socket_sendf (sock, "%s", "x"));
        FAILS_WITH (EINVAL, zpat_socket_send_frames (sock, &frame, 1));
        FAILS_WITH (EINVAL, zpat_socket_send_msg (sock, msg));
        ck_assert_uint_eq (zpat_msg_count (msg), 1);
    }
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
    zpat_sub_destroy (&sub);
}
END_TEST

START_TEST (receive_on_send_only_role_fails_with_einval)
{
    zpat_pub_t *pub = zpat_pub_new (NULL, NULL);
    zpat_push_t *push = zpat_push_new (NULL, NULL);
    zpat_socket_t *senders[] = {zpat_socket (pub), zpat_socket (push)};
    zpat_msg_t *msg = zpat_msg_new ();
    char buf[8];
    for (size_t i = 0; i < 2; i++) {
        zpat_socket_t *sock = senders[i];
        FAILS_WITH (EINVAL, zpat_socket_recv (sock, buf, sizeof buf));
        NULL_WITH (EINVAL, zpat_socket_recv_str (sock));
        FAILS_WITH (EINVAL, zpat_socket_recv_msg (sock, msg));
    }
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pub_destroy (&pub);
}
END_TEST

START_TEST (setter_for_the_other_direction_fails_with_einval)
{
    // The macros refuse these at compile time; the functions behind them
    // check the role at run time.
    zpat_sub_t *sub = zpat_sub_new (NULL, "", NULL);
    zpat_push_t *push = zpat_push_new (NULL, NULL);
    FAILS_WITH (EINVAL, zpat_socket_set_send_timeout_ms (zpat_socket (sub), 5));
    FAILS_WITH (EINVAL, zpat_socket_set_send_hwm (zpat_socket (sub), 5));
    FAILS_WITH (EINVAL,
                zpat_socket_set_recv_timeout_ms (zpat_socket (push), 5));
    FAILS_WITH (EINVAL, zpat_socket_set_recv_hwm (zpat_socket (push), 5));
    zpat_push_destroy (&push);
    zpat_sub_destroy (&sub);
}
END_TEST

START_TEST (role_function_on_crossed_pointer_fails_with_einval)
{
    // A pointer of one role passed where another is expected, as a void *
    // or a binding might: refused, and the object is left as it was.
    zpat_pub_t *pub = zpat_pub_new (NULL, NULL);
    zpat_sub_t *sub = zpat_sub_new (NULL, "", NULL);
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL);
    void *crossed_pub = pub, *crossed_sub = sub, *crossed_pull = pull;
    char *topic = NULL, *payload = NULL;
    FAILS_WITH (EINVAL, (zpat_sub_subscribe)(crossed_pub, "x"));
    FAILS_WITH (EINVAL, (zpat_sub_unsubscribe)(crossed_pull, "x"));
    FAILS_WITH (EINVAL, (zpat_sub_recv_topic)(crossed_pull, &topic, &payload));
    FAILS_WITH (EINVAL, (zpat_pub_send_topic)(crossed_sub, "t", "d", 1));
    FAILS_WITH (EINVAL, (zpat_pub_subscriptions)(crossed_sub));
    FAILS_WITH (EINVAL, (zpat_pub_wait_subscriptions)(crossed_pull, 1, 0));

    // Destroying through the wrong role's function does nothing.
    zpat_pub_t **pub_p = (void *)&sub;
    (zpat_pub_destroy) (pub_p);
    ck_assert_ptr_nonnull (sub);
    zpat_push_t **push_p = (void *)&pull;
    (zpat_push_destroy) (push_p);
    ck_assert_ptr_nonnull (pull);
    ck_assert_int_eq (zpat_sub_subscribe (sub, "still alive"), 0);
    ck_assert_int_eq (zpat_bind (pull, "tcp://127.0.0.1:*"), 0);

    zpat_pull_destroy (&pull);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

START_TEST (bad_subscription_prefix_fails)
{
    zpat_sub_t *sub = zpat_sub_new (NULL, NULL, NULL);
    // Longer than 65,536 bytes: EINVAL, as documented.
    size_t size = 65537;
    char *prefix = malloc (size + 1);
    memset (prefix, 'p', size);
    prefix[size] = 0;
    FAILS_WITH (EINVAL, zpat_sub_subscribe (sub, prefix));
    NULL_WITH (EINVAL, zpat_sub_new (NULL, prefix, NULL));
    // 65,536 itself is allowed.
    prefix[65536] = 0;
    ck_assert_int_eq (zpat_sub_subscribe (sub, prefix), 0);
    // A length libzmq 4.3.4 would accept but never deliver.
    prefix[250] = 0;
    FAILS_WITH (ZPAT_ESUBLEN, zpat_sub_subscribe (sub, prefix));
    NULL_WITH (ZPAT_ESUBLEN, zpat_sub_new (NULL, prefix, NULL));
    free (prefix);
    zpat_sub_destroy (&sub);
}
END_TEST

// ---------------------------------------------------------------------------
// Hostile or absent peers

START_TEST (oversized_message_is_dropped_and_both_sides_keep_working)
{
    zpat_options_t pull_opts = {.max_msg_bytes = 1000, .recv_timeout_ms = 200};
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", &pull_opts);
    ck_assert_ptr_nonnull (pull);
    zpat_options_t push_opts = {.send_timeout_ms = 2000 * tu_time_factor ()};
    zpat_push_t *push = zpat_push_new (zpat_endpoint (pull), &push_opts);
    ck_assert_ptr_nonnull (push);

    // Prove the connection first, so the big message goes over the wire.
    ck_assert_int_eq (zpat_send_str (push, "hello"), 0);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 5000), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "hello");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 200), 0);

    char big[5000];
    memset (big, 'B', sizeof big);
    ck_assert_int_eq (zpat_send (push, big, sizeof big), 0);

    // The puller drops the connection; the pusher reconnects on its own.
    // Messages that were on the wire with the big one may go with it, so
    // keep sending small ones until one arrives.
    int sent = 0;
    long long deadline = tu_now_ms () + 10000LL * tu_time_factor ();
    while (!text && tu_now_ms () < deadline) {
        ck_assert_int_eq (zpat_sendf (push, "small %d", sent), 0);
        sent++;
        text = zpat_recv_str (pull);
        if (!text)
            ck_assert_int_eq (errno, EAGAIN);
    }
    ck_assert_msg (text, "no small message arrived after the big one");
    ck_assert_int_eq (strncmp (text, "small ", 6), 0);
    zpat_str_free (&text);

    // From now on nothing is lost.
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 5000), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq (zpat_sendf (push, "final %d", i), 0);
    int next = 0;
    while (next < 10) {
        text = zpat_recv_str (pull);
        ck_assert_ptr_nonnull (text);
        // Late copies of the small probes may still be in the queue.
        if (strncmp (text, "final ", 6) == 0) {
            char expected[32];
            snprintf (expected, sizeof expected, "final %d", next++);
            ck_assert_str_eq (text, expected);
        } else
            ck_assert_int_eq (strncmp (text, "small ", 6), 0);
        zpat_str_free (&text);
    }
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// libzmq holds the maximum message size only in its tcp:// and ipc://
// decoders; zpat holds it over inproc:// too. Each receive form drops what is
// over the limit, frame by frame, and delivers what is within it.
START_TEST (oversized_inproc_message_is_dropped_by_every_receive)
{
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.max_msg_bytes = 100, .recv_timeout_ms = 5000};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pull);
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    ck_assert_ptr_nonnull (push);
    char big[101], fits[100];
    memset (big, 'B', sizeof big);
    memset (fits, 'f', sizeof fits);
    zpat_frame_t mixed[2] = {{"topic", 5}, {big, sizeof big}};
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);

    // Three rounds, one per receive form; the reused message holds a frame
    // from the second round on, as it would in a receive loop.
    for (int form = 0; form < 3; form++) {
        ck_assert_int_eq (zpat_send (push, big, sizeof big), 0);
        ck_assert_int_eq (zpat_send_frames (push, mixed, 2), 0);
        ck_assert_int_eq (zpat_send (push, fits, sizeof fits), 0);
        if (form == 0) {
            char buf[200];
            ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 100);
            ck_assert_int_eq (memcmp (buf, fits, sizeof fits), 0);
        } else if (form == 1) {
            char *text = zpat_recv_str (pull);
            ck_assert_ptr_nonnull (text);
            ck_assert_uint_eq (strlen (text), 100);
            ck_assert_int_eq (memcmp (text, fits, sizeof fits), 0);
            zpat_str_free (&text);
        } else {
            ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
            ck_assert_uint_eq (zpat_msg_size (msg, 0), 100);
            ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), fits, 100), 0);
        }
    }
    // Nothing else is waiting: the oversized messages are gone.
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 50), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), -1);
    ck_assert_int_eq (errno, EAGAIN);

    // Raising the limit lets the same message through.
    ck_assert_int_eq (zpat_set_max_msg_bytes (pull, 101), 0);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 5000), 0);
    ck_assert_int_eq (zpat_send (push, big, sizeof big), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 101);
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// A stream of messages the receiver must drop, one every few milliseconds,
// until told to stop: junk (requests without an envelope, from a raw DEALER)
// for a REP, or oversized messages for an inproc PULL.
typedef struct {
    const char *endpoint;
    bool to_rep;
    int timeout_ms;
    int delay_ms;   // once: wait this long before each message
    bool once;      // one message per round, each round started by go
    atomic_bool go; // once: the next round may start
    atomic_bool stop;
    int sent;
} junk_stream_t;

static void *
s_junk_stream (void *arg)
{
    junk_stream_t *self = arg;
    void *ctx = zmq_ctx_new ();
    void *sock = NULL;
    zpat_push_t *push = NULL;
    char big[200];
    memset (big, 'J', sizeof big);
    if (self->to_rep) {
        sock = zmq_socket (ctx, ZMQ_DEALER);
        zmq_connect (sock, self->endpoint);
    } else
        push = zpat_push_new (self->endpoint, NULL);
    // It stops by itself after a while, so that a receive that waits for
    // the stream to end fails its assertion rather than Check's timeout.
    long long end = tu_now_ms () + 15LL * self->timeout_ms;
    while (self->once && !atomic_load (&self->stop) && tu_now_ms () < end) {
        // One oversized message delay_ms into the round, then wait for the
        // next round.
        struct timespec delay = {self->delay_ms / 1000,
                                 (self->delay_ms % 1000) * 1000000L};
        nanosleep (&delay, NULL);
        if (zpat_send (push, big, sizeof big) == 0)
            self->sent++;
        while (!atomic_exchange (&self->go, false) &&
               !atomic_load (&self->stop) && tu_now_ms () < end) {
            struct timespec poll_pause = {0, 1000 * 1000};
            nanosleep (&poll_pause, NULL);
        }
    }
    while (!self->once && !atomic_load (&self->stop) && tu_now_ms () < end) {
        int rc = self->to_rep ? zmq_send (sock, "junk", 4, 0)
                              : zpat_send (push, big, sizeof big);
        if (rc >= 0)
            self->sent++;
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    if (sock)
        zmq_close (sock);
    zmq_ctx_term (ctx);
    zpat_push_destroy (&push);
    return NULL;
}

// A receive keeps to its timeout while it drops what it must not deliver: a
// steady stream of junk cannot hold it past the timeout (zpat drops such
// messages itself and waits again, with what is left of the time).
START_TEST (receive_times_out_while_dropping_a_stream_of_junk)
{
    bool to_rep = _i == 0;
    int factor = tu_time_factor ();
    int timeout = 200 * factor;
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, to_rep ? "tcp" : "inproc");
    zpat_options_t opts = {.recv_timeout_ms = timeout, .max_msg_bytes = 100};
    zpat_rep_t *rep = NULL;
    zpat_pull_t *pull = NULL;
    if (to_rep) {
        rep = zpat_rep_new (endpoint, &opts);
        ck_assert_ptr_nonnull (rep);
        snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (rep));
    } else {
        pull = zpat_pull_new (endpoint, &opts);
        ck_assert_ptr_nonnull (pull);
    }
    junk_stream_t junk = {
        .endpoint = endpoint, .to_rep = to_rep, .timeout_ms = timeout};
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_junk_stream, &junk), 0);

    // Each receive ends with EAGAIN after about the timeout, the junk still
    // flowing: well before ten timeouts have passed.
    for (int i = 0; i < 2; i++) {
        long long start = tu_now_ms ();
        char *text = to_rep ? zpat_recv_str (rep) : zpat_recv_str (pull);
        long long took = tu_now_ms () - start;
        ck_assert_ptr_null (text);
        ck_assert_int_eq (errno, EAGAIN);
        ck_assert_int_ge (took, timeout - 10);
        ck_assert_msg (took < 10 * timeout,
                       "a receive with a %d ms timeout took %lld ms", timeout,
                       took);
    }
    atomic_store (&junk.stop, true);
    pthread_join (thread, NULL);
    // The stream really flowed and was really dropped.
    ck_assert_int_gt (junk.sent, 20);
    zpat_rep_destroy (&rep);
    zpat_pull_destroy (&pull);
}
END_TEST

// One oversized message that arrives while a receive waits is dropped
// without starting the wait over: the receive still ends on time.
START_TEST (oversized_message_mid_wait_does_not_extend_the_timeout)
{
    int timeout = 300 * tu_time_factor ();
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.recv_timeout_ms = timeout, .max_msg_bytes = 100};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pull);
    junk_stream_t junk = {.endpoint = endpoint,
                          .timeout_ms = timeout,
                          .delay_ms = timeout * 7 / 10,
                          .once = true};
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_junk_stream, &junk), 0);
    for (int form = 0; form < 3; form++) {
        long long start = tu_now_ms ();
        int rc;
        if (form == 0) {
            char buf[300];
            rc = zpat_recv (pull, buf, sizeof buf);
        } else if (form == 1) {
            char *text = zpat_recv_str (pull);
            rc = text ? 0 : -1;
            zpat_str_free (&text);
        } else {
            zpat_msg_t *msg = zpat_msg_new ();
            ck_assert_int_eq (zpat_msg_add_str (msg, "before"), 0);
            rc = zpat_recv_msg (pull, msg);
            zpat_msg_destroy (&msg);
        }
        long long took = tu_now_ms () - start;
        ck_assert_int_eq (rc, -1);
        ck_assert_int_eq (errno, EAGAIN);
        ck_assert_msg (took < timeout * 14 / 10,
                       "form %d: a %d ms receive took %lld ms", form, timeout,
                       took);
        // The next round's message.
        if (form < 2)
            atomic_store (&junk.go, true);
    }
    atomic_store (&junk.stop, true);
    pthread_join (thread, NULL);
    ck_assert_int_eq (junk.sent, 3);
    zpat_pull_destroy (&pull);
}
END_TEST

// Over tcp:// libzmq drops an oversized reply and the REQ gets none; over
// inproc:// zpat drops it, with the same result: the receive waits out its
// timeout (EAGAIN), by whichever path it runs.
START_TEST (req_whose_reply_is_oversized_times_out)
{
    int timeout = 300 * tu_time_factor ();
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_rep_t *rep = zpat_rep_new (endpoint, NULL);
    ck_assert_ptr_nonnull (rep);
    zpat_options_t opts = {.recv_timeout_ms = timeout, .max_msg_bytes = 100};
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "big please"), 0);
    char *request = zpat_recv_str (rep);
    ck_assert_str_eq (request, "big please");
    zpat_str_free (&request);
    char big[200];
    memset (big, 'R', sizeof big);
    ck_assert_int_eq (zpat_send (rep, big, sizeof big), 0);
    long long start = tu_now_ms ();
    char buf[300];
    ck_assert_int_eq (zpat_recv (req, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EAGAIN);
    long long took = tu_now_ms () - start;
    ck_assert_int_ge (took, timeout - 10);
    ck_assert_int_lt (took, 2 * timeout);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// A zero-copy frame of a few bytes, received and copied out, is let go at
// once: its free function runs before the receive returns.
static atomic_int s_small_frees;

static void
s_count_free (void *data, void *hint)
{
    (void)data;
    (void)hint;
    atomic_fetch_add (&s_small_frees, 1);
}

START_TEST (small_zero_copy_frame_is_released_by_the_receive)
{
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.recv_timeout_ms = 5000 * tu_time_factor ()};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    zpat_push_t *push = zpat_push_new (endpoint, NULL);
    ck_assert_ptr_nonnull (pull);
    ck_assert_ptr_nonnull (push);
    static char payload[] = "ten bytes!";
    zpat_msg_t *msg = zpat_msg_new ();
    for (int form = 0; form < 2; form++) {
        atomic_store (&s_small_frees, 0);
        ck_assert_int_eq (
            zpat_msg_add_zc (msg, payload, 10, s_count_free, NULL), 0);
        ck_assert_int_eq (zpat_send_msg (push, msg), 0);
        if (form == 0) {
            char buf[16];
            ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 10);
        } else {
            char *text = zpat_recv_str (pull);
            ck_assert_str_eq (text, "ten bytes!");
            zpat_str_free (&text);
        }
        ck_assert_int_eq (atomic_load (&s_small_frees), 1);
    }
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// Fills a pusher connected to nobody with 1,000 messages, destroys it and
// ends the context, and returns how long that took. libzmq closes a socket
// in the background, so the wait for queued messages falls on the context's
// end (zpat_shutdown with no objects left, or leaving the process).
static long long
s_destroy_full_pusher (const zpat_options_t *opts)
{
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "ipc");
    zpat_push_t *push = zpat_push_new (endpoint, opts);
    ck_assert_ptr_nonnull (push);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq (zpat_sendf (push, "queued %d", i), 0);
    long long start = tu_now_ms ();
    zpat_push_destroy (&push);
    ck_assert_ptr_null (push);
    ck_assert_int_lt (tu_now_ms () - start, 1000LL * tu_time_factor ());
    zpat_shutdown ();
    return tu_now_ms () - start;
}

// The slack allowed on top of a linger, for loaded machines, scaled for
// valgrind.
#define SLACK_MS (2000LL * tu_time_factor ())

START_TEST (destroy_with_queued_messages_returns_within_linger)
{
    // The peer never comes: the messages wait at most the linger (1 s by
    // default), not for ever.
    zpat_options_t opts = {.send_hwm = 2000, .send_timeout_ms = 5000};
    long long elapsed = s_destroy_full_pusher (&opts);
    ck_assert_int_lt (elapsed, ZPAT_DEFAULT_LINGER_MS + SLACK_MS);

    opts.linger_ms = 300;
    elapsed = s_destroy_full_pusher (&opts);
    ck_assert_int_lt (elapsed, 300 + SLACK_MS);

    opts.linger_ms = ZPAT_WAIT_NONE;
    elapsed = s_destroy_full_pusher (&opts);
    ck_assert_int_lt (elapsed, 1000LL * tu_time_factor ());

    // And the next object starts a fresh context that works.
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", NULL);
    ck_assert_ptr_nonnull (pull);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Error texts

START_TEST (strerror_covers_every_code)
{
    const int codes[] = {
        ZPAT_ESUBLEN, ZPAT_EFRAMES, ZPAT_EFORKED,    ZPAT_ENOHOST,
        ZPAT_EFSM,    ZPAT_ETERM,   EAGAIN,          EINVAL,
        EINTR,        EMSGSIZE,     EADDRINUSE,      0,
        -1,           123456789,    ZPAT_ERRNO_BASE, ZPAT_ERRNO_BASE + 99};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *text = zpat_strerror (codes[i]);
        ck_assert_msg (text && *text, "no text for %d", codes[i]);
    }
    // zpat's and libzmq's codes have texts of their own, not "unknown".
    const char *unknown = zpat_strerror (123456789);
    const int own[] = {ZPAT_ESUBLEN, ZPAT_EFRAMES, ZPAT_EFSM,
                       ZPAT_ETERM,   ZPAT_EFORKED, ZPAT_ENOHOST};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        ck_assert_str_ne (zpat_strerror (own[i]), unknown);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne (zpat_strerror (own[i]), zpat_strerror (own[j]));
    }
    // Plain errno values read as the C library reads them.
    ck_assert_str_eq (zpat_strerror (EAGAIN), strerror (EAGAIN));
    // The same pointer every time: static text, never to be freed.
    ck_assert_ptr_eq (zpat_strerror (ZPAT_EFRAMES),
                      zpat_strerror (ZPAT_EFRAMES));
}
END_TEST

static Suite *
errors_suite (void)
{
    Suite *suite = suite_create ("errors");
    TCase *tc = tcase_create ("null");
    tcase_add_test (tc, null_socket_is_refused_by_every_socket_function);
    tcase_add_test (tc, null_argument_is_refused_by_every_socket_function);
    tcase_add_test (tc, null_argument_is_refused_by_role_functions);
    tcase_add_test (tc, null_argument_is_refused_by_message_functions);
    tcase_add_test (tc, destroying_null_does_nothing);
    tcase_add_test (tc, null_endpoints_and_options_make_working_objects);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("endpoints");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, bad_endpoint_is_refused_by_constructors, 0,
                         BAD_ENDPOINTS);
    tcase_add_loop_test (tc, bad_endpoint_is_refused_by_bind_and_connect, 0,
                         BAD_ENDPOINTS);
    tcase_add_test (tc, failed_constructor_leaves_nothing_bound);
    tcase_add_test (tc, port_in_use_fails_with_eaddrinuse);
    tcase_add_test (tc, unresolvable_bind_host_fails_with_enohost);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("roles");
    tcase_add_test (tc, send_on_receive_only_role_fails_with_einval);
    tcase_add_test (tc, receive_on_send_only_role_fails_with_einval);
    tcase_add_test (tc, setter_for_the_other_direction_fails_with_einval);
    tcase_add_test (tc, role_function_on_crossed_pointer_fails_with_einval);
    tcase_add_test (tc, bad_subscription_prefix_fails);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("peers");
    tcase_set_timeout (tc, 25);
    tcase_add_test (tc,
                    oversized_message_is_dropped_and_both_sides_keep_working);
    tcase_add_test (tc, oversized_inproc_message_is_dropped_by_every_receive);
    tcase_add_loop_test (tc, receive_times_out_while_dropping_a_stream_of_junk,
                         0, 2);
    tcase_add_test (tc, oversized_message_mid_wait_does_not_extend_the_timeout);
    tcase_add_test (tc, req_whose_reply_is_oversized_times_out);
    tcase_add_test (tc, small_zero_copy_frame_is_released_by_the_receive);
    tcase_add_test (tc, destroy_with_queued_messages_returns_within_linger);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("strerror");
    tcase_add_test (tc, strerror_covers_every_code);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (errors_suite (), CK_FORK_GETENV);
}
