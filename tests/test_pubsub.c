// test_pubsub.c - Check suite for publish-subscribe: zpat_pub_t and
// zpat_sub_t.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <zpat.h>

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// How long a test waits for subscriptions to reach the publisher (scaled
// for valgrind, like every bound in this file).
#define SUBSCRIBE_WAIT_MS (5000 * tu_time_factor ())

// Makes a PUB bound to a fresh endpoint on transport and copies the endpoint
// it really bound (a tcp:// port resolved) into endpoint, for subscribers.
static zpat_pub_t *
s_pub_bound (const char *transport, char *endpoint)
{
    char wanted[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, transport);
    zpat_pub_t *pub = zpat_pub_new (wanted, &tu_opts);
    tu_bound_endpoint (zpat_socket (pub), "zpat_pub_new", wanted, endpoint);
    return pub;
}

static zpat_sub_t *
s_sub_new (const char *endpoint, const char *prefix)
{
    zpat_sub_t *sub = zpat_sub_new (endpoint, prefix, &tu_opts);
    ck_assert_msg (sub, "zpat_sub_new (%s, \"%s\"): %s", endpoint,
                   prefix ? prefix : "(null)", zpat_strerror (errno));
    return sub;
}

// Waits until the publisher sees count subscriptions, and checks it sees no
// more than that.
static void
s_await_subscriptions (zpat_pub_t *pub, int count)
{
    int seen = zpat_pub_wait_subscriptions (pub, count, SUBSCRIBE_WAIT_MS);
    ck_assert_msg (seen == count, "waited for %d subscriptions, got %d (%s)",
                   count, seen, seen < 0 ? zpat_strerror (errno) : "");
}

// Waits up to 2 s (times the time factor) for zpat_pub_subscriptions to
// report exactly count, and returns the last count seen. For counts that go
// down there is no call that blocks until an unsubscription arrives, so this
// polls every millisecond.
static int
s_await_count (zpat_pub_t *pub, int count)
{
    long long deadline = tu_now_ms () + 2000LL * tu_time_factor ();
    int seen = zpat_pub_subscriptions (pub);
    while (seen != count && tu_now_ms () < deadline) {
        struct timespec pause = {0, 1000 * 1000};
        nanosleep (&pause, NULL);
        seen = zpat_pub_subscriptions (pub);
    }
    return seen;
}

// Receives one one-frame message and checks it is expected.
static void
s_expect (zpat_sub_t *sub, const char *expected)
{
    char *got = zpat_recv_str (sub);
    ck_assert_msg (got, "waiting for \"%s\": %s", expected,
                   zpat_strerror (errno));
    ck_assert_str_eq (got, expected);
    zpat_str_free (&got);
}

// ---------------------------------------------------------------------------
// Filtering

// Published in this order. The last one matches "123", so that any message
// wrongly let through to a "123" subscriber shows up before it.
static const char *const news[] = {
    "123 first", "456 second", "12",   "1234", "0123",
    "",          "123",        "12 3", "x123", "123 last",
};
#define NEWS ((int)(sizeof news / sizeof news[0]))

// Binds a publisher, connects a subscriber with prefix, waits for it and
// publishes the news; returns the publisher.
static zpat_pub_t *
s_publish_news (const char *transport, zpat_sub_t **sub, const char *prefix)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (transport, endpoint);
    *sub = s_sub_new (endpoint, prefix);
    s_await_subscriptions (pub, 1);
    for (int i = 0; i < NEWS; i++)
        ck_assert_int_eq (zpat_send_str (pub, news[i]), 0);
    return pub;
}

