// pipeline_worker.c - the tutorial's pipeline_worker.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Pulls each message from the server and pushes its bytes on to the client.
// Run the three stages (any of them may be the .py script instead):
//   ./pipeline_client &
//   ./pipeline_worker [pull-endpoint [push-endpoint]] &
//   ./pipeline_server
// The worker's defaults are tcp://127.0.0.1:5557 and tcp://127.0.0.1:5558.

#include <zpat.h>

#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: pipeline_worker [pull-endpoint [push-endpoint]]  "
               "(default tcp://127.0.0.1:5557 tcp://127.0.0.1:5558)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *from = argc > 1 ? argv[1] : "tcp://127.0.0.1:5557";
    const char *to = argc > 2 ? argv[2] : "tcp://127.0.0.1:5558";
    int rc = zpat_catch_signals ();
    // A puller binds by default; the tutorial's worker connects.
    zpat_pull_t *receiver = rc == 0 ? zpat_pull_new (NULL, NULL) : NULL;
    if (!receiver || zpat_connect (receiver, from) == -1) {
        fprintf (stderr, "pipeline_worker: %s: %s\n", from,
                 zpat_strerror (errno));
        zpat_pull_destroy (&receiver);
        return 1;
    }
    // On Ctrl-C, wait at most half a second for results the client has not
    // taken (the default, a second, would make exiting take that long).
    zpat_options_t opts = {.linger_ms = 500};
    zpat_push_t *sender = zpat_push_new (to, &opts);
    zpat_msg_t *msg = sender ? zpat_msg_new () : NULL;
    if (!msg) {
        fprintf (stderr, "pipeline_worker: %s: %s\n", to,
                 zpat_strerror (errno));
        zpat_push_destroy (&sender);
        zpat_pull_destroy (&receiver);
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    while (rc != -1) {
        rc = zpat_recv_msg (receiver, msg);
        if (rc == -1)
            break;
        printf ("forwarding...\n");
        rc = zpat_send_msg (sender, msg); // the same bytes, every frame
    }
    int stopped = zpat_interrupted (); // Ctrl-C and SIGTERM end it cleanly
    if (!stopped)
        fprintf (stderr, "pipeline_worker: %s\n", zpat_strerror (errno));
    else if (zpat_msg_count (msg) > 0) {
        // Ctrl-C came while a job was in hand (its send was waiting for the
        // client): acknowledge the signal and still pass the job on, for at
        // most 100 ms, so that leaving loses no work.
        zpat_clear_interrupt ();
        zpat_set_send_timeout_ms (sender, 100);
        zpat_send_msg (sender, msg);
    }
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&sender);
    zpat_pull_destroy (&receiver);
    return !stopped;
}
