// test_framing.c - what goes in comes out: empty and 1 MiB frames, 100-frame
// multipart messages, UTF-8 text, NUL bytes, formatted text, receive buffers
// that are too small, multipart messages on single-frame calls, dropping
// the messages those calls keep (zpat_discard), and zero-copy frames.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Every exchange runs over each of tu_transports: libzmq encodes frames
// differently for inproc:// (no wire at all) and for the stream transports.

// A PULL that binds and a PUSH connected to it. Both wait at most five
// seconds, so a lost message fails the test instead of hanging it.
typedef struct {
    zpat_pull_t *pull;
    zpat_push_t *push;
} pair_t;

static pair_t
s_pair_new (const char *transport)
{
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, transport);
    zpat_options_t opts = {.recv_timeout_ms = 5000, .send_timeout_ms = 5000};
    pair_t pair;
    pair.pull = zpat_pull_new (endpoint, &opts);
    ck_assert_msg (pair.pull, "pull on %s: %s", endpoint,
                   zpat_strerror (errno));
    pair.push = zpat_push_new (zpat_endpoint (pair.pull), &opts);
    ck_assert_msg (pair.push, "push: %s", zpat_strerror (errno));
    return pair;
}

static void
s_pair_destroy (pair_t *pair)
{
    zpat_push_destroy (&pair->push);
    zpat_pull_destroy (&pair->pull);
    ck_assert_ptr_null (pair->push);
    ck_assert_ptr_null (pair->pull);
}

// Fills size bytes with a pattern that depends on seed and on the offset,
// so a shifted, cut or mixed-up frame cannot compare equal.
static void
s_fill (unsigned char *data, size_t size, unsigned seed)
{
    uint32_t state = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        state = state * 1103515245u + 12345u;
        data[i] = (unsigned char)(state >> 16);
    }
}

// ---------------------------------------------------------------------------
// Sizes

START_TEST (empty_frames_survive)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    ck_assert_int_eq (zpat_send (pair.push, NULL, 0), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, ""), 0);
    zpat_frame_t frames[3] = {{NULL, 0}, {"", 0}, {"x", 0}};
    ck_assert_int_eq (zpat_send_frames (pair.push, frames, 3), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add (msg, NULL, 0), 0);
    ck_assert_int_eq (zpat_send_msg (pair.push, msg), 0);

    char buf[8] = "unused";
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), 0);
    char *text = zpat_recv_str (pair.pull);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq (zpat_msg_size (msg, i), 0);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 0);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (one_mib_frame_survives)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    size_t size = 1024 * 1024;
    unsigned char *sent = malloc (size);
    unsigned char *got = malloc (size);
    s_fill (sent, size, 1);

    ck_assert_int_eq (zpat_send (pair.push, sent, size), 0);
    memset (got, 0, size);
    ck_assert_int_eq (zpat_recv (pair.pull, got, size), (int)size);
    ck_assert_int_eq (memcmp (sent, got, size), 0);

    // The same bytes through a message, both ways.
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add (msg, sent, size), 0);
    ck_assert_int_eq (zpat_send_msg (pair.push, msg), 0);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), size);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), sent, size), 0);

    zpat_msg_destroy (&msg);
    free (sent);
    free (got);
    s_pair_destroy (&pair);
}
END_TEST

// ---------------------------------------------------------------------------
// Multipart

#define FRAMES 100

// Frame i of the 100-frame messages: sizes from 0 up to about 4 KiB, so
// that both inline and heap-stored frames take part.
static size_t
s_frame_size (size_t i)
{
    return i * 41 % 4100;
}

static void
s_assert_hundred_frames (zpat_msg_t *msg, unsigned seed)
{
    ck_assert_uint_eq (zpat_msg_count (msg), FRAMES);
    unsigned char expected[4100];
    for (size_t i = 0; i < FRAMES; i++) {
        size_t size = s_frame_size (i);
        s_fill (expected, size, seed + (unsigned)i);
        ck_assert_uint_eq (zpat_msg_size (msg, i), size);
        if (size)
            ck_assert_int_eq (memcmp (zpat_msg_data (msg, i), expected, size),
                              0);
    }
}

