// fuzz_recv_str.c - fuzzes the conversions of received bytes to C strings:
// zpat_recv_str on a message of any shape, and zpat_msg_strdup on each
// frame of one it refuses.
// SPDX-License-Identifier: MPL-2.0

#include "fuzz_common.h"

#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return fz_init_pipeline ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fz_message_t in;
    fz_split (data, size, &in);
    zpat_push_t *push;
    zpat_pull_t *pull;
    fz_pipeline (&push, &pull);

    FZ_CHECK (zpat_send_frames (push, in.frames, in.count) == 0);
    errno = 0;
    char *string = zpat_recv_str (pull);
    if (in.count == 1) {
        // Every byte as sent, NUL bytes included, then a terminating NUL.
        FZ_CHECK (string);
        FZ_CHECK (memcmp (string, in.frames[0].data, in.frames[0].size) == 0);
        FZ_CHECK (string[in.frames[0].size] == 0);
        zpat_str_free (&string);
        FZ_CHECK (string == NULL);
    } else {
        // A multipart message is refused, and kept: asking again gets the
        // same answer, and zpat_recv_msg then returns it whole.
        FZ_CHECK (string == NULL && errno == ZPAT_EFRAMES);
        errno = 0;
        FZ_CHECK (zpat_recv_str (pull) == NULL && errno == ZPAT_EFRAMES);
        FZ_CHECK (zpat_recv_msg (pull, fz_msg ()) == (int)in.count);
        fz_expect_frames (fz_msg (), &in);
    }
    fz_expect_nothing (zpat_socket (pull));
    return 0;
}
