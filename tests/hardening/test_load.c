// test_load.c - Check suite: load. A million messages through a pipeline
// of four workers arrive exactly once and intact; a publisher with slow
// subscribers never blocks and drops only what its high-water mark allows.
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// ---------------------------------------------------------------------------
// Pipeline: PUSH -> 4 workers (PULL + PUSH, each a thread) -> PULL sink

#define MESSAGES 1000000
#define WORKERS 4
// A message: sequence number, FNV-1a of the rest, and a payload made from
// the sequence number, so that any corruption shows.
#define PAYLOAD 24
#define MESSAGE_SIZE (8 + PAYLOAD)

static void
s_make_message (unsigned char *out, uint32_t seq)
{
    memcpy (out, &seq, 4);
    uint64_t state = UINT64_C (0x9E3779B97F4A7C15) ^ seq;
    for (int i = 0; i < PAYLOAD; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out[8 + i] = (unsigned char)state;
    }
    uint32_t sum = hu_fnv1a (out + 8, PAYLOAD) ^ hu_fnv1a (out, 4);
    memcpy (out + 4, &sum, 4);
}

// True when the message is whole; stores its sequence number.
static bool
s_check_message (const unsigned char *data, size_t size, uint32_t *seq)
{
    if (size != MESSAGE_SIZE)
        return false;
    uint32_t sum;
    memcpy (seq, data, 4);
    memcpy (&sum, data + 4, 4);
    return sum == (hu_fnv1a (data + 8, PAYLOAD) ^ hu_fnv1a (data, 4));
}

typedef struct {
    char in[64];  // the worker's PULL endpoint, bound by the worker
    char out[64]; // the sink's endpoint
    atomic_bool ready;
    atomic_bool *stop;
    unsigned long forwarded, corrupt;
    int error;
} worker_t;

static const zpat_options_t pipe_opts = {
    .send_timeout_ms = 10000, .recv_timeout_ms = 100, .linger_ms = 1000};

static void *
s_worker (void *arg)
{
    worker_t *self = arg;
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", &pipe_opts);
    zpat_push_t *push = zpat_push_new (self->out, &pipe_opts);
    zpat_msg_t *msg = zpat_msg_new ();
    if (!pull || !push || !msg) {
        self->error = errno;
        atomic_store (&self->ready, true);
        return NULL;
    }
    snprintf (self->in, sizeof self->in, "%s", zpat_endpoint (pull));
    atomic_store (&self->ready, true);
    while (true) {
        int frames = zpat_recv_msg (pull, msg);
        if (frames == -1 && errno == EAGAIN) {
            if (atomic_load (self->stop))
                break;
            continue;
        }
        if (frames != 1) {
            self->error = frames == -1 ? errno : ZPAT_EFRAMES;
            break;
        }
        uint32_t seq;
        if (!s_check_message (zpat_msg_data (msg, 0), zpat_msg_size (msg, 0),
                              &seq))
            self->corrupt++;
        // Forward the frame itself: no copy.
        if (zpat_send_msg (push, msg) == -1) {
            self->error = errno;
            break;
        }
        self->forwarded++;
    }
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    return NULL;
}

typedef struct {
    char endpoints[WORKERS * 70];
    unsigned long sent, eagain;
    double worst_ms;
    int error;
} vent_t;

static void *
s_vent (void *arg)
{
    vent_t *self = arg;
    // The ventilator connects to every worker, so that its round robin
    // spreads the work over all four from the first message on.
    zpat_push_t *push = zpat_push_new (self->endpoints, &pipe_opts);
    if (!push) {
        self->error = errno;
        return NULL;
    }
    unsigned char message[MESSAGE_SIZE];
    for (uint32_t seq = 0; seq < MESSAGES; seq++) {
        s_make_message (message, seq);
        double start = hu_now_ms ();
        while (zpat_send (push, message, sizeof message) == -1) {
            if (errno != EAGAIN) {
                self->error = errno;
                zpat_push_destroy (&push);
                return NULL;
            }
            self->eagain++;
        }
        double took = hu_now_ms () - start;
        if (took > self->worst_ms)
            self->worst_ms = took;
        self->sent++;
    }
    zpat_push_destroy (&push);
    return NULL;
}

