// reqrep_client.c - the tutorial's reqrep_client.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Sends each line typed to the server and prints its reply; the line "b"
// (or end of input, or Ctrl-C) quits. Run a server first, then the client:
//   ./reqrep_server                (or: python3 reqrep_server.py)
//   ./reqrep_client [endpoint]     (default tcp://localhost:5555)

#include <zpat.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    if (endpoint[0] == '-') { // -h or --help (status 0), or a mistake (2)
        int help = !strcmp (endpoint, "-h") || !strcmp (endpoint, "--help");
        fputs ("usage: reqrep_client [endpoint]\n", help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    printf ("connecting to server...\n");
    // No linger: at exit, a request still unanswered is not worth waiting on.
    zpat_options_t opts = {.linger_ms = ZPAT_WAIT_NONE};
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    char *text = zpat_input ("please enter text: "); // flushes stdout
    while (strcmp (text, "b") != 0) {
        zpat_send_str (req, text);
        char *reply = zpat_recv_str (req);
        printf ("received reply: %s\n", reply);
        zpat_str_free (&reply);
        zpat_str_free (&text);
        text = zpat_input ("please enter text: ");
    }
    zpat_str_free (&text);
}
