// test_options.c - options given at construction and through the setters
// take effect, read back as set, and values out of range are refused.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

// Any of the six roles, made by index, so a test can run over all of them.
enum { REQ, REP, PUB, SUB, PUSH, PULL, ROLES };

typedef struct {
    zpat_req_t *req;
    zpat_rep_t *rep;
    zpat_pub_t *pub;
    zpat_sub_t *sub;
    zpat_push_t *push;
    zpat_pull_t *pull;
    zpat_socket_t *sock;
} any_t;

static any_t
s_any_new (int role, const zpat_options_t *opts)
{
    any_t any = {0};
    switch (role) {
    case REQ:
        any.req = zpat_req_new (NULL, opts);
        any.sock = zpat_socket (any.req);
        break;
    case REP:
        any.rep = zpat_rep_new (NULL, opts);
        any.sock = zpat_socket (any.rep);
        break;
    case PUB:
        any.pub = zpat_pub_new (NULL, opts);
        any.sock = zpat_socket (any.pub);
        break;
    case SUB:
        any.sub = zpat_sub_new (NULL, NULL, opts);
        any.sock = zpat_socket (any.sub);
        break;
    case PUSH:
        any.push = zpat_push_new (NULL, opts);
        any.sock = zpat_socket (any.push);
        break;
    default:
        any.pull = zpat_pull_new (NULL, opts);
        any.sock = zpat_socket (any.pull);
        break;
    }
    return any;
}

static void
s_any_destroy (any_t *any)
{
    zpat_req_destroy (&any->req);
    zpat_rep_destroy (&any->rep);
    zpat_pub_destroy (&any->pub);
    zpat_sub_destroy (&any->sub);
    zpat_push_destroy (&any->push);
    zpat_pull_destroy (&any->pull);
    any->sock = NULL;
}

static int
s_zmq_int (zpat_socket_t *sock, int option)
{
    int value = -12345;
    size_t size = sizeof value;
    ck_assert_int_eq (
        zmq_getsockopt (zpat_socket_handle (sock), option, &value, &size), 0);
    return value;
}

static int64_t
s_zmq_int64 (zpat_socket_t *sock, int option)
{
    int64_t value = -12345;
    size_t size = sizeof value;
    ck_assert_int_eq (
        zmq_getsockopt (zpat_socket_handle (sock), option, &value, &size), 0);
    return value;
}

static zpat_options_t
s_options (zpat_socket_t *sock)
{
    zpat_options_t opts;
    memset (&opts, 0x55, sizeof opts);
    ck_assert_int_eq (zpat_socket_get_options (sock, &opts), 0);
    return opts;
}

// The defaults for role (a SUB or a PULL has no linger: it sends nothing of
// its own).
static void
s_assert_defaults (const zpat_options_t *opts, int role)
{
    ck_assert_int_eq (opts->send_timeout_ms, ZPAT_WAIT_FOREVER);
    ck_assert_int_eq (opts->recv_timeout_ms, ZPAT_WAIT_FOREVER);
    ck_assert_int_eq (opts->send_hwm, 1000);
    ck_assert_int_eq (opts->recv_hwm, 1000);
    if (role == SUB || role == PULL)
        ck_assert_int_eq (opts->linger_ms, ZPAT_WAIT_NONE);
    else {
        ck_assert_int_eq (opts->linger_ms, 1000);
        ck_assert_int_eq (opts->linger_ms, ZPAT_DEFAULT_LINGER_MS);
    }
    ck_assert_int_eq (opts->max_msg_bytes, 64 * 1024 * 1024);
    ck_assert_int_eq (opts->max_msg_bytes, ZPAT_DEFAULT_MAX_MSG_BYTES);
    ck_assert_int_eq (opts->reconnect_ivl_ms, 100);
    ck_assert_int_eq (opts->ipv6, 0);
}

// ---------------------------------------------------------------------------
// Construction