START_TEST (million_messages_through_four_workers_arrive_once_intact)
{
    zpat_pull_t *sink = zpat_pull_new ("tcp://127.0.0.1:*", &pipe_opts);
    ck_assert_ptr_nonnull (sink);
    atomic_bool stop;
    atomic_init (&stop, false);
    worker_t workers[WORKERS];
    pthread_t threads[WORKERS];
    vent_t vent;
    memset (&vent, 0, sizeof vent);
    for (int w = 0; w < WORKERS; w++) {
        memset (&workers[w], 0, sizeof workers[w]);
        atomic_init (&workers[w].ready, false);
        workers[w].stop = &stop;
        snprintf (workers[w].out, sizeof workers[w].out, "%s",
                  zpat_endpoint (sink));
        ck_assert_int_eq (
            pthread_create (&threads[w], NULL, s_worker, &workers[w]), 0);
    }
    for (int w = 0; w < WORKERS; w++) {
        while (!atomic_load (&workers[w].ready))
            sched_yield ();
        ck_assert_msg (workers[w].error == 0, "worker %d: %s", w,
                       zpat_strerror (workers[w].error));
        size_t used = strlen (vent.endpoints);
        snprintf (vent.endpoints + used, sizeof vent.endpoints - used, "%s%s",
                  w ? "," : "", workers[w].in);
    }
    unsigned char *seen = calloc (MESSAGES / 8 + 1, 1);
    ck_assert_ptr_nonnull (seen);
    double start = hu_now_ms ();
    pthread_t vent_thread;
    ck_assert_int_eq (pthread_create (&vent_thread, NULL, s_vent, &vent), 0);

    unsigned long received = 0, distinct = 0, duplicated = 0, corrupt = 0;
    zpat_msg_t *msg = zpat_msg_new ();
    double idle_since = hu_now_ms ();
    // Until every message is in, or nothing came for 5 s.
    while (distinct < MESSAGES &&
           hu_now_ms () - idle_since < 5000.0 * hu_time_factor ()) {
        int frames = zpat_recv_msg (sink, msg);
        if (frames == -1) {
            ck_assert_int_eq (errno, EAGAIN);
            continue;
        }
        idle_since = hu_now_ms ();
        received++;
        uint32_t seq;
        if (frames != 1 ||
            !s_check_message (zpat_msg_data (msg, 0), zpat_msg_size (msg, 0),
                              &seq) ||
            seq >= MESSAGES) {
            corrupt++;
            continue;
        }
        if (seen[seq / 8] & (1u << (seq % 8)))
            duplicated++;
        else {
            seen[seq / 8] |= (unsigned char)(1u << (seq % 8));
            distinct++;
        }
    }
    double took = hu_now_ms () - start;
    pthread_join (vent_thread, NULL);
    // Anything still on its way (a duplicate would be) gets 200 ms more.
    zpat_set_recv_timeout_ms (sink, 200);
    while (zpat_recv_msg (sink, msg) > 0) {
        received++;
        duplicated++;
    }
    atomic_store (&stop, true);
    unsigned long worker_corrupt = 0;
    printf ("[figures] load: pipeline shares per worker:");
    for (int w = 0; w < WORKERS; w++) {
        pthread_join (threads[w], NULL);
        worker_corrupt += workers[w].corrupt;
        printf (" %lu", workers[w].forwarded);
    }
    printf ("\n[figures] load: %lu messages pushed through %d workers in "
            "%.0f ms (%.0f msg/s): %lu received, %lu lost, %lu duplicated, "
            "%lu corrupted; slowest send %.1f ms, %lu send timeouts\n",
            vent.sent, WORKERS, took, vent.sent / (took / 1000.0), received,
            (unsigned long)MESSAGES - distinct, duplicated,
            corrupt + worker_corrupt, vent.worst_ms, vent.eagain);
    ck_assert_msg (vent.error == 0, "ventilator: %s",
                   zpat_strerror (vent.error));
    for (int w = 0; w < WORKERS; w++) {
        ck_assert_msg (workers[w].error == 0, "worker %d: %s", w,
                       zpat_strerror (workers[w].error));
        ck_assert_msg (workers[w].forwarded > 0, "worker %d got no work", w);
    }
    ck_assert_uint_eq (vent.sent, MESSAGES);
    ck_assert_uint_eq (distinct, MESSAGES);
    ck_assert_uint_eq (duplicated, 0);
    ck_assert_uint_eq (corrupt + worker_corrupt, 0);
    zpat_msg_destroy (&msg);
    free (seen);
    zpat_pull_destroy (&sink);
}
END_TEST

// ---------------------------------------------------------------------------
// PUB -> 8 subscribers, 4 fast and 4 slow, with a high-water mark far below
// the burst.

#define SUBSCRIBERS 8
#define FAST 4
#define HWM 100
#define BURST 20000 // phase A: as fast as the publisher can
#define PACED 2000  // phase B: the publisher waits for the fast ones
#define BATCH 25    // ... every BATCH messages
#define PUB_SIZE 1024

