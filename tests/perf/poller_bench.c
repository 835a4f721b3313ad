// poller_bench.c - zpat_poller_wait next to raw zmq_poll on the same
// libzmq sockets: wake-ups per second across 1, 8 and 64 PULL objects.
// SPDX-License-Identifier: MPL-2.0
//
// Each point (transport, number of objects) makes that many PULL objects,
// each with a PUSH peer. In each round a sender thread sends count small
// messages round-robin to the peers (blocking at the high-water mark), and
// the main thread waits on all the PULLs at once, then receives one message
// from each one found ready, until all count have come. A wake-up is a wait
// that returned ready items. The wait is the only difference between the
// two: zpat_poller_wait (max = all objects) or zmq_poll on the objects'
// libzmq sockets (zpat_handle); the sends and receives are raw libzmq calls
// in both. The two run in alternating rounds (zpat raw zpat raw ...) in one
// process, so that drift on a shared machine hits both alike; the table
// shows the median of the rounds and the ratio zpat/raw of the medians
// (the target is 0.95 or more).

#include "zpat.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

// A wait longer than this means the run is broken (a lost message).
#define BENCH_TIMEOUT_MS 30000
#define MAX_OBJECTS 64
#define MAX_ROUNDS 99
#define MESSAGE_SIZE 8

static const int s_sizes[] = {1, 8, 64};
#define SIZES ((int)(sizeof s_sizes / sizeof s_sizes[0]))
static const char *const s_transports[] = {"inproc", "tcp"};
#define TRANSPORTS 2

typedef enum { IMPL_ZPAT, IMPL_RAW, IMPLS } impl_t;
static const char *const s_impl_names[] = {"zpat", "raw"};

typedef struct {
    int objects;
    zpat_pull_t *pulls[MAX_OBJECTS];
    zpat_push_t *pushes[MAX_OBJECTS];
    void *pull_handles[MAX_OBJECTS];
    void *push_handles[MAX_OBJECTS];
    int index[MAX_OBJECTS]; // each object's number, its poller arg
    zpat_poller_t *poller;
    zmq_pollitem_t items[MAX_OBJECTS];
    long count; // messages per round
} point_t;

typedef struct {
    double wakeups_per_s;
    double messages_per_s;
} result_t;

