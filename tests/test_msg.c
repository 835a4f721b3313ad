// test_msg.c - zpat_msg_t: building, reading, resetting and destroying
// messages, and how each call treats NULL and bad indexes.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <zpat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------------------
// Building and reading

START_TEST (new_message_is_empty)
{
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    ck_assert_uint_eq (zpat_msg_count (msg), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_msg_data (msg, 0));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 0);
    zpat_msg_destroy (&msg);
    ck_assert_ptr_null (msg);
}
END_TEST

START_TEST (frames_read_back_byte_exact)
{
    zpat_msg_t *msg = zpat_msg_new ();
    const unsigned char binary[] = {0x00, 0xff, 0x00, 0x7f, 0x80, 0x00};
    ck_assert_int_eq (zpat_msg_add_str (msg, "hello"), 0);
    ck_assert_int_eq (zpat_msg_add (msg, binary, sizeof binary), 0);
    ck_assert_int_eq (zpat_msg_add (msg, NULL, 0), 0);
    ck_assert_int_eq (zpat_msg_add_str (msg, ""), 0);
    ck_assert_int_eq (zpat_msg_add_str (msg, "你好，世界"), 0);
    ck_assert_uint_eq (zpat_msg_count (msg), 5);

    ck_assert_uint_eq (zpat_msg_size (msg, 0), 5);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "hello", 5);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), sizeof binary);
    ck_assert_mem_eq (zpat_msg_data (msg, 1), binary, sizeof binary);
    ck_assert_uint_eq (zpat_msg_size (msg, 2), 0);
    ck_assert_uint_eq (zpat_msg_size (msg, 3), 0);
    ck_assert_uint_eq (zpat_msg_size (msg, 4), strlen ("你好，世界"));
    ck_assert_mem_eq (zpat_msg_data (msg, 4), "你好，世界",
                      strlen ("你好，世界"));
    zpat_msg_destroy (&msg);
}
END_TEST

START_TEST (add_copies_the_caller_bytes)
{
    // The frame holds a copy: changing the buffer afterwards changes nothing.
    zpat_msg_t *msg = zpat_msg_new ();
    char buffer[] = "original";
    ck_assert_int_eq (zpat_msg_add (msg, buffer, strlen (buffer)), 0);
    memcpy (buffer, "CHANGED!", 8);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "original", 8);
    zpat_msg_destroy (&msg);
}
END_TEST

START_TEST (strdup_returns_terminated_copies)
{
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "topic"), 0);
    ck_assert_int_eq (zpat_msg_add (msg, NULL, 0), 0);
    ck_assert_int_eq (zpat_msg_add (msg, "a\0b", 3), 0);

    char *topic = zpat_msg_strdup (msg, 0);
    ck_assert_str_eq (topic, "topic");
    char *empty = zpat_msg_strdup (msg, 1);
    ck_assert_str_eq (empty, "");
    // A NUL inside ends the C string early, but all bytes and the final NUL
    // are there.
    char *binary = zpat_msg_strdup (msg, 2);
    ck_assert_mem_eq (binary, "a\0b\0", 4);

    // The copies are the caller's: they outlive the message.
    zpat_msg_destroy (&msg);
    ck_assert_str_eq (topic, "topic");
    zpat_str_free (&topic);
    zpat_str_free (&empty);
    zpat_str_free (&binary);
    ck_assert_ptr_null (topic);
    ck_assert_ptr_null (binary);
}
END_TEST

START_TEST (many_frames_keep_their_bytes_as_slots_grow)
{
    // Frames move to a larger array as the message grows; none may be lost
    // or mixed up on the way.
    zpat_msg_t *msg = zpat_msg_new ();
    char text[32];
    for (int i = 0; i < 1000; i++) {
        int length = snprintf (text, sizeof text, "frame %d", i);
        if (i % 7 == 0) {
            // Some frames are large, so they are not stored inline.
            char large[100];
            memset (large, 'a' + i % 26, sizeof large);
            memcpy (large, text, (size_t)length);
            ck_assert_int_eq (zpat_msg_add (msg, large, sizeof large), 0);
        } else
            ck_assert_int_eq (zpat_msg_add (msg, text, (size_t)length), 0);
    }
    ck_assert_uint_eq (zpat_msg_count (msg), 1000);
    for (int i = 0; i < 1000; i++) {
        int length = snprintf (text, sizeof text, "frame %d", i);
        const char *data = zpat_msg_data (msg, (size_t)i);
        ck_assert_ptr_nonnull (data);
        ck_assert_mem_eq (data, text, (size_t)length);
        if (i % 7 == 0) {
            ck_assert_uint_eq (zpat_msg_size (msg, (size_t)i), 100);
            ck_assert_int_eq (data[99], 'a' + i % 26);
        } else
            ck_assert_uint_eq (zpat_msg_size (msg, (size_t)i), (size_t)length);
    }
    zpat_msg_destroy (&msg);
}
END_TEST

