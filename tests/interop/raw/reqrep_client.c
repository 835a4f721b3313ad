// reqrep_client.c - the tutorial's reqrep_client.py against raw libzmq.
// SPDX-License-Identifier: MPL-2.0
//
// The yardstick for examples/reqrep_client.c in the README (Porting from
// pyzmq): the same arguments, output, errors and signal handling.

#include <zmq.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void
on_signal (int signum)
{
    (void)signum;
    interrupted = 1;
}

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
    // No SA_RESTART, so that a signal ends a blocking libzmq call (EINTR).
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_signal;
    int linger = 0; // an unanswered request is not worth waiting on at exit
    // libzmq's threads start in the first zmq_socket () and block signals
    // only once they run: start them with these two blocked, or a signal may
    // go to a thread that will never act on it.
    sigset_t signals, old;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &old);
    void *ctx = zmq_ctx_new ();
    void *req = ctx ? zmq_socket (ctx, ZMQ_REQ) : NULL;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (sigaction (SIGINT, &action, NULL) == -1 ||
        sigaction (SIGTERM, &action, NULL) == -1 || !req ||
        zmq_setsockopt (req, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_connect (req, endpoint) == -1) {
        fprintf (stderr, "reqrep_client: %s: %s\n", endpoint,
                 zmq_strerror (errno));
        return 1;
    }
    zmq_msg_t reply;
    zmq_msg_init (&reply);
    char *line = NULL;
    size_t size = 0;
    int rc = 0;
    while (rc != -1 && !interrupted) {
        printf ("please enter text: ");
        if (getline (&line, &size, stdin) == -1) {
            if (interrupted) // Ctrl-C (EINTR): end the prompt's line
                printf ("\n");
            break; // or end of input
        }
        char *text = line + strspn (line, " \t\n\v\f\r"); // Python's strip ()
        size_t n = strlen (text);
        while (n > 0 && isspace ((unsigned char)text[n - 1]))
            text[--n] = '\0';
        if (strcmp (text, "b") == 0)
            break;
        rc = zmq_send (req, text, n, 0);
        if (rc != -1)
            rc = zmq_msg_recv (&reply, req, 0);
        if (rc != -1)
            printf ("received reply: %.*s\n", rc,
                    (const char *)zmq_msg_data (&reply));
    }
    if (rc == -1 && !interrupted)
        fprintf (stderr, "reqrep_client: %s\n", zmq_strerror (errno));
    free (line);
    zmq_msg_close (&reply);
    zmq_close (req);
    zmq_ctx_term (ctx);
    return rc == -1 && !interrupted;
}
