// test_zerocopy.c - a frame added with zpat_msg_add_zc is never copied:
// over inproc:// the receiver reads the sender's own buffer, and it is freed
// once, after the receiver is done with it.
// SPDX-License-Identifier: MPL-2.0

#include "zpat.h"
#include "allochook.h"
#include "../testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t s_sizes[] = {64 * 1024, 1024 * 1024};

// What the free function saw.
typedef struct {
    atomic_int calls;
    void *data;
} freed_t;

static void
s_free (void *data, void *hint)
{
    freed_t *freed = hint;
    freed->data = data;
    atomic_fetch_add (&freed->calls, 1);
    free (data);
}

// The sender runs in a peer thread, as it would in a program, so that the
// buffer crosses threads as well as sockets.
typedef struct {
    zpat_push_t *push;
    unsigned char *buf;
    size_t size;
    freed_t *freed;
    int rc;
} sender_t;

static void *
s_send (void *arg)
{
    sender_t *sender = arg;
    zpat_msg_t *msg = zpat_msg_new ();
    sender->rc = -1;
    if (msg &&
        zpat_msg_add_zc (msg, sender->buf, sender->size, s_free,
                         sender->freed) == 0 &&
        zpat_send_msg (sender->push, msg) == 0)
        sender->rc = 0;
    zpat_msg_destroy (&msg);
    return NULL;
}

START_TEST (zc_frame_arrives_at_the_senders_address_and_is_freed_once)
{
    size_t size = s_sizes[_i];
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.recv_timeout_ms = 10000, .send_timeout_ms = 10000};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pull);
    zpat_push_t *push = zpat_push_new (endpoint, &opts);
    ck_assert_ptr_nonnull (push);
    zpat_msg_t *received = zpat_msg_new ();
    ck_assert_ptr_nonnull (received);

    freed_t freed = {.calls = 0};
    sender_t sender = {.push = push, .size = size, .freed = &freed};
    sender.buf = malloc (size);
    ck_assert_ptr_nonnull (sender.buf);
    for (size_t i = 0; i < size; i++)
        sender.buf[i] = (unsigned char)(i * 7 + 3);
    const void *sent_at = sender.buf;

    // From here to the receive nothing may allocate a block the size of the
    // payload: that would be a copy.
    ah_reset_largest ();
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_send, &sender), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, received), 1);
    size_t largest = ah_largest ();
    pthread_join (thread, NULL);
    ck_assert_int_eq (sender.rc, 0);

    ck_assert_uint_eq (zpat_msg_size (received, 0), size);
    ck_assert_ptr_eq (zpat_msg_data (received, 0), sent_at);
    // One assertion for the lot: Check records every assertion it passes.
    const unsigned char *bytes = zpat_msg_data (received, 0);
    size_t same = 0;
    while (same < size && bytes[same] == (unsigned char)(same * 7 + 3))
        same++;
    ck_assert_uint_eq (same, size);
    if (ah_active ())
        ck_assert_msg (largest < size,
                       "an allocation of %zu bytes while sending %zu", largest,
                       size);

    // The receiver holds the last reference: the buffer stays until it
    // lets go, and is then freed exactly once.
    ck_assert_int_eq (atomic_load (&freed.calls), 0);
    zpat_msg_reset (received);
    ck_assert_int_eq (atomic_load (&freed.calls), 1);
    ck_assert_ptr_eq (freed.data, sent_at);

    zpat_msg_destroy (&received);
    ck_assert_int_eq (atomic_load (&freed.calls), 1);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// The same message object can carry a zero-copy frame again and again, and
// each buffer still arrives where it was. The receiving message is reused
// as it is (loop 0), or emptied with zpat_msg_reset before each receive
// (loop 1, another path through zpat_recv_msg): either way, the buffer a
// receive replaced is freed by that receive.
START_TEST (reused_message_sends_each_zc_frame_without_copying)
{
    bool reset_first = _i == 1;
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.recv_timeout_ms = 10000, .send_timeout_ms = 10000};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    ck_assert_ptr_nonnull (pull);
    zpat_push_t *push = zpat_push_new (endpoint, &opts);
    ck_assert_ptr_nonnull (push);
    zpat_msg_t *out = zpat_msg_new ();
    zpat_msg_t *in = zpat_msg_new ();
    ck_assert_ptr_nonnull (out);
    ck_assert_ptr_nonnull (in);
    freed_t freed = {.calls = 0};
    for (int round = 0; round < 20; round++) {
        size_t size = s_sizes[round % 2];
        unsigned char *buf = malloc (size);
        ck_assert_ptr_nonnull (buf);
        memset (buf, round, size);
        ck_assert_int_eq (zpat_msg_add_zc (out, buf, size, s_free, &freed), 0);
        ck_assert_int_eq (zpat_send_msg (push, out), 0);
        ck_assert_uint_eq (zpat_msg_count (out), 0);
        if (reset_first) {
            zpat_msg_reset (in);
            ck_assert_int_eq (atomic_load (&freed.calls), round);
        }
        ck_assert_int_eq (zpat_recv_msg (pull, in), 1);
        ck_assert_ptr_eq (zpat_msg_data (in, 0), buf);
        ck_assert_uint_eq (zpat_msg_size (in, 0), size);
        ck_assert_int_eq (atomic_load (&freed.calls), round);
    }
    // The last buffer goes with the message, before the sockets do.
    zpat_msg_destroy (&in);
    ck_assert_int_eq (atomic_load (&freed.calls), 20);
    zpat_msg_destroy (&out);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

static Suite *
zerocopy_suite (void)
{
    Suite *suite = suite_create ("zerocopy");
    TCase *inproc = tcase_create ("inproc");
    tcase_add_loop_test (
        inproc, zc_frame_arrives_at_the_senders_address_and_is_freed_once, 0,
        (int)(sizeof s_sizes / sizeof s_sizes[0]));
    tcase_add_loop_test (
        inproc, reused_message_sends_each_zc_frame_without_copying, 0, 2);
    suite_add_tcase (suite, inproc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (zerocopy_suite (), CK_FORK_GETENV);
}
