// reliable_bench.c - messages per second through the reliable pipeline
// (options.reliable_credit on the pusher and its pullers) next to plain
// PUSH/PULL, in alternating blocks inside one process.
// SPDX-License-Identifier: MPL-2.0
//
// Each point (transport, message size, number of pullers) runs blocks of
// four kinds in turn, round after round: plain PUSH/PULL, then the reliable
// mode at each credit (1, 10, 100 by default), with the starting kind
// rotated from round to round so that drift on a shared machine hits all
// alike. A block makes a pusher bound to a fresh endpoint in the main
// thread and its pullers, each receiving in a thread of its own, warms up
// until every puller has had a message (so that a plain pusher deals to all
// of them), then times count messages from the first send to the moment
// the pullers have received them all. The table shows each kind's median
// over the rounds, in messages/s, and the ratio reliable/plain of the
// medians. Both modes are used as their users would use them: the
// default high-water marks, zpat_send on the pusher, zpat_recv_lend on the
// pullers (no copy), and no zpat_pull_ack (a reliable puller acknowledges
// a message when it asks for the next one). Every block also checks that
// each message arrived exactly once.
//
// Each kind's count is chosen by a first, untimed block, so that a block
// lasts about --block-ms whatever its rate: plain PUSH/PULL runs millions
// of messages per second, while a reliable puller with credit 1 waits for
// a round trip per message. The numbers are printed, never judged.

#include "zpat.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// A wait longer than this means the run is broken (a lost message, a
// puller that never connected): the benchmark stops instead of hanging.
#define BENCH_TIMEOUT_MS 30000
// How long a puller's receive waits before it looks at the stop flag.
#define POLL_MS 10
#define MAX_ROUNDS 99
#define MAX_PULLERS 2
#define MAX_CREDITS 8
#define MAX_SIZE 1024

typedef enum { TR_INPROC, TR_IPC, TR_TCP, TR_COUNT } transport_t;
static const char *const s_transport_names[] = {"inproc", "ipc", "tcp"};

static const size_t s_sizes[] = {16, 1024};
#define SIZES ((int)(sizeof s_sizes / sizeof s_sizes[0]))

// The command line, after defaults.
static struct {
    bool transports[TR_COUNT];
    int credits[MAX_CREDITS]; // kind k > 0 is credits[k - 1]; kind 0 plain
    int credit_count;
    int max_pullers;
    int rounds;
    int block_ms;
    bool quick;
    bool verbose;
} s_opt;

// The messages: the first byte says what they are for.
#define WARMUP 'W'
#define TIMED 'M'

// One puller and its thread. Each counter sits in a cache line of its own,
// so that the pullers do not slow each other down by counting.
typedef struct {
    _Alignas(64) atomic_long received; // timed messages
    atomic_bool warm;                  // a warm-up message has arrived
    atomic_long wrong;                 // messages of the wrong size
    zpat_pull_t *pull;
    size_t size;
    bool reliable;
    pthread_t thread;
} puller_t;

static atomic_bool s_stop; // tells the pullers to finish
static char s_ipc_path[128];

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void
s_pause_us (long us)
{
    struct timespec pause = {us / 1000000, (us % 1000000) * 1000};
    nanosleep (&pause, NULL);
}

// Any failure ends the benchmark at once: _exit, because the pullers'
// threads may still be inside a receive.
static void
s_die (const char *what)
{
    fprintf (stderr, "reliable_bench: %s: %s\n", what, zpat_strerror (errno));
    fflush (stdout);
    if (s_ipc_path[0])
        unlink (s_ipc_path + strlen ("ipc://"));
    _exit (1);
}

