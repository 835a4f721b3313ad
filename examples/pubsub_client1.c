// pubsub_client1.c - the tutorial's pubsub_client1.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// A subscriber that prints every message.
// Run it with a publisher:
//   ./pubsub_server -w 1           (or: python3 pubsub_server.py)
//   ./pubsub_client1 [endpoint]    (default tcp://localhost:5555)

#include <zpat.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    if (endpoint[0] == '-') { // -h or --help (status 0), or a mistake (2)
        int help = !strcmp (endpoint, "-h") || !strcmp (endpoint, "--help");
        fputs ("usage: pubsub_client1 [endpoint]\n", help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    zpat_sub_t *sub = zpat_sub_new (endpoint, "", NULL);
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    while (1) {
        char *text = zpat_recv_str (sub);
        printf ("response: %s\n", text);
        zpat_str_free (&text);
    }
}