START_TEST (hundred_frames_survive_send_frames)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    static unsigned char bytes[FRAMES][4100];
    zpat_frame_t frames[FRAMES];
    for (size_t i = 0; i < FRAMES; i++) {
        s_fill (bytes[i], s_frame_size (i), 10 + (unsigned)i);
        frames[i].data = bytes[i];
        frames[i].size = s_frame_size (i);
    }
    ck_assert_int_eq (zpat_send_frames (pair.push, frames, FRAMES), 0);
    // Then a one-frame message, to show the multipart one ended where it
    // should.
    ck_assert_int_eq (zpat_send_str (pair.push, "after"), 0);

    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), FRAMES);
    s_assert_hundred_frames (msg, 10);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 5);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "after", 5);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (hundred_frames_survive_send_msg)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    zpat_msg_t *out = zpat_msg_new ();
    zpat_msg_t *in = zpat_msg_new ();
    unsigned char bytes[4100];
    // Three rounds through the same two messages: reuse must not leak frames
    // from one round into the next.
    for (unsigned round = 0; round < 3; round++) {
        unsigned seed = 100 * (round + 1);
        for (size_t i = 0; i < FRAMES; i++) {
            s_fill (bytes, s_frame_size (i), seed + (unsigned)i);
            ck_assert_int_eq (zpat_msg_add (out, bytes, s_frame_size (i)), 0);
        }
        ck_assert_int_eq (zpat_send_msg (pair.push, out), 0);
        // A message that was sent is left empty, ready for reuse.
        ck_assert_uint_eq (zpat_msg_count (out), 0);
        ck_assert_int_eq (zpat_recv_msg (pair.pull, in), FRAMES);
        s_assert_hundred_frames (in, seed);
    }
    // A received message can be sent on as it is.
    ck_assert_int_eq (zpat_send_msg (pair.push, in), 0);
    ck_assert_uint_eq (zpat_msg_count (in), 0);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, out), FRAMES);
    s_assert_hundred_frames (out, 300);
    zpat_msg_destroy (&out);
    zpat_msg_destroy (&in);
    s_pair_destroy (&pair);
}
END_TEST

// ---------------------------------------------------------------------------
// Text and binary

static const char *const s_texts[] = {
    "你好，世界",     "Grüße aus Köln, ½ €", "Привет, мир",
    "こんにちは世界", "مرحبا بالعالم",       "🙂👍 emoji outside the BMP",
};

START_TEST (utf8_text_survives)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    size_t count = sizeof s_texts / sizeof s_texts[0];
    for (size_t i = 0; i < count; i++)
        ck_assert_int_eq (zpat_send_str (pair.push, s_texts[i]), 0);
    for (size_t i = 0; i < count; i++)
        ck_assert_int_eq (zpat_send_str (pair.push, s_texts[i]), 0);

    // As strings: the same bytes, no NUL sent, none lost.
    for (size_t i = 0; i < count; i++) {
        char *text = zpat_recv_str (pair.pull);
        ck_assert_ptr_nonnull (text);
        ck_assert_str_eq (text, s_texts[i]);
        zpat_str_free (&text);
    }
    // Into a buffer: the size is the UTF-8 byte count, not a character count.
    for (size_t i = 0; i < count; i++) {
        char buf[64];
        int size = zpat_recv (pair.pull, buf, sizeof buf);
        ck_assert_int_eq (size, (int)strlen (s_texts[i]));
        ck_assert_mem_eq (buf, s_texts[i], strlen (s_texts[i]));
    }
    // "你好，世界" is five characters, fifteen bytes.
    ck_assert_uint_eq (strlen (s_texts[0]), 15);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (nul_bytes_in_binary_frames_survive)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    unsigned char binary[512];
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (unsigned char)(i % 3 == 0 ? 0 : i);
    ck_assert_int_eq (zpat_send (pair.push, binary, sizeof binary), 0);
    ck_assert_int_eq (zpat_send (pair.push, binary, sizeof binary), 0);
    zpat_frame_t frames[2] = {{"\0\0\0", 3}, {binary, sizeof binary}};
    ck_assert_int_eq (zpat_send_frames (pair.push, frames, 2), 0);
    ck_assert_int_eq (zpat_send (pair.push, "abc\0def", 7), 0);

    unsigned char got[sizeof binary];
    ck_assert_int_eq (zpat_recv (pair.pull, got, sizeof got),
                      (int)sizeof binary);
    ck_assert_int_eq (memcmp (got, binary, sizeof binary), 0);

    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), sizeof binary);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), binary, sizeof binary),
                      0);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 2);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 3);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "\0\0\0", 3);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 1), binary, sizeof binary),
                      0);

    // As documented, a NUL ends the C string that recv_str returns.
    char *text = zpat_recv_str (pair.pull);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "abc");
    zpat_str_free (&text);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
}
END_TEST

