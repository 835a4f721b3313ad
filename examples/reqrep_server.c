// reqrep_server.c - the tutorial's reqrep_server.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// A REP server that prints each request and echoes its bytes back. Run it,
// then a client:
//   ./reqrep_server [endpoint]     (default tcp://*:5555)
//   ./reqrep_client                (or: python3 reqrep_client.py)

#include <zpat.h>

#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: reqrep_server [endpoint]  (default tcp://*:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5555";
    int rc = zpat_catch_signals ();
    zpat_rep_t *rep = rc == 0 ? zpat_rep_new (endpoint, NULL) : NULL;
    zpat_msg_t *msg = rep ? zpat_msg_new () : NULL;
    if (!msg) {
        fprintf (stderr, "reqrep_server: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        zpat_rep_destroy (&rep);
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    while (rc != -1) {
        printf ("wait for client ...\n");
        rc = zpat_recv_msg (rep, msg);
        if (rc == -1)
            break;
        printf ("message from client: %.*s\n", (int)zpat_msg_size (msg, 0),
                (const char *)zpat_msg_data (msg, 0));
        rc = zpat_send_msg (rep, msg); // the same bytes back, every frame
    }
    if (!zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "reqrep_server: %s\n", zpat_strerror (errno));
    zpat_msg_destroy (&msg);
    zpat_rep_destroy (&rep);
    return !zpat_interrupted ();
}
