// curve_bench.c - CURVE-encrypted zpat objects next to raw libzmq sockets
// given the same keys: throughput (PUSH/PULL) and round-trip time (REQ/REP)
// over tcp, in one process.
// SPDX-License-Identifier: MPL-2.0
//
// One server and one client key pair, made once with zmq_curve_keypair: the
// raw sockets get them with zmq_setsockopt (ZMQ_CURVE_SERVER, _SECRETKEY,
// _PUBLICKEY, _SERVERKEY), the zpat objects as certificates made of the same
// text (zpat_cert_new_txt) in zpat_options_t (.curve_cert,
// .curve_server_key). Neither side runs an authenticator, so the only
// difference is the library on top: zpat_send / zmq_send to send (one copy),
// zpat_recv_msg / zmq_msg_recv into one reused message to receive (no copy),
// and zpat_send_msg / zmq_msg_send to echo. Both use the same options:
// timeouts of 30 s (a lost message stops the run), high-water marks of
// 1,000, a linger of 1 s.
//   pushpull  a PUSH thread sends a block of messages to a PULL in the
//             main thread: messages/s, timed by the receiver.
//   reqrep    the main thread's REQ makes a block of round trips to an
//             echoing REP thread: the block's median round trip in us.
// Each point opens one CURVE pair of each implementation (the handshake and
// the first messages come before any clock starts) and runs blocks on them
// in turn, zpat raw zpat raw ..., so that drift on a shared machine hits
// both alike; the first pair of blocks is a warm-up. The table shows the
// median of the blocks and the ratio zpat/raw of speeds (messages/s, or
// round trips/s: raw's median round trip over zpat's). The target is 0.97
// or more. Nothing is asserted on times: the exit status says only whether
// the run worked. --plain adds the same table without CURVE, to tell a cost
// of zpat's own from one that comes with CURVE.

#include "zpat.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BENCH_TIMEOUT_MS 30000
#define HWM 1000
#define MAX_BLOCKS 99
#define RT_WARMUP 100 // untimed round trips on each new REQ/REP pair
#define TARGET 0.97
#define KEY_TEXT 40 // a Z85 key's characters

typedef enum { IMPL_ZPAT, IMPL_RAW, IMPLS } impl_t;
static const char *const s_impl_names[] = {"zpat", "raw"};

static void *s_raw_ctx;
static char s_server_public[KEY_TEXT + 1], s_server_secret[KEY_TEXT + 1];
static char s_client_public[KEY_TEXT + 1], s_client_secret[KEY_TEXT + 1];
static zpat_cert_t *s_server_cert, *s_client_cert;

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

// Any failure ends the benchmark at once: _exit, because the other thread
// may still hold sockets that an orderly exit would wait for.
static void
s_die (const char *what)
{
    fprintf (stderr, "curve_bench: %s: %s\n", what, zpat_strerror (errno));
    fflush (stdout);
    _exit (1);
}

// ---------------------------------------------------------------------------
// A CURVE pair of either implementation: the server binds, the client
// connects. Per-message calls switch once on the implementation, the same
// small cost for both.

typedef struct {
    impl_t impl;
    void *server, *client; // zpat_socket_t * or libzmq sockets
    zpat_pull_t *pull;     // zpat: the typed objects, to destroy
    zpat_push_t *push;
    zpat_rep_t *rep;
    zpat_req_t *req;
    zpat_msg_t *server_msg, *client_msg;
    zmq_msg_t server_rmsg, client_rmsg;
} pair_t;

// Checks that libzmq really runs CURVE (or, with curve false, nothing) on
// handle, so that the two implementations are compared doing the same work.
static void
s_check_mechanism (void *handle, bool curve, const char *what)
{
    int mechanism = -1;
    size_t size = sizeof mechanism;
    if (zmq_getsockopt (handle, ZMQ_MECHANISM, &mechanism, &size) == -1)
        s_die (what);
    if (mechanism != (curve ? ZMQ_CURVE : ZMQ_NULL)) {
        fprintf (stderr, "curve_bench: %s: mechanism %d, not %s\n", what,
                 mechanism, curve ? "CURVE" : "NULL");
        _exit (1);
    }
}