// ---------------------------------------------------------------------------
// Formatted text

START_TEST (sendf_formats_short_text)
{
    pair_t pair = s_pair_new ("inproc");
    ck_assert_int_eq (
        zpat_sendf (pair.push, "%s #%d: %.2f %c%%", "short", 42, 3.5, 'x'), 0);
    ck_assert_int_eq (zpat_sendf (pair.push, "%s", ""), 0);
    ck_assert_int_eq (zpat_sendf (pair.push, "%s=%s", "键", "值"), 0);

    char *text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "short #42: 3.50 x%");
    zpat_str_free (&text);
    text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "");
    zpat_str_free (&text);
    text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "键=值");
    zpat_str_free (&text);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (sendf_formats_long_text)
{
    pair_t pair = s_pair_new ("inproc");
    // Texts under 256 bytes use a stack buffer; these cross that limit by
    // one byte either way, and go far beyond it.
    static const size_t lengths[] = {254, 255, 256, 257, 300, 4096, 100000};
    size_t count = sizeof lengths / sizeof lengths[0];
    char *filler = malloc (100001);
    for (size_t i = 0; i < 100000; i++)
        filler[i] = (char)('a' + i % 26);
    filler[100000] = 0;
    for (size_t i = 0; i < count; i++) {
        // "<" + filler + ">" is lengths[i] bytes long.
        int width = (int)lengths[i] - 2;
        ck_assert_int_eq (zpat_sendf (pair.push, "<%.*s>", width, filler), 0);
    }
    ck_assert_int_eq (zpat_sendf (pair.push, "%s|%0300d|%s", "head", 7, "尾巴"),
                      0);

    for (size_t i = 0; i < count; i++) {
        char *text = zpat_recv_str (pair.pull);
        ck_assert_ptr_nonnull (text);
        ck_assert_uint_eq (strlen (text), lengths[i]);
        ck_assert_int_eq (text[0], '<');
        ck_assert_int_eq (text[lengths[i] - 1], '>');
        ck_assert_int_eq (memcmp (text + 1, filler, lengths[i] - 2), 0);
        zpat_str_free (&text);
    }
    char expected[400];
    snprintf (expected, sizeof expected, "%s|%0300d|%s", "head", 7, "尾巴");
    char *text = zpat_recv_str (pair.pull);
    ck_assert_uint_eq (strlen (text), 4 + 1 + 300 + 1 + strlen ("尾巴"));
    ck_assert_str_eq (text, expected);
    zpat_str_free (&text);
    free (filler);
    s_pair_destroy (&pair);
}
END_TEST

// ---------------------------------------------------------------------------
// Messages a call cannot return as asked: reported, and kept

START_TEST (small_buffer_fails_with_emsgsize_and_keeps_message)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    unsigned char sent[100];
    s_fill (sent, sizeof sent, 7);
    ck_assert_int_eq (zpat_send (pair.push, sent, sizeof sent), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, "next"), 0);

    // Too small, by a lot and by one byte: refused, buffer untouched, and
    // asking again gives the same answer (the message is not consumed).
    unsigned char buf[sizeof sent];
    memset (buf, 0x5a, sizeof buf);
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, 10), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof sent - 1), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, NULL, 0), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_int_eq (buf[i], 0x5a);

    // Exactly big enough: the whole message, intact.
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), (int)sizeof sent);
    ck_assert_int_eq (memcmp (buf, sent, sizeof sent), 0);
    // And the message after it, in order.
    char *text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "next");
    zpat_str_free (&text);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (message_refused_for_size_is_returned_by_recv_str)
{
    pair_t pair = s_pair_new ("inproc");
    ck_assert_int_eq (zpat_send_str (pair.push, "a message of 25 bytes ..."),
                      0);
    char buf[8];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    char *text = zpat_recv_str (pair.pull);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "a message of 25 bytes ...");
    zpat_str_free (&text);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (message_refused_for_size_is_returned_by_recv_msg)
{
    pair_t pair = s_pair_new ("inproc");
    unsigned char sent[5000];
    s_fill (sent, sizeof sent, 3);
    ck_assert_int_eq (zpat_send (pair.push, sent, sizeof sent), 0);
    char buf[100];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), sizeof sent);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), sent, sizeof sent), 0);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (multipart_on_single_frame_calls_fails_with_eframes_and_is_kept)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    zpat_frame_t frames[3] = {{"one", 3}, {"two", 3}, {"three", 5}};
    ck_assert_int_eq (zpat_send_frames (pair.push, frames, 3), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, "single"), 0);

    char buf[64];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (pair.pull));
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, ZPAT_EFRAMES);

    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 3);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 3);
    ck_assert_mem_eq (zpat_msg_data (msg, 0), "one", 3);
    ck_assert_mem_eq (zpat_msg_data (msg, 1), "two", 3);
    ck_assert_uint_eq (zpat_msg_size (msg, 2), 5);
    ck_assert_mem_eq (zpat_msg_data (msg, 2), "three", 5);

    // The kept message is gone now; the next one comes as it should.
    char *text = zpat_recv_str (pair.pull);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "single");
    zpat_str_free (&text);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
}
END_TEST

