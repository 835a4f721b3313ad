// pipeline_server.c - the tutorial's pipeline_server.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// The ventilator: pushes each line typed to the workers, until end of input
// or Ctrl-C. Run the three stages (any of them may be the .py script):
//   ./pipeline_client & ./pipeline_worker &
//   ./pipeline_server [-r] [endpoint]         (default tcp://*:5557)
// -r: the lossless pipeline (docs/reliable-pipeline.md), with the workers
// and client run with -r too: a message reaches a worker even if workers
// are killed meanwhile, and each worker holds at most 10 at a time.

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
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5557";
    if (endpoint[0] == '-') { // -h or --help (status 0), or a mistake (2)
        int help = !strcmp (endpoint, "-h") || !strcmp (endpoint, "--help");
        fputs ("usage: pipeline_server [-r] [endpoint]\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    // -r: each worker holds at most 10 tasks not yet acknowledged.
    zpat_options_t opts = {.reliable_credit = reliable ? 10 : 0};
    zpat_push_t *push = zpat_push_new (NULL, &opts); // a PUSH connects,
    zpat_bind (push, endpoint);                      // unless told to bind
    while (1) {
        char *text = zpat_input ("enter the message to publish: ");
        zpat_send_str (push, text); // waits while no worker is there
        printf ("sent\n");          // the next prompt flushes it
        zpat_str_free (&text);
    }
}