START_TEST (defaults_apply_with_null_or_zeroed_options)
{
    any_t any = s_any_new (_i, NULL);
    ck_assert_ptr_nonnull (any.sock);
    zpat_options_t opts = s_options (any.sock);
    s_assert_defaults (&opts, _i);
    // And libzmq has them, including the linger that czmq would set to 0.
    ck_assert_int_eq (s_zmq_int (any.sock, ZMQ_LINGER),
                      _i == SUB || _i == PULL ? 0 : 1000);
    ck_assert_int_eq (s_zmq_int (any.sock, ZMQ_RCVTIMEO), -1);
    ck_assert_int_eq (s_zmq_int64 (any.sock, ZMQ_MAXMSGSIZE), 64 * 1024 * 1024);
    s_any_destroy (&any);

    zpat_options_t zeroed = {0};
    any = s_any_new (_i, &zeroed);
    ck_assert_ptr_nonnull (any.sock);
    opts = s_options (any.sock);
    s_assert_defaults (&opts, _i);
    s_any_destroy (&any);
}
END_TEST

START_TEST (designated_initializer_options_take_effect)
{
    zpat_options_t given = {
        .send_timeout_ms = 1234,
        .recv_timeout_ms = 2500,
        .send_hwm = 5,
        .recv_hwm = 7,
        .linger_ms = 250,
        .max_msg_bytes = 4096,
        .reconnect_ivl_ms = 333,
        .ipv6 = 1,
    };
    zpat_req_t *req = zpat_req_new (NULL, &given);
    ck_assert_ptr_nonnull (req);
    zpat_options_t opts;
    ck_assert_int_eq (zpat_get_options (req, &opts), 0);
    ck_assert_int_eq (opts.send_timeout_ms, 1234);
    ck_assert_int_eq (opts.recv_timeout_ms, 2500);
    ck_assert_int_eq (opts.send_hwm, 5);
    ck_assert_int_eq (opts.recv_hwm, 7);
    ck_assert_int_eq (opts.linger_ms, 250);
    ck_assert_int_eq (opts.max_msg_bytes, 4096);
    ck_assert_int_eq (opts.reconnect_ivl_ms, 333);
    ck_assert_int_ne (opts.ipv6, 0);

    zpat_socket_t *sock = zpat_socket (req);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_SNDTIMEO), 1234);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_RCVTIMEO), 2500);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_SNDHWM), 5);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_RCVHWM), 7);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_LINGER), 250);
    ck_assert_int_eq (s_zmq_int64 (sock, ZMQ_MAXMSGSIZE), 4096);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_RECONNECT_IVL), 333);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_IPV6), 1);
    zpat_req_destroy (&req);
}
END_TEST