static void *
s_raw_socket (int type)
{
    int timeout = BENCH_TIMEOUT_MS, hwm = HWM, linger = ZPAT_DEFAULT_LINGER_MS;
    void *sock = zmq_socket (s_raw_ctx, type);
    if (!sock ||
        zmq_setsockopt (sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout) ||
        zmq_setsockopt (sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout) ||
        zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger))
        s_die ("zmq_socket");
    return sock;
}

// The raw libzmq calls that make sock a CURVE server or client with the
// keys zpat's objects get as certificates.
static int
s_raw_curve_server (void *sock)
{
    int on = 1;
    if (zmq_setsockopt (sock, ZMQ_CURVE_SERVER, &on, sizeof on) == -1)
        return -1;
    return zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, s_server_secret,
                           KEY_TEXT);
}

static int
s_raw_curve_client (void *sock)
{
    if (zmq_setsockopt (sock, ZMQ_CURVE_SERVERKEY, s_server_public, KEY_TEXT) ==
            -1 ||
        zmq_setsockopt (sock, ZMQ_CURVE_PUBLICKEY, s_client_public, KEY_TEXT) ==
            -1)
        return -1;
    return zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, s_client_secret,
                           KEY_TEXT);
}

// Opens a pair of impl; curve false leaves out the keys (--plain).
static void
s_pair_open (pair_t *pair, impl_t impl, int server_type, int client_type,
             bool curve)
{
    memset (pair, 0, sizeof *pair);
    pair->impl = impl;
    char endpoint[256];
    if (impl == IMPL_ZPAT) {
        zpat_options_t opts = {.send_timeout_ms = BENCH_TIMEOUT_MS,
                               .recv_timeout_ms = BENCH_TIMEOUT_MS,
                               .send_hwm = HWM,
                               .recv_hwm = HWM,
                               .linger_ms = ZPAT_DEFAULT_LINGER_MS,
                               .curve_cert = curve ? s_server_cert : NULL};
        const char *bind = "tcp://127.0.0.1:*";
        if (server_type == ZMQ_PULL) {
            pair->pull = zpat_pull_new (bind, &opts);
            pair->server = pair->pull ? zpat_socket (pair->pull) : NULL;
        } else {
            pair->rep = zpat_rep_new (bind, &opts);
            pair->server = pair->rep ? zpat_socket (pair->rep) : NULL;
        }
        if (!pair->server)
            s_die ("zpat server");
        snprintf (endpoint, sizeof endpoint, "%s",
                  zpat_socket_endpoint (pair->server));
        if (curve) {
            opts.curve_cert = s_client_cert;
            opts.curve_server_key = s_server_public;
        }
        if (client_type == ZMQ_PUSH) {
            pair->push = zpat_push_new (endpoint, &opts);
            pair->client = pair->push ? zpat_socket (pair->push) : NULL;
        } else {
            pair->req = zpat_req_new (endpoint, &opts);
            pair->client = pair->req ? zpat_socket (pair->req) : NULL;
        }
        pair->server_msg = zpat_msg_new ();
        pair->client_msg = zpat_msg_new ();
        if (!pair->client || !pair->server_msg || !pair->client_msg)
            s_die ("zpat client");
        s_check_mechanism (zpat_socket_handle (pair->server), curve,
                           "zpat server");
        s_check_mechanism (zpat_socket_handle (pair->client), curve,
                           "zpat client");
    } else {
        pair->server = s_raw_socket (server_type);
        if ((curve && s_raw_curve_server (pair->server) == -1) ||
            zmq_bind (pair->server, "tcp://127.0.0.1:*"))
            s_die ("raw server");
        size_t size = sizeof endpoint;
        if (zmq_getsockopt (pair->server, ZMQ_LAST_ENDPOINT, endpoint, &size))
            s_die ("ZMQ_LAST_ENDPOINT");
        pair->client = s_raw_socket (client_type);
        if ((curve && s_raw_curve_client (pair->client) == -1) ||
            zmq_connect (pair->client, endpoint))
            s_die ("raw client");
        zmq_msg_init (&pair->server_rmsg);
        zmq_msg_init (&pair->client_rmsg);
        s_check_mechanism (pair->server, curve, "raw server");
        s_check_mechanism (pair->client, curve, "raw client");
    }
}

