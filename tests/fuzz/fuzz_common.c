// fuzz_common.c - input decoding, sockets and checks shared by the fuzz
// targets.
// SPDX-License-Identifier: MPL-2.0

#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
fz_split (const uint8_t *data, size_t size, fz_message_t *msg)
{
    size_t at = 0;
    msg->count = size ? 1 + data[at++] % FZ_MAX_FRAMES : 1;
    for (size_t i = 0; i < msg->count; i++) {
        size_t length = 0;
        if (at < size) {
            length = data[at++];
            if (length == 255) {
                // Two more bytes give frames longer than 254 bytes, so that
                // large frames and buffers too small for them get tried.
                length = 0;
                if (at < size)
                    length = data[at++];
                if (at < size)
                    length |= (size_t)data[at++] << 8;
            }
        }
        if (length > size - at)
            length = size - at;
        // A frame of no bytes still needs a pointer that is not NULL for
        // nothing to be refused; "" serves.
        msg->frames[i].data = length ? data + at : (const void *)"";
        msg->frames[i].size = length;
        at += length;
    }
}

void
fz_fail (const char *file, int line, const char *what)
{
    fprintf (stderr, "%s:%d: broken invariant: %s (errno %d: %s)\n", file, line,
             what, errno, zpat_strerror (errno));
    abort ();
}

static zpat_push_t *s_push;
static zpat_pull_t *s_pull;
static zpat_pub_t *s_pub;
static zpat_sub_t *s_sub;
static zpat_msg_t *s_msg;

// The options of every fuzz socket: a bounded receive, and no linger, since
// nothing is in flight when the process ends.
static const zpat_options_t s_opts = {
    .recv_timeout_ms = FZ_RECV_TIMEOUT_MS,
    .linger_ms = ZPAT_WAIT_NONE,
};

// A name of its own per process, so that targets may run side by side.
static void
s_endpoint (char *buf, size_t size, const char *what)
{
    snprintf (buf, size, "inproc://zpat-fuzz-%s-%ld", what, (long)getpid ());
}

void
fz_pipeline (zpat_push_t **push_p, zpat_pull_t **pull_p)
{
    if (!s_pull) {
        char endpoint[64];
        s_endpoint (endpoint, sizeof endpoint, "pipeline");
        s_pull = zpat_pull_new (endpoint, &s_opts);
        FZ_CHECK (s_pull);
        s_push = zpat_push_new (endpoint, &s_opts);
        FZ_CHECK (s_push);
    }
    *push_p = s_push;
    *pull_p = s_pull;
}

void
fz_pubsub (zpat_pub_t **pub_p, zpat_sub_t **sub_p)
{
    if (!s_pub) {
        char endpoint[64];
        s_endpoint (endpoint, sizeof endpoint, "pubsub");
        s_pub = zpat_pub_new (endpoint, &s_opts);
        FZ_CHECK (s_pub);
        s_sub = zpat_sub_new (endpoint, "", &s_opts);
        FZ_CHECK (s_sub);
        // Wait for the subscription rather than lose the first messages.
        FZ_CHECK (zpat_pub_wait_subscriptions (s_pub, 1, FZ_RECV_TIMEOUT_MS) >=
                  1);
    }
    *pub_p = s_pub;
    *sub_p = s_sub;
}

zpat_msg_t *
fz_msg (void)
{
    if (!s_msg) {
        s_msg = zpat_msg_new ();
        FZ_CHECK (s_msg);
    }
    return s_msg;
}

int
fz_init_pipeline (void)
{
    zpat_push_t *push;
    zpat_pull_t *pull;
    fz_pipeline (&push, &pull);
    fz_msg ();
    return 0;
}

int
fz_init_pubsub (void)
{
    zpat_pub_t *pub;
    zpat_sub_t *sub;
    fz_pubsub (&pub, &sub);
    fz_msg ();
    return 0;
}

void
fz_teardown (void)
{
    zpat_msg_destroy (&s_msg);
    zpat_destroy (&s_push);
    zpat_destroy (&s_pull);
    zpat_destroy (&s_sub);
    zpat_destroy (&s_pub);
    zpat_shutdown ();
}

void
fz_expect_frames (const zpat_msg_t *msg, const fz_message_t *expected)
{
    FZ_CHECK (zpat_msg_count (msg) == expected->count);
    for (size_t i = 0; i < expected->count; i++) {
        size_t size = expected->frames[i].size;
        FZ_CHECK (zpat_msg_size (msg, i) == size);
        const void *data = zpat_msg_data (msg, i);
        FZ_CHECK (data);
        FZ_CHECK (memcmp (data, expected->frames[i].data, size) == 0);
        char *string = zpat_msg_strdup (msg, i);
        FZ_CHECK (string);
        FZ_CHECK (memcmp (string, expected->frames[i].data, size) == 0);
        FZ_CHECK (string[size] == 0);
        zpat_str_free (&string);
        FZ_CHECK (string == NULL);
    }
    // Past the last frame there is nothing, and asking says so.
    errno = 0;
    FZ_CHECK (zpat_msg_data (msg, expected->count) == NULL && errno == EINVAL);
    FZ_CHECK (zpat_msg_size (msg, expected->count) == 0);
    errno = 0;
    FZ_CHECK (zpat_msg_strdup (msg, expected->count) == NULL &&
              errno == EINVAL);
}

void
fz_expect_nothing (zpat_socket_t *receiver)
{
    zpat_msg_t *msg = zpat_msg_new ();
    FZ_CHECK (msg);
    FZ_CHECK (zpat_socket_set_recv_timeout_ms (receiver, ZPAT_WAIT_NONE) == 0);
    errno = 0;
    int rc = zpat_socket_recv_msg (receiver, msg);
    FZ_CHECK (rc == -1 && errno == EAGAIN);
    FZ_CHECK (zpat_msg_count (msg) == 0);
    FZ_CHECK (zpat_socket_set_recv_timeout_ms (receiver, FZ_RECV_TIMEOUT_MS) ==
              0);
    zpat_msg_destroy (&msg);
    FZ_CHECK (msg == NULL);
}
