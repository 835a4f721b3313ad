// fuzz_recv_msg.c - fuzzes zpat_recv_msg: a multipart message of any shape
// received into a reused zpat_msg_t, then sent on without copying and
// received again.
// SPDX-License-Identifier: MPL-2.0

#include "fuzz_common.h"

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
    FZ_CHECK (zpat_recv_msg (pull, fz_msg ()) == (int)in.count);
    fz_expect_frames (fz_msg (), &in);

    // The frames received go out again as they are: zpat_send_msg empties
    // the message, and the peer gets the same frames.
    FZ_CHECK (zpat_send_msg (push, fz_msg ()) == 0);
    FZ_CHECK (zpat_msg_count (fz_msg ()) == 0);
    FZ_CHECK (zpat_recv_msg (pull, fz_msg ()) == (int)in.count);
    fz_expect_frames (fz_msg (), &in);

    fz_expect_nothing (zpat_socket (pull));
    return 0;
}