static void
s_pair_close (pair_t *pair)
{
    if (pair->impl == IMPL_ZPAT) {
        zpat_msg_destroy (&pair->server_msg);
        zpat_msg_destroy (&pair->client_msg);
        zpat_push_destroy (&pair->push);
        zpat_req_destroy (&pair->req);
        zpat_pull_destroy (&pair->pull);
        zpat_rep_destroy (&pair->rep);
    } else {
        zmq_msg_close (&pair->server_rmsg);
        zmq_msg_close (&pair->client_rmsg);
        zmq_close (pair->client);
        zmq_close (pair->server);
    }
}

static inline void
s_send (pair_t *pair, const void *data, size_t size)
{
    int rc = pair->impl == IMPL_ZPAT
                 ? zpat_socket_send (pair->client, data, size)
                 : zmq_send (pair->client, data, size, 0);
    if (rc == -1)
        s_die ("send");
}

// Receives one message at the client (client true) or the server, without
// copying it; returns its size.
static inline size_t
s_recv (pair_t *pair, bool client)
{
    if (pair->impl == IMPL_ZPAT) {
        zpat_msg_t *msg = client ? pair->client_msg : pair->server_msg;
        if (zpat_socket_recv_msg (client ? pair->client : pair->server, msg) !=
            1)
            s_die ("zpat_recv_msg");
        return zpat_msg_size (msg, 0);
    }
    zmq_msg_t *msg = client ? &pair->client_rmsg : &pair->server_rmsg;
    if (zmq_msg_recv (msg, client ? pair->client : pair->server, 0) == -1)
        s_die ("zmq_msg_recv");
    return zmq_msg_size (msg);
}

// The server sends back the request it just received, without copying it.
static inline void
s_echo (pair_t *pair)
{
    s_recv (pair, false);
    int rc = pair->impl == IMPL_ZPAT
                 ? zpat_socket_send_msg (pair->server, pair->server_msg)
                 : zmq_msg_send (&pair->server_rmsg, pair->server, 0);
    if (rc == -1)
        s_die ("echo");
}

// ---------------------------------------------------------------------------
// The two patterns. A point opens one pair of each implementation and keeps
// both for all its blocks; the blocks alternate (zpat raw zpat raw ...), so
// that drift on a shared machine hits both alike, and the first pair of
// blocks is a warm-up, not counted.

typedef struct {
    pair_t pair;
    size_t size;
    long count; // messages or round trips per block
    int blocks; // including the warm-up
    pthread_barrier_t barrier;
} run_t;

static void
s_runs_open (run_t runs[IMPLS], int server_type, int client_type, size_t size,
             long count, int blocks, bool curve)
{
    for (int impl = 0; impl < IMPLS; impl++) {
        run_t *run = &runs[impl];
        run->size = size;
        run->count = count;
        run->blocks = blocks;
        s_pair_open (&run->pair, (impl_t)impl, server_type, client_type, curve);
        pthread_barrier_init (&run->barrier, NULL, 2);
    }
}

static void
s_runs_close (run_t runs[IMPLS], pthread_t threads[IMPLS])
{
    for (int impl = 0; impl < IMPLS; impl++) {
        pthread_join (threads[impl], NULL);
        pthread_barrier_destroy (&runs[impl].barrier);
        s_pair_close (&runs[impl].pair);
    }
}

