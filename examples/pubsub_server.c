// pubsub_server.c - the tutorial's pubsub_server.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Publishes each line typed; the line "b" quits. -w N first waits for N
// subscriptions, so that no subscriber misses the first lines. Run it with
// both subscribers:
//   ./pubsub_server [-w N] [endpoint]     (default tcp://*:5555)
//   ./pubsub_client1 & ./pubsub_client2   (or the .py scripts)

#include <zpat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    // -w N takes N in digits only (at most 9); -h or --help prints the usage.
    int first = argc > 2 && strcmp (argv[1], "-w") == 0 ? 3 : 1;
    size_t digits = first == 3 ? strspn (argv[2], "0123456789") : 1;
    int bad_n = digits == 0 || digits > 9 || (first == 3 && argv[2][digits]);
    if (bad_n || (argc > first && argv[first][0] == '-')) {
        int help = !bad_n && (!strcmp (argv[first], "-h") ||
                              !strcmp (argv[first], "--help"));
        fputs ("usage: pubsub_server [-w N] [endpoint]  (wait for N "
               "subscriptions; default tcp://*:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    int wanted = first == 3 ? (int)strtol (argv[2], NULL, 10) : 0;
    const char *endpoint = argc > first ? argv[first] : "tcp://*:5555";
    int rc = zpat_catch_signals ();
    zpat_pub_t *pub = rc == 0 ? zpat_pub_new (endpoint, NULL) : NULL;
    if (!pub) {
        fprintf (stderr, "pubsub_server: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each prompt at once
    rc = zpat_pub_wait_subscriptions (pub, wanted, ZPAT_WAIT_FOREVER);
    char *text = NULL;
    while (rc != -1 && (text = zpat_input ("enter the message to publish: ")) &&
           strcmp (text, "b") != 0) {
        rc = zpat_send_str (pub, text);
        zpat_str_free (&text);
    }
    zpat_str_free (&text);
    if (rc == -1 && !zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "pubsub_server: %s\n", zpat_strerror (errno));
    zpat_pub_destroy (&pub);
    return rc == -1 && !zpat_interrupted ();
}