// A "123" subscriber gets exactly the messages starting with "123", in
// order, and nothing in between.
START_TEST (sub_123_gets_only_123_messages)
{
    zpat_sub_t *sub;
    zpat_pub_t *pub = s_publish_news (tu_transports[_i], &sub, "123");
    s_expect (sub, "123 first");
    s_expect (sub, "1234");
    s_expect (sub, "123");
    s_expect (sub, "123 last");
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// An empty prefix subscribes to everything, the empty message included.
START_TEST (sub_with_empty_prefix_gets_every_message)
{
    zpat_sub_t *sub;
    zpat_pub_t *pub = s_publish_news (tu_transports[_i], &sub, "");
    for (int i = 0; i < NEWS; i++)
        s_expect (sub, news[i]);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// Two subscribers with different prefixes on one publisher each get their
// own share of the same stream.
START_TEST (two_subscribers_each_get_their_own_prefix)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *cats = s_sub_new (endpoint, "cat");
    zpat_sub_t *dogs = s_sub_new (endpoint, "dog");
    s_await_subscriptions (pub, 2);
    const char *stream[] = {"cat 1", "dog 1", "cow 1", "dog 2", "cat 2"};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq (zpat_send_str (pub, stream[i]), 0);
    s_expect (cats, "cat 1");
    s_expect (cats, "cat 2");
    s_expect (dogs, "dog 1");
    s_expect (dogs, "dog 2");
    zpat_sub_destroy (&cats);
    zpat_sub_destroy (&dogs);
    zpat_pub_destroy (&pub);
}
END_TEST

// After unsubscribing from "A", "A" messages stop while "B" ones still come:
// a "B" sentinel published after each "A" message arrives next, so an "A"
// message let through would have shown up first. Checked before the
// publisher learns of the unsubscription and again after.
START_TEST (unsubscribe_stops_delivery)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *sub = s_sub_new (endpoint, "A");
    ck_assert_int_eq (zpat_sub_subscribe (sub, "B"), 0);
    s_await_subscriptions (pub, 2);
    ck_assert_int_eq (zpat_send_str (pub, "A1"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "B1"), 0);
    s_expect (sub, "A1");
    s_expect (sub, "B1");

    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "A"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "A2"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "B2"), 0);
    s_expect (sub, "B2");

    ck_assert_int_eq (s_await_count (pub, 1), 1);
    ck_assert_int_eq (zpat_send_str (pub, "A3"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "B3"), 0);
    s_expect (sub, "B3");
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// Makes a PUB bound on transport and a SUB that holds "A" twice and "B"
// once, and waits until the publisher counts them: it counts distinct
// prefixes per subscriber, so two. The caller destroys both.
static zpat_pub_t *
s_pub_with_a_twice (const char *transport, zpat_sub_t **sub)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (transport, endpoint);
    *sub = s_sub_new (endpoint, "A");
    ck_assert_int_eq (zpat_sub_subscribe (*sub, "A"), 0);
    ck_assert_int_eq (zpat_sub_subscribe (*sub, "B"), 0);
    s_await_subscriptions (pub, 2);
    return pub;
}

// Subscriptions count: a prefix subscribed twice still delivers after one
// unsubscribe, and stops after the second.
START_TEST (prefix_subscribed_twice_needs_two_unsubscribes)
{
    zpat_sub_t *sub;
    zpat_pub_t *pub = s_pub_with_a_twice (tu_transports[_i], &sub);

    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "A"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "A1"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "B1"), 0);
    s_expect (sub, "A1");
    s_expect (sub, "B1");

    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "A"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "A2"), 0);
    ck_assert_int_eq (zpat_send_str (pub, "B2"), 0);
    s_expect (sub, "B2");
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// ---------------------------------------------------------------------------
// Topic + payload

// A payload with a NUL byte inside, to show it is carried as bytes.
static const char payload[] = "sunny\0 22 C";
#define PAYLOAD_SIZE (sizeof payload - 1)

// zpat_pub_send_topic sends two frames; zpat_sub_recv_topic gives both back
// and the payload's size. The prefix is matched against the topic only.
START_TEST (send_topic_round_trips_through_recv_topic)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *sub = s_sub_new (endpoint, "weather");
    s_await_subscriptions (pub, 1);
    ck_assert_int_eq (zpat_pub_send_topic (pub, "sports", "weather", 7), 0);
    ck_assert_int_eq (
        zpat_pub_send_topic (pub, "weather.paris", payload, PAYLOAD_SIZE), 0);
    ck_assert_int_eq (zpat_pub_send_topic (pub, "weather.oslo", NULL, 0), 0);

    char *topic = NULL, *data = NULL;
    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &data),
                      (int)PAYLOAD_SIZE);
    ck_assert_str_eq (topic, "weather.paris");
    ck_assert_mem_eq (data, payload, PAYLOAD_SIZE);
    ck_assert_int_eq (data[PAYLOAD_SIZE], 0);
    zpat_str_free (&topic);
    zpat_str_free (&data);

    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &data), 0);
    ck_assert_str_eq (topic, "weather.oslo");
    ck_assert_str_eq (data, "");
    zpat_str_free (&topic);
    zpat_str_free (&data);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// The same two frames sent with zpat_send_frames come back whole through
