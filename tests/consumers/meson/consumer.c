// consumer.c - the smallest program that proves a build found zpat: a PUSH
// and a PULL over inproc://, one message. Built by the consumer projects
// (tests/consumers/meson, and tests/consumers/cmake, which shares it).
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include <stdio.h>
#include <string.h>

int
main (void)
{
    zpat_options_t opts = {.recv_timeout_ms = 5000};
    zpat_pull_t *pull = zpat_pull_new ("inproc://consumer", &opts);
    zpat_push_t *push = zpat_push_new ("inproc://consumer", &opts);
    int ok = push && zpat_send_str (push, "found zpat") == 0;
    char *text = ok ? zpat_recv_str (pull) : NULL;
    ok = text && strcmp (text, "found zpat") == 0;
    printf ("%s\n", ok ? text : zpat_strerror (errno));
    zpat_str_free (&text);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    return !ok;
}