START_TEST (fields_left_out_keep_their_defaults)
{
    zpat_options_t given = {.recv_timeout_ms = 2500};
    zpat_pull_t *pull = zpat_pull_new (NULL, &given);
    zpat_options_t opts;
    ck_assert_int_eq (zpat_get_options (pull, &opts), 0);
    ck_assert_int_eq (opts.recv_timeout_ms, 2500);
    opts.recv_timeout_ms = ZPAT_WAIT_FOREVER;
    s_assert_defaults (&opts, PULL);
    // The caller's struct was copied, not kept.
    given.recv_timeout_ms = 1;
    ck_assert_int_eq (zpat_get_options (pull, &opts), 0);
    ck_assert_int_eq (opts.recv_timeout_ms, 2500);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (unlimited_values_are_accepted)
{
    zpat_options_t given = {.send_hwm = ZPAT_UNLIMITED,
                            .recv_hwm = ZPAT_UNLIMITED,
                            .max_msg_bytes = ZPAT_UNLIMITED};
    zpat_rep_t *rep = zpat_rep_new (NULL, &given);
    ck_assert_ptr_nonnull (rep);
    zpat_options_t opts;
    ck_assert_int_eq (zpat_get_options (rep, &opts), 0);
    ck_assert_int_eq (opts.send_hwm, ZPAT_UNLIMITED);
    ck_assert_int_eq (opts.recv_hwm, ZPAT_UNLIMITED);
    ck_assert_int_eq (opts.max_msg_bytes, ZPAT_UNLIMITED);
    // libzmq spells "no limit" 0 for high-water marks and -1 for the size.
    ck_assert_int_eq (s_zmq_int (zpat_socket (rep), ZMQ_SNDHWM), 0);
    ck_assert_int_eq (s_zmq_int (zpat_socket (rep), ZMQ_RCVHWM), 0);
    ck_assert_int_eq (s_zmq_int64 (zpat_socket (rep), ZMQ_MAXMSGSIZE), -1);
    zpat_rep_destroy (&rep);
}
END_TEST

START_TEST (constructors_refuse_out_of_range_options)
{
    const zpat_options_t bad[] = {
        {.linger_ms = ZPAT_WAIT_FOREVER},
        {.linger_ms = -3},
        {.send_hwm = -2},
        {.recv_hwm = -5},
        {.send_timeout_ms = -3},
        {.recv_timeout_ms = INT_MIN},
        {.reconnect_ivl_ms = -1},
        {.max_msg_bytes = -2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        any_t any = s_any_new (_i, &bad[i]);
        ck_assert_msg (!any.sock && errno == EINVAL,
                       "role %d, options %zu: %p, %s", _i, i, (void *)any.sock,
                       zpat_strerror (errno));
    }
}
END_TEST

// ---------------------------------------------------------------------------
// Setters

typedef int (*setter_t) (zpat_socket_t *, int);

typedef struct {
    const char *name;
    setter_t set;
    size_t field; // offset of the int field in zpat_options_t
    int zmq_option;
} int_option_t;

static const int_option_t s_int_options[] = {
    {"send_timeout_ms", zpat_socket_set_send_timeout_ms,
     offsetof (zpat_options_t, send_timeout_ms), ZMQ_SNDTIMEO},
    {"recv_timeout_ms", zpat_socket_set_recv_timeout_ms,
     offsetof (zpat_options_t, recv_timeout_ms), ZMQ_RCVTIMEO},
    {"send_hwm", zpat_socket_set_send_hwm, offsetof (zpat_options_t, send_hwm),
     ZMQ_SNDHWM},
    {"recv_hwm", zpat_socket_set_recv_hwm, offsetof (zpat_options_t, recv_hwm),
     ZMQ_RCVHWM},
    {"linger_ms", zpat_socket_set_linger_ms,
     offsetof (zpat_options_t, linger_ms), ZMQ_LINGER},
    {"reconnect_ivl_ms", zpat_socket_set_reconnect_ivl_ms,
     offsetof (zpat_options_t, reconnect_ivl_ms), ZMQ_RECONNECT_IVL},
};
enum { SEND_TIMEOUT, RECV_TIMEOUT, SEND_HWM, RECV_HWM, LINGER, RECONNECT };

static int
s_field (const zpat_options_t *opts, size_t offset)
{
    int value;
    memcpy (&value, (const char *)opts + offset, sizeof value);
    return value;
}

// A value given to a setter, what get_options reads back, and what libzmq
// holds.
typedef struct {
    int option;
    int value, reads, zmq;
} case_t;

START_TEST (setters_accept_valid_values)
{
    const case_t cases[] = {
        {SEND_TIMEOUT, 0, ZPAT_WAIT_NONE, 0},
        {SEND_TIMEOUT, ZPAT_WAIT_NONE, ZPAT_WAIT_NONE, 0},
        {SEND_TIMEOUT, 1, 1, 1},
        {SEND_TIMEOUT, 60000, 60000, 60000},
        {SEND_TIMEOUT, INT_MAX, INT_MAX, INT_MAX},
        {SEND_TIMEOUT, ZPAT_WAIT_FOREVER, ZPAT_WAIT_FOREVER, -1},
        {RECV_TIMEOUT, 0, ZPAT_WAIT_NONE, 0},
        {RECV_TIMEOUT, ZPAT_WAIT_NONE, ZPAT_WAIT_NONE, 0},
        {RECV_TIMEOUT, 2500, 2500, 2500},
        {RECV_TIMEOUT, ZPAT_WAIT_FOREVER, ZPAT_WAIT_FOREVER, -1},
        {SEND_HWM, 1, 1, 1},
        {SEND_HWM, 100000, 100000, 100000},
        {SEND_HWM, ZPAT_UNLIMITED, ZPAT_UNLIMITED, 0},
        {SEND_HWM, 1000, 1000, 1000},
        {RECV_HWM, 1, 1, 1},
        {RECV_HWM, ZPAT_UNLIMITED, ZPAT_UNLIMITED, 0},
        {RECV_HWM, INT_MAX, INT_MAX, INT_MAX},
        {LINGER, 0, ZPAT_WAIT_NONE, 0},
        {LINGER, ZPAT_WAIT_NONE, ZPAT_WAIT_NONE, 0},
        {LINGER, 1, 1, 1},
        {LINGER, 60000, 60000, 60000},
        {RECONNECT, 1, 1, 1},
        {RECONNECT, 100, 100, 100},
        {RECONNECT, 60000, 60000, 60000},
    };
    // A REQ both sends and receives, so every setter applies to it.
    zpat_req_t *req = zpat_req_new (NULL, NULL);
    zpat_socket_t *sock = zpat_socket (req);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int_option_t *option = &s_int_options[cases[i].option];
        ck_assert_msg (option->set (sock, cases[i].value) == 0, "%s (%d): %s",
                       option->name, cases[i].value, zpat_strerror (errno));
        zpat_options_t opts = s_options (sock);
        ck_assert_msg (s_field (&opts, option->field) == cases[i].reads,
                       "%s (%d) reads back %d, not %d", option->name,
                       cases[i].value, s_field (&opts, option->field),
                       cases[i].reads);
        ck_assert_msg (s_zmq_int (sock, option->zmq_option) == cases[i].zmq,
                       "%s (%d): libzmq holds %d, not %d", option->name,
                       cases[i].value, s_zmq_int (sock, option->zmq_option),
                       cases[i].zmq);
    }

    const int64_t sizes[] = {1, 4096, (int64_t)1 << 40, ZPAT_UNLIMITED};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ck_assert_int_eq (zpat_set_max_msg_bytes (req, sizes[i]), 0);
        ck_assert_int_eq (s_options (sock).max_msg_bytes, sizes[i]);
        ck_assert_int_eq (s_zmq_int64 (sock, ZMQ_MAXMSGSIZE), sizes[i]);
    }
    ck_assert_int_eq (zpat_set_ipv6 (req, 1), 0);
    ck_assert_int_ne (s_options (sock).ipv6, 0);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_IPV6), 1);
    ck_assert_int_eq (zpat_set_ipv6 (req, 0), 0);
    ck_assert_int_eq (s_options (sock).ipv6, 0);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_IPV6), 0);
    zpat_req_destroy (&req);
}
END_TEST