static double
s_now_s (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void
s_die (const char *what)
{
    fprintf (stderr, "poller_bench: %s: %s\n", what, zpat_strerror (errno));
    exit (EXIT_FAILURE);
}

static void *
s_sender (void *arg)
{
    point_t *point = arg;
    char buf[MESSAGE_SIZE] = {0};
    for (long i = 0; i < point->count; i++)
        if (zmq_send (point->push_handles[i % point->objects], buf, sizeof buf,
                      0) != (int)sizeof buf)
            s_die ("zmq_send");
    return NULL;
}

static void
s_point_open (point_t *point, const char *transport, int objects, long count)
{
    memset (point, 0, sizeof *point);
    point->objects = objects;
    point->count = count;
    point->poller = zpat_poller_new ();
    if (!point->poller)
        s_die ("zpat_poller_new");
    static unsigned counter;
    zpat_options_t opts = {.linger_ms = 100};
    for (int i = 0; i < objects; i++) {
        char endpoint[128];
        if (strcmp (transport, "tcp") == 0)
            snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:*");
        else
            snprintf (endpoint, sizeof endpoint, "inproc://poller-bench-%u",
                      counter++);
        point->pulls[i] = zpat_pull_new (endpoint, &opts);
        if (!point->pulls[i])
            s_die ("zpat_pull_new");
        point->pushes[i] =
            zpat_push_new (zpat_endpoint (point->pulls[i]), &opts);
        if (!point->pushes[i])
            s_die ("zpat_push_new");
        point->pull_handles[i] = zpat_handle (point->pulls[i]);
        point->push_handles[i] = zpat_handle (point->pushes[i]);
        point->index[i] = i;
        if (zpat_poller_add (point->poller, point->pulls[i], ZPAT_POLLIN,
                             &point->index[i]) == -1)
            s_die ("zpat_poller_add");
        point->items[i] =
            (zmq_pollitem_t){point->pull_handles[i], 0, ZMQ_POLLIN, 0};
        int timeout = BENCH_TIMEOUT_MS;
        zmq_setsockopt (point->pull_handles[i], ZMQ_RCVTIMEO, &timeout,
                        sizeof timeout);
        // One message there and back: the connection is up.
        char buf[MESSAGE_SIZE] = {0};
        if (zmq_send (point->push_handles[i], buf, sizeof buf, 0) == -1 ||
            zmq_recv (point->pull_handles[i], buf, sizeof buf, 0) == -1)
            s_die ("warm-up");
    }
}

static void
s_point_close (point_t *point)
{
    zpat_poller_destroy (&point->poller);
    for (int i = 0; i < point->objects; i++) {
        zpat_push_destroy (&point->pushes[i]);
        zpat_pull_destroy (&point->pulls[i]);
    }
}

// One round: the sender sends count messages, the main thread takes them.
static result_t
s_round (point_t *point, impl_t impl)
{
    char buf[MESSAGE_SIZE];
    zpat_ready_t ready[MAX_OBJECTS];
    long received = 0, wakeups = 0;
    pthread_t thread;
    double start = s_now_s ();
    if (pthread_create (&thread, NULL, s_sender, point) != 0)
        s_die ("pthread_create");
    while (received < point->count) {
        if (impl == IMPL_ZPAT) {
            int rc = zpat_poller_wait (point->poller, BENCH_TIMEOUT_MS, ready,
                                       (size_t)point->objects);
            if (rc < 1)
                s_die ("zpat_poller_wait");
            for (int k = 0; k < rc; k++) {
                int i = *(const int *)ready[k].arg;
                if (zmq_recv (point->pull_handles[i], buf, sizeof buf,
                              ZMQ_DONTWAIT) >= 0)
                    received++;
            }
        } else {
            int rc = zmq_poll (point->items, point->objects, BENCH_TIMEOUT_MS);
            if (rc < 1)
                s_die ("zmq_poll");
            for (int i = 0; i < point->objects; i++)
                if ((point->items[i].revents & ZMQ_POLLIN) &&
                    zmq_recv (point->pull_handles[i], buf, sizeof buf,
                              ZMQ_DONTWAIT) >= 0)
                    received++;
        }
        wakeups++;
    }
    double elapsed = s_now_s () - start;
    pthread_join (thread, NULL);
    return (result_t){(double)wakeups / elapsed, (double)received / elapsed};
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
s_median (double *values, int count)
{
    qsort (values, (size_t)count, sizeof *values, s_compare);
    return count % 2 ? values[count / 2]
                     : (values[count / 2 - 1] + values[count / 2]) / 2;
}

int
main (int argc, char **argv)
{
    bool quick = false;
    int rounds = 0;
    long count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp (argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi (argv[++i]);
        else if (strcmp (argv[i], "--count") == 0 && i + 1 < argc)
            count = atol (argv[++i]);
        else {
            fprintf (stderr,
                     "usage: poller_bench [--quick] [--rounds N] "
                     "[--count MESSAGES]\n"
                     "  --quick        a short run for CI (a few seconds)\n"
                     "  --rounds N     rounds per point and wait (default 9;"
                     " quick 3)\n"
                     "  --count N      messages per round (default 200000;"
                     " quick 20000)\n");
            return EXIT_FAILURE;
        }
    }
    if (rounds <= 0)
        rounds = quick ? 3 : 9;
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    if (count <= 0)
        count = quick ? 20000 : 200000;

    printf ("poller_bench: %ld messages of %d bytes per round, %d rounds, "
            "medians\n",
            count, MESSAGE_SIZE, rounds);
    printf ("%-7s %7s %14s %14s %14s %14s %7s %7s\n", "", "objects",
            "zpat wake/s", "raw wake/s", "zpat msg/s", "raw msg/s", "wake",
            "msg");
    bool below = false;
    for (int t = 0; t < TRANSPORTS; t++)
        for (int s = 0; s < SIZES; s++) {
            point_t point;
            s_point_open (&point, s_transports[t], s_sizes[s], count);
            double wakeups[IMPLS][MAX_ROUNDS], messages[IMPLS][MAX_ROUNDS];
            s_round (&point, IMPL_ZPAT); // warm-up: caches, queues
            s_round (&point, IMPL_RAW);
            for (int r = 0; r < rounds; r++)
                for (int impl = 0; impl < IMPLS; impl++) {
                    result_t result = s_round (&point, (impl_t)impl);
                    wakeups[impl][r] = result.wakeups_per_s;
                    messages[impl][r] = result.messages_per_s;
                }
            s_point_close (&point);
            double wake[IMPLS], msg[IMPLS];
            for (int impl = 0; impl < IMPLS; impl++) {
                wake[impl] = s_median (wakeups[impl], rounds);
                msg[impl] = s_median (messages[impl], rounds);
            }
            double ratio = wake[IMPL_ZPAT] / wake[IMPL_RAW];
            below |= ratio < 0.95;
            printf ("%-7s %7d %14.0f %14.0f %14.0f %14.0f %7.2f %7.2f\n",
                    s_transports[t], s_sizes[s], wake[IMPL_ZPAT],
                    wake[IMPL_RAW], msg[IMPL_ZPAT], msg[IMPL_RAW], ratio,
                    msg[IMPL_ZPAT] / msg[IMPL_RAW]);
            fflush (stdout);
        }
    printf ("ratios are %s/%s (wake: wake-ups per second; msg: messages per "
            "second); target >= 0.95%s\n",
            s_impl_names[IMPL_ZPAT], s_impl_names[IMPL_RAW],
            below ? ": some wake ratio is below it" : "");
    return EXIT_SUCCESS;
}