// ---------------------------------------------------------------------------
// Reset and reuse

START_TEST (reset_empties_and_reuse_works)
{
    zpat_msg_t *msg = zpat_msg_new ();
    char text[32];
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i <= round % 10; i++) {
            int length = snprintf (text, sizeof text, "%d/%d", round, i);
            ck_assert_int_eq (zpat_msg_add (msg, text, (size_t)length), 0);
        }
        ck_assert_uint_eq (zpat_msg_count (msg), (size_t)(round % 10 + 1));
        int length = snprintf (text, sizeof text, "%d/0", round);
        ck_assert_mem_eq (zpat_msg_data (msg, 0), text, (size_t)length);

        zpat_msg_reset (msg);
        ck_assert_uint_eq (zpat_msg_count (msg), 0);
        errno = 0;
        ck_assert_ptr_null (zpat_msg_data (msg, 0));
        ck_assert_int_eq (errno, EINVAL);
        ck_assert_uint_eq (zpat_msg_size (msg, 0), 0);
    }
    // Resetting an empty message is harmless.
    zpat_msg_reset (msg);
    zpat_msg_reset (msg);
    ck_assert_uint_eq (zpat_msg_count (msg), 0);
    ck_assert_int_eq (zpat_msg_add_str (msg, "after"), 0);
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "after", 5);
    zpat_msg_destroy (&msg);
}
END_TEST

// ---------------------------------------------------------------------------
// Zero-copy frames (without sending: the framing suite sends them)

static int s_freed;
static void *s_freed_data;
static void *s_freed_hint;

static void
s_count_free (void *data, void *hint)
{
    s_freed++;
    s_freed_data = data;
    s_freed_hint = hint;
    free (data);
}

// Runs before each zero-copy test, so the counts hold under CK_FORK=no too.
static void
s_reset_counts (void)
{
    s_freed = 0;
    s_freed_data = NULL;
    s_freed_hint = NULL;
}

START_TEST (zero_copy_frame_points_at_caller_bytes)
{
    zpat_msg_t *msg = zpat_msg_new ();
    size_t size = 4096;
    unsigned char *data = malloc (size);
    for (size_t i = 0; i < size; i++)
        data[i] = (unsigned char)(i * 31);
    int hint;
    ck_assert_int_eq (zpat_msg_add_zc (msg, data, size, s_count_free, &hint),
                      0);
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), size);
    // No copy: the frame's bytes are the caller's bytes.
    ck_assert_ptr_eq (zpat_msg_data (msg, 0), data);
    ck_assert_int_eq (s_freed, 0);

    // The message owns the bytes: destroying it frees them, once.
    zpat_msg_destroy (&msg);
    ck_assert_int_eq (s_freed, 1);
    ck_assert_ptr_eq (s_freed_data, data);
    ck_assert_ptr_eq (s_freed_hint, &hint);
}
END_TEST

START_TEST (zero_copy_frame_is_freed_once_by_reset)
{
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (
        zpat_msg_add_zc (msg, malloc (64), 64, s_count_free, NULL), 0);
    zpat_msg_reset (msg);
    ck_assert_int_eq (s_freed, 1);
    zpat_msg_reset (msg);
    zpat_msg_destroy (&msg);
    ck_assert_int_eq (s_freed, 1);
}
END_TEST

START_TEST (zero_copy_without_free_function_borrows_forever)
{
    // free_fn NULL: bytes that outlive every send, such as a literal.
    static const char literal[] = "static bytes";
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (
        zpat_msg_add_zc (msg, (void *)literal, sizeof literal - 1, NULL, NULL),
        0);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "static bytes", 12);
    zpat_msg_destroy (&msg);
}
END_TEST