// ---------------------------------------------------------------------------
// Dropping a kept message: zpat_discard

START_TEST (discard_drops_a_message_refused_for_size)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    unsigned char big[100];
    s_fill (big, sizeof big, 11);
    ck_assert_int_eq (zpat_send (pair.push, big, sizeof big), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, "next"), 0);
    char buf[10];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    ck_assert_int_eq (zpat_discard (pair.pull), 1);
    // The next receive returns the message after it.
    char *text = zpat_recv_str (pair.pull);
    ck_assert_msg (text, "recv_str after discard: %s", zpat_strerror (errno));
    ck_assert_str_eq (text, "next");
    zpat_str_free (&text);
    // Nothing kept any more.
    ck_assert_int_eq (zpat_discard (pair.pull), 0);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (discard_drops_a_multipart_message_refused_as_one_frame)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    zpat_frame_t frames[3] = {{"one", 3}, {"two", 3}, {"three", 5}};
    ck_assert_int_eq (zpat_send_frames (pair.push, frames, 3), 0);
    ck_assert_int_eq (zpat_send_frames (pair.push, frames, 2), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, "single"), 0);

    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (pair.pull));
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    ck_assert_int_eq (zpat_discard (pair.pull), 1);
    // The second multipart message is not the one dropped: it is refused
    // in turn (by zpat_recv this time), and dropped in turn.
    char buf[64];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    ck_assert_int_eq (zpat_discard (pair.pull), 1);
    char *text = zpat_recv_str (pair.pull);
    ck_assert_msg (text, "recv_str after discard: %s", zpat_strerror (errno));
    ck_assert_str_eq (text, "single");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_discard (pair.pull), 0);
    s_pair_destroy (&pair);
}
END_TEST

// With nothing kept, zpat_discard returns 0 at once, whatever the receive
// timeout, and leaves a message that is waiting to be received.
START_TEST (discard_with_nothing_kept_consumes_nothing)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pair.pull, ZPAT_WAIT_FOREVER),
                      0);
    long long start = tu_now_ms ();
    ck_assert_int_eq (zpat_discard (pair.pull), 0);
    ck_assert_int_lt (tu_now_ms () - start, 1000);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pair.pull, 5000), 0);

    // "first" arriving means "waiting", sent with it, has most likely
    // arrived too; over inproc:// it certainly has.
    ck_assert_int_eq (zpat_send_str (pair.push, "first"), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, "waiting"), 0);
    char *text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "first");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_discard (pair.pull), 0);
    text = zpat_recv_str (pair.pull);
    ck_assert_msg (text, "the waiting message is gone: %s",
                   zpat_strerror (errno));
    ck_assert_str_eq (text, "waiting");
    zpat_str_free (&text);

    // A kept message that a later receive took is not kept any more.
    ck_assert_int_eq (zpat_send_str (pair.push, "kept, then taken"), 0);
    ck_assert_int_eq (zpat_send_str (pair.push, "after"), 0);
    char buf[4];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pair.pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "kept, then taken");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_discard (pair.pull), 0);
    text = zpat_recv_str (pair.pull);
    ck_assert_msg (text, "the message after is gone: %s",
                   zpat_strerror (errno));
    ck_assert_str_eq (text, "after");
    zpat_str_free (&text);
    s_pair_destroy (&pair);
}
END_TEST

