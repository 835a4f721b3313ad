// test_pipeline.c - Check suite for the pipeline pattern: zpat_push_t and
// zpat_pull_t.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <zpat.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// How long any one test may spend receiving before it gives up.
#define DEADLINE_MS (15000LL * tu_time_factor ())

static zpat_pull_t *
s_pull_bound (const char *transport, char *endpoint)
{
    char wanted[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, transport);
    zpat_pull_t *pull = zpat_pull_new (wanted, &tu_opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", wanted, endpoint);
    return pull;
}

// ---------------------------------------------------------------------------
// Messages: a data message carries a sender number, a sequence number and
// filler bytes computed from both, so a receiver can tell which message it
// holds and that it arrived intact. A probe is one byte.

#define HEADER 5
#define DATA_MAX (HEADER + 64)
#define PROBE "?"

static size_t
s_data_make (unsigned char *buf, unsigned sender, uint32_t seq)
{
    size_t size = HEADER + seq % 64;
    buf[0] = (unsigned char)sender;
    memcpy (buf + 1, &seq, sizeof seq);
    for (size_t k = HEADER; k < size; k++)
        buf[k] = (unsigned char)(seq * 31 + sender * 7 + k);
    return size;
}

// Reads a data message back: false when it is not one s_data_make made.
static bool
s_data_read (const unsigned char *buf, int size, unsigned *sender,
             uint32_t *seq)
{
    if (size < HEADER)
        return false;
    unsigned char expected[DATA_MAX];
    *sender = buf[0];
    memcpy (seq, buf + 1, sizeof *seq);
    size_t length = s_data_make (expected, *sender, *seq);
    return (size_t)size == length && memcmp (buf, expected, length) == 0;
}

// ---------------------------------------------------------------------------
// One pusher, three pullers

#define FAN_OUT 30000
#define PULLERS 3

// What one puller thread saw. Threads only record; the test thread asserts.
typedef struct {
    zpat_pull_t *pull;
    atomic_int *total; // data messages received by all pullers together
    uint8_t seen[(FAN_OUT + 7) / 8]; // one bit per sequence number
    int count, duplicates, corrupt;
    uint64_t sum;  // of the sequence numbers received
    int error;     // errno of a failed receive, or 0
    bool deadline; // gave up waiting
} puller_t;

static void *
s_puller (void *arg)
{
    puller_t *self = arg;
    unsigned char buf[DATA_MAX];
    long long deadline = tu_now_ms () + DEADLINE_MS;
    while (atomic_load (self->total) < FAN_OUT) {
        if (tu_now_ms () > deadline) {
            self->deadline = true;
            break;
        }
        int size = zpat_recv (self->pull, buf, sizeof buf);
        if (size == -1 && errno == EAGAIN)
            continue;
        if (size == -1) {
            self->error = errno;
            break;
        }
        if (size == (int)strlen (PROBE))
            continue; // a warm-up probe still in flight
        unsigned sender;
        uint32_t seq;
        if (!s_data_read (buf, size, &sender, &seq) || seq >= FAN_OUT) {
            self->corrupt++;
            continue;
        }
        uint8_t bit = (uint8_t)(1u << (seq % 8));
        if (self->seen[seq / 8] & bit)
            self->duplicates++;
        self->seen[seq / 8] |= bit;
        self->count++;
        self->sum += seq;
        atomic_fetch_add (self->total, 1);
    }
    return NULL;
}

// Sends probes until every puller has received one, so all connections are
// up before the real traffic starts (libzmq's PUSH deals only among the
// peers it is connected to). Pullers are polled with a short timeout.
static void
s_warm_up (zpat_push_t *push, zpat_pull_t **pulls, int count)
{
    bool probed[PULLERS] = {false};
    int missing = count;
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    while (missing > 0) {
        ck_assert_msg (tu_now_ms () < deadline, "%d pullers never connected",
                       missing);
        ck_assert_int_eq (zpat_send_str (push, PROBE), 0);
        for (int p = 0; p < count; p++) {
            char *probe = zpat_recv_str (pulls[p]);
            if (!probe) {
                ck_assert_int_eq (errno, EAGAIN);
                continue;
            }
            ck_assert_str_eq (probe, PROBE);
            zpat_str_free (&probe);
            if (!probed[p]) {
                probed[p] = true;
                missing--;
            }
        }
    }
}

// 30,000 numbered messages from one pusher to three pullers, each draining
// in its own thread: every message arrives intact exactly once across the
// three (count, bitmap, sum of sequence numbers), and each puller gets some.
START_TEST (one_pusher_three_pullers_deliver_each_message_exactly_once)
{
    const char *transport = tu_transports[_i];
    char endpoints[PULLERS][TU_ENDPOINT_SIZE];
    static puller_t pullers[PULLERS];
    zpat_pull_t *pulls[PULLERS];
    atomic_int total = 0;
    for (int p = 0; p < PULLERS; p++) {
        pulls[p] = s_pull_bound (transport, endpoints[p]);
        ck_assert_int_eq (zpat_set_recv_timeout_ms (pulls[p], 10), 0);
        memset (&pullers[p], 0, sizeof pullers[p]);
        pullers[p].pull = pulls[p];
        pullers[p].total = &total;
    }
    char list[PULLERS * (TU_ENDPOINT_SIZE + 1)];
    snprintf (list, sizeof list, "%s,%s,%s", endpoints[0], endpoints[1],
              endpoints[2]);
    zpat_push_t *push = zpat_push_new (list, &tu_opts);
    ck_assert_msg (push, "zpat_push_new (%s): %s", list, zpat_strerror (errno));
    s_warm_up (push, pulls, PULLERS);

    pthread_t threads[PULLERS];
    for (int p = 0; p < PULLERS; p++) {
        ck_assert_int_eq (zpat_set_recv_timeout_ms (pulls[p], 100), 0);
        ck_assert_int_eq (
            pthread_create (&threads[p], NULL, s_puller, &pullers[p]), 0);
    }
    unsigned char buf[DATA_MAX];
    int sent = 0, send_error = 0;
    for (uint32_t seq = 0; seq < FAN_OUT; seq++) {
        size_t size = s_data_make (buf, 0, seq);
        if (zpat_send (push, buf, size) != 0) {
            send_error = errno;
            break;
        }
        sent++;
    }
    for (int p = 0; p < PULLERS; p++)
        ck_assert_int_eq (pthread_join (threads[p], NULL), 0);
    ck_assert_msg (sent == FAN_OUT, "sent %d: %s", sent,
                   zpat_strerror (send_error));

    int count = 0, everywhere = 0;
    uint64_t sum = 0;
    for (int p = 0; p < PULLERS; p++) {
        puller_t *puller = &pullers[p];
        ck_assert_msg (!puller->error, "puller %d: %s", p,
                       zpat_strerror (puller->error));
        ck_assert_msg (!puller->deadline, "puller %d gave up at %d in all", p,
                       atomic_load (&total));
        ck_assert_int_eq (puller->duplicates, 0);
        ck_assert_int_eq (puller->corrupt, 0);
        ck_assert_int_gt (puller->count, 0);
        count += puller->count;
        sum += puller->sum;
    }
    for (uint32_t seq = 0; seq < FAN_OUT; seq++) {
        int holders = 0;
        for (int p = 0; p < PULLERS; p++)
            holders += (pullers[p].seen[seq / 8] >> (seq % 8)) & 1;
        if (holders != 1)
            ck_abort_msg ("message %u arrived %d times", (unsigned)seq,
                          holders);
        everywhere++;
    }
    ck_assert_int_eq (count, FAN_OUT);
    ck_assert_int_eq (everywhere, FAN_OUT);
    ck_assert_uint_eq (sum, (uint64_t)FAN_OUT * (FAN_OUT - 1) / 2);

    zpat_push_destroy (&push);
    for (int p = 0; p < PULLERS; p++)
        zpat_pull_destroy (&pulls[p]);
}
END_TEST

// ---------------------------------------------------------------------------
// Three pushers, one puller

#define PUSHERS 3
#define PER_PUSHER 10000

typedef struct {
    zpat_push_t *push;
    unsigned number;
    int sent;
    int error;
} pusher_t;

static void *
s_pusher (void *arg)
{
    pusher_t *self = arg;
    unsigned char buf[DATA_MAX];
    for (uint32_t seq = 0; seq < PER_PUSHER; seq++) {
        size_t size = s_data_make (buf, self->number, seq);
        if (zpat_send (self->push, buf, size) != 0) {
            self->error = errno;
            return NULL;
        }
        self->sent++;
    }
    return NULL;
}

// Three pushers, each in its own thread, send 10,000 numbered messages to
// one puller: all 30,000 arrive intact, and each pusher's in the order sent.
START_TEST (three_pushers_one_puller_deliver_all_in_order_per_pusher)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (tu_transports[_i], endpoint);
    static pusher_t pushers[PUSHERS];
    pthread_t threads[PUSHERS];
    for (unsigned p = 0; p < PUSHERS; p++) {
        memset (&pushers[p], 0, sizeof pushers[p]);
        pushers[p].number = p;
        pushers[p].push = zpat_push_new (endpoint, &tu_opts);
        ck_assert_ptr_nonnull (pushers[p].push);
    }
    for (int p = 0; p < PUSHERS; p++)
        ck_assert_int_eq (
            pthread_create (&threads[p], NULL, s_pusher, &pushers[p]), 0);

    uint32_t next[PUSHERS] = {0};
    unsigned char buf[DATA_MAX];
    for (int i = 0; i < PUSHERS * PER_PUSHER; i++) {
        int size = zpat_recv (pull, buf, sizeof buf);
        if (size == -1)
            ck_abort_msg ("message %d of %d: %s", i, PUSHERS * PER_PUSHER,
                          zpat_strerror (errno));
        unsigned sender;
        uint32_t seq;
        if (!s_data_read (buf, size, &sender, &seq) || sender >= PUSHERS)
            ck_abort_msg ("message %d arrived changed", i);
        if (seq != next[sender])
            ck_abort_msg ("pusher %u: message %u arrived when %u was due",
                          sender, (unsigned)seq, (unsigned)next[sender]);
        next[sender]++;
    }
    for (int p = 0; p < PUSHERS; p++) {
        ck_assert_int_eq (pthread_join (threads[p], NULL), 0);
        ck_assert_msg (!pushers[p].error, "pusher %d: %s", p,
                       zpat_strerror (pushers[p].error));
        ck_assert_int_eq (pushers[p].sent, PER_PUSHER);
        ck_assert_uint_eq (next[p], PER_PUSHER);
        zpat_push_destroy (&pushers[p].push);
    }
    // Nothing more is on its way.
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, ZPAT_WAIT_NONE), 0);
    errno = 0;
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EAGAIN);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Waiting

