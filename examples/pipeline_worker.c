// pipeline_worker.c - the tutorial's pipeline_worker.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Pulls each message from the server and pushes its bytes on to the client.
// Run the three stages (any of them may be the .py script instead):
//   ./pipeline_client &
//   ./pipeline_worker [pull-endpoint [push-endpoint]] &
//   ./pipeline_server
// The worker's defaults are tcp://127.0.0.1:5557 and tcp://127.0.0.1:5558.
// -r (first): the lossless pipeline, with the server and client run with -r
// too. Each message from the server is acknowledged when the worker asks
// for the next, after it has passed the result on: one it held when killed
// goes to another worker. Its results are kept until the client has them.

#include <zpat.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    int reliable = argc > 1 && !strcmp (argv[1], "-r");
    if (reliable) { // the endpoints, if any, follow
        argc--;
        argv++;
    }
    const char *from = argc > 1 ? argv[1] : "tcp://127.0.0.1:5557";
    const char *to = argc > 2 ? argv[2] : "tcp://127.0.0.1:5558";
    if (from[0] == '-') { // -h or --help (status 0), or a mistake (2)
        int help = !strcmp (from, "-h") || !strcmp (from, "--help");
        fputs ("usage: pipeline_worker [-r] [pull-endpoint "
               "[push-endpoint]]\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    // Linger 500 ms, not 1 s, so that Ctrl-C ends it within a second even
    // with a result queued for a client that is down. -r: at most 10 tasks
    // held unacknowledged.
    zpat_options_t opts = {.linger_ms = 500,
                           .reliable_credit = reliable ? 10 : 0};
    zpat_pull_t *receive = zpat_pull_new (NULL, &opts); // a PULL binds,
    zpat_connect (receive, from);                       // unless told not to
    zpat_push_t *sender = zpat_push_new (to, &opts);
    zpat_msg_t *data = zpat_msg_new (); // any bytes, every frame
    setvbuf (stdout, NULL, _IONBF, 0);  // a pipe sees each line at once
    while (1) {
        zpat_recv_msg (receive, data);
        printf ("forwarding...\n");
        zpat_send_msg (sender, data);
    }
}