START_TEST (discard_refuses_null_and_roles_that_do_not_receive)
{
    errno = 0;
    ck_assert_int_eq (zpat_socket_discard (NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
    pair_t pair = s_pair_new ("inproc");
    errno = 0;
    ck_assert_int_eq (zpat_socket_discard (zpat_socket (pair.push)), -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_pub_t *pub = zpat_pub_new ("inproc://zpat-framing-discard-pub", NULL);
    ck_assert_ptr_nonnull (pub);
    errno = 0;
    ck_assert_int_eq (zpat_socket_discard (zpat_socket (pub)), -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_pub_destroy (&pub);
    s_pair_destroy (&pair);
}
END_TEST

// A SUB: a message of three frames refused by recv_topic, dropped.
START_TEST (discard_on_a_subscriber)
{
    char endpoint[128];
    zpat_options_t opts = {.recv_timeout_ms = 5000};
    zpat_pub_t *pub =
        zpat_pub_new (tu_endpoint (endpoint, sizeof endpoint, "inproc"), NULL);
    ck_assert_ptr_nonnull (pub);
    zpat_sub_t *sub = zpat_sub_new (endpoint, "", &opts);
    ck_assert_ptr_nonnull (sub);
    ck_assert_int_eq (zpat_pub_wait_subscriptions (pub, 1, 5000), 1);
    zpat_frame_t frames[3] = {{"topic", 5}, {"a", 1}, {"b", 1}};
    ck_assert_int_eq (zpat_send_frames (pub, frames, 3), 0);
    ck_assert_int_eq (zpat_pub_send_topic (pub, "topic", "data", 4), 0);
    char *topic = NULL, *payload = NULL;
    errno = 0;
    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &payload), -1);
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    ck_assert_int_eq (zpat_discard (sub), 1);
    ck_assert_int_eq (zpat_sub_recv_topic (sub, &topic, &payload), 4);
    ck_assert_str_eq (topic, "topic");
    ck_assert_str_eq (payload, "data");
    zpat_str_free (&topic);
    zpat_str_free (&payload);
    ck_assert_int_eq (zpat_discard (sub), 0);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
}
END_TEST

// A REP: a request dropped still wants its reply; once answered (with an
// empty reply), the next request comes.
START_TEST (discard_on_a_replier_still_owes_the_reply)
{
    char endpoint[128];
    zpat_options_t opts = {.recv_timeout_ms = 5000, .send_timeout_ms = 5000};
    zpat_rep_t *rep = zpat_rep_new (
        tu_endpoint (endpoint, sizeof endpoint, tu_transports[_i]), &opts);
    ck_assert_ptr_nonnull (rep);
    zpat_req_t *req = zpat_req_new (zpat_endpoint (rep), &opts);
    ck_assert_ptr_nonnull (req);
    zpat_frame_t frames[2] = {{"two", 3}, {"frames", 6}};
    ck_assert_int_eq (zpat_send_frames (req, frames, 2), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (rep));
    ck_assert_int_eq (errno, ZPAT_EFRAMES);
    ck_assert_int_eq (zpat_discard (rep), 1);
    ck_assert_int_eq (zpat_discard (rep), 0);
    // The request is still to be answered.
    char buf[16];
    errno = 0;
    ck_assert_int_eq (zpat_recv (rep, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, ZPAT_EFSM);
    ck_assert_int_eq (zpat_send (rep, NULL, 0), 0);
    ck_assert_int_eq (zpat_recv (req, buf, sizeof buf), 0);
    // And the exchange goes on.
    ck_assert_int_eq (zpat_send_str (req, "next"), 0);
    char *text = zpat_recv_str (rep);
    ck_assert_msg (text, "the next request: %s", zpat_strerror (errno));
    ck_assert_str_eq (text, "next");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_send_str (rep, "ok"), 0);
    text = zpat_recv_str (req);
    ck_assert_str_eq (text, "ok");
    zpat_str_free (&text);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// ---------------------------------------------------------------------------
// Zero-copy frames

// The free function may run in a libzmq I/O thread, hence the atomics.
static atomic_int s_zc_calls;
static void *_Atomic s_zc_data;

static void
s_zc_free (void *data, void *hint)
{
    ck_assert_ptr_eq (hint, &s_zc_calls);
    atomic_store (&s_zc_data, data);
    free (data);
    atomic_fetch_add (&s_zc_calls, 1);
}

static void
s_zc_reset (void)
{
    atomic_store (&s_zc_calls, 0);
    atomic_store (&s_zc_data, NULL);
}

// Polls the counter until it reaches want or five seconds (times the time
// factor) pass.
static int
s_zc_await (int want)
{
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    while (atomic_load (&s_zc_calls) < want && tu_now_ms () < deadline) {
        struct timespec pause = {0, 1000000};
        nanosleep (&pause, NULL);
    }
    return atomic_load (&s_zc_calls);
}

START_TEST (zero_copy_frame_is_freed_once_after_send)
{
    pair_t pair = s_pair_new (tu_transports[_i]);
    size_t size = 64 * 1024;
    unsigned char *data = malloc (size);
    s_fill (data, size, 99);
    unsigned char *copy = malloc (size);
    memcpy (copy, data, size);

    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "header"), 0);
    ck_assert_int_eq (zpat_msg_add_zc (msg, data, size, s_zc_free, &s_zc_calls),
                      0);
    ck_assert_int_eq (atomic_load (&s_zc_calls), 0);
    ck_assert_int_eq (zpat_send_msg (pair.push, msg), 0);
    ck_assert_uint_eq (zpat_msg_count (msg), 0);

    zpat_msg_t *in = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pair.pull, in), 2);
    ck_assert_mem_eq (zpat_msg_data (in, 0), "header", 6);
    ck_assert_uint_eq (zpat_msg_size (in, 1), size);
    ck_assert_int_eq (memcmp (zpat_msg_data (in, 1), copy, size), 0);
    // Over inproc:// the receiver holds the very same bytes until it lets go.
    zpat_msg_destroy (&in);

    ck_assert_int_eq (s_zc_await (1), 1);
    ck_assert_ptr_eq (atomic_load (&s_zc_data), data);

    // Once, not twice: more traffic and destroying the sent message do not
    // call it again.
    ck_assert_int_eq (zpat_send_str (pair.push, "more"), 0);
    char *text = zpat_recv_str (pair.pull);
    ck_assert_str_eq (text, "more");
    zpat_str_free (&text);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
    ck_assert_int_eq (atomic_load (&s_zc_calls), 1);
    free (copy);
}
END_TEST

