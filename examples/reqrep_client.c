// reqrep_client.c - the tutorial's reqrep_client.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Sends each line typed to the server and prints its reply; the line "b"
// quits. Run a server first, then the client:
//   ./reqrep_server                (or: python3 reqrep_server.py)
//   ./reqrep_client [endpoint]     (default tcp://localhost:5555)

#include <zpat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs (
            "usage: reqrep_client [endpoint]  (default tcp://localhost:5555)\n",
            help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    printf ("connecting to server...\n");
    // No linger: at exit, a request still unanswered is not worth waiting on.
    zpat_options_t opts = {.linger_ms = ZPAT_WAIT_NONE};
    int rc = zpat_catch_signals ();
    zpat_req_t *req = rc == 0 ? zpat_req_new (endpoint, &opts) : NULL;
    zpat_msg_t *reply = req ? zpat_msg_new () : NULL;
    if (!reply) {
        fprintf (stderr, "reqrep_client: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        zpat_req_destroy (&req);
        return 1;
    }
    char *text = NULL;
    while (rc != -1 && (text = zpat_input ("please enter text: ")) &&
           strcmp (text, "b") != 0) {
        rc = zpat_send_str (req, text);
        if (rc == 0)
            rc = zpat_recv_msg (req, reply);
        if (rc != -1)
            printf ("received reply: %.*s\n", (int)zpat_msg_size (reply, 0),
                    (const char *)zpat_msg_data (reply, 0));
        zpat_str_free (&text);
    }
    zpat_str_free (&text);
    if (rc == -1 && !zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "reqrep_client: %s\n", zpat_strerror (errno));
    zpat_msg_destroy (&reply);
    zpat_req_destroy (&req);
    return rc == -1 && !zpat_interrupted ();
}
