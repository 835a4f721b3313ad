// test_lend.c - zpat_recv_lend: a receive that lends the message's bytes
// until the next receive, over inproc://, ipc:// and tcp://.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void
s_pair (const char *transport, zpat_push_t **push, zpat_pull_t **pull)
{
    char where[TU_ENDPOINT_SIZE], bound[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, transport);
    *pull = zpat_pull_new (where, &tu_opts);
    tu_bound_endpoint (zpat_socket (*pull), "zpat_pull_new", where, bound);
    *push = zpat_push_new (bound, &tu_opts);
    ck_assert_ptr_nonnull (*push);
}

START_TEST (test_lend_bytes)
{
    zpat_push_t *push;
    zpat_pull_t *pull;
    s_pair (tu_transports[_i], &push, &pull);
    static char big[70000];
    memset (big, 'x', sizeof big);
    ck_assert_int_eq (zpat_send_str (push, "hello"), 0);
    ck_assert_int_eq (zpat_send (push, big, sizeof big), 0);
    ck_assert_int_eq (zpat_send (push, NULL, 0), 0);
    const void *data = NULL;
    ck_assert_int_eq (zpat_recv_lend (pull, &data), 5);
    ck_assert_int_eq (memcmp (data, "hello", 5), 0);
    ck_assert_int_eq (zpat_recv_lend (pull, &data), (int)sizeof big);
    ck_assert_int_eq (memcmp (data, big, sizeof big), 0);
    ck_assert_int_eq (zpat_recv_lend (pull, &data), 0);
    // A multipart message is kept for zpat_recv_msg; a timeout leaves data.
    zpat_frame_t frames[2] = {{"a", 1}, {"bc", 2}};
    ck_assert_int_eq (zpat_send_frames (push, frames, 2), 0);
    const void *before = data;
    FAILS_WITH (ZPAT_EFRAMES, zpat_recv_lend (pull, &data));
    ck_assert_ptr_eq (data, before);
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_int_eq (zpat_recv_msg (pull, msg), 2);
    zpat_msg_destroy (&msg);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 20), 0);
    FAILS_WITH (EAGAIN, zpat_recv_lend (pull, &data));
    ck_assert_ptr_eq (data, before);
    FAILS_WITH (EINVAL, zpat_recv_lend (pull, NULL));
    FAILS_WITH (EINVAL, zpat_socket_recv_lend (NULL, &data));
    // The counters count lent messages too.
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_stats (pull, &stats), 0);
    ck_assert_uint_eq (stats.msgs_received, 4);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// Over inproc:// a zero-copy frame arrives as the sender's own bytes: a
// lent one is released at the next receive, not before.
static atomic_int s_freed;

static void
s_free (void *data, void *hint)
{
    (void)hint;
    free (data);
    atomic_fetch_add (&s_freed, 1);
}

START_TEST (test_lend_releases_at_next_receive)
{
    zpat_push_t *push;
    zpat_pull_t *pull;
    s_pair ("inproc", &push, &pull);
    atomic_store (&s_freed, 0);
    zpat_msg_t *msg = zpat_msg_new ();
    char *bytes = malloc (1000);
    memset (bytes, 'z', 1000);
    ck_assert_int_eq (zpat_msg_add_zc (msg, bytes, 1000, s_free, NULL), 0);
    ck_assert_int_eq (zpat_send_msg (push, msg), 0);
    ck_assert_int_eq (zpat_send_str (push, "next"), 0);
    const void *data;
    ck_assert_int_eq (zpat_recv_lend (pull, &data), 1000);
    ck_assert_ptr_eq (data, bytes); // lent, not copied
    ck_assert_int_eq (atomic_load (&s_freed), 0);
    char buf[16];
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 4);
    ck_assert_int_eq (atomic_load (&s_freed), 1);
    zpat_msg_destroy (&msg);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// On a REP, a lent request stays valid while the reply is sent.
START_TEST (test_lend_rep)
{
    char where[TU_ENDPOINT_SIZE], bound[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    zpat_rep_t *rep = zpat_rep_new (where, &tu_opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", where, bound);
    zpat_req_t *req = zpat_req_new (bound, &tu_opts);
    ck_assert_int_eq (zpat_send_str (req, "question"), 0);
    const void *data;
    ck_assert_int_eq (zpat_recv_lend (rep, &data), 8);
    ck_assert_int_eq (zpat_send (rep, data, 8), 0); // echoes the lent bytes
    ck_assert_int_eq (zpat_recv_lend (req, &data), 8);
    ck_assert_int_eq (memcmp (data, "question", 8), 0);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("lend");
    TCase *tc = tcase_create ("lend");
    tcase_add_loop_test (tc, test_lend_bytes, 0, TU_TRANSPORTS);
    tcase_add_test (tc, test_lend_releases_at_next_receive);
    tcase_add_loop_test (tc, test_lend_rep, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);
    return tu_run_suite (suite, CK_FORK_GETENV);
}
