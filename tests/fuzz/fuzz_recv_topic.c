// fuzz_recv_topic.c - fuzzes zpat_sub_recv_topic, which splits a received
// message into a topic and a payload, on messages of any shape.
// SPDX-License-Identifier: MPL-2.0

#include "fuzz_common.h"

#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return fz_init_pubsub ();
}

// Checks that string holds the size bytes at data and a NUL after them.
static void
s_expect_copy (const char *string, const void *data, size_t size)
{
    FZ_CHECK (string);
    FZ_CHECK (memcmp (string, data, size) == 0);
    FZ_CHECK (string[size] == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fz_message_t in;
    fz_split (data, size, &in);
    zpat_pub_t *pub;
    zpat_sub_t *sub;
    fz_pubsub (&pub, &sub);

    FZ_CHECK (zpat_send_frames (pub, in.frames, in.count) == 0);
    // Pointers that a failed call must leave as they are.
    char untouched;
    char *topic = &untouched;
    char *payload = &untouched;
    errno = 0;
    int rc = zpat_sub_recv_topic (sub, &topic, &payload);
    if (in.count <= 2) {
        const zpat_frame_t *t = &in.frames[0];
        s_expect_copy (topic, t->data, t->size);
        if (in.count == 1) {
            // One frame: that frame is the topic, the payload is empty.
            FZ_CHECK (rc == 0);
            s_expect_copy (payload, "", 0);
        } else {
            const zpat_frame_t *p = &in.frames[1];
            FZ_CHECK (rc == (int)p->size);
            s_expect_copy (payload, p->data, p->size);
        }
        zpat_str_free (&topic);
        zpat_str_free (&payload);
        FZ_CHECK (topic == NULL && payload == NULL);
    } else {
        // More than two frames: refused and kept, for this call and for
        // the next receive of any kind.
        FZ_CHECK (rc == -1 && errno == ZPAT_EFRAMES);
        FZ_CHECK (topic == &untouched && payload == &untouched);
        errno = 0;
        rc = zpat_sub_recv_topic (sub, &topic, &payload);
        FZ_CHECK (rc == -1 && errno == ZPAT_EFRAMES);
        FZ_CHECK (topic == &untouched && payload == &untouched);
        FZ_CHECK (zpat_recv_msg (sub, fz_msg ()) == (int)in.count);
        fz_expect_frames (fz_msg (), &in);
    }
    fz_expect_nothing (zpat_socket (sub));
    return 0;
}
