// pipeline_server.c - the tutorial's pipeline_server.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The ventilator: pushes each line typed to the workers. Run the three
// stages (any of them may be the .py script instead):
//   ./pipeline_client & ./pipeline_worker &
//   ./pipeline_server [endpoint]              (default tcp://*:5557)

#include <zpat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: pipeline_server [endpoint]  (default tcp://*:5557)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5557";
    int rc = zpat_catch_signals ();
    // A pusher connects by default; the tutorial's ventilator binds.
    zpat_push_t *push = rc == 0 ? zpat_push_new (NULL, NULL) : NULL;
    if (!push || zpat_bind (push, endpoint) == -1) {
        fprintf (stderr, "pipeline_server: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        zpat_push_destroy (&push);
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    char *text;
    while (rc == 0 && (text = zpat_input ("enter the message to publish: "))) {
        rc = zpat_send_str (push, text); // waits while no worker is there
        if (rc == 0)
            printf ("sent\n");
        zpat_str_free (&text);
    }
    if (rc == -1 && !zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "pipeline_server: %s\n", zpat_strerror (errno));
    zpat_push_destroy (&push);
    return rc == -1 && !zpat_interrupted ();
}