// zpat_recv_msg, and the two ways of sending and receiving mix.
START_TEST (topic_frames_round_trip_through_send_frames_and_recv_msg)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *sub = s_sub_new (endpoint, "weather");
    s_await_subscriptions (pub, 1);
    zpat_frame_t frames[2] = {{"weather.rome", 12}, {payload, PAYLOAD_SIZE}};
    ck_assert_int_eq (zpat_send_frames (pub, frames, 2), 0);
    ck_assert_int_eq (zpat_send_frames (pub, frames, 2), 0);
    ck_assert_int_eq (
        zpat_pub_send_topic (pub, "weather.lima", payload, PAYLOAD_SIZE), 0);

    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    ck_assert_int_eq (zpat_recv_msg (sub, msg), 2);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 12);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "weather.rome", 12);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), PAYLOAD_SIZE);
    ck_assert_mem_eq (zpat_msg_data (msg, 1), payload, PAYLOAD_SIZE);

    // zpat_send_frames -> zpat_sub_recv_topic.
    char *topic = NULL, *data = NULL;
    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &data),
                      (int)PAYLOAD_SIZE);
    ck_assert_str_eq (topic, "weather.rome");
    ck_assert_mem_eq (data, payload, PAYLOAD_SIZE);
    zpat_str_free (&topic);
    zpat_str_free (&data);

    // zpat_pub_send_topic -> zpat_recv_msg.
    ck_assert_int_eq (zpat_recv_msg (sub, msg), 2);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 12);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "weather.lima", 12);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), PAYLOAD_SIZE);
    ck_assert_mem_eq (zpat_msg_data (msg, 1), payload, PAYLOAD_SIZE);
    zpat_msg_destroy (&msg);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// A one-frame message is a topic with an empty payload; a three-frame one is
// refused with ZPAT_EFRAMES and kept for the next receive.
START_TEST (recv_topic_takes_one_frame_and_refuses_three)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *sub = s_sub_new (endpoint, "");
    s_await_subscriptions (pub, 1);
    ck_assert_int_eq (zpat_send_str (pub, "just a topic"), 0);
    zpat_frame_t frames[3] = {{"t", 1}, {"one", 3}, {"two", 3}};
    ck_assert_int_eq (zpat_send_frames (pub, frames, 3), 0);

    char *topic = NULL, *data = NULL;
    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &data), 0);
    ck_assert_str_eq (topic, "just a topic");
    ck_assert_str_eq (data, "");
    zpat_str_free (&topic);
    zpat_str_free (&data);

    errno = 0;
    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &data), -1);
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    ck_assert_ptr_null (topic);
    ck_assert_ptr_null (data);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    ck_assert_int_eq (zpat_recv_msg (sub, msg), 3);
    ck_assert_mem_eq (zpat_msg_data (msg, 2), "two", 3);
    zpat_msg_destroy (&msg);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// ---------------------------------------------------------------------------
// Slow joiners and subscription counts

// Once zpat_pub_wait_subscriptions says the subscriber is in place, the very
// first message published reaches it (no sleep), also for a subscriber that
// joins while another is already receiving.
START_TEST (first_message_after_wait_subscriptions_is_delivered)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *early = s_sub_new (endpoint, "");
    s_await_subscriptions (pub, 1);
    ck_assert_int_eq (zpat_send_str (pub, "first"), 0);
    s_expect (early, "first");

    zpat_sub_t *late = s_sub_new (endpoint, "");
    s_await_subscriptions (pub, 2);
    ck_assert_int_eq (zpat_send_str (pub, "second"), 0);
    s_expect (late, "second");
    s_expect (early, "second");
    zpat_sub_destroy (&late);
    zpat_sub_destroy (&early);
    zpat_pub_destroy (&pub);
}
END_TEST

// Waiting for a subscriber that never comes ends with EAGAIN after about the
// timeout.
START_TEST (wait_subscriptions_times_out_with_eagain)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    ck_assert_int_eq (zpat_pub_subscriptions (pub), 0);
    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_int_eq (zpat_pub_wait_subscriptions (pub, 1, 200), -1);
    ck_assert_int_eq (errno, EAGAIN);
    long long elapsed = tu_now_ms () - start;
    ck_assert_int_ge (elapsed, 180);
    ck_assert_int_lt (elapsed, 1000LL * tu_time_factor ());
    zpat_pub_destroy (&pub);
}
END_TEST

