// queue_device.c - the tutorial's queue device in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The queue (broker) between REQ clients and REP workers: clients connect to
// the frontend, workers to the backend (the ZeroMQ guide's ports). With the
// C ports: ./reqrep_server '>tcp://localhost:5560' (twice, as workers) and
// ./reqrep_client tcp://localhost:5559.
//   ./queue_device [frontend [backend]]  (default tcp://*:5559 tcp://*:5560)
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
        fputs ("usage: queue_device [frontend [backend]]  (default "
               "tcp://*:5559 tcp://*:5560)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *frontend = argc > 1 ? argv[1] : "tcp://*:5559";
    const char *backend = argc > 2 ? argv[2] : "tcp://*:5560";
    zpat_catch_signals ();
    zpat_device_t *device =
        zpat_device_new (ZPAT_QUEUE, frontend, backend, NULL);
    if (!device) {
        fprintf (stderr, "queue_device: %s, %s: %s\n", frontend, backend,
                 zpat_strerror (errno));
        return 1;
    }
    printf ("queue_device: clients on %s, workers on %s\n", frontend, backend);
    fflush (stdout);
    zpat_device_run (device); // until Ctrl-C, SIGTERM or zpat_shutdown ()
    int interrupted = zpat_interrupted ();
    zpat_device_destroy (&device);
    return interrupted ? 0 : 1;
}
