// pubsub_server.c - the tutorial's pubsub_server.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Publishes each line typed; the line "b" (or end of input, or Ctrl-C)
// quits. -w N first waits for N subscriptions, so that no subscriber misses
// the first lines. Run it with both subscribers:
//   ./pubsub_server [-w N] [endpoint]     (default tcp://*:5555)
//   ./pubsub_client1 & ./pubsub_client2   (or the .py scripts)

#include <zpat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    int first = argc > 2 && !strcmp (argv[1], "-w") ? 3 : 1; // after -w N
    const char *n = first == 3 ? argv[2] : "0";
    const char *endpoint = argc > first ? argv[first] : "tcp://*:5555";
    size_t digits = strspn (n, "0123456789"); // N: 1 to 9 digits, nothing else
    int n_ok = digits > 0 && digits < 10 && !n[digits];
    if (!n_ok || endpoint[0] == '-') { // -h or --help (status 0), or a mistake
        int help =
            n_ok && (!strcmp (endpoint, "-h") || !strcmp (endpoint, "--help"));
        fputs ("usage: pubsub_server [-w N] [endpoint]\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    zpat_pub_t *pub = zpat_pub_new (endpoint, NULL);
    zpat_pub_wait_subscriptions (pub, atoi (n), ZPAT_WAIT_FOREVER);
    char *text = zpat_input ("enter the message to publish: ");
    while (strcmp (text, "b") != 0) {
        zpat_send_str (pub, text);
        zpat_str_free (&text);
        text = zpat_input ("enter the message to publish: ");
    }
    zpat_str_free (&text);
}
