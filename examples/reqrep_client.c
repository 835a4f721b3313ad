// reqrep_client.c - the tutorial's reqrep_client.py in C, with zpat.
// SPDX-License-Identifier: MPL-2.0
//
// Sends each line typed to the server and prints its reply; the line "b"
// quits. Run a server first, then the client:
//   ./reqrep_server                (or: python3 reqrep_server.py)
//   ./reqrep_client [endpoint]     (default tcp://localhost:5555)

#include <zpat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
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
    char *line = NULL;
    size_t size = 0;
    while (rc != -1) {
        printf ("please enter text: ");
        if (getline (&line, &size, stdin) == -1)
            break; // end of input, or Ctrl-C (EINTR)
        char *text = line + strspn (line, " \t\n\v\f\r"); // Python's strip ()
        size_t n = strlen (text);
        while (n > 0 && isspace ((unsigned char)text[n - 1]))
            text[--n] = '\0';
        if (strcmp (text, "b") == 0)
            break;
        rc = zpat_send_str (req, text);
        if (rc == 0)
            rc = zpat_recv_msg (req, reply);
        if (rc != -1)
            printf ("received reply: %.*s\n", (int)zpat_msg_size (reply, 0),
                    (const char *)zpat_msg_data (reply, 0));
    }
    if (rc == -1 && !zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "reqrep_client: %s\n", zpat_strerror (errno));
    free (line);
    zpat_msg_destroy (&reply);
    zpat_req_destroy (&req);
    return rc == -1 && !zpat_interrupted ();
}