START_TEST (zero_copy_add_that_fails_does_not_free)
{
    // On failure nothing changes and the bytes stay the caller's.
    void *data = malloc (16);
    errno = 0;
    ck_assert_int_eq (zpat_msg_add_zc (NULL, data, 16, s_count_free, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_msg_t *msg = zpat_msg_new ();
    errno = 0;
    ck_assert_int_eq (zpat_msg_add_zc (msg, NULL, 16, s_count_free, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_uint_eq (zpat_msg_count (msg), 0);
    zpat_msg_destroy (&msg);
    ck_assert_int_eq (s_freed, 0);
    free (data);
}
END_TEST

// ---------------------------------------------------------------------------
// Bad input

START_TEST (bad_index_fails_cleanly)
{
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "only"), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_msg_data (msg, 1));
    ck_assert_int_eq (errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null (zpat_msg_data (msg, (size_t)-1));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), 0);
    ck_assert_uint_eq (zpat_msg_size (msg, (size_t)-1), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_msg_strdup (msg, 1));
    ck_assert_int_eq (errno, EINVAL);
    // The good frame is untouched.
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "only", 4);
    zpat_msg_destroy (&msg);
}
END_TEST

START_TEST (null_message_is_refused_or_ignored)
{
    ck_assert_uint_eq (zpat_msg_count (NULL), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_msg_data (NULL, 0));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_uint_eq (zpat_msg_size (NULL, 0), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_msg_strdup (NULL, 0));
    ck_assert_int_eq (errno, EINVAL);
    errno = 0;
    ck_assert_int_eq (zpat_msg_add (NULL, "x", 1), -1);
    ck_assert_int_eq (errno, EINVAL);
    errno = 0;
    ck_assert_int_eq (zpat_msg_add_str (NULL, "x"), -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_msg_reset (NULL);

    zpat_msg_t *msg = NULL;
    zpat_msg_destroy (NULL);
    zpat_msg_destroy (&msg);
    ck_assert_ptr_null (msg);
}
END_TEST

START_TEST (null_data_is_refused_unless_empty)
{
    zpat_msg_t *msg = zpat_msg_new ();
    errno = 0;
    ck_assert_int_eq (zpat_msg_add (msg, NULL, 1), -1);
    ck_assert_int_eq (errno, EINVAL);
    errno = 0;
    ck_assert_int_eq (zpat_msg_add_str (msg, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_uint_eq (zpat_msg_count (msg), 0);
    // NULL with size 0 is an empty frame, as documented.
    ck_assert_int_eq (zpat_msg_add (msg, NULL, 0), 0);
    ck_assert_int_eq (zpat_msg_add_zc (msg, NULL, 0, NULL, NULL), 0);
    ck_assert_uint_eq (zpat_msg_count (msg), 2);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 0);
    ck_assert_uint_eq (zpat_msg_size (msg, 1), 0);
    zpat_msg_destroy (&msg);
}
END_TEST

START_TEST (str_free_accepts_null)
{
    char *string = NULL;
    zpat_str_free (NULL);
    zpat_str_free (&string);
    ck_assert_ptr_null (string);
}
END_TEST

static Suite *
msg_suite (void)
{
    Suite *suite = suite_create ("msg");
    TCase *tc = tcase_create ("build");
    tcase_add_test (tc, new_message_is_empty);
    tcase_add_test (tc, frames_read_back_byte_exact);
    tcase_add_test (tc, add_copies_the_caller_bytes);
    tcase_add_test (tc, strdup_returns_terminated_copies);
    tcase_add_test (tc, many_frames_keep_their_bytes_as_slots_grow);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("reuse");
    tcase_add_test (tc, reset_empties_and_reuse_works);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("zero-copy");
    tcase_add_checked_fixture (tc, s_reset_counts, NULL);
    tcase_add_test (tc, zero_copy_frame_points_at_caller_bytes);
    tcase_add_test (tc, zero_copy_frame_is_freed_once_by_reset);
    tcase_add_test (tc, zero_copy_without_free_function_borrows_forever);
    tcase_add_test (tc, zero_copy_add_that_fails_does_not_free);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("errors");
    tcase_add_test (tc, bad_index_fails_cleanly);
    tcase_add_test (tc, null_message_is_refused_or_ignored);
    tcase_add_test (tc, null_data_is_refused_unless_empty);
    tcase_add_test (tc, str_free_accepts_null);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (msg_suite (), CK_FORK_GETENV);
}