// PUSH/PULL: at each block's barrier the pusher sends count messages, and
// the receiver times them from the barrier to the last one.
static void *
s_pusher (void *arg)
{
    run_t *run = arg;
    char *buf = calloc (1, run->size);
    if (!buf)
        s_die ("calloc");
    s_send (&run->pair, buf, run->size); // the connection is up
    for (int b = 0; b < run->blocks; b++) {
        pthread_barrier_wait (&run->barrier);
        for (long i = 0; i < run->count; i++)
            s_send (&run->pair, buf, run->size);
    }
    free (buf);
    return NULL;
}

// Stores each counted block's messages per second in rates[impl][block].
static void
s_pushpull (size_t size, long count, int blocks, bool curve,
            double rates[IMPLS][MAX_BLOCKS])
{
    run_t runs[IMPLS];
    pthread_t threads[IMPLS];
    s_runs_open (runs, ZMQ_PULL, ZMQ_PUSH, size, count, blocks + 1, curve);
    for (int impl = 0; impl < IMPLS; impl++) {
        if (pthread_create (&threads[impl], NULL, s_pusher, &runs[impl]))
            s_die ("pthread_create");
        s_recv (&runs[impl].pair, false);
    }
    for (int b = -1; b < blocks; b++)
        for (int impl = 0; impl < IMPLS; impl++) {
            run_t *run = &runs[impl];
            pthread_barrier_wait (&run->barrier);
            int64_t start = s_now_ns ();
            for (long i = 0; i < count; i++)
                if (s_recv (&run->pair, false) != size)
                    s_die ("pushpull: wrong size");
            int64_t end = s_now_ns ();
            if (b >= 0)
                rates[impl][b] = (double)count / ((double)(end - start) / 1e9);
        }
    s_runs_close (runs, threads);
}

// REQ/REP: the replier echoes every request of every block.
static void *
s_replier (void *arg)
{
    run_t *run = arg;
    long total = RT_WARMUP + run->count * run->blocks;
    for (long i = 0; i < total; i++)
        s_echo (&run->pair);
    return NULL;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
s_median (double *values, long count)
{
    qsort (values, (size_t)count, sizeof *values, s_compare);
    return count % 2 ? values[count / 2]
                     : (values[count / 2 - 1] + values[count / 2]) / 2;
}

// Stores each counted block's median round trip (us) in rtts[impl][block].
static void
s_reqrep (size_t size, long count, int blocks, bool curve,
          double rtts[IMPLS][MAX_BLOCKS])
{
    run_t runs[IMPLS];
    pthread_t threads[IMPLS];
    s_runs_open (runs, ZMQ_REP, ZMQ_REQ, size, count, blocks + 1, curve);
    char *buf = calloc (1, size);
    double *times = malloc ((size_t)count * sizeof *times);
    if (!buf || !times)
        s_die ("malloc");
    for (int impl = 0; impl < IMPLS; impl++) {
        if (pthread_create (&threads[impl], NULL, s_replier, &runs[impl]))
            s_die ("pthread_create");
        // The first round trips (the connection, libzmq's first
        // allocations) are not what a steady client sees.
        for (long i = 0; i < RT_WARMUP; i++) {
            s_send (&runs[impl].pair, buf, size);
            s_recv (&runs[impl].pair, true);
        }
    }
    for (int b = -1; b < blocks; b++)
        for (int impl = 0; impl < IMPLS; impl++) {
            pair_t *pair = &runs[impl].pair;
            for (long i = 0; i < count; i++) {
                int64_t start = s_now_ns ();
                s_send (pair, buf, size);
                if (s_recv (pair, true) != size)
                    s_die ("reqrep: wrong size");
                times[i] = (double)(s_now_ns () - start) / 1e3;
            }
            if (b >= 0)
                rtts[impl][b] = s_median (times, count);
        }
    s_runs_close (runs, threads);
    free (times);
    free (buf);
}

// ---------------------------------------------------------------------------
// --run IMPL PATTERN SIZE COUNT: one CURVE pair of one implementation moves
// COUNT messages (pushpull, after the one that shows the connection is up)
// or makes COUNT round trips (reqrep, after the RT_WARMUP ones), with no
// clock and no table, and the process exits. curve_instructions.sh runs it
// under callgrind with two counts: the difference of the instruction counts
// over the difference of the counts is what one more message costs, the
// keys, the handshake and the tear-down cancelled out.

static void
s_single_run (impl_t impl, bool reqrep, size_t size, long count)
{
    run_t run = {.size = size, .count = count, .blocks = 1};
    pthread_t thread;
    s_pair_open (&run.pair, impl, reqrep ? ZMQ_REP : ZMQ_PULL,
                 reqrep ? ZMQ_REQ : ZMQ_PUSH, true);
    pthread_barrier_init (&run.barrier, NULL, 2);
    if (pthread_create (&thread, NULL, reqrep ? s_replier : s_pusher, &run))
        s_die ("pthread_create");
    if (reqrep) {
        char *buf = calloc (1, size);
        if (!buf)
            s_die ("calloc");
        for (long i = 0; i < RT_WARMUP + count; i++) {
            s_send (&run.pair, buf, size);
            if (s_recv (&run.pair, true) != size)
                s_die ("reqrep: wrong size");
        }
        free (buf);
    } else {
        s_recv (&run.pair, false);
        pthread_barrier_wait (&run.barrier);
        for (long i = 0; i < count; i++)
            if (s_recv (&run.pair, false) != size)
                s_die ("pushpull: wrong size");
    }
    pthread_join (thread, NULL);
    pthread_barrier_destroy (&run.barrier);
    s_pair_close (&run.pair);
}

// Parses a positive whole number for --run; -1 if text is not one.
static long
s_positive (const char *text)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    return errno || end == text || *end || value <= 0 ? -1 : value;
}

