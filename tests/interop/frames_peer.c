// frames_peer.c - a zpat peer for interop.py that sends and receives frames.
// SPDX-License-Identifier: MPL-2.0
//
// It sends and receives multipart and topic + payload messages, frames
// written as hex, so that they can be compared byte for byte with pyzmq's
// send_multipart/recv_multipart; and it reports what a publisher counts of
// pyzmq's subscriptions.
//
// One message per line; a frame is its bytes in hex (empty for an empty
// frame), frames are separated by commas, and a topic message is written
// "topic,payload". Every wait is bounded by five seconds.
//   frames_peer send ENDPOINT          PUSH connects; sends each stdin line
//                                      with zpat_send_frames
//   frames_peer recv ENDPOINT N        PULL connects; prints N messages
//                                      received with zpat_recv_msg
//   frames_peer pub ENDPOINT           PUB binds, prints the bound endpoint,
//                                      waits for one subscription, then sends
//                                      each stdin line with zpat_pub_send_topic
//   frames_peer sub ENDPOINT PREFIX N  SUB connects with PREFIX; prints N
//                                      messages got with zpat_sub_recv_topic
//   frames_peer subs ENDPOINT          PUB binds, prints the bound endpoint;
//                                      then for each stdin line N, waits
//                                      until zpat_pub_subscriptions is N and
//                                      prints the count it last saw
// Exits 0, or 1 after one line on stderr saying what failed.

#include <zpat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_MS 5000
#define MAX_FRAMES 64

static void
fail (const char *what)
{
    fprintf (stderr, "frames_peer: %s: %s\n", what, zpat_strerror (errno));
    exit (1);
}

static void
put_hex (const void *data, size_t size)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < size; i++)
        printf ("%02x", bytes[i]);
}

// Decodes the hex text at text (size characters) in place and returns the
// number of bytes, which start at text.
static size_t
decode_hex (char *text, size_t size)
{
    if (size % 2 != 0) {
        errno = EINVAL;
        fail ("odd-length hex frame");
    }
    for (size_t i = 0; i < size / 2; i++) {
        unsigned int byte;
        if (sscanf (text + 2 * i, "%2x", &byte) != 1) {
            errno = EINVAL;
            fail ("bad hex frame");
        }
        text[i] = (char)byte;
    }
    return size / 2;
}

// Splits line (its newline removed) at commas into frames decoded in place
// and returns their number.
static size_t
split_frames (char *line, zpat_frame_t *frames)
{
    line[strcspn (line, "\n")] = '\0';
    size_t count = 0;
    char *start = line;
    while (1) {
        if (count == MAX_FRAMES) {
            errno = EINVAL;
            fail ("too many frames");
        }
        size_t length = strcspn (start, ",");
        int last = start[length] == '\0';
        frames[count].data = start;
        frames[count].size = decode_hex (start, length);
        count++;
        if (last)
            return count;
        start += length + 1;
    }
}

static void
run_send (const char *endpoint)
{
    zpat_options_t opts = {.send_timeout_ms = WAIT_MS};
    zpat_push_t *push = zpat_push_new (endpoint, &opts);
    if (!push)
        fail (endpoint);
    char *line = NULL;
    size_t size = 0;
    zpat_frame_t frames[MAX_FRAMES];
    while (getline (&line, &size, stdin) != -1) {
        size_t count = split_frames (line, frames);
        if (zpat_send_frames (push, frames, count) == -1)
            fail ("zpat_send_frames");
    }
    free (line);
    zpat_push_destroy (&push);
}

static void
run_recv (const char *endpoint, int messages)
{
    zpat_options_t opts = {.recv_timeout_ms = WAIT_MS};
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    zpat_msg_t *msg = zpat_msg_new ();
    if (!pull || !msg || zpat_connect (pull, endpoint) == -1)
        fail (endpoint);
    for (int i = 0; i < messages; i++) {
        int count = zpat_recv_msg (pull, msg);
        if (count == -1)
            fail ("zpat_recv_msg");
        for (int f = 0; f < count; f++) {
            if (f > 0)
                printf (",");
            put_hex (zpat_msg_data (msg, (size_t)f),
                     zpat_msg_size (msg, (size_t)f));
        }
        printf ("\n");
        fflush (stdout);
    }
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
}

