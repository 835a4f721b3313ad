// pingpong.c - an inproc:// ping-pong over two PUSH/PULL pairs, where every
// receive finds its queue empty and waits: what throughput benchmarks, whose
// queues are never empty, do not show. For callgrind (instruction_budget.sh).
// SPDX-License-Identifier: MPL-2.0
//
// usage: pingpong zpat|raw COUNT [TIMEOUT_MS]
//   zpat  zpat's PUSH and PULL (default options: a size limit, no timeout;
//         with TIMEOUT_MS, that receive timeout too)
//   raw   libzmq's, as a raw program would write them
// Exits 0 once COUNT exchanges (a message there, one back) are done.

#include <zpat.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define SIZE 16

static long s_count;
static void *s_ctx; // raw: the context; NULL for zpat
static zpat_options_t s_opts;

static void
s_die (const char *what)
{
    fprintf (stderr, "pingpong: %s: %s\n", what, zpat_strerror (errno));
    exit (1);
}

// The echoing side, in a thread of its own.
static void *
s_echo (void *arg)
{
    (void)arg;
    char buf[SIZE];
    if (s_ctx) {
        void *in = zmq_socket (s_ctx, ZMQ_PULL);
        void *out = zmq_socket (s_ctx, ZMQ_PUSH);
        if (zmq_connect (in, "inproc://ping") ||
            zmq_connect (out, "inproc://pong"))
            s_die ("connect");
        for (long i = 0; i < s_count; i++)
            if (zmq_recv (in, buf, SIZE, 0) != SIZE ||
                zmq_send (out, buf, SIZE, 0) != SIZE)
                s_die ("echo");
        zmq_close (in);
        zmq_close (out);
    } else {
        zpat_pull_t *in = zpat_pull_new (">inproc://ping", &s_opts);
        zpat_push_t *out = zpat_push_new (">inproc://pong", &s_opts);
        if (!in || !out)
            s_die ("connect");
        for (long i = 0; i < s_count; i++)
            if (zpat_recv (in, buf, SIZE) != SIZE || zpat_send (out, buf, SIZE))
                s_die ("echo");
        zpat_pull_destroy (&in);
        zpat_push_destroy (&out);
    }
    return NULL;
}

int
main (int argc, char **argv)
{
    if (argc < 3 || (strcmp (argv[1], "zpat") && strcmp (argv[1], "raw"))) {
        fputs ("usage: pingpong zpat|raw COUNT [TIMEOUT_MS]\n", stderr);
        return 2;
    }
    s_count = atol (argv[2]);
    s_opts.recv_timeout_ms = argc > 3 ? atoi (argv[3]) : 0;
    char buf[SIZE] = {0};
    pthread_t thread;
    if (!strcmp (argv[1], "raw")) {
        s_ctx = zmq_ctx_new ();
        void *out = zmq_socket (s_ctx, ZMQ_PUSH);
        void *in = zmq_socket (s_ctx, ZMQ_PULL);
        if (zmq_bind (out, "inproc://ping") || zmq_bind (in, "inproc://pong"))
            s_die ("bind");
        pthread_create (&thread, NULL, s_echo, NULL);
        for (long i = 0; i < s_count; i++)
            if (zmq_send (out, buf, SIZE, 0) != SIZE ||
                zmq_recv (in, buf, SIZE, 0) != SIZE)
                s_die ("ping");
        pthread_join (thread, NULL);
        zmq_close (out);
        zmq_close (in);
        zmq_ctx_term (s_ctx);
    } else {
        zpat_push_t *out = zpat_push_new ("@inproc://ping", &s_opts);
        zpat_pull_t *in = zpat_pull_new ("@inproc://pong", &s_opts);
        if (!out || !in)
            s_die ("bind");
        pthread_create (&thread, NULL, s_echo, NULL);
        for (long i = 0; i < s_count; i++)
            if (zpat_send (out, buf, SIZE) || zpat_recv (in, buf, SIZE) != SIZE)
                s_die ("ping");
        pthread_join (thread, NULL);
        zpat_push_destroy (&out);
        zpat_pull_destroy (&in);
    }
    return 0;
}
