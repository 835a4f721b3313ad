// reqrep_server.c - the tutorial's reqrep_server.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// A REP server that prints each request and echoes its bytes back. Run it,
// then a client:
//   ./reqrep_server [endpoint]     (default tcp://*:5555)
//   ./reqrep_client                (or: python3 reqrep_client.py)
// zpat_exit_on_error () plays the script's try/except: a call that fails
// prints why and ends the program; Ctrl-C ends it quietly.

#include <zpat.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5555";
    if (endpoint[0] == '-') { // -h or --help (status 0), or a mistake (2)
        int help = !strcmp (endpoint, "-h") || !strcmp (endpoint, "--help");
        fputs ("usage: reqrep_server [endpoint]\n", help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    zpat_rep_t *rep = zpat_rep_new (endpoint, NULL);
    zpat_msg_t *msg = zpat_msg_new (); // any bytes, every frame
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    while (1) {
        printf ("wait for client ...\n");
        zpat_recv_msg (rep, msg);
        printf ("message from client: %.*s\n", (int)zpat_msg_size (msg, 0),
                (const char *)zpat_msg_data (msg, 0));
        zpat_send_msg (rep, msg); // the same bytes back
    }
}
