// reliable_reqrep_client.c - the tutorial's reqrep_client.py in C, with a
// request that never gets stuck: each request waits up to timeout_ms for
// its reply and is sent again, on a fresh connection, up to tries times
// (the ZeroMQ guide's Lazy Pirate; zpat_req_request). A request that gets
// no reply after every try is reported and given up, and the next line is
// read: the server can be started late, killed and started again.
// SPDX-License-Identifier: MPL-2.0
//
// Same input and output as reqrep_client: each line typed is sent, the
// reply printed; the line "b" (or end of input, or Ctrl-C) quits.
//   ./reliable_reqrep_client [endpoint [timeout_ms [tries]]]
//   (defaults: tcp://localhost:5555, 2500 ms, 3 tries)
// The echo server's requests are safe to repeat: retried requests must be.

#include <zpat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    int timeout_ms = argc > 2 ? atoi (argv[2]) : 2500;
    int tries = argc > 3 ? atoi (argv[3]) : 3;
    if (endpoint[0] == '-' || timeout_ms < 1 || tries < 1 || argc > 4) {
        int help = !strcmp (endpoint, "-h") || !strcmp (endpoint, "--help");
        fputs (
            "usage: reliable_reqrep_client [endpoint [timeout_ms [tries]]]\n",
            help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    printf ("connecting to server...\n");
    zpat_options_t opts = {.linger_ms = ZPAT_WAIT_NONE};
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    char *text = zpat_input ("please enter text: "); // flushes stdout
    while (strcmp (text, "b") != 0) {
        // NULL only with EAGAIN here: the policy ends the program on the rest.
        char *reply = zpat_req_request_str (req, text, timeout_ms, tries);
        if (reply)
            printf ("received reply: %s\n", reply);
        else
            fprintf (stderr,
                     "reliable_reqrep_client: no reply to \"%s\" after %d "
                     "tries of %d ms; is the server running? carrying on\n",
                     text, tries, timeout_ms);
        zpat_str_free (&reply);
        zpat_str_free (&text);
        text = zpat_input ("please enter text: ");
    }
    zpat_str_free (&text);
}