START_TEST (zero_copy_free_is_not_called_when_add_fails)
{
    pair_t pair = s_pair_new ("inproc");
    void *data = malloc (32);
    errno = 0;
    ck_assert_int_eq (zpat_msg_add_zc (NULL, data, 32, s_zc_free, &s_zc_calls),
                      -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_msg_t *msg = zpat_msg_new ();
    errno = 0;
    ck_assert_int_eq (zpat_msg_add_zc (msg, NULL, 32, s_zc_free, &s_zc_calls),
                      -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_uint_eq (zpat_msg_count (msg), 0);

    // A full exchange later, it has still not run: the bytes are ours.
    ck_assert_int_eq (zpat_msg_add_str (msg, "plain"), 0);
    ck_assert_int_eq (zpat_send_msg (pair.push, msg), 0);
    ck_assert_int_eq (zpat_recv_msg (pair.pull, msg), 1);
    zpat_msg_destroy (&msg);
    s_pair_destroy (&pair);
    ck_assert_int_eq (atomic_load (&s_zc_calls), 0);
    free (data);
}
END_TEST

START_TEST (zero_copy_frame_stays_with_message_when_send_fails)
{
    // A pusher with no peer and no wait: the send fails with EAGAIN, and the
    // message keeps its frame, still not freed.
    zpat_options_t opts = {.send_timeout_ms = ZPAT_WAIT_NONE};
    zpat_push_t *push = zpat_push_new (NULL, &opts);
    ck_assert_ptr_nonnull (push);
    void *data = malloc (4096);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_zc (msg, data, 4096, s_zc_free, &s_zc_calls),
                      0);
    errno = 0;
    ck_assert_int_eq (zpat_send_msg (push, msg), -1);
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    ck_assert_ptr_eq (zpat_msg_data (msg, 0), data);
    ck_assert_int_eq (atomic_load (&s_zc_calls), 0);
    zpat_msg_destroy (&msg);
    ck_assert_int_eq (s_zc_await (1), 1);
    zpat_push_destroy (&push);
}
END_TEST

// A multipart send that fails half-way (here: no memory for its second
// frame) sends nothing; the next message arrives alone, not joined to the
// first frame of the failed one.
START_TEST (failed_multipart_send_sends_nothing)
{
    zpat_pull_t *pull = zpat_pull_new ("inproc://framing-atomic", NULL);
    zpat_push_t *push = zpat_push_new ("inproc://framing-atomic", NULL);
    ck_assert_ptr_nonnull (pull);
    ck_assert_ptr_nonnull (push);
    static const char dummy[1];
    zpat_frame_t frames[2] = {{"first", 5}, {dummy, (size_t)1 << 62}};
    ck_assert_int_eq (zpat_send_frames (push, frames, 2), -1);
    ck_assert_int_eq (errno, ENOMEM);
    ck_assert_int_eq (zpat_send_str (push, "second"), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 6);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), "second", 6), 0);
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// A receive into a message that times out leaves the message as it was.
START_TEST (failed_recv_msg_leaves_message_alone)
{
    zpat_options_t opts = {.recv_timeout_ms = 20};
    zpat_pull_t *pull = zpat_pull_new ("inproc://framing-keep", &opts);
    ck_assert_ptr_nonnull (pull);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_msg_add_str (msg, "keep"), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), -1);
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_uint_eq (zpat_msg_count (msg), 1);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), "keep", 4), 0);
    ck_assert_int_eq (zpat_msg_add_str (msg, "me too"), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), -1);
    ck_assert_uint_eq (zpat_msg_count (msg), 2);
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
}
END_TEST

