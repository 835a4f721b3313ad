// test_request.c - a REQ that never gets stuck: after a receive gives up,
// the next send works and the late reply is never taken for a later one's
// (against zpat's REP, a raw libzmq REP and a ROUTER that echoes the
// envelope); and zpat_req_request, the Lazy Pirate built in, against a
// server absent at first, one that answers late, one that drops every other
// request, and one killed and started again mid-stream.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static const zpat_options_t s_quick = {
    .send_timeout_ms = 5000,
    .recv_timeout_ms = 100,
    .linger_ms = 100,
};

static void
s_sleep_ms (int ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep (&pause, NULL);
}

static void
s_recv_is (zpat_req_t *req, const char *wanted)
{
    char *got = zpat_recv_str (req);
    ck_assert_msg (got, "zpat_recv_str: %s", zpat_strerror (errno));
    ck_assert_str_eq (got, wanted);
    zpat_str_free (&got);
}

static void
s_rep_recv_is (zpat_rep_t *rep, const char *wanted)
{
    char *got = zpat_recv_str (rep);
    ck_assert_msg (got, "zpat_recv_str: %s", zpat_strerror (errno));
    ck_assert_str_eq (got, wanted);
    zpat_str_free (&got);
}

// The user's story: send, time out, send again. It used to be ZPAT_EFSM,
// and the late reply then answered the next request.
START_TEST (test_unstuck_zpat_rep)
{
    char where[TU_ENDPOINT_SIZE], bound[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    zpat_rep_t *rep = zpat_rep_new (where, &tu_opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", where, bound);
    zpat_req_t *req = zpat_req_new (bound, &s_quick);
    ck_assert_ptr_nonnull (req);

    ck_assert_int_eq (zpat_send_str (req, "a"), 0);
    s_rep_recv_is (rep, "a");
    FAILS_WITH (EAGAIN, zpat_recv (req, NULL, 0));  // the reply is late
    ck_assert_int_eq (zpat_send_str (req, "b"), 0); // was ZPAT_EFSM
    ck_assert_int_eq (zpat_send_str (rep, "reply to a"), 0);
    s_rep_recv_is (rep, "b");
    ck_assert_int_eq (zpat_send_str (rep, "reply to b"), 0);
    s_recv_is (req, "reply to b");

    // Abandoned twice in a row, then answered: still the right reply.
    for (int round = 0; round < 3; round++) {
        char request[16], reply[32];
        snprintf (request, sizeof request, "r%d", round);
        ck_assert_int_eq (zpat_send_str (req, request), 0);
        s_rep_recv_is (rep, request);
        if (round < 2) {
            FAILS_WITH (EAGAIN, zpat_recv (req, NULL, 0));
            snprintf (reply, sizeof reply, "late %s", request);
        } else
            snprintf (reply, sizeof reply, "on time %s", request);
        ck_assert_int_eq (zpat_send_str (rep, reply), 0);
    }
    s_recv_is (req, "on time r2");

    // Strict again: sending twice without giving up is still an error.
    ck_assert_int_eq (zpat_send_str (req, "c"), 0);
    FAILS_WITH (ZPAT_EFSM, zpat_send_str (req, "d"));
    s_rep_recv_is (rep, "c");
    ck_assert_int_eq (zpat_send_str (rep, "reply to c"), 0);
    s_recv_is (req, "reply to c");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// A receive again before sending still waits for the same reply; once it
// is taken, a send does not abandon anything, and a second send is an error.
START_TEST (test_wait_again)
{
    char where[TU_ENDPOINT_SIZE], bound[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    zpat_rep_t *rep = zpat_rep_new (where, &tu_opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", where, bound);
    zpat_req_t *req = zpat_req_new (bound, &s_quick);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "a"), 0);
    FAILS_WITH (EAGAIN, zpat_recv (req, NULL, 0));
    s_rep_recv_is (rep, "a");
    ck_assert_int_eq (zpat_send_str (rep, "reply to a"), 0);
    s_recv_is (req, "reply to a"); // the same request, still awaited
    ck_assert_int_eq (zpat_send_str (req, "b"), 0);
    FAILS_WITH (ZPAT_EFSM, zpat_send_str (req, "c"));
    s_rep_recv_is (rep, "b");
    ck_assert_int_eq (zpat_send_str (rep, "reply to b"), 0);
    s_recv_is (req, "reply to b");
    // A receive told not to wait gives up too.
    ck_assert_int_eq (zpat_set_recv_timeout_ms (req, ZPAT_WAIT_NONE), 0);
    ck_assert_int_eq (zpat_send_str (req, "d"), 0);
    s_rep_recv_is (rep, "d");
    FAILS_WITH (EAGAIN, zpat_recv (req, NULL, 0));
    ck_assert_int_eq (zpat_send_str (req, "e"), 0);
    ck_assert_int_eq (zpat_send_str (rep, "reply to d"), 0);
    s_rep_recv_is (rep, "e");
    ck_assert_int_eq (zpat_send_str (rep, "reply to e"), 0);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (req, 5000), 0);
    s_recv_is (req, "reply to e");
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// The same story against libzmq's own REP.
START_TEST (test_unstuck_raw_rep)
{
    char where[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    int linger = 0, wait = 5000;
    zmq_setsockopt (rep, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &wait, sizeof wait);
    ck_assert_int_eq (zmq_bind (rep, where), 0);
    char bound[TU_ENDPOINT_SIZE];
    size_t size = sizeof bound;
    zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, bound, &size);
    // inproc:// names live in one context: the REQ's is zpat's own, so the
    // raw REP is reached over tcp:// and ipc:// only.
    if (strncmp (bound, "inproc", 6) == 0) {
        zmq_close (rep);
        zmq_ctx_term (ctx);
        return;
    }
    zpat_req_t *req = zpat_req_new (bound, &s_quick);
    ck_assert_ptr_nonnull (req);
    char buf[64];
    ck_assert_int_eq (zpat_send_str (req, "a"), 0);
    ck_assert_int_eq (zmq_recv (rep, buf, sizeof buf, 0), 1);
    FAILS_WITH (EAGAIN, zpat_recv (req, NULL, 0));
    ck_assert_int_eq (zpat_send_str (req, "b"), 0);
    ck_assert_int_eq (zmq_send (rep, "reply to a", 10, 0), 10);
    int got = zmq_recv (rep, buf, sizeof buf, 0);
    ck_assert_int_eq (got, 1);
    ck_assert_int_eq (buf[0], 'b');
    ck_assert_int_eq (zmq_send (rep, "reply to b", 10, 0), 10);
    s_recv_is (req, "reply to b");
    zpat_req_destroy (&req);
    zmq_close (rep);
    zmq_ctx_term (ctx);
}
END_TEST

// ---------------------------------------------------------------------------
// Servers for the requests, each in a thread of its own, answering
// "rep-N" to "req-N": a REP (delay_first_ms: the first copy of each request
// is answered that late), or a ROUTER that echoes the envelope and drops
// every other request.

typedef struct {
    char endpoint[TU_ENDPOINT_SIZE];
    int delay_first_ms; // REP: answer the first copy of a request this late
    bool drop_odd;      // ROUTER: drop every other request that arrives
    int start_after_ms; // start listening only after this long
    int answered, arrived;
    volatile bool stop;
    pthread_mutex_t ready;
} server_t;

static void
s_reply_for (const char *request, char *reply, size_t size)
{
    ck_assert_msg (strncmp (request, "req-", 4) == 0, "request %s", request);
    snprintf (reply, size, "rep-%s", request + 4);
}

static void *
s_rep_server (void *arg)
{
    server_t *self = arg;
    if (self->start_after_ms)
        s_sleep_ms (self->start_after_ms);
    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = 50;
    zpat_rep_t *rep = zpat_rep_new (self->endpoint, &opts);
    ck_assert_msg (rep, "zpat_rep_new (%s): %s", self->endpoint,
                   zpat_strerror (errno));
    char last[64] = "";
    while (!self->stop) {
        char *request = zpat_recv_str (rep);
        if (!request)
            continue;
        self->arrived++;
        if (self->delay_first_ms && strcmp (request, last) != 0)
            s_sleep_ms (self->delay_first_ms);
        snprintf (last, sizeof last, "%s", request);
        char reply[80];
        s_reply_for (request, reply, sizeof reply);
        if (zpat_send_str (rep, reply) == 0)
            self->answered++;
        zpat_str_free (&request);
    }
    zpat_rep_destroy (&rep);
    return NULL;
}

static void *
s_router_server (void *arg)
{
    server_t *self = arg;
    zpat_options_t opts = tu_opts;
    opts.recv_timeout_ms = 50;
    zpat_router_t *router = zpat_router_new (self->endpoint, &opts);
    ck_assert_ptr_nonnull (router);
    zpat_msg_t *msg = zpat_msg_new ();
    while (!self->stop) {
        zpat_peer_t peer;
        int frames = zpat_router_recv_msg (router, &peer, msg);
        if (frames < 2)
            continue;
        if (self->arrived++ % 2 == 1 && self->drop_odd)
            continue;
        // The envelope (a request id, if any, and the delimiter) goes back
        // as it came; the body is replaced with the reply.
        zpat_msg_t *out = zpat_msg_new ();
        for (int i = 0; i + 1 < frames; i++)
            zpat_msg_add (out, zpat_msg_data (msg, (size_t)i),
                          zpat_msg_size (msg, (size_t)i));
        char request[64], reply[80];
        size_t size = zpat_msg_size (msg, (size_t)frames - 1);
        ck_assert_uint_lt (size, sizeof request);
        memcpy (request, zpat_msg_data (msg, (size_t)frames - 1), size);
        request[size] = 0;
        s_reply_for (request, reply, sizeof reply);
        zpat_msg_add (out, reply, strlen (reply));
        if (zpat_router_send_msg (router, &peer, out) == 0)
            self->answered++;
        zpat_msg_destroy (&out);
    }
    zpat_msg_destroy (&msg);
    zpat_router_destroy (&router);
    return NULL;
}

// An endpoint of transport that nothing listens on yet. For tcp:// a port
// below Linux's ephemeral range (32768 up), free a moment ago: a REQ that
// keeps connecting to a port nothing listens on could otherwise be given
// that very port as its own end, connect to itself and hold it. The port
// is tried with a plain socket, closed at once: a zpat object's listener
// is closed by libzmq's own thread a moment after destroy, and a child
// forked in that moment would keep it open.
static void
s_free_endpoint (char *out, const char *transport)
{
    if (strcmp (transport, "tcp") != 0) {
        tu_endpoint (out, TU_ENDPOINT_SIZE, transport);
        return;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        int port = 20000 + (int)((unsigned)rand () % 12000);
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge (fd, 0);
        int on = 1;
        setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        struct sockaddr_in address = {.sin_family = AF_INET,
                                      .sin_port = htons ((uint16_t)port)};
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        int rc = bind (fd, (struct sockaddr *)&address, sizeof address);
        close (fd);
        if (rc == 0) {
            snprintf (out, TU_ENDPOINT_SIZE, "tcp://127.0.0.1:%d", port);
            return;
        }
    }
    ck_abort_msg ("no free tcp port found");
}

// Sends count requests with zpat_req_request and checks every one is
// answered with its own reply; returns how many failed after every try.
static int
s_requests (zpat_req_t *req, int first, int count, int timeout_ms, int tries)
{
    int failed = 0;
    for (int i = first; i < first + count; i++) {
        char request[32], wanted[32];
        snprintf (request, sizeof request, "req-%d", i);
        snprintf (wanted, sizeof wanted, "rep-%d", i);
        char *reply = zpat_req_request_str (req, request, timeout_ms, tries);
        if (!reply) {
            ck_assert_int_eq (errno, EAGAIN);
            failed++;
            continue;
        }
        ck_assert_str_eq (reply, wanted); // never another request's reply
        zpat_str_free (&reply);
    }
    return failed;
}

START_TEST (test_request_server_starts_late)
{
    server_t server = {.start_after_ms = 300};
    s_free_endpoint (server.endpoint, tu_transports[_i]);
    zpat_req_t *req = zpat_req_new (server.endpoint, &tu_opts);
    ck_assert_ptr_nonnull (req);
    pthread_t thread;
    pthread_create (&thread, NULL, s_rep_server, &server);
    long long start = tu_now_ms ();
    // No server at first: the first tries go unanswered.
    ck_assert_int_eq (s_requests (req, 0, 1, 100, 50), 0);
    ck_assert_int_ge (tu_now_ms () - start, 250);
    ck_assert_int_eq (s_requests (req, 1, 20, 1000 * tu_time_factor (), 3), 0);
    server.stop = true;
    pthread_join (thread, NULL);
    ck_assert_int_eq (server.answered, server.arrived);
    zpat_req_destroy (&req);
}
END_TEST

// Nobody there at all: EAGAIN after every try, on time, and the REQ is
// ready for the next request.
START_TEST (test_request_nobody)
{
    char endpoint[TU_ENDPOINT_SIZE];
    s_free_endpoint (endpoint, tu_transports[_i]);
    zpat_req_t *req = zpat_req_new (endpoint, &tu_opts);
    long long start = tu_now_ms ();
    NULL_WITH (EAGAIN, zpat_req_request_str (req, "req-1", 50, 3));
    long long took = tu_now_ms () - start;
    ck_assert_int_ge (took, 140); // three tries of 50 ms, give or take a tick
    ck_assert_int_lt (took, 2000 * tu_time_factor ());
    NULL_WITH (EAGAIN, zpat_req_request_str (req, "req-2", 20, 1));
    // The REQ's own timeouts are as they were.
    zpat_options_t opts;
    ck_assert_int_eq (zpat_get_options (req, &opts), 0);
    ck_assert_int_eq (opts.recv_timeout_ms, tu_opts.recv_timeout_ms);
    ck_assert_int_eq (opts.send_timeout_ms, tu_opts.send_timeout_ms);
    // A server now: the next request is answered, with its own reply.
    server_t server = {0};
    snprintf (server.endpoint, sizeof server.endpoint, "%s", endpoint);
    pthread_t thread;
    pthread_create (&thread, NULL, s_rep_server, &server);
    ck_assert_int_eq (s_requests (req, 3, 5, 1000 * tu_time_factor (), 5), 0);
    server.stop = true;
    pthread_join (thread, NULL);
    zpat_req_destroy (&req);
}
END_TEST

START_TEST (test_request_late_server)
{
    server_t server = {.delay_first_ms = 300 * tu_time_factor ()};
    s_free_endpoint (server.endpoint, tu_transports[_i]);
    pthread_t thread;
    pthread_create (&thread, NULL, s_rep_server, &server);
    zpat_req_t *req = zpat_req_new (server.endpoint, &tu_opts);
    // Every first copy is answered after the try gave up: the late reply
    // is discarded, the retry's is returned, once.
    ck_assert_int_eq (s_requests (req, 0, 5, 150 * tu_time_factor (), 4), 0);
    server.stop = true;
    pthread_join (thread, NULL);
    ck_assert_int_ge (server.arrived, 10);
    zpat_req_destroy (&req);
}
END_TEST

START_TEST (test_request_drops_every_other)
{
    server_t server = {.drop_odd = true};
    char where[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    zpat_router_t *probe = zpat_router_new (where, &tu_opts);
    tu_bound_endpoint (zpat_socket (probe), "zpat_router_new", where,
                       server.endpoint);
    zpat_router_destroy (&probe);
    pthread_t thread;
    pthread_create (&thread, NULL, s_router_server, &server);
    zpat_req_t *req = zpat_req_new (server.endpoint, &tu_opts);
    int ms = 200 * tu_time_factor ();
    ck_assert_int_eq (s_requests (req, 0, 20, ms, 3), 0);
    // Once, with one try each: half go unanswered, and each request that
    // is answered gets its own reply.
    int failed = s_requests (req, 100, 10, ms, 1);
    ck_assert_int_ge (failed, 4);
    ck_assert_int_le (failed, 6);
    server.stop = true;
    pthread_join (thread, NULL);
    zpat_req_destroy (&req);
}
END_TEST

// A server in a process of its own, killed with SIGKILL and started again
// every few requests: every request answered once, with its own reply.
static pid_t
s_spawn_server (const char *endpoint)
{
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        server_t server = {0};
        snprintf (server.endpoint, sizeof server.endpoint, "%s", endpoint);
        s_rep_server (&server);
        _exit (0);
    }
    return pid;
}

START_TEST (test_request_server_killed)
{
    char endpoint[TU_ENDPOINT_SIZE];
    s_free_endpoint (endpoint, tu_transports[_i]);
    if (strncmp (endpoint, "inproc", 6) == 0)
        return; // another process cannot share an inproc:// name
    zpat_req_t *req = zpat_req_new (endpoint, &tu_opts);
    pid_t server = s_spawn_server (endpoint);
    int failed = 0;
    // Fewer rounds under valgrind, where each server takes seconds to start.
    int rounds = tu_time_factor () > 1 ? 2 : 5;
    for (int round = 0; round < rounds; round++) {
        failed += s_requests (req, round * 20, 20, 300 * tu_time_factor (), 20);
        kill (server, SIGKILL);
        waitpid (server, NULL, 0);
        server = s_spawn_server (endpoint);
    }
    ck_assert_int_eq (failed, 0);
    kill (server, SIGKILL);
    waitpid (server, NULL, 0);
    zpat_req_destroy (&req);
}
END_TEST

START_TEST (test_request_bad_arguments)
{
    zpat_req_t *req = zpat_req_new ("inproc://request-bad", &tu_opts);
    zpat_msg_t *msg = zpat_msg_new (), *reply = zpat_msg_new ();
    FAILS_WITH (EINVAL, zpat_req_request (NULL, msg, reply, 10, 1));
    FAILS_WITH (EINVAL, zpat_req_request (req, msg, reply, 10, 1)); // empty
    zpat_msg_add (msg, "x", 1);
    FAILS_WITH (EINVAL, zpat_req_request (req, NULL, reply, 10, 1));
    FAILS_WITH (EINVAL, zpat_req_request (req, msg, NULL, 10, 1));
    FAILS_WITH (EINVAL, zpat_req_request (req, msg, reply, 0, 1));
    FAILS_WITH (EINVAL, zpat_req_request (req, msg, reply, 10, 0));
    NULL_WITH (EINVAL, zpat_req_request_str (req, NULL, 10, 1));
    NULL_WITH (EINVAL, zpat_req_request_str (NULL, "x", 10, 1));
    // A request sent the ordinary way is still owed its reply.
    ck_assert_int_eq (zpat_send_str (req, "x"), 0);
    FAILS_WITH (ZPAT_EFSM, zpat_req_request (req, msg, reply, 10, 1));
    ck_assert_uint_eq (zpat_msg_count (msg), 1); // the request unchanged
    zpat_msg_destroy (&msg);
    zpat_msg_destroy (&reply);
    zpat_req_destroy (&req);
}
END_TEST

// The message form: a multipart request and reply, the request unchanged.
START_TEST (test_request_msg)
{
    server_t server = {0};
    char where[TU_ENDPOINT_SIZE];
    tu_endpoint (where, sizeof where, tu_transports[_i]);
    zpat_rep_t *rep = zpat_rep_new (where, &tu_opts);
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", where,
                       server.endpoint);
    zpat_req_t *req = zpat_req_new (server.endpoint, &tu_opts);
    zpat_msg_t *request = zpat_msg_new (), *reply = zpat_msg_new ();
    zpat_msg_add (request, "one", 3);
    zpat_msg_add (request, "two", 3);
    zpat_msg_t *got = zpat_msg_new ();
    // The server answers the second copy only.
    ck_assert_int_eq (zpat_send_str (req, "warm-up"), 0);
    s_rep_recv_is (rep, "warm-up");
    ck_assert_int_eq (zpat_send_str (rep, "ok"), 0);
    s_recv_is (req, "ok");
    // Answered in this thread: first the request arrives, unanswered.
    ck_assert_int_eq (zpat_req_request (req, request, reply, 100, 1), -1);
    ck_assert_int_eq (zpat_recv_msg (rep, got), 2);
    ck_assert_int_eq (zpat_send_str (rep, "late"), 0);
    // Now answered in time (the REP replies before the REQ waits: its
    // reply is queued as soon as the request is in).
    ck_assert_uint_eq (zpat_msg_count (request), 2);
    zpat_set_recv_timeout_ms (rep, 5000);
    // One try at a time from here: the server is this thread.
    ck_assert_int_eq (zpat_send_msg (req, request), 0); // abandons
    ck_assert_int_eq (zpat_recv_msg (rep, got), 2);
    zpat_msg_t *answer = zpat_msg_new ();
    zpat_msg_add (answer, "three", 5);
    zpat_msg_add (answer, "four", 4);
    ck_assert_int_eq (zpat_send_msg (rep, answer), 0);
    ck_assert_int_eq (zpat_recv_msg (req, reply), 2);
    ck_assert_int_eq (memcmp (zpat_msg_data (reply, 0), "three", 5), 0);
    zpat_msg_destroy (&answer);
    zpat_msg_destroy (&got);
    zpat_msg_destroy (&request);
    zpat_msg_destroy (&reply);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

int
main (void)
{
    srand ((unsigned)getpid ());
    Suite *suite = suite_create ("request");
    TCase *tc = tcase_create ("unstuck");
    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, test_unstuck_zpat_rep, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_wait_again, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_unstuck_raw_rep, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("lazy pirate");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_request_bad_arguments);
    tcase_add_loop_test (tc, test_request_msg, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_request_nobody, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_request_server_starts_late, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_request_late_server, 0, TU_TRANSPORTS);
    tcase_add_loop_test (tc, test_request_drops_every_other, 0, TU_TRANSPORTS);
    if (TU_FORKS_SAFE)
        tcase_add_loop_test (tc, test_request_server_killed, 0, TU_TRANSPORTS);
    suite_add_tcase (suite, tc);
    return tu_run_suite (suite, CK_FORK);
}
