// pubsub_client1.c - the tutorial's pubsub_client1.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// A subscriber that prints every message. Run it with a publisher:
//   ./pubsub_server -w 1           (or: python3 pubsub_server.py)
//   ./pubsub_client1 [endpoint]    (default tcp://localhost:5555)

#include <zpat.h>

#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: pubsub_client1 [endpoint]  (default "
               "tcp://localhost:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    int rc = zpat_catch_signals ();
    zpat_sub_t *sub = rc == 0 ? zpat_sub_new (endpoint, "", NULL) : NULL;
    if (!sub) {
        fprintf (stderr, "pubsub_client1: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    for (char *text = zpat_recv_str (sub); text; text = zpat_recv_str (sub)) {
        printf ("response: %s\n", text);
        zpat_str_free (&text);
    }
    if (!zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "pubsub_client1: %s\n", zpat_strerror (errno));
    zpat_sub_destroy (&sub);
    return !zpat_interrupted ();
}
