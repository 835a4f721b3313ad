// pubsub_client2.c - the tutorial's pubsub_client2.py against raw libzmq.
// SPDX-License-Identifier: MPL-2.0
//
// The yardstick for examples/pubsub_client2.c in the README (Porting from
// pyzmq): the same arguments, output, errors and signal handling. Prints the
// messages starting with "123".

#include <zmq.h>

#include <signal.h>
#include <stdio.h>
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
        fputs ("usage: pubsub_client2 [endpoint]  (default "
               "tcp://localhost:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
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
    void *sub = ctx ? zmq_socket (ctx, ZMQ_SUB) : NULL;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (sigaction (SIGINT, &action, NULL) == -1 ||
        sigaction (SIGTERM, &action, NULL) == -1 || !sub ||
        zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "123", strlen ("123")) == -1 ||
        zmq_connect (sub, endpoint) == -1) {
        fprintf (stderr, "pubsub_client2: %s: %s\n", endpoint,
                 zmq_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = 0;
    while (rc != -1 && !interrupted) {
        rc = zmq_msg_recv (&msg, sub, 0);
        if (rc != -1)
            printf ("response: %.*s\n", rc, (const char *)zmq_msg_data (&msg));
    }
    if (!interrupted)
        fprintf (stderr, "pubsub_client2: %s\n", zmq_strerror (errno));
    zmq_msg_close (&msg);
    zmq_close (sub);
    zmq_ctx_term (ctx);
    return !interrupted;
}
