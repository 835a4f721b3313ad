// pipeline_client.c - the tutorial's pipeline_client.py against raw libzmq.
// SPDX-License-Identifier: MPL-2.0
//
// The yardstick for examples/pipeline_client.c in the README (Porting from
// pyzmq): the same arguments, output, errors and signal handling. Prints every
// result.

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
        fputs ("usage: pipeline_client [endpoint]  (default tcp://*:5558)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5558";
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
    void *pull = ctx ? zmq_socket (ctx, ZMQ_PULL) : NULL;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (sigaction (SIGINT, &action, NULL) == -1 ||
        sigaction (SIGTERM, &action, NULL) == -1 || !pull ||
        zmq_setsockopt (pull, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_bind (pull, endpoint) == -1) {
        fprintf (stderr, "pipeline_client: %s: %s\n", endpoint,
                 zmq_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = 0;
    while (rc != -1 && !interrupted) {
        rc = zmq_msg_recv (&msg, pull, 0);
        if (rc != -1)
            printf ("response: %.*s\n", rc, (const char *)zmq_msg_data (&msg));
    }
    if (!interrupted)
        fprintf (stderr, "pipeline_client: %s\n", zmq_strerror (errno));
    zmq_msg_close (&msg);
    zmq_close (pull);
    zmq_ctx_term (ctx);
    return !interrupted;
}