// ---------------------------------------------------------------------------

typedef struct {
    const char *pattern;
    size_t size;
    long count; // per block
} point_t;

static const point_t s_points[] = {
    {"pushpull", 64, 20000},
    {"pushpull", 1024, 5000},
    {"reqrep", 64, 2000},
};
#define POINTS ((int)(sizeof s_points / sizeof s_points[0]))

static void
s_keys (void)
{
    if (zmq_curve_keypair (s_server_public, s_server_secret) == -1 ||
        zmq_curve_keypair (s_client_public, s_client_secret) == -1)
        s_die ("zmq_curve_keypair");
    s_server_cert = zpat_cert_new_txt (s_server_public, s_server_secret);
    s_client_cert = zpat_cert_new_txt (s_client_public, s_client_secret);
    if (!s_server_cert || !s_client_cert)
        s_die ("zpat_cert_new_txt");
}

// Runs every point, CURVE or plaintext; returns true if a ratio is below
// the target.
static bool
s_table (int blocks, bool curve)
{
    printf ("%s over tcp, %d blocks per point and implementation, "
            "alternating; medians of the blocks\n",
            curve ? "CURVE" : "plaintext (control)", blocks);
    printf ("%-9s %6s %9s %14s %14s %7s\n", "pattern", "bytes", "per block",
            "zpat", "raw", "ratio");
    bool below = false;
    for (int p = 0; p < POINTS; p++) {
        const point_t *point = &s_points[p];
        bool reqrep = strcmp (point->pattern, "reqrep") == 0;
        // Plaintext moves about four times as many messages a second: four
        // times the block, so that a block still lasts tens of ms.
        long count = point->count * (curve || reqrep ? 1 : 4);
        double results[IMPLS][MAX_BLOCKS];
        if (reqrep)
            s_reqrep (point->size, count, blocks, curve, results);
        else
            s_pushpull (point->size, count, blocks, curve, results);
        double median[IMPLS];
        for (int impl = 0; impl < IMPLS; impl++)
            median[impl] = s_median (results[impl], blocks);
        // A speed ratio either way: messages/s zpat/raw, or round trips/s
        // zpat/raw (the raw round trip over zpat's).
        double ratio = reqrep ? median[IMPL_RAW] / median[IMPL_ZPAT]
                              : median[IMPL_ZPAT] / median[IMPL_RAW];
        below |= ratio < TARGET;
        char text[IMPLS][32];
        for (int impl = 0; impl < IMPLS; impl++)
            snprintf (text[impl], sizeof text[impl],
                      reqrep ? "%.1f us" : "%.0f msg/s", median[impl]);
        printf ("%-9s %6zu %9ld %14s %14s %7.3f\n", point->pattern, point->size,
                count, text[IMPL_ZPAT], text[IMPL_RAW], ratio);
        fflush (stdout);
    }
    return below;
}

