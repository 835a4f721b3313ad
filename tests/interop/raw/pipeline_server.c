// pipeline_server.c - the tutorial's pipeline_server.py against raw libzmq.
// SPDX-License-Identifier: MPL-2.0
//
// The yardstick for examples/pipeline_server.c in the README (Porting from
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
        fputs ("usage: pipeline_server [endpoint]  (default tcp://*:5557)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5557";
    // No SA_RESTART, so that a signal ends a blocking libzmq call (EINTR).
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_signal;
    int linger = 1000; // libzmq lingers forever by default: exit could hang
    // libzmq's threads start in the first zmq_socket () and block signals
    // only once they run: start them with these two blocked, or a signal may
    // go to a thread that will never act on it.
    sigset_t signals, old;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &old);
    void *ctx = zmq_ctx_new ();
    void *push = ctx ? zmq_socket (ctx, ZMQ_PUSH) : NULL;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (sigaction (SIGINT, &action, NULL) == -1 ||
        sigaction (SIGTERM, &action, NULL) == -1 || !push ||
        zmq_setsockopt (push, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_bind (push, endpoint) == -1) {
        fprintf (stderr, "pipeline_server: %s: %s\n", endpoint,
                 zmq_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    char *line = NULL;
    size_t size = 0;
    int rc = 0;
    while (rc != -1 && !interrupted) {
        printf ("enter the message to publish: ");
        if (getline (&line, &size, stdin) == -1) {
            if (interrupted) // Ctrl-C (EINTR): end the prompt's line
                printf ("\n");
            break; // or end of input
        }
        char *text = line + strspn (line, " \t\n\v\f\r"); // Python's strip ()
        size_t n = strlen (text);
        while (n > 0 && isspace ((unsigned char)text[n - 1]))
            text[--n] = '\0';
        rc = zmq_send (push, text, n, 0); // waits while no worker is there
        if (rc != -1)
            printf ("sent\n");
    }
    if (rc == -1 && !interrupted)
        fprintf (stderr, "pipeline_server: %s\n", zmq_strerror (errno));
    free (line);
    zmq_close (push);
    zmq_ctx_term (ctx);
    return rc == -1 && !interrupted;
}
