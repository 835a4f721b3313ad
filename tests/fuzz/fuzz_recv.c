// fuzz_recv.c - fuzzes zpat_recv, which copies a received frame into the
// caller's buffer, with buffers of every size: too small, exact and larger.
// SPDX-License-Identifier: MPL-2.0
//
// The input's first byte is the buffer's size (0 to 254; 255 means no
// buffer at all, a NULL pointer of size 0); the rest is the message.

#include "fuzz_common.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return fz_init_pipeline ();
}

// The filler of every buffer: bytes a receive may not write stay this.
#define FILL 0xA5

static bool
s_filled (const unsigned char *buf, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (buf[i] != FILL)
            return false;
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    // A buffer of exactly its size on the heap, so that AddressSanitizer
    // and valgrind see a write one byte past it.
    bool no_buffer = size == 0 || data[0] == 255;
    size_t capacity = no_buffer ? 0 : data[0];
    unsigned char *buf = NULL;
    if (!no_buffer) {
        buf = malloc (capacity ? capacity : 1);
        FZ_CHECK (buf);
        memset (buf, FILL, capacity);
    }
    fz_message_t in;
    if (size)
        fz_split (data + 1, size - 1, &in);
    else
        fz_split (data, 0, &in);
    zpat_push_t *push;
    zpat_pull_t *pull;
    fz_pipeline (&push, &pull);

    FZ_CHECK (zpat_send_frames (push, in.frames, in.count) == 0);
    errno = 0;
    int rc = zpat_recv (pull, buf, capacity);
    size_t length = in.frames[0].size;
    if (in.count > 1) {
        // Multipart: refused whole, buffer untouched, message kept.
        FZ_CHECK (rc == -1 && errno == ZPAT_EFRAMES);
        FZ_CHECK (s_filled (buf, 0, capacity));
        FZ_CHECK (zpat_recv_msg (pull, fz_msg ()) == (int)in.count);
        fz_expect_frames (fz_msg (), &in);
    } else if (length <= capacity) {
        // It fits: every byte copied, nothing written past the message.
        FZ_CHECK (rc == (int)length);
        FZ_CHECK (length == 0 || memcmp (buf, in.frames[0].data, length) == 0);
        FZ_CHECK (s_filled (buf, length, capacity));
    } else {
        // Too large: not truncated but refused with EMSGSIZE, the buffer
        // left alone, and the message kept for a buffer that is big enough.
        FZ_CHECK (rc == -1 && errno == EMSGSIZE);
        FZ_CHECK (s_filled (buf, 0, capacity));
        errno = 0;
        FZ_CHECK (zpat_recv (pull, buf, capacity) == -1 && errno == EMSGSIZE);
        unsigned char *exact = malloc (length);
        FZ_CHECK (exact);
        FZ_CHECK (zpat_recv (pull, exact, length) == (int)length);
        FZ_CHECK (memcmp (exact, in.frames[0].data, length) == 0);
        free (exact);
    }
    free (buf);
    fz_expect_nothing (zpat_socket (pull));
    return 0;
}