int
main (int argc, char **argv)
{
    bool quick = false, plain = false, single = false, reqrep = false;
    int blocks = 0;
    impl_t impl = IMPL_ZPAT;
    long size = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--run") == 0 && i + 4 < argc) {
            single = true;
            impl = strcmp (argv[i + 1], "raw") == 0 ? IMPL_RAW : IMPL_ZPAT;
            reqrep = strcmp (argv[i + 2], "reqrep") == 0;
            size = s_positive (argv[i + 3]);
            count = s_positive (argv[i + 4]);
            if ((strcmp (argv[i + 1], "zpat") && strcmp (argv[i + 1], "raw")) ||
                (strcmp (argv[i + 2], "pushpull") && !reqrep) || size <= 0 ||
                count <= 0) {
                fprintf (stderr, "curve_bench: --run IMPL PATTERN SIZE COUNT: "
                                 "zpat|raw pushpull|reqrep bytes count\n");
                return EXIT_FAILURE;
            }
            i += 4;
        } else if (strcmp (argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp (argv[i], "--plain") == 0)
            plain = true;
        else if (strcmp (argv[i], "--blocks") == 0 && i + 1 < argc)
            blocks = atoi (argv[++i]);
        else {
            fprintf (stderr,
                     "usage: curve_bench [--quick] [--blocks N] [--plain]\n"
                     "       curve_bench --run IMPL PATTERN SIZE COUNT\n"
                     "  --quick     a short run for CI (a few seconds)\n"
                     "  --blocks N  timed blocks per point and "
                     "implementation (default 20; quick 4)\n"
                     "  --plain     then the same without CURVE, to tell "
                     "zpat's cost from CURVE's\n"
                     "  --run       one CURVE pair of IMPL (zpat or raw), "
                     "COUNT messages of SIZE bytes\n"
                     "              (PATTERN pushpull) or round trips "
                     "(reqrep), no clock; for callgrind\n"
                     "              (curve_instructions.sh)\n");
            return EXIT_FAILURE;
        }
    }
    if (blocks <= 0)
        blocks = quick ? 4 : 20;
    if (blocks > MAX_BLOCKS)
        blocks = MAX_BLOCKS;
    if (!zmq_has ("curve")) {
        // A single run has nothing to count: its caller must know.
        fprintf (single ? stderr : stdout,
                 "curve_bench: libzmq has no CURVE; nothing to measure\n");
        return single ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    s_raw_ctx = zmq_ctx_new ();
    if (!s_raw_ctx)
        s_die ("zmq_ctx_new");
    s_keys ();
    if (single) {
        s_single_run (impl, reqrep, (size_t)size, count);
        zpat_cert_destroy (&s_client_cert);
        zpat_cert_destroy (&s_server_cert);
        zmq_ctx_term (s_raw_ctx);
        return EXIT_SUCCESS;
    }
    printf ("curve_bench: zpat next to raw libzmq, the same keys\n");
    bool below = s_table (blocks, true);
    if (plain)
        s_table (blocks, false);
    printf ("ratios are %s/%s speeds (pushpull: messages per second; reqrep: "
            "round trips per second, from the median round trip); target >= "
            "%.2f for CURVE%s\n",
            s_impl_names[IMPL_ZPAT], s_impl_names[IMPL_RAW], TARGET,
            below ? ": some CURVE ratio is below it" : "");
    zpat_cert_destroy (&s_client_cert);
    zpat_cert_destroy (&s_server_cert);
    zmq_ctx_term (s_raw_ctx);
    return EXIT_SUCCESS;
}