static void
run_pub (const char *endpoint)
{
    zpat_pub_t *pub = zpat_pub_new (endpoint, NULL);
    if (!pub)
        fail (endpoint);
    printf ("%s\n", zpat_endpoint (pub));
    fflush (stdout);
    if (zpat_pub_wait_subscriptions (pub, 1, WAIT_MS) == -1)
        fail ("zpat_pub_wait_subscriptions");
    char *line = NULL;
    size_t size = 0;
    zpat_frame_t frames[MAX_FRAMES];
    while (getline (&line, &size, stdin) != -1) {
        if (split_frames (line, frames) != 2) {
            errno = EINVAL;
            fail ("a topic line needs two frames");
        }
        // The topic is a C string: end it where its hex ended.
        ((char *)frames[0].data)[frames[0].size] = '\0';
        if (zpat_pub_send_topic (pub, frames[0].data, frames[1].data,
                                 frames[1].size) == -1)
            fail ("zpat_pub_send_topic");
    }
    free (line);
    zpat_pub_destroy (&pub);
}

static void
run_sub (const char *endpoint, const char *prefix, int messages)
{
    zpat_options_t opts = {.recv_timeout_ms = WAIT_MS};
    zpat_sub_t *sub = zpat_sub_new (endpoint, prefix, &opts);
    if (!sub)
        fail (endpoint);
    for (int i = 0; i < messages; i++) {
        char *topic = NULL;
        char *payload = NULL;
        int size = zpat_sub_recv_topic (sub, &topic, &payload);
        if (size == -1)
            fail ("zpat_sub_recv_topic");
        put_hex (topic, strlen (topic));
        printf (",");
        put_hex (payload, (size_t)size);
        printf ("\n");
        fflush (stdout);
        zpat_str_free (&topic);
        zpat_str_free (&payload);
    }
    zpat_sub_destroy (&sub);
}

static long long
now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// The count goes down as well as up, and no call waits for it to go down:
// poll it every millisecond, for at most WAIT_MS.
static void
run_subs (const char *endpoint)
{
    zpat_pub_t *pub = zpat_pub_new (endpoint, NULL);
    if (!pub)
        fail (endpoint);
    printf ("%s\n", zpat_endpoint (pub));
    fflush (stdout);
    char *line = NULL;
    size_t size = 0;
    while (getline (&line, &size, stdin) != -1) {
        int wanted = atoi (line);
        long long deadline = now_ms () + WAIT_MS;
        int seen = zpat_pub_subscriptions (pub);
        while (seen != wanted && seen != -1 && now_ms () < deadline) {
            struct timespec pause = {0, 1000 * 1000};
            nanosleep (&pause, NULL);
            seen = zpat_pub_subscriptions (pub);
        }
        if (seen == -1)
            fail ("zpat_pub_subscriptions");
        printf ("%d\n", seen);
        fflush (stdout);
    }
    free (line);
    zpat_pub_destroy (&pub);
}

int
main (int argc, char **argv)
{
    const char *mode = argc > 2 ? argv[1] : "";
    if (strcmp (mode, "send") == 0 && argc == 3)
        run_send (argv[2]);
    else if (strcmp (mode, "recv") == 0 && argc == 4)
        run_recv (argv[2], atoi (argv[3]));
    else if (strcmp (mode, "pub") == 0 && argc == 3)
        run_pub (argv[2]);
    else if (strcmp (mode, "sub") == 0 && argc == 5)
        run_sub (argv[2], argv[3], atoi (argv[4]));
    else if (strcmp (mode, "subs") == 0 && argc == 3)
        run_subs (argv[2]);
    else {
        fprintf (stderr,
                 "usage: frames_peer send|recv|pub|sub|subs ENDPOINT ...\n");
        return 2;
    }
    return 0;
}