static void *
s_puller_run (void *arg)
{
    puller_t *self = arg;
    while (!atomic_load_explicit (&s_stop, memory_order_relaxed)) {
        const void *data;
        int size = zpat_recv_lend (self->pull, &data);
        if (size == -1) {
            if (errno == EAGAIN)
                continue;
            s_die ("zpat_recv_lend");
        }
        if ((size_t)size != self->size)
            atomic_fetch_add (&self->wrong, 1);
        else if (*(const char *)data == TIMED)
            atomic_store_explicit (
                &self->received,
                atomic_load_explicit (&self->received, memory_order_relaxed) +
                    1,
                memory_order_relaxed);
        else if (!atomic_load_explicit (&self->warm, memory_order_relaxed))
            atomic_store (&self->warm, true);
    }
    // The last message is acknowledged now rather than at destroy, so that
    // the pusher, destroyed first, finds nothing left to wait for.
    if (self->reliable && zpat_pull_ack (self->pull) == -1 &&
        errno != ZPAT_EFSM)
        s_die ("zpat_pull_ack");
    return NULL;
}

static long
s_received (puller_t *pullers, int count)
{
    long sum = 0;
    for (int i = 0; i < count; i++)
        sum +=
            atomic_load_explicit (&pullers[i].received, memory_order_relaxed);
    return sum;
}

