// pipeline_client.c - the tutorial's pipeline_client.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The sink: prints every result the workers push. Run the three stages (any
// of them may be the .py script instead):
//   ./pipeline_client [endpoint] &            (default tcp://*:5558)
//   ./pipeline_worker & ./pipeline_server

#include <zpat.h>

#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: pipeline_client [endpoint]  (default tcp://*:5558)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5558";
    int rc = zpat_catch_signals ();
    zpat_pull_t *pull = rc == 0 ? zpat_pull_new (endpoint, NULL) : NULL;
    if (!pull) {
        fprintf (stderr, "pipeline_client: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    for (char *text = zpat_recv_str (pull); text; text = zpat_recv_str (pull)) {
        printf ("response: %s\n", text);
        zpat_str_free (&text);
    }
    if (!zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "pipeline_client: %s\n", zpat_strerror (errno));
    zpat_pull_destroy (&pull);
    return !zpat_interrupted ();
}