START_TEST (setters_refuse_out_of_range_values)
{
    const case_t cases[] = {
        {LINGER, ZPAT_WAIT_FOREVER, 0, 0},
        {LINGER, -3, 0, 0},
        {LINGER, INT_MIN, 0, 0},
        {SEND_HWM, 0, 0, 0},
        {SEND_HWM, -2, 0, 0},
        {RECV_HWM, 0, 0, 0},
        {RECV_HWM, INT_MIN, 0, 0},
        {SEND_TIMEOUT, -3, 0, 0},
        {RECV_TIMEOUT, -3, 0, 0},
        {RECV_TIMEOUT, INT_MIN, 0, 0},
        {RECONNECT, 0, 0, 0},
        {RECONNECT, -1, 0, 0},
    };
    zpat_options_t given = {.send_timeout_ms = 11,
                            .recv_timeout_ms = 12,
                            .send_hwm = 13,
                            .recv_hwm = 14,
                            .linger_ms = 15,
                            .max_msg_bytes = 16,
                            .reconnect_ivl_ms = 17,
                            .ipv6 = 1};
    zpat_req_t *req = zpat_req_new (NULL, &given);
    zpat_socket_t *sock = zpat_socket (req);
    zpat_options_t before = s_options (sock);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int_option_t *option = &s_int_options[cases[i].option];
        errno = 0;
        int rc = option->set (sock, cases[i].value);
        ck_assert_msg (rc == -1 && errno == EINVAL, "%s (%d): %d, %s",
                       option->name, cases[i].value, rc, zpat_strerror (errno));
    }
    int64_t bad_sizes[] = {0, -2, INT64_MIN};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        errno = 0;
        ck_assert_int_eq (zpat_set_max_msg_bytes (req, bad_sizes[i]), -1);
        ck_assert_int_eq (errno, EINVAL);
    }
    // A call that fails changes nothing.
    zpat_options_t after = s_options (sock);
    ck_assert_int_eq (memcmp (&before, &after, sizeof before), 0);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_LINGER), 15);
    ck_assert_int_eq (s_zmq_int (sock, ZMQ_SNDHWM), 13);
    ck_assert_int_eq (s_zmq_int64 (sock, ZMQ_MAXMSGSIZE), 16);
    zpat_req_destroy (&req);
}
END_TEST