// The count goes up with each prefix of each subscriber, and back down as a
// subscriber unsubscribes, then as subscribers disconnect.
START_TEST (subscription_count_goes_up_and_back_down)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *first = s_sub_new (endpoint, "a");
    ck_assert_int_eq (zpat_sub_subscribe (first, "b"), 0);
    s_await_subscriptions (pub, 2);
    zpat_sub_t *second = s_sub_new (endpoint, "");
    s_await_subscriptions (pub, 3);
    ck_assert_int_eq (zpat_pub_subscriptions (pub), 3);

    ck_assert_int_eq (zpat_sub_unsubscribe (first, "a"), 0);
    ck_assert_int_eq (s_await_count (pub, 2), 2);
    zpat_sub_destroy (&second);
    ck_assert_int_eq (s_await_count (pub, 1), 1);
    zpat_sub_destroy (&first);
    ck_assert_int_eq (s_await_count (pub, 0), 0);
    zpat_pub_destroy (&pub);
}
END_TEST

// A prefix one subscriber holds twice counts once at the publisher, stays
// counted after one unsubscribe, and goes with the second; a prefix it does
// not hold cannot be unsubscribed.
START_TEST (subscription_count_follows_a_prefix_subscribed_twice)
{
    zpat_sub_t *sub;
    zpat_pub_t *pub = s_pub_with_a_twice (tu_transports[_i], &sub);
    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "A"), 0);
    // Prove the unsubscribe was sent nowhere: a later "B" change arrives and
    // the count reflects only it.
    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "B"), 0);
    ck_assert_int_eq (s_await_count (pub, 1), 1);
    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "A"), 0);
    ck_assert_int_eq (s_await_count (pub, 0), 0);
    ck_assert_int_eq (zpat_sub_unsubscribe (sub, "A"), -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// A subscriber that held a prefix twice stops counting once it disconnects.
START_TEST (subscriber_holding_a_prefix_twice_stops_counting_on_disconnect)
{
    zpat_sub_t *sub;
    zpat_pub_t *pub = s_pub_with_a_twice (tu_transports[_i], &sub);
    zpat_sub_destroy (&sub);
    ck_assert_int_eq (s_await_count (pub, 0), 0);
    zpat_pub_destroy (&pub);
}
END_TEST

// ---------------------------------------------------------------------------
// Subscription lengths

#define LONGEST 1024

// Every prefix length from 0 to 1,024 bytes either delivers or is refused
// with ZPAT_ESUBLEN when subscribing. Only lengths 246 to 255 may be refused
// (libzmq 4.3.0 to 4.3.4 never deliver them), and then all ten are.
//
// The prefix of length n (n >= 1) is n - 1 'a's and a 'b', and its message is
// the prefix and "!". No prefix starts another, so each message matches only
// its own subscription and none made earlier can stand in for it; the empty
// prefix, which matches everything, comes last with the message "!".
START_TEST (every_prefix_length_up_to_1024_delivers_or_fails_with_esublen)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound (tu_transports[_i], endpoint);
    zpat_sub_t *sub = s_sub_new (endpoint, NULL);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (sub, 2000 * tu_time_factor ()),
                      0);
    char prefix[LONGEST + 1], message[LONGEST + 2], got[LONGEST + 2];
    int accepted = 0, refused = 0;

    for (int step = 1; step <= LONGEST + 1; step++) {
        int n = step % (LONGEST + 1); // 1, 2, ..., 1024, then 0
        memset (prefix, 'a', (size_t)n);
        if (n > 0)
            prefix[n - 1] = 'b';
        prefix[n] = 0;
        if (zpat_sub_subscribe (sub, prefix) == -1) {
            ck_assert_msg (errno == ZPAT_ESUBLEN,
                           "length %d: subscribe failed with %s", n,
                           zpat_strerror (errno));
            ck_assert_msg (n >= 246 && n <= 255,
                           "length %d refused with ZPAT_ESUBLEN", n);
            refused++;
            continue;
        }
        accepted++;
        int seen = zpat_pub_wait_subscriptions (pub, accepted,
                                                2000 * tu_time_factor ());
        if (seen != accepted)
            ck_abort_msg ("length %d: %d of %d subscriptions arrived (%s)", n,
                          seen, accepted, zpat_strerror (errno));
        snprintf (message, sizeof message, "%s!", prefix);
        size_t size = (size_t)n + 1;
        if (zpat_send (pub, message, size) != 0)
            ck_abort_msg ("length %d: publish: %s", n, zpat_strerror (errno));
        int received = zpat_recv (sub, got, sizeof got);
        if (received != (int)size || memcmp (got, message, size) != 0)
            ck_abort_msg ("length %d: message not delivered (%d: %s)", n,
                          received, received < 0 ? zpat_strerror (errno) : "");
    }
    ck_assert_msg (refused == 0 || refused == 10, "%d lengths refused",
                   refused);
    ck_assert_int_eq (accepted + refused, LONGEST + 1);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// zpat_sub_new with a prefix of a length libzmq 4.3.0 to 4.3.4 would never