typedef struct {
    bool fast;
    char endpoint[64];
    atomic_uint last;    // last sequence number received, plus one
    atomic_bool drained; // a slow one has read what the burst left it
    uint32_t *got;       // sequence numbers in the order received
    unsigned count;
    unsigned out_of_order;
    int error;
} subscriber_t;

static atomic_int s_phase; // the publisher's: 1 burst, 2 burst over,
                           // 3 paced, 4 all sent

static void *
s_subscriber (void *arg)
{
    subscriber_t *self = arg;
    // A receive that times out is how a slow subscriber decides it has
    // drained what the burst left it, so the timeout must outlast any pause
    // of the I/O threads that still carry the burst: 50 ms may not, on a
    // loaded machine or under valgrind (which runs one thread at a time),
    // and phase B would then start with a queue that is not empty.
    zpat_options_t opts = {.recv_hwm = HWM,
                           .recv_timeout_ms = 200 * hu_time_factor ()};
    zpat_sub_t *sub = zpat_sub_new (self->endpoint, "", &opts);
    if (!sub) {
        self->error = errno;
        return NULL;
    }
    static const unsigned paced_base = 1000000;
    unsigned char buf[PUB_SIZE];
    while (true) {
        int publisher = atomic_load (&s_phase);
        // A slow subscriber reads nothing during the burst, then drains
        // what it was left, then reads one message per millisecond.
        if (!self->fast && publisher < 2) {
            struct timespec pause = {0, 1000000};
            nanosleep (&pause, NULL);
            continue;
        }
        int size = zpat_recv (sub, buf, sizeof buf);
        if (size == -1) {
            if (errno != EAGAIN) {
                self->error = errno;
                break;
            }
            if (publisher >= 2)
                atomic_store (&self->drained, true);
            if (publisher == 4)
                break;
            continue;
        }
        uint32_t seq;
        memcpy (&seq, buf, 4);
        if (self->count && seq <= self->got[self->count - 1])
            self->out_of_order++;
        if (self->count < BURST + PACED)
            self->got[self->count++] = seq;
        atomic_store (&self->last, seq + 1);
        if (!self->fast && seq >= paced_base) {
            struct timespec pause = {0, 1000000};
            nanosleep (&pause, NULL);
        }
    }
    zpat_sub_destroy (&sub);
    return NULL;
}

// Counts the messages of one phase a subscriber got, and whether it got
// the first `first` of them.
static unsigned
s_phase_count (const subscriber_t *self, uint32_t base, uint32_t total,
               unsigned first, bool *got_first)
{
    unsigned count = 0, leading = 0;
    for (unsigned i = 0; i < self->count; i++) {
        uint32_t seq = self->got[i];
        if (seq >= base && seq < base + total) {
            if (seq - base == leading)
                leading++;
            count++;
        }
    }
    *got_first = leading >= first;
    return count;
}

