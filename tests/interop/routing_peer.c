// routing_peer.c - a zpat ROUTER or DEALER for interop.py's routing case.
// SPDX-License-Identifier: MPL-2.0
//
//   routing_peer router ENDPOINT N  a ROUTER bound at ENDPOINT answers N
//                                   messages, each to its sender, with the
//                                   same frames and " ok" appended to the
//                                   last one, then exits
//   routing_peer dealer ENDPOINT N  a DEALER connected to ENDPOINT sends N
//                                   messages ["", "job i"] without waiting,
//                                   then receives N replies, each
//                                   ["", "job i done"] for a distinct i, and
//                                   prints "dealer ok"
// Every wait is bounded by five seconds. Exits 0, or 1 after one line on
// stderr saying what failed.

#include <zpat.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 5000
#define MAX_JOBS 10000

static void
fail (const char *what)
{
    fprintf (stderr, "routing_peer: %s: %s\n", what, zpat_strerror (errno));
    exit (1);
}

static void
fail_text (const char *what)
{
    fprintf (stderr, "routing_peer: %s\n", what);
    exit (1);
}

static void
run_router (const char *endpoint, int messages)
{
    zpat_options_t opts = {.send_timeout_ms = WAIT_MS,
                           .recv_timeout_ms = WAIT_MS};
    zpat_router_t *router = zpat_router_new (endpoint, &opts);
    if (!router)
        fail (endpoint);
    zpat_msg_t *request = zpat_msg_new ();
    zpat_msg_t *reply = zpat_msg_new ();
    if (!request || !reply)
        fail ("zpat_msg_new");
    for (int n = 0; n < messages; n++) {
        zpat_peer_t peer;
        int count = zpat_router_recv_msg (router, &peer, request);
        if (count == -1)
            fail ("zpat_router_recv_msg");
        for (int f = 0; f + 1 < count; f++)
            if (zpat_msg_add (reply, zpat_msg_data (request, (size_t)f),
                              zpat_msg_size (request, (size_t)f)) == -1)
                fail ("zpat_msg_add");
        size_t last = (size_t)count - 1;
        size_t size = zpat_msg_size (request, last);
        char *text = malloc (size + 3);
        if (!text)
            fail ("malloc");
        if (size)
            memcpy (text, zpat_msg_data (request, last), size);
        memcpy (text + size, " ok", 3);
        if (zpat_msg_add (reply, text, size + 3) == -1)
            fail ("zpat_msg_add");
        free (text);
        if (zpat_router_send_msg (router, &peer, reply) == -1)
            fail ("zpat_router_send_msg");
    }
    zpat_msg_destroy (&request);
    zpat_msg_destroy (&reply);
    zpat_router_destroy (&router);
}

static void
run_dealer (const char *endpoint, int jobs)
{
    if (jobs < 0 || jobs > MAX_JOBS) {
        errno = EINVAL;
        fail ("N");
    }
    zpat_options_t opts = {.send_timeout_ms = WAIT_MS,
                           .recv_timeout_ms = WAIT_MS};
    zpat_dealer_t *dealer = zpat_dealer_new (endpoint, &opts);
    zpat_msg_t *msg = zpat_msg_new ();
    if (!dealer || !msg)
        fail (endpoint);
    for (int i = 0; i < jobs; i++) {
        char text[32];
        snprintf (text, sizeof text, "job %d", i);
        zpat_frame_t frames[2] = {{"", 0}, {text, strlen (text)}};
        if (zpat_send_frames (dealer, frames, 2) == -1)
            fail ("zpat_send_frames");
    }
    static bool seen[MAX_JOBS];
    for (int n = 0; n < jobs; n++) {
        int count = zpat_recv_msg (dealer, msg);
        if (count == -1)
            fail ("zpat_recv_msg");
        if (count != 2 || zpat_msg_size (msg, 0) != 0)
            fail_text ("a reply that is not [\"\", text]");
        char *text = zpat_msg_strdup (msg, 1);
        if (!text)
            fail ("zpat_msg_strdup");
        int i = -1, end = 0;
        if (sscanf (text, "job %d done%n", &i, &end) != 1 ||
            (size_t)end != strlen (text) || i < 0 || i >= jobs || seen[i]) {
            fprintf (stderr, "routing_peer: unexpected reply '%s'\n", text);
            exit (1);
        }
        seen[i] = true;
        zpat_str_free (&text);
    }
    printf ("dealer ok\n");
    fflush (stdout);
    zpat_msg_destroy (&msg);
    zpat_dealer_destroy (&dealer);
}

int
main (int argc, char **argv)
{
    const char *mode = argc == 4 ? argv[1] : "";
    if (strcmp (mode, "router") == 0)
        run_router (argv[2], atoi (argv[3]));
    else if (strcmp (mode, "dealer") == 0)
        run_dealer (argv[2], atoi (argv[3]));
    else {
        fprintf (stderr, "usage: routing_peer router|dealer ENDPOINT N\n");
        return 2;
    }
    return 0;
}