// One message object received into and sent from several sockets, in the
// orders a program might use: the receive hands frames over by swapping
// slot arrays with the socket, so arrays move between the message and the
// sockets. Every byte stays right, and destroying the sockets before the
// message leaves it whole (ASan and valgrind check the rest).
START_TEST (one_message_serves_several_sockets)
{
    pair_t a = s_pair_new (tu_transports[_i]);
    pair_t b = s_pair_new (tu_transports[_i]);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);
    for (int round = 0; round < 4; round++) {
        char text[32];
        snprintf (text, sizeof text, "a%d", round);
        ck_assert_int_eq (zpat_send_str (a.push, text), 0);
        ck_assert_int_eq (zpat_recv_msg (a.pull, msg), 1);
        ck_assert_uint_eq (zpat_msg_size (msg, 0), strlen (text));
        ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), text, strlen (text)),
                          0);
        // Forward what came from a through b, and take it back from b.
        ck_assert_int_eq (zpat_send_msg (b.push, msg), 0);
        ck_assert_uint_eq (zpat_msg_count (msg), 0);
        ck_assert_int_eq (zpat_recv_msg (b.pull, msg), 1);
        ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), text, strlen (text)),
                          0);
        // Grow it to three frames and send it; it comes back whole.
        ck_assert_int_eq (zpat_msg_add_str (msg, "two"), 0);
        ck_assert_int_eq (zpat_msg_add_str (msg, "three"), 0);
        ck_assert_int_eq (zpat_send_msg (a.push, msg), 0);
        ck_assert_int_eq (zpat_recv_msg (a.pull, msg), 3);
        ck_assert_int_eq (memcmp (zpat_msg_data (msg, 2), "three", 5), 0);
        zpat_msg_reset (msg);
    }
    // The message ends holding a frame from b; the sockets go first.
    ck_assert_int_eq (zpat_send_str (b.push, "last"), 0);
    ck_assert_int_eq (zpat_recv_msg (b.pull, msg), 1);
    s_pair_destroy (&a);
    s_pair_destroy (&b);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 4);
    ck_assert_int_eq (memcmp (zpat_msg_data (msg, 0), "last", 4), 0);
    zpat_msg_destroy (&msg);
}
END_TEST