// A pusher with nowhere to send gives up after its send timeout with EAGAIN
// (roughly the timeout: not much less, and less than five times as long).
START_TEST (push_without_pullers_times_out_with_eagain)
{
    zpat_options_t short_wait = tu_opts;
    short_wait.send_timeout_ms = 200;
    zpat_push_t *push = zpat_push_new (NULL, &short_wait);
    ck_assert_ptr_nonnull (push);
    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_int_eq (zpat_send_str (push, "lost?"), -1);
    ck_assert_int_eq (errno, EAGAIN);
    long long elapsed = tu_now_ms () - start;
    ck_assert_int_ge (elapsed, 180);
    ck_assert_int_lt (elapsed, 1000LL * tu_time_factor ());
    zpat_push_destroy (&push);
}
END_TEST

// A message the pusher could not send was not lost half-way: once a puller
// is there, the next send goes through and arrives alone.
START_TEST (push_after_timeout_delivers_next_message)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_options_t short_wait = tu_opts;
    short_wait.send_timeout_ms = 50;
    zpat_push_t *push = zpat_push_new (NULL, &short_wait);
    ck_assert_ptr_nonnull (push);
    errno = 0;
    ck_assert_int_eq (zpat_send_str (push, "too early"), -1);
    ck_assert_int_eq (errno, EAGAIN);
    zpat_pull_t *pull = s_pull_bound (tu_transports[_i], endpoint);
    ck_assert_int_eq (zpat_connect (push, endpoint), 0);
    ck_assert_int_eq (zpat_set_send_timeout_ms (push, 5000), 0);
    ck_assert_int_eq (zpat_send_str (push, "on time"), 0);
    char *got = zpat_recv_str (pull);
    ck_assert_msg (got, "%s", zpat_strerror (errno));
    ck_assert_str_eq (got, "on time");
    zpat_str_free (&got);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("pipeline");

    TCase *spread = tcase_create ("distribution");
    tcase_set_timeout (spread, 60);
    tcase_add_loop_test (
        spread, one_pusher_three_pullers_deliver_each_message_exactly_once, 0,
        TU_TRANSPORTS);
    tcase_add_loop_test (
        spread, three_pushers_one_puller_deliver_all_in_order_per_pusher, 0,
        TU_TRANSPORTS);
    suite_add_tcase (suite, spread);

    TCase *waiting = tcase_create ("waiting");
    tcase_set_timeout (waiting, 30);
    tcase_add_test (waiting, push_without_pullers_times_out_with_eagain);
    tcase_add_loop_test (waiting, push_after_timeout_delivers_next_message, 0,
                         TU_TRANSPORTS);
    suite_add_tcase (suite, waiting);
    return suite;
}

int
main (void)
{
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
