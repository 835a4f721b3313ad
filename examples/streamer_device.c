// streamer_device.c - the tutorial's streamer device in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The streamer between pushers and pullers: by default it pulls from the
// tutorial's pipeline_server.py (which binds tcp://*:5557) and hands tasks
// to workers on port 5561: ./pipeline_worker tcp://localhost:5561.
//   ./streamer_device [frontend [backend]]  (default >tcp://localhost:5557
//   tcp://*:5561)
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
        fputs ("usage: streamer_device [frontend [backend]]  (default "
               ">tcp://localhost:5557 tcp://*:5561)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *frontend = argc > 1 ? argv[1] : ">tcp://localhost:5557";
    const char *backend = argc > 2 ? argv[2] : "tcp://*:5561";
    zpat_catch_signals ();
    zpat_device_t *device =
        zpat_device_new (ZPAT_STREAMER, frontend, backend, NULL);
    if (!device) {
        fprintf (stderr, "streamer_device: %s, %s: %s\n", frontend, backend,
                 zpat_strerror (errno));
        return 1;
    }
    printf ("streamer_device: tasks from %s, workers on %s\n", frontend,
            backend);
    fflush (stdout);
    zpat_device_run (device); // until Ctrl-C, SIGTERM or zpat_shutdown ()
    int interrupted = zpat_interrupted ();
    zpat_device_destroy (&device);
    return interrupted ? 0 : 1;
}