// Runs one block: count messages of size bytes over transport, plain when
// credit is 0, else reliable with that credit on every end. Returns the
// messages per second.
static double
s_block (transport_t transport, size_t size, int puller_count, int credit,
         long count)
{
    static unsigned serial;
    serial++;
    char wanted[160];
    if (transport == TR_TCP)
        snprintf (wanted, sizeof wanted, "@tcp://127.0.0.1:*");
    else if (transport == TR_IPC) {
        snprintf (s_ipc_path, sizeof s_ipc_path,
                  "ipc:///tmp/zpat-reliable-bench-%ld-%u", (long)getpid (),
                  serial);
        snprintf (wanted, sizeof wanted, "@%s", s_ipc_path);
    } else
        snprintf (wanted, sizeof wanted, "@inproc://reliable-bench-%u", serial);

    zpat_options_t push_opts = {.send_timeout_ms = BENCH_TIMEOUT_MS,
                                .linger_ms = BENCH_TIMEOUT_MS,
                                .reliable_credit = credit};
    zpat_push_t *push = zpat_push_new (wanted, &push_opts);
    if (!push)
        s_die (wanted);
    char endpoint[160];
    const char *bound = zpat_endpoint (push);
    if (!bound)
        s_die ("zpat_endpoint");
    snprintf (endpoint, sizeof endpoint, ">%s", bound);

    atomic_store (&s_stop, false);
    puller_t pullers[MAX_PULLERS];
    zpat_options_t pull_opts = {.recv_timeout_ms = POLL_MS,
                                .reliable_credit = credit};
    for (int i = 0; i < puller_count; i++) {
        puller_t *puller = &pullers[i];
        memset (puller, 0, sizeof *puller);
        atomic_init (&puller->received, 0);
        atomic_init (&puller->warm, false);
        atomic_init (&puller->wrong, 0);
        puller->size = size;
        puller->reliable = credit > 0;
        puller->pull = zpat_pull_new (endpoint, &pull_opts);
        if (!puller->pull)
            s_die (endpoint);
        if (pthread_create (&puller->thread, NULL, s_puller_run, puller))
            s_die ("pthread_create");
    }

    // Warm up: one message at a time until every puller has had one.
    char body[MAX_SIZE];
    memset (body, 0, sizeof body);
    body[0] = WARMUP;
    int64_t deadline = s_now_ns () + (int64_t)BENCH_TIMEOUT_MS * 1000000;
    for (bool all = false; !all;) {
        if (zpat_send (push, body, size) == -1)
            s_die ("warm-up send");
        s_pause_us (1000);
        all = true;
        for (int i = 0; i < puller_count; i++)
            all = all && atomic_load (&pullers[i].warm);
        if (s_now_ns () > deadline) {
            errno = EAGAIN;
            s_die ("warm-up: a puller never got a message");
        }
    }

    // The timed part: from the first send until all count have arrived.
    body[0] = TIMED;
    int64_t start = s_now_ns ();
    for (long i = 0; i < count; i++)
        if (zpat_send (push, body, size) == -1)
            s_die ("send");
    deadline = s_now_ns () + (int64_t)BENCH_TIMEOUT_MS * 1000000;
    while (s_received (pullers, puller_count) < count) {
        if (s_now_ns () > deadline) {
            fprintf (stderr, "reliable_bench: %ld of %ld received\n",
                     s_received (pullers, puller_count), count);
            errno = EAGAIN;
            s_die ("timed messages lost");
        }
        s_pause_us (20);
    }
    int64_t end = s_now_ns ();

    // Late duplicates would show within a few polls of the pullers.
    s_pause_us (2 * POLL_MS * 1000);
    atomic_store (&s_stop, true);
    long wrong = 0;
    for (int i = 0; i < puller_count; i++) {
        pthread_join (pullers[i].thread, NULL);
        wrong += atomic_load (&pullers[i].wrong);
    }
    long received = s_received (pullers, puller_count);
    if (received != count || wrong) {
        fprintf (stderr,
                 "reliable_bench: %s %zu B credit %d: %ld received of %ld "
                 "sent, %ld of the wrong size\n",
                 s_transport_names[transport], size, credit, received, count,
                 wrong);
        errno = EPROTO;
        s_die ("not exactly once");
    }
    int64_t closing = s_now_ns ();
    zpat_push_destroy (&push);
    for (int i = 0; i < puller_count; i++)
        zpat_pull_destroy (&pullers[i].pull);
    if (s_opt.verbose)
        fprintf (stderr,
                 "  %s %zu B %d puller%s credit %3d: %8ld messages in "
                 "%7.1f ms, closed in %.1f ms\n",
                 s_transport_names[transport], size, puller_count,
                 puller_count > 1 ? "s" : " ", credit, count,
                 (double)(end - start) / 1e6,
                 (double)(s_now_ns () - closing) / 1e6);
    s_ipc_path[0] = 0;
    return (double)count / ((double)(end - start) / 1e9);
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
s_median (double *values, int count)
{
    qsort (values, (size_t)count, sizeof *values, s_compare);
    return count % 2 ? values[count / 2]
                     : (values[count / 2 - 1] + values[count / 2]) / 2;
}

// One point: every kind, round after round; prints its rows of the table.
static void
s_point (transport_t transport, size_t size, int puller_count)
{
    int kinds = 1 + s_opt.credit_count;
    long counts[1 + MAX_CREDITS];
    // The untimed first block of each kind sets its count: about block_ms
    // of messages, at least 200.
    for (int k = 0; k < kinds; k++) {
        int credit = k ? s_opt.credits[k - 1] : 0;
        long probe = credit == 0 ? 20000 : credit < 10 ? 1000 : 5000;
        if (s_opt.quick)
            probe /= 4;
        double rate = s_block (transport, size, puller_count, credit, probe);
        double wanted = rate * s_opt.block_ms / 1000.0;
        counts[k] = wanted < 200 ? 200 : (long)wanted;
    }
    double values[1 + MAX_CREDITS][MAX_ROUNDS];
    for (int r = 0; r < s_opt.rounds; r++)
        for (int i = 0; i < kinds; i++) {
            int k = (r + i) % kinds; // each round starts with the next kind
            int credit = k ? s_opt.credits[k - 1] : 0;
            values[k][r] =
                s_block (transport, size, puller_count, credit, counts[k]);
        }
    double plain = s_median (values[0], s_opt.rounds);
    for (int k = 1; k < kinds; k++) {
        double reliable = s_median (values[k], s_opt.rounds);
        printf ("%-7s %6zu %7d %6d | %12.0f %12.0f | %6.3f\n",
                s_transport_names[transport], size, puller_count,
                s_opt.credits[k - 1], plain, reliable, reliable / plain);
    }
    fflush (stdout);
}

// ---------------------------------------------------------------------------
// Command line

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: reliable_bench [options]\n"
                  "  --transport LIST  inproc,ipc,tcp (default all three)\n"
                  "  --credit LIST     reliable credits (default 1,10,100)\n"
                  "  --pullers N       up to N puller threads: 1, then 2 "
                  "(default 2)\n"
                  "  --rounds N        rounds per point (default 5; quick 3)\n"
                  "  --block-ms N      about how long a block lasts (default "
                  "120; quick 15)\n"
                  "  --quick           a short run for CI (under 10 s)\n"
                  "  --verbose         print every block on stderr\n");
}