START_TEST (publisher_never_blocks_and_drops_only_at_hwm)
{
    zpat_options_t opts = {.send_hwm = HWM};
    zpat_pub_t *pub = zpat_pub_new ("tcp://127.0.0.1:*", &opts);
    ck_assert_ptr_nonnull (pub);
    atomic_init (&s_phase, 0);
    subscriber_t subs[SUBSCRIBERS];
    pthread_t threads[SUBSCRIBERS];
    for (int s = 0; s < SUBSCRIBERS; s++) {
        memset (&subs[s], 0, sizeof subs[s]);
        subs[s].fast = s < FAST;
        atomic_init (&subs[s].last, 0);
        atomic_init (&subs[s].drained, false);
        subs[s].got = calloc (BURST + PACED, sizeof *subs[s].got);
        ck_assert_ptr_nonnull (subs[s].got);
        snprintf (subs[s].endpoint, sizeof subs[s].endpoint, "%s",
                  zpat_endpoint (pub));
        ck_assert_int_eq (
            pthread_create (&threads[s], NULL, s_subscriber, &subs[s]), 0);
    }
    ck_assert_int_eq (zpat_pub_wait_subscriptions (pub, SUBSCRIBERS,
                                                   10000 * hu_time_factor ()),
                      SUBSCRIBERS);

    unsigned char message[PUB_SIZE];
    memset (message, 'p', sizeof message);
    double worst = 0;
    double start = hu_now_ms ();
    // Phase A: the burst.
    atomic_store (&s_phase, 1);
    for (uint32_t seq = 0; seq < BURST; seq++) {
        memcpy (message, &seq, 4);
        double before = hu_now_ms ();
        ck_assert_int_eq (zpat_send (pub, message, sizeof message), 0);
        double took = hu_now_ms () - before;
        if (took > worst)
            worst = took;
    }
    double burst_ms = hu_now_ms () - start;
    atomic_store (&s_phase, 2);
    // The slow ones drain what they were left before phase B begins, so
    // that their queues start empty.
    for (int s = FAST; s < SUBSCRIBERS; s++) {
        double deadline = hu_now_ms () + 10000.0 * hu_time_factor ();
        while (!atomic_load (&subs[s].drained) && hu_now_ms () < deadline)
            sched_yield ();
        ck_assert_msg (atomic_load (&subs[s].drained),
                       "slow subscriber %d never drained", s);
    }
    // Phase B: paced to the fast subscribers.
    atomic_store (&s_phase, 3);
    const uint32_t base = 1000000;
    for (uint32_t i = 0; i < PACED; i++) {
        uint32_t seq = base + i;
        memcpy (message, &seq, 4);
        double before = hu_now_ms ();
        ck_assert_int_eq (zpat_send (pub, message, sizeof message), 0);
        double took = hu_now_ms () - before;
        if (took > worst)
            worst = took;
        if ((i + 1) % BATCH == 0) {
            for (int s = 0; s < FAST; s++) {
                double deadline = hu_now_ms () + 5000.0 * hu_time_factor ();
                while (atomic_load (&subs[s].last) < seq + 1 &&
                       hu_now_ms () < deadline)
                    sched_yield ();
            }
            // libzmq learns how far a peer has read from commands the
            // socket processes, which a send does at most once a
            // millisecond; without this call a publisher sending more than
            // HWM messages within a millisecond can drop messages for a
            // subscriber that has read every one (measured: 1 run in 8).
            // zpat_pub_subscriptions () does not block and processes them.
            ck_assert_int_ge (zpat_pub_subscriptions (pub), 0);
        }
    }
    atomic_store (&s_phase, 4);
    for (int s = 0; s < SUBSCRIBERS; s++)
        pthread_join (threads[s], NULL);

    printf ("[figures] load: PUB send_hwm %d, %d-byte messages, burst of %d "
            "in %.0f ms then %d paced; slowest send %.3f ms (target < 100)\n",
            HWM, PUB_SIZE, BURST, burst_ms, PACED, worst);
    for (int s = 0; s < SUBSCRIBERS; s++) {
        bool first_a, first_b;
        unsigned a = s_phase_count (&subs[s], 0, BURST, HWM, &first_a);
        unsigned b = s_phase_count (&subs[s], base, PACED, HWM, &first_b);
        printf ("[figures] load: %s subscriber %d: burst %u of %d, paced %u "
                "of %d, out of order or repeated %u\n",
                subs[s].fast ? "fast" : "slow", s, a, BURST, b, PACED,
                subs[s].out_of_order);
        ck_assert_msg (subs[s].error == 0, "subscriber %d: %s", s,
                       zpat_strerror (subs[s].error));
        // Bound 1: what a subscriber gets is a subsequence of what was
        // published, in order, without repeats.
        ck_assert_uint_eq (subs[s].out_of_order, 0);
        // Bound 2: its queue was empty as each phase began, and a PUB drops
        // only for a peer whose queue holds send_hwm messages, so the first
        // send_hwm messages of each phase all arrive.
        ck_assert_msg (first_a,
                       "subscriber %d missed one of the first %d of "
                       "the burst",
                       s, HWM);
        ck_assert_msg (first_b,
                       "subscriber %d missed one of the first %d of "
                       "the paced phase",
                       s, HWM);
        if (subs[s].fast)
            // Bound 3: a subscriber the publisher waits for every BATCH
            // (well under the HWM) messages loses nothing.
            ck_assert_uint_eq (b, PACED);
        else
            // The burst is 20 MB and a slow subscriber reads none of it
            // while it lasts: the publisher dropped rather than waited.
            ck_assert_uint_lt (a, BURST);
        free (subs[s].got);
    }
    // Bound 4: the publisher never waits (asserted generously, for loaded
    // machines and scaled for valgrind; the figure is printed above).
    ck_assert_msg (worst < 1000.0 * hu_time_factor (), "a send took %.0f ms",
                   worst);
    zpat_pub_destroy (&pub);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("load");
    TCase *pipeline = tcase_create ("pipeline");
    tcase_set_timeout (pipeline, 240);
    tcase_add_test (pipeline,
                    million_messages_through_four_workers_arrive_once_intact);
    suite_add_tcase (suite, pipeline);
    TCase *pubsub = tcase_create ("pubsub");
    tcase_set_timeout (pubsub, 120);
    tcase_add_test (pubsub, publisher_never_blocks_and_drops_only_at_hwm);
    suite_add_tcase (suite, pubsub);
    return suite;
}

int
main (void)
{
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