// deliver (246 to 255 bytes) fails with ZPAT_ESUBLEN and returns NULL, and
// so does zpat_sub_subscribe; the lengths either side work. This test
// expects the libzmq of Debian 12 (4.3.4).
START_TEST (sub_new_with_prefix_in_the_hole_fails_with_esublen)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pub_t *pub = s_pub_bound ("tcp", endpoint);
    zpat_sub_t *sub = s_sub_new (endpoint, NULL);
    char prefix[257];
    for (int n = 245; n <= 256; n++) {
        memset (prefix, 'a', (size_t)n);
        prefix[n] = 0;
        bool hole = n >= 246 && n <= 255;
        errno = 0;
        zpat_sub_t *other = zpat_sub_new (endpoint, prefix, &tu_opts);
        int rc = zpat_sub_subscribe (sub, prefix);
        if (hole) {
            ck_assert_msg (!other, "zpat_sub_new took length %d", n);
            ck_assert_msg (rc == -1 && errno == ZPAT_ESUBLEN,
                           "length %d: rc %d, %s", n, rc,
                           zpat_strerror (errno));
        } else {
            ck_assert_msg (other, "length %d: %s", n, zpat_strerror (errno));
            ck_assert_int_eq (rc, 0);
        }
        zpat_sub_destroy (&other);
    }
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// ---------------------------------------------------------------------------

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("pubsub");

    TCase *filter = tcase_create ("filtering");
    tcase_set_timeout (filter, 30);
    tcase_add_loop_test (filter, sub_123_gets_only_123_messages, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (filter, sub_with_empty_prefix_gets_every_message, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (filter, two_subscribers_each_get_their_own_prefix, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (filter, unsubscribe_stops_delivery, 0, TU_TRANSPORTS);
    tcase_add_loop_test (filter, prefix_subscribed_twice_needs_two_unsubscribes,
                         0, TU_TRANSPORTS);
    suite_add_tcase (suite, filter);

    TCase *topics = tcase_create ("topics");
    tcase_set_timeout (topics, 30);
    tcase_add_loop_test (topics, send_topic_round_trips_through_recv_topic, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (
        topics, topic_frames_round_trip_through_send_frames_and_recv_msg, 0,
        TU_TRANSPORTS);
    tcase_add_loop_test (topics, recv_topic_takes_one_frame_and_refuses_three,
                         0, TU_TRANSPORTS);
    suite_add_tcase (suite, topics);

    TCase *joining = tcase_create ("subscriptions");
    tcase_set_timeout (joining, 30);
    tcase_add_loop_test (joining,
                         first_message_after_wait_subscriptions_is_delivered, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (joining, wait_subscriptions_times_out_with_eagain, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (joining, subscription_count_goes_up_and_back_down, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (joining,
                         subscription_count_follows_a_prefix_subscribed_twice,
                         0, TU_TRANSPORTS);
    tcase_add_loop_test (
        joining, subscriber_holding_a_prefix_twice_stops_counting_on_disconnect,
        0, TU_TRANSPORTS);
    suite_add_tcase (suite, joining);

    TCase *lengths = tcase_create ("lengths");
    tcase_set_timeout (lengths, 60);
    tcase_add_loop_test (
        lengths, every_prefix_length_up_to_1024_delivers_or_fails_with_esublen,
        0, TU_TRANSPORTS);
    tcase_add_test (lengths,
                    sub_new_with_prefix_in_the_hole_fails_with_esublen);
    suite_add_tcase (suite, lengths);
    return suite;
}

int
main (void)
{
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
