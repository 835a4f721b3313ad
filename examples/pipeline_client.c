// pipeline_client.c - the tutorial's pipeline_client.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The sink: prints every result the workers push. Run the three stages (any
// of them may be the .py script instead):
//   ./pipeline_client [-r] [endpoint] &       (default tcp://*:5558)
// -r: the lossless pipeline, with the workers run with -r too.
//   ./pipeline_worker & ./pipeline_server

#include <zpat.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    int reliable = argc > 1 && !strcmp (argv[1], "-r");
    if (reliable) { // the endpoint, if any, follows
        argc--;
        argv++;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5558";
    if (endpoint[0] == '-') { // -h or --help (status 0), or a mistake (2)
        int help = !strcmp (endpoint, "-h") || !strcmp (endpoint, "--help");
        fputs ("usage: pipeline_client [-r] [endpoint]\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    zpat_options_t opts = {.reliable_credit = reliable ? 10 : 0};
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts); // a PULL binds
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    while (1) {
        char *text = zpat_recv_str (pull);
        printf ("response: %s\n", text);
        zpat_str_free (&text);
    }
}