// The inproc size limit (which zpat holds, libzmq does not) follows the
// socket's setting when it changes after the connection is made, and
// applies to a socket that gets its inproc endpoint after it was made.
START_TEST (inproc_size_limit_follows_changes_after_connect)
{
    char endpoint[128];
    tu_endpoint (endpoint, sizeof endpoint, "inproc");
    zpat_options_t opts = {.recv_timeout_ms = 5000, .max_msg_bytes = 8};
    zpat_push_t *push = zpat_push_new (NULL, NULL);
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    ck_assert_ptr_nonnull (push);
    ck_assert_ptr_nonnull (pull);
    ck_assert_int_eq (zpat_bind (push, endpoint), 0);
    ck_assert_int_eq (zpat_connect (pull, endpoint), 0);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);

    // Over 8 bytes is dropped; the next one that fits arrives, into a new
    // message and into an emptied one (later ones land in a message that
    // holds a frame).
    for (int form = 0; form < 2; form++) {
        ck_assert_int_eq (zpat_send_str (push, "nine char"), 0);
        ck_assert_int_eq (zpat_send_str (push, "eight ch"), 0);
        ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
        ck_assert_uint_eq (zpat_msg_size (msg, 0), 8);
        if (form == 0)
            zpat_msg_reset (msg);
    }
    // Lowered after the connection: 8 bytes is now too many.
    ck_assert_int_eq (zpat_set_max_msg_bytes (pull, 4), 0);
    ck_assert_int_eq (zpat_send_str (push, "eight ch"), 0);
    ck_assert_int_eq (zpat_send_str (push, "four"), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), 4);
    // Lifted: a large message passes.
    ck_assert_int_eq (zpat_set_max_msg_bytes (pull, ZPAT_UNLIMITED), 0);
    static char big[100000];
    ck_assert_int_eq (zpat_send (push, big, sizeof big), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 1);
    ck_assert_uint_eq (zpat_msg_size (msg, 0), sizeof big);
    // Nothing else is queued.
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 0), 0);
    ck_assert_int_eq (zpat_recv_msg (pull, msg), -1);
    ck_assert_int_eq (errno, EAGAIN);
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
    zpat_push_destroy (&push);
}
END_TEST

static Suite *
framing_suite (void)
{
    Suite *suite = suite_create ("framing");
    TCase *tc = tcase_create ("sizes");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, empty_frames_survive, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, one_mib_frame_survives, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("multipart");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, hundred_frames_survive_send_frames, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (tc, hundred_frames_survive_send_msg, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("text");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, utf8_text_survives, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, nul_bytes_in_binary_frames_survive, 0,
                         TU_TRANSPORTS);
    tcase_add_test (tc, sendf_formats_short_text);
    tcase_add_test (tc, sendf_formats_long_text);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("kept");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, small_buffer_fails_with_emsgsize_and_keeps_message,
                         0, TU_TRANSPORTS);
    tcase_add_test (tc, message_refused_for_size_is_returned_by_recv_str);
    tcase_add_test (tc, message_refused_for_size_is_returned_by_recv_msg);
    tcase_add_loop_test (
        tc, multipart_on_single_frame_calls_fails_with_eframes_and_is_kept, 0,
        TU_TRANSPORTS);
    tcase_add_test (tc, failed_multipart_send_sends_nothing);
    tcase_add_test (tc, failed_recv_msg_leaves_message_alone);
    tcase_add_loop_test (tc, one_message_serves_several_sockets, 0,
                         TU_TRANSPORTS);
    tcase_add_test (tc, inproc_size_limit_follows_changes_after_connect);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("discard");
    tcase_set_timeout (tc, 20);
    tcase_add_loop_test (tc, discard_drops_a_message_refused_for_size, 0,
                         TU_TRANSPORTS);
    tcase_add_loop_test (tc,
                         discard_drops_a_multipart_message_refused_as_one_frame,
                         0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, discard_with_nothing_kept_consumes_nothing, 0,
                         TU_TRANSPORTS);
    tcase_add_test (tc, discard_refuses_null_and_roles_that_do_not_receive);
    tcase_add_test (tc, discard_on_a_subscriber);
    tcase_add_loop_test (tc, discard_on_a_replier_still_owes_the_reply, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("zero-copy");
    tcase_set_timeout (tc, 20);
    tcase_add_checked_fixture (tc, s_zc_reset, NULL);
    tcase_add_loop_test (tc, zero_copy_frame_is_freed_once_after_send, 0,
                         TU_TRANSPORTS);
    tcase_add_test (tc, zero_copy_free_is_not_called_when_add_fails);
    tcase_add_test (tc, zero_copy_frame_stays_with_message_when_send_fails);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (framing_suite (), CK_FORK_GETENV);
}