// ---------------------------------------------------------------------------
// Timeouts at work

START_TEST (wait_none_in_options_returns_eagain_at_once)
{
    zpat_options_t given = {.recv_timeout_ms = ZPAT_WAIT_NONE,
                            .send_timeout_ms = ZPAT_WAIT_NONE,
                            .linger_ms = ZPAT_WAIT_NONE};
    zpat_pull_t *pull = zpat_pull_new (NULL, &given);
    zpat_push_t *push = zpat_push_new (NULL, &given);
    zpat_options_t opts;
    ck_assert_int_eq (zpat_get_options (pull, &opts), 0);
    ck_assert_int_eq (opts.recv_timeout_ms, ZPAT_WAIT_NONE);
    ck_assert_int_eq (opts.linger_ms, ZPAT_WAIT_NONE);
    ck_assert_int_eq (zpat_get_options (push, &opts), 0);
    ck_assert_int_eq (opts.send_timeout_ms, ZPAT_WAIT_NONE);

    char buf[8];
    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EAGAIN);
    errno = 0;
    ck_assert_ptr_null (zpat_recv_str (pull));
    ck_assert_int_eq (errno, EAGAIN);
    // A pusher with no peer cannot queue anything.
    errno = 0;
    ck_assert_int_eq (zpat_send_str (push, "x"), -1);
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_int_lt (tu_now_ms () - start, 1000LL * tu_time_factor ());
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (wait_none_in_setters_returns_eagain_at_once)
{
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL);
    zpat_msg_t *msg = zpat_msg_new ();
    // 0 and ZPAT_WAIT_NONE mean the same to a setter.
    const int none[] = {0, ZPAT_WAIT_NONE};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, none[i]), 0);
        zpat_options_t opts;
        ck_assert_int_eq (zpat_get_options (pull, &opts), 0);
        ck_assert_int_eq (opts.recv_timeout_ms, ZPAT_WAIT_NONE);
        long long start = tu_now_ms ();
        errno = 0;
        ck_assert_int_eq (zpat_recv_msg (pull, msg), -1);
        ck_assert_int_eq (errno, EAGAIN);
        ck_assert_int_lt (tu_now_ms () - start, 1000LL * tu_time_factor ());
    }
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (recv_timeout_makes_recv_return_eagain)
{
    zpat_options_t given = {.recv_timeout_ms = 100};
    zpat_pull_t *pull = zpat_pull_new (NULL, &given);
    zpat_msg_t *msg = zpat_msg_new ();
    char buf[8];
    for (int call = 0; call < 3; call++) {
        long long start = tu_now_ms ();
        errno = 0;
        if (call == 0)
            ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), -1);
        else if (call == 1)
            ck_assert_ptr_null (zpat_recv_str (pull));
        else
            ck_assert_int_eq (zpat_recv_msg (pull, msg), -1);
        ck_assert_int_eq (errno, EAGAIN);
        long long elapsed = tu_now_ms () - start;
        // It waited, though not for ever.
        ck_assert_int_ge (elapsed, 80);
        ck_assert_int_lt (elapsed, 3000LL * tu_time_factor ());
    }
    // Changed by the setter, it takes effect on the next call.
    ck_assert_int_eq (zpat_set_recv_timeout_ms (pull, 300), 0);
    long long start = tu_now_ms ();
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), -1);
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_int_ge (tu_now_ms () - start, 250);
    zpat_msg_destroy (&msg);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (send_timeout_makes_send_return_eagain)
{
    zpat_push_t *push = zpat_push_new (NULL, NULL);
    ck_assert_int_eq (zpat_set_send_timeout_ms (push, 100), 0);
    long long start = tu_now_ms ();
    errno = 0;
    ck_assert_int_eq (zpat_send_str (push, "nobody listens"), -1);
    ck_assert_int_eq (errno, EAGAIN);
    long long elapsed = tu_now_ms () - start;
    ck_assert_int_ge (elapsed, 80);
    ck_assert_int_lt (elapsed, 3000LL * tu_time_factor ());
    zpat_push_destroy (&push);
}
END_TEST

