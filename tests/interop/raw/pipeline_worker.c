// pipeline_worker.c - the tutorial's pipeline_worker.py against raw libzmq.
// SPDX-License-Identifier: MPL-2.0
//
// The yardstick for examples/pipeline_worker.c in the README (Porting from
// pyzmq): the same arguments, output, errors and signal handling. Forwards
// every frame.

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
        fputs ("usage: pipeline_worker [pull-endpoint [push-endpoint]]  "
               "(default tcp://127.0.0.1:5557 tcp://127.0.0.1:5558)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *from = argc > 1 ? argv[1] : "tcp://127.0.0.1:5557";
    const char *to = argc > 2 ? argv[2] : "tcp://127.0.0.1:5558";
    // No SA_RESTART, so that a signal ends a blocking libzmq call (EINTR).
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_signal;
    // libzmq lingers forever by default, so exit could hang; on Ctrl-C wait
    // at most half a second for results the client has not taken.
    int linger = 500;
    // libzmq's threads start in the first zmq_socket () and block signals
    // only once they run: start them with these two blocked, or a signal may
    // go to a thread that will never act on it.
    sigset_t signals, old;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &old);
    void *ctx = zmq_ctx_new ();
    void *receiver = ctx ? zmq_socket (ctx, ZMQ_PULL) : NULL;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (sigaction (SIGINT, &action, NULL) == -1 ||
        sigaction (SIGTERM, &action, NULL) == -1 || !receiver ||
        zmq_setsockopt (receiver, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_connect (receiver, from) == -1) {
        fprintf (stderr, "pipeline_worker: %s: %s\n", from,
                 zmq_strerror (errno));
        return 1;
    }
    void *sender = zmq_socket (ctx, ZMQ_PUSH);
    if (!sender ||
        zmq_setsockopt (sender, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_connect (sender, to) == -1) {
        fprintf (stderr, "pipeline_worker: %s: %s\n", to, zmq_strerror (errno));
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    int rc = 0;
    int more = 0;
    while (rc != -1 && (more || !interrupted)) {
        // Frame by frame: libzmq delivers a message's frames all together.
        rc = zmq_msg_recv (&frame, receiver, 0);
        if (rc == -1)
            break;
        if (!more)
            printf ("forwarding...\n");
        more = zmq_msg_more (&frame);
        rc = zmq_msg_send (&frame, sender, more ? ZMQ_SNDMORE : 0);
    }
    if (!interrupted)
        fprintf (stderr, "pipeline_worker: %s\n", zmq_strerror (errno));
    zmq_msg_close (&frame);
    zmq_close (sender);
    zmq_close (receiver);
    zmq_ctx_term (ctx);
    return !interrupted;
}