static bool
s_parse_transports (const char *list)
{
    memset (s_opt.transports, 0, sizeof s_opt.transports);
    char copy[128];
    snprintf (copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item;
         item = strtok_r (NULL, ",", &save)) {
        bool found = false;
        for (int t = 0; t < TR_COUNT; t++)
            if (strcmp (item, s_transport_names[t]) == 0 ||
                strcmp (item, "all") == 0) {
                s_opt.transports[t] = true;
                found = true;
            }
        if (!found)
            return false;
    }
    return true;
}

static bool
s_parse_credits (const char *list)
{
    char copy[128];
    snprintf (copy, sizeof copy, "%s", list);
    s_opt.credit_count = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item;
         item = strtok_r (NULL, ",", &save)) {
        char *end;
        long credit = strtol (item, &end, 10);
        if (*end || credit < 1 || credit > 1000000 ||
            s_opt.credit_count == MAX_CREDITS)
            return false;
        s_opt.credits[s_opt.credit_count++] = (int)credit;
    }
    return s_opt.credit_count > 0;
}

static bool
s_parse_args (int argc, char **argv)
{
    s_parse_transports ("all");
    s_parse_credits ("1,10,100");
    s_opt.max_pullers = MAX_PULLERS;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp (arg, "--quick") == 0)
            s_opt.quick = true;
        else if (strcmp (arg, "--verbose") == 0)
            s_opt.verbose = true;
        else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
            s_usage (stdout);
            exit (0);
        } else if (!value)
            ok = false;
        else {
            i++;
            if (strcmp (arg, "--transport") == 0)
                ok = s_parse_transports (value);
            else if (strcmp (arg, "--credit") == 0)
                ok = s_parse_credits (value);
            else if (strcmp (arg, "--pullers") == 0) {
                s_opt.max_pullers = atoi (value);
                ok = s_opt.max_pullers >= 1 && s_opt.max_pullers <= MAX_PULLERS;
            } else if (strcmp (arg, "--rounds") == 0) {
                s_opt.rounds = atoi (value);
                ok = s_opt.rounds >= 1 && s_opt.rounds <= MAX_ROUNDS;
            } else if (strcmp (arg, "--block-ms") == 0) {
                s_opt.block_ms = atoi (value);
                ok = s_opt.block_ms >= 1 && s_opt.block_ms <= 60000;
            } else
                ok = false;
        }
        if (!ok) {
            fprintf (stderr, "reliable_bench: bad option %s %s\n", arg,
                     value ? value : "");
            s_usage (stderr);
            return false;
        }
    }
    if (!s_opt.rounds)
        s_opt.rounds = s_opt.quick ? 3 : 5;
    if (!s_opt.block_ms)
        s_opt.block_ms = s_opt.quick ? 15 : 120;
    return true;
}

int
main (int argc, char **argv)
{
    if (!s_parse_args (argc, argv))
        return 2;
    printf ("reliable_bench: %ld CPUs; blocks of about %d ms, median of %d "
            "rounds, alternating plain and reliable; messages/s received, "
            "ratio reliable/plain\n",
            sysconf (_SC_NPROCESSORS_ONLN), s_opt.block_ms, s_opt.rounds);
    printf ("%-7s %6s %7s %6s | %12s %12s | %6s\n", "transp.", "size",
            "pullers", "credit", "plain", "reliable", "ratio");
    int64_t start = s_now_ns ();
    for (int t = 0; t < TR_COUNT; t++) {
        if (!s_opt.transports[t])
            continue;
        for (int s = 0; s < SIZES; s++)
            for (int p = 1; p <= s_opt.max_pullers; p++)
                s_point ((transport_t)t, s_sizes[s], p);
    }
    printf ("%.1f s in all\n", (double)(s_now_ns () - start) / 1e9);
    zpat_shutdown ();
    return 0;
}
