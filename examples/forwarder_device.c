// forwarder_device.c - the tutorial's forwarder device in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The forwarder between publishers and subscribers: by default it connects to
// the tutorial's publisher (pubsub_server.py binds tcp://*:5555) and
// serves subscribers on port 5556: ./pubsub_client1 tcp://localhost:5556.
// Subscriptions travel upstream, so each subscriber gets what it would get
// from the publisher directly.
//   ./forwarder_device [frontend [backend]]  (default >tcp://localhost:5555
//   tcp://*:5556)
// It prints one line when it starts and ends with status 0 on Ctrl-C or
// SIGTERM.

#include <zpat.h>

#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: forwarder_device [frontend [backend]]  (default "
               ">tcp://localhost:5555 tcp://*:5556)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *frontend = argc > 1 ? argv[1] : ">tcp://localhost:5555";
    const char *backend = argc > 2 ? argv[2] : "tcp://*:5556";
    zpat_catch_signals ();
    zpat_device_t *device =
        zpat_device_new (ZPAT_FORWARDER, frontend, backend, NULL);
    if (!device) {
        fprintf (stderr, "forwarder_device: %s, %s: %s\n", frontend, backend,
                 zpat_strerror (errno));
        return 1;
    }
    printf ("forwarder_device: publishers from %s, subscribers on %s\n",
            frontend, backend);
    fflush (stdout);
    zpat_device_run (device); // until Ctrl-C, SIGTERM or zpat_shutdown ()
    int interrupted = zpat_interrupted ();
    zpat_device_destroy (&device);
    return interrupted ? 0 : 1;
}