START_TEST (send_hwm_limits_the_queue)
{
    // A pusher connected to a peer that is not there queues up to its
    // high-water mark, then refuses.
    char endpoint[80];
    tu_endpoint (endpoint, sizeof endpoint, "ipc");
    zpat_options_t given = {.send_hwm = 5,
                            .send_timeout_ms = ZPAT_WAIT_NONE,
                            .linger_ms = ZPAT_WAIT_NONE};
    zpat_push_t *push = zpat_push_new (endpoint, &given);
    ck_assert_ptr_nonnull (push);
    int queued = 0;
    while (queued < 2000 && zpat_send_str (push, "x") == 0)
        queued++;
    ck_assert_int_eq (errno, EAGAIN);
    ck_assert_int_ge (queued, 5);
    ck_assert_int_le (queued, 10);
    zpat_push_destroy (&push);
}
END_TEST

// ---------------------------------------------------------------------------
// The libzmq handle

START_TEST (handle_is_the_libzmq_socket)
{
    const int expected[ROLES] = {ZMQ_REQ, ZMQ_REP,  ZMQ_PUB,
                                 ZMQ_SUB, ZMQ_PUSH, ZMQ_PULL};
    any_t any = s_any_new (_i, NULL);
    void *handle = zpat_socket_handle (any.sock);
    ck_assert_ptr_nonnull (handle);
    int type = -1;
    size_t size = sizeof type;
    ck_assert_int_eq (zmq_getsockopt (handle, ZMQ_TYPE, &type, &size), 0);
    // A publisher may be an XPUB underneath, to see its subscribers, and a
    // replier a ROUTER, to handle its envelopes itself: the same wire
    // protocol either way.
    if (_i == PUB)
        ck_assert (type == ZMQ_PUB || type == ZMQ_XPUB);
    else if (_i == REP)
        ck_assert (type == ZMQ_REP || type == ZMQ_ROUTER);
    else
        ck_assert_int_eq (type, expected[_i]);

    // The handle takes options zpat does not wrap.
    int keepalive = 1;
    ck_assert_int_eq (zmq_setsockopt (handle, ZMQ_TCP_KEEPALIVE, &keepalive,
                                      sizeof keepalive),
                      0);
    ck_assert_int_eq (s_zmq_int (any.sock, ZMQ_TCP_KEEPALIVE), 1);
    s_any_destroy (&any);
}
END_TEST

START_TEST (handle_through_the_macro)
{
    zpat_sub_t *sub = zpat_sub_new (NULL, "", NULL);
    void *handle = zpat_handle (sub);
    ck_assert_ptr_eq (handle, zpat_socket_handle (zpat_socket (sub)));
    int type = -1;
    size_t size = sizeof type;
    ck_assert_int_eq (zmq_getsockopt (handle, ZMQ_TYPE, &type, &size), 0);
    ck_assert_int_eq (type, ZMQ_SUB);
    zpat_sub_destroy (&sub);
}
END_TEST

static Suite *
options_suite (void)
{
    Suite *suite = suite_create ("options");
    TCase *tc = tcase_create ("construction");
    tcase_add_loop_test (tc, defaults_apply_with_null_or_zeroed_options, 0,
                         ROLES);
    tcase_add_test (tc, designated_initializer_options_take_effect);
    tcase_add_test (tc, fields_left_out_keep_their_defaults);
    tcase_add_test (tc, unlimited_values_are_accepted);
    tcase_add_loop_test (tc, constructors_refuse_out_of_range_options, 0,
                         ROLES);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("setters");
    tcase_add_test (tc, setters_accept_valid_values);
    tcase_add_test (tc, setters_refuse_out_of_range_values);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("timeouts");
    tcase_set_timeout (tc, 20);
    tcase_add_test (tc, wait_none_in_options_returns_eagain_at_once);
    tcase_add_test (tc, wait_none_in_setters_returns_eagain_at_once);
    tcase_add_test (tc, recv_timeout_makes_recv_return_eagain);
    tcase_add_test (tc, send_timeout_makes_send_return_eagain);
    tcase_add_test (tc, send_hwm_limits_the_queue);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("handle");
    tcase_add_loop_test (tc, handle_is_the_libzmq_socket, 0, ROLES);
    tcase_add_test (tc, handle_through_the_macro);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (options_suite (), CK_FORK_GETENV);
}
