// pubsub_server.c - the tutorial's pubsub_server.py against raw libzmq.
// SPDX-License-Identifier: MPL-2.0
//
// The yardstick for examples/pubsub_server.c in the README (Porting from
// pyzmq): the same arguments, output, errors and signal handling. -w N waits
// for N subscriptions.

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
    // -w N takes N in digits only (at most 9); -h or --help prints the usage.
    int first = argc > 2 && strcmp (argv[1], "-w") == 0 ? 3 : 1;
    size_t digits = first == 3 ? strspn (argv[2], "0123456789") : 1;
    int bad_n = digits == 0 || digits > 9 || (first == 3 && argv[2][digits]);
    if (bad_n || (argc > first && argv[first][0] == '-')) {
        int help = !bad_n && (!strcmp (argv[first], "-h") ||
                              !strcmp (argv[first], "--help"));
        fputs ("usage: pubsub_server [-w N] [endpoint]  (wait for N "
               "subscriptions; default tcp://*:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    int wanted = first == 3 ? (int)strtol (argv[2], NULL, 10) : 0;
    const char *endpoint = argc > first ? argv[first] : "tcp://*:5555";
    // No SA_RESTART, so that a signal ends a blocking libzmq call (EINTR).
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_signal;
    int linger = 1000; // libzmq lingers forever by default: exit could hang
    int verbose = 1;   // to count every subscription, repeated ones too
    // libzmq's threads start in the first zmq_socket () and block signals
    // only once they run: start them with these two blocked, or a signal may
    // go to a thread that will never act on it.
    sigset_t signals, old;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &old);
    void *ctx = zmq_ctx_new ();
    void *pub = ctx ? zmq_socket (ctx, ZMQ_XPUB) : NULL;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (sigaction (SIGINT, &action, NULL) == -1 ||
        sigaction (SIGTERM, &action, NULL) == -1 || !pub ||
        zmq_setsockopt (pub, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_setsockopt (pub, ZMQ_XPUB_VERBOSER, &verbose, sizeof verbose) ==
            -1 ||
        zmq_bind (pub, endpoint) == -1) {
        fprintf (stderr, "pubsub_server: %s: %s\n", endpoint,
                 zmq_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each prompt at once
    // An XPUB receives each subscription as 1 + prefix, and each
    // unsubscription (a subscriber leaving too) as 0 + prefix.
    zmq_msg_t event;
    zmq_msg_init (&event);
    int rc = 0;
    for (int subscriptions = 0; subscriptions < wanted && rc != -1;) {
        rc = zmq_msg_recv (&event, pub, 0);
        if (rc > 0)
            subscriptions += *(char *)zmq_msg_data (&event) == 1 ? 1 : -1;
    }
    zmq_msg_close (&event);
    char *line = NULL;
    size_t size = 0;
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
        if (strcmp (text, "b") == 0)
            break;
        rc = zmq_send (pub, text, n, 0);
    }
    if (rc == -1 && !interrupted)
        fprintf (stderr, "pubsub_server: %s\n", zmq_strerror (errno));
    free (line);
    zmq_close (pub);
    zmq_ctx_term (ctx);
    return rc == -1 && !interrupted;
}
