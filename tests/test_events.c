// test_events.c - connection events: with zpat_events_on, an object reports
// its peers arriving (ACCEPTED, CONNECTED, HANDSHAKE_SUCCEEDED) and leaving
// (DISCONNECTED) over tcp:// and ipc://, whether the peer is zpat, pyzmq, a
// plain TCP socket or a process killed with SIGKILL; a client sees its
// server go and come back; a failed bind reports BIND_FAILED and the right
// errno; zpat_recv_event keeps to its timeout and refuses bad calls.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>
#include <zmq.h>

#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// How long an event that must come may take: generous, scaled under
// valgrind. Events normally come within a millisecond.
#define EVENT_WAIT_MS (5000 * tu_time_factor ())

// The transports with connection events (a loop test's _i indexes this).
static const char *const s_transports[] = {"tcp", "ipc"};

// This program, for the peer it runs as a child of its own (--peer).
static char s_self[PATH_MAX];

static const char *
s_name (int type)
{
    return zpat_event_name (type);
}

// The next event, which must come within EVENT_WAIT_MS and be of type.
static zpat_event_t
s_expect (zpat_socket_t *sock, int type)
{
    zpat_event_t event;
    memset (&event, 0, sizeof event);
    int rc = zpat_socket_recv_event (sock, &event, EVENT_WAIT_MS);
    ck_assert_msg (rc == 0, "no event (wanted %s): %s", s_name (type),
                   zpat_strerror (errno));
    ck_assert_msg (event.type == type, "got %s (%s), wanted %s",
                   s_name (event.type), event.endpoint, s_name (type));
    return event;
}

// Receives events until one of type comes, within EVENT_WAIT_MS; the others
// must be among the types in skip (a 0-terminated list).
static zpat_event_t
s_await (zpat_socket_t *sock, int type, const int *skip)
{
    long long deadline = tu_now_ms () + EVENT_WAIT_MS;
    zpat_event_t event;
    while (true) {
        long long left = deadline - tu_now_ms ();
        memset (&event, 0, sizeof event);
        int rc =
            zpat_socket_recv_event (sock, &event, left > 0 ? (int)left : 0);
        ck_assert_msg (rc == 0, "no %s event in time: %s", s_name (type),
                       zpat_strerror (errno));
        if (event.type == type)
            return event;
        bool skipped = false;
        for (const int *k = skip; *k; k++)
            skipped |= event.type == *k;
        ck_assert_msg (skipped, "got %s (%s) while waiting for %s",
                       s_name (event.type), event.endpoint, s_name (type));
    }
}

// Asserts that no event is waiting.
static void
s_expect_none (zpat_socket_t *sock)
{
    zpat_event_t event;
    errno = 0;
    int rc = zpat_socket_recv_event (sock, &event, 0);
    ck_assert_msg (rc == -1 && errno == EAGAIN, "unexpected event %s (%s)",
                   rc == 0 ? s_name (event.type) : "-",
                   rc == 0 ? event.endpoint : zpat_strerror (errno));
}

static zpat_stats_t
s_stats (zpat_socket_t *sock)
{
    zpat_stats_t stats;
    ck_assert_int_eq (zpat_socket_stats (sock, &stats), 0);
    return stats;
}

// Waits until sock counts peers peers (reading the counters polls the
// monitor), within EVENT_WAIT_MS.
static void
s_await_peers (zpat_socket_t *sock, uint64_t peers)
{
    long long deadline = tu_now_ms () + EVENT_WAIT_MS;
    while (s_stats (sock).peers != peers && tu_now_ms () < deadline) {
        struct timespec pause = {0, 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    ck_assert_uint_eq (s_stats (sock).peers, peers);
}

static zpat_pull_t *
s_pull_bound (const char *transport, char *endpoint)
{
    char wanted[TU_ENDPOINT_SIZE];
    tu_endpoint (wanted, sizeof wanted, transport);
    zpat_pull_t *pull = zpat_pull_new (wanted, &tu_opts);
    tu_bound_endpoint (zpat_socket (pull), "zpat_pull_new", wanted, endpoint);
    return pull;
}

// The port of a "127.0.0.1:<port>" peer, or -1 when it is not one.
static long
s_peer_port (const char *peer)
{
    const char *prefix = "127.0.0.1:";
    if (strncmp (peer, prefix, strlen (prefix)) != 0)
        return -1;
    char *end;
    long port = strtol (peer + strlen (prefix), &end, 10);
    return *end == 0 && port > 0 && port <= 65535 ? port : -1;
}

static long
s_endpoint_port (const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    ck_assert_ptr_nonnull (colon);
    return strtol (colon + 1, NULL, 10);
}

// Starts argv[0] with argv, its output to stderr; returns its pid.
static pid_t
s_spawn (char *const argv[])
{
    fflush (NULL);
    pid_t pid = fork ();
    ck_assert_int_ne (pid, -1);
    if (pid == 0) {
        dup2 (2, 1);
        execv (argv[0], argv);
        _exit (127);
    }
    return pid;
}

// Waits for pid to end within EVENT_WAIT_MS; returns its wait status.
static int
s_reap (pid_t pid)
{
    long long deadline = tu_now_ms () + EVENT_WAIT_MS;
    int status = 0;
    pid_t got;
    while ((got = waitpid (pid, &status, WNOHANG)) == 0 &&
           tu_now_ms () < deadline) {
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    if (got == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        ck_abort_msg ("child %ld did not end in time", (long)pid);
    }
    ck_assert_int_eq (got, pid);
    return status;
}

// ---------------------------------------------------------------------------
// zpat peers

// A bound PULL sees a zpat PUSH arrive and leave; the PUSH sees its
// connection made. Over tcp:// the accepted peer's address is filled in, and
// a connection's is the host and port connected to.
START_TEST (zpat_peer_arrives_and_leaves)
{
    const char *transport = s_transports[_i];
    bool tcp = strcmp (transport, "tcp") == 0;
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    zpat_push_t *push = zpat_push_new (NULL, &tu_opts);
    ck_assert_ptr_nonnull (push);
    ck_assert_int_eq (zpat_events_on (push), 0);
    ck_assert_int_eq (zpat_connect (push, endpoint), 0);

    zpat_event_t event = s_expect (zpat_socket (pull), ZPAT_EVENT_ACCEPTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    if (tcp) {
        long port = s_peer_port (event.peer);
        ck_assert_msg (port > 0, "accepted peer '%s'", event.peer);
        ck_assert_int_ne (port, s_endpoint_port (endpoint));
    } else
        ck_assert_str_eq (event.peer, "");
    event = s_expect (zpat_socket (pull), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);
    ck_assert_str_eq (event.endpoint, endpoint);

    event = s_expect (zpat_socket (push), ZPAT_EVENT_CONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_str_eq (event.peer, tcp ? endpoint + strlen ("tcp://") : "");
    event = s_expect (zpat_socket (push), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);
    ck_assert_str_eq (event.endpoint, endpoint);

    // The connection works, and both ends count it.
    ck_assert_int_eq (zpat_send_str (push, "hello"), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "hello");
    zpat_str_free (&text);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 1);
    ck_assert_uint_eq (s_stats (zpat_socket (push)).peers, 1);

    zpat_push_destroy (&push);
    event = s_expect (zpat_socket (pull), ZPAT_EVENT_DISCONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    s_expect_none (zpat_socket (pull));
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_pull_destroy (&pull);
}
END_TEST

// The accepted peer's address is the connecting socket's own: a plain TCP
// socket (which then fails the handshake by leaving) knows its port.
START_TEST (accepted_peer_is_the_connecting_address)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("tcp", endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);

    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ne (fd, -1);
    struct sockaddr_in server = {.sin_family = AF_INET};
    server.sin_port = htons ((uint16_t)s_endpoint_port (endpoint));
    server.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert_int_eq (connect (fd, (struct sockaddr *)&server, sizeof server),
                      0);
    struct sockaddr_in local;
    socklen_t size = sizeof local;
    ck_assert_int_eq (getsockname (fd, (struct sockaddr *)&local, &size), 0);
    char wanted[64];
    snprintf (wanted, sizeof wanted, "127.0.0.1:%u", ntohs (local.sin_port));

    zpat_event_t event = s_expect (zpat_socket (pull), ZPAT_EVENT_ACCEPTED);
    ck_assert_str_eq (event.peer, wanted);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 1);

    close (fd);
    const int skip[] = {ZPAT_EVENT_HANDSHAKE_FAILED, 0};
    event = s_await (zpat_socket (pull), ZPAT_EVENT_DISCONNECTED, skip);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_pull_destroy (&pull);
}
END_TEST

// A peer that speaks ZMTP but offers the CURVE mechanism to a socket that
// uses NULL: the handshake fails for a protocol reason, with libzmq's code
// for a mechanism mismatch, and the connection goes.
START_TEST (mechanism_mismatch_fails_the_handshake)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("tcp", endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);

    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ne (fd, -1);
    struct sockaddr_in server = {.sin_family = AF_INET};
    server.sin_port = htons ((uint16_t)s_endpoint_port (endpoint));
    server.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert_int_eq (connect (fd, (struct sockaddr *)&server, sizeof server),
                      0);
    // A ZMTP 3.0 greeting: signature, version 3.0, mechanism "CURVE",
    // as-server 0, filler.
    unsigned char greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0};
    memcpy (greeting + 12, "CURVE", 5);
    ck_assert_int_eq (write (fd, greeting, sizeof greeting),
                      (ssize_t)sizeof greeting);

    s_expect (zpat_socket (pull), ZPAT_EVENT_ACCEPTED);
    zpat_event_t event =
        s_expect (zpat_socket (pull), ZPAT_EVENT_HANDSHAKE_FAILED);
    ck_assert_int_eq (event.reason, ZPAT_HANDSHAKE_PROTOCOL);
    ck_assert_int_eq (event.value, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    ck_assert_str_eq (event.endpoint, endpoint);
    s_expect (zpat_socket (pull), ZPAT_EVENT_DISCONNECTED);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    close (fd);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Peers in other processes

static bool
s_have_pyzmq (void)
{
    if (access ("/usr/bin/python3", X_OK) != 0)
        return false;
    char *const argv[] = {"/usr/bin/python3", "-c", "import zmq", NULL};
    int status = s_reap (s_spawn (argv));
    return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

// A pyzmq PUSH connects, sends a message, and leaves with its process.
static const char s_pyzmq_peer[] = "import sys, zmq\n"
                                   "ctx = zmq.Context()\n"
                                   "s = ctx.socket(zmq.PUSH)\n"
                                   "s.connect(sys.argv[1])\n"
                                   "s.send(b'from pyzmq')\n"
                                   "s.close(linger=5000)\n"
                                   "ctx.term()\n";

START_TEST (pyzmq_peer_arrives_and_leaves)
{
    if (!s_have_pyzmq ()) {
        fprintf (stderr, "SKIP: /usr/bin/python3 cannot import zmq\n");
        return;
    }
    const char *transport = s_transports[_i];
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);

    char *const argv[] = {"/usr/bin/python3", "-c", (char *)s_pyzmq_peer,
                          endpoint, NULL};
    pid_t pid = s_spawn (argv);
    zpat_event_t event = s_expect (zpat_socket (pull), ZPAT_EVENT_ACCEPTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    if (strcmp (transport, "tcp") == 0)
        ck_assert_msg (s_peer_port (event.peer) > 0, "accepted peer '%s'",
                       event.peer);
    s_expect (zpat_socket (pull), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);
    char *text = zpat_recv_str (pull);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "from pyzmq");
    zpat_str_free (&text);

    int status = s_reap (pid);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "the pyzmq peer failed (status %d)", status);
    event = s_expect (zpat_socket (pull), ZPAT_EVENT_DISCONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_pull_destroy (&pull);
}
END_TEST

// The peer this program runs as (--peer ENDPOINT): a zpat PUSH that
// connects, says it is there and waits to be killed (a minute at most).
static int
s_run_peer (const char *endpoint)
{
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    if (!push || zpat_send_str (push, "ready") == -1)
        return 1;
    sleep (60);
    zpat_push_destroy (&push);
    return 0;
}

// A peer killed with SIGKILL says nothing on leaving: its connection ends
// with the process, and the bound object sees it go.
START_TEST (killed_peer_is_seen_to_leave)
{
    const char *transport = s_transports[_i];
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);

    char *const argv[] = {s_self, "--peer", endpoint, NULL};
    pid_t pid = s_spawn (argv);
    char *text = zpat_recv_str (pull);
    if (!text)
        kill (pid, SIGKILL);
    ck_assert_msg (text, "no word from the peer: %s", zpat_strerror (errno));
    ck_assert_str_eq (text, "ready");
    zpat_str_free (&text);
    s_expect (zpat_socket (pull), ZPAT_EVENT_ACCEPTED);
    s_expect (zpat_socket (pull), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 1);

    long long killed = tu_now_ms ();
    ck_assert_int_eq (kill (pid, SIGKILL), 0);
    int status = s_reap (pid);
    ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    zpat_event_t event = s_expect (zpat_socket (pull), ZPAT_EVENT_DISCONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_int_lt (tu_now_ms () - killed, EVENT_WAIT_MS);
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// A server that goes away and comes back

START_TEST (client_sees_its_server_restart)
{
    // A fixed port: one the system picked, released, and bound again (zpat
    // waits for a port this process just released).
    zpat_pull_t *server = zpat_pull_new ("tcp://127.0.0.1:*", &tu_opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (server), "zpat_pull_new", "tcp", endpoint);
    zpat_pull_destroy (&server);
    server = zpat_pull_new (endpoint, &tu_opts);
    ck_assert_msg (server, "bind %s again: %s", endpoint,
                   zpat_strerror (errno));

    zpat_options_t opts = tu_opts;
    opts.reconnect_ivl_ms = 10;
    zpat_push_t *client = zpat_push_new (NULL, &opts);
    ck_assert_ptr_nonnull (client);
    ck_assert_int_eq (zpat_events_on (client), 0);
    ck_assert_int_eq (zpat_connect (client, endpoint), 0);
    zpat_event_t event = s_expect (zpat_socket (client), ZPAT_EVENT_CONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    s_expect (zpat_socket (client), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);
    ck_assert_int_eq (zpat_send_str (client, "one"), 0);
    char *text = zpat_recv_str (server);
    ck_assert_str_eq (text, "one");
    zpat_str_free (&text);
    zpat_stats_t stats = s_stats (zpat_socket (client));
    ck_assert_uint_eq (stats.peers, 1);
    ck_assert_uint_eq (stats.reconnects, 0);

    // The server goes: the client sees its connection end, and tries again.
    zpat_pull_destroy (&server);
    event = s_expect (zpat_socket (client), ZPAT_EVENT_DISCONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_uint_eq (s_stats (zpat_socket (client)).peers, 0);

    // It comes back on the same port: the client connects again by itself.
    server = zpat_pull_new (endpoint, &tu_opts);
    ck_assert_msg (server, "bind %s again: %s", endpoint,
                   zpat_strerror (errno));
    const int skip[] = {ZPAT_EVENT_CONNECT_RETRIED, ZPAT_EVENT_CLOSED, 0};
    event = s_await (zpat_socket (client), ZPAT_EVENT_CONNECTED, skip);
    ck_assert_str_eq (event.endpoint, endpoint);
    s_expect (zpat_socket (client), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);
    ck_assert_int_eq (zpat_send_str (client, "two"), 0);
    text = zpat_recv_str (server);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "two");
    zpat_str_free (&text);
    stats = s_stats (zpat_socket (client));
    ck_assert_uint_eq (stats.peers, 1);
    ck_assert_uint_eq (stats.reconnects, 1);

    zpat_push_destroy (&client);
    zpat_pull_destroy (&server);
}
END_TEST

// The same with a REQ, whose request waits through the restart.
START_TEST (req_counts_one_reconnect)
{
    zpat_rep_t *server = zpat_rep_new ("tcp://127.0.0.1:*", &tu_opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (server), "zpat_rep_new", "tcp", endpoint);
    zpat_options_t opts = tu_opts;
    opts.reconnect_ivl_ms = 10;
    zpat_req_t *client = zpat_req_new (NULL, &opts);
    ck_assert_ptr_nonnull (client);
    ck_assert_int_eq (zpat_events_on (client), 0);
    ck_assert_int_eq (zpat_connect (client, endpoint), 0);
    s_expect (zpat_socket (client), ZPAT_EVENT_CONNECTED);
    s_expect (zpat_socket (client), ZPAT_EVENT_HANDSHAKE_SUCCEEDED);

    zpat_rep_destroy (&server);
    s_expect (zpat_socket (client), ZPAT_EVENT_DISCONNECTED);
    server = zpat_rep_new (endpoint, &tu_opts);
    ck_assert_msg (server, "bind %s again: %s", endpoint,
                   zpat_strerror (errno));
    ck_assert_int_eq (zpat_send_str (client, "ping"), 0);
    char *text = zpat_recv_str (server);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "ping");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_send_str (server, "pong"), 0);
    text = zpat_recv_str (client);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "pong");
    zpat_str_free (&text);

    const int skip[] = {ZPAT_EVENT_CONNECT_RETRIED, ZPAT_EVENT_CLOSED,
                        ZPAT_EVENT_HANDSHAKE_SUCCEEDED, 0};
    s_await (zpat_socket (client), ZPAT_EVENT_CONNECTED, skip);
    zpat_stats_t stats = s_stats (zpat_socket (client));
    ck_assert_uint_eq (stats.peers, 1);
    ck_assert_uint_eq (stats.reconnects, 1);
    zpat_req_destroy (&client);
    zpat_rep_destroy (&server);
}
END_TEST

// ---------------------------------------------------------------------------
// zpat_recv_event: timeouts, refusals, what is reported and what is not

START_TEST (recv_event_times_out)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("tcp", endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    zpat_event_t event;

    // No wait at all, spelled both ways.
    long long start = tu_now_ms ();
    FAILS_WITH (EAGAIN, zpat_recv_event (pull, &event, 0));
    FAILS_WITH (EAGAIN, zpat_recv_event (pull, &event, ZPAT_WAIT_NONE));
    ck_assert_int_lt (tu_now_ms () - start, 20 * tu_time_factor ());

    // 50 ms: no sooner, and not much later.
    start = tu_now_ms ();
    FAILS_WITH (EAGAIN, zpat_recv_event (pull, &event, 50));
    long long took = tu_now_ms () - start;
    ck_assert_int_ge (took, 49);
    ck_assert_int_lt (took, 50 + 200 * tu_time_factor ());

    // An event coming during the wait ends it.
    zpat_push_t *push = zpat_push_new (endpoint, &tu_opts);
    ck_assert_ptr_nonnull (push);
    ck_assert_int_eq (zpat_recv_event (pull, &event, ZPAT_WAIT_FOREVER), 0);
    ck_assert_int_eq (event.type, ZPAT_EVENT_ACCEPTED);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

START_TEST (recv_event_refuses_bad_calls)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("tcp", endpoint);
    zpat_event_t event;
    // Events not on (never, and after being turned off).
    FAILS_WITH (EINVAL, zpat_recv_event (pull, &event, 0));
    ck_assert_int_eq (zpat_events_on (pull), 0);
    ck_assert_int_eq (zpat_events_on (pull), 0); // twice does nothing
    FAILS_WITH (EINVAL, zpat_recv_event (pull, &event, -5));
    FAILS_WITH (EINVAL, zpat_recv_event (pull, NULL, 0));
    FAILS_WITH (EINVAL, zpat_socket_recv_event (NULL, &event, 0));
    FAILS_WITH (EINVAL, zpat_socket_events_on (NULL));
    FAILS_WITH (EINVAL, zpat_socket_events_off (NULL));
    FAILS_WITH (EAGAIN, zpat_recv_event (pull, &event, 0));
    ck_assert_int_eq (zpat_events_off (pull), 0);
    ck_assert_int_eq (zpat_events_off (pull), 0);
    FAILS_WITH (EINVAL, zpat_recv_event (pull, &event, 0));
    zpat_pull_destroy (&pull);

    // Off on an object that never had them on.
    zpat_push_t *push = zpat_push_new (NULL, &tu_opts);
    ck_assert_int_eq (zpat_events_off (push), 0);
    FAILS_WITH (EINVAL, zpat_recv_event (push, &event, 0));
    zpat_push_destroy (&push);
}
END_TEST

// Turning events off forgets those not yet received; events from before
// they were turned on are never reported.
START_TEST (events_off_forgets_and_on_starts_afresh)
{
    const char *transport = s_transports[_i];
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound (transport, endpoint);

    // A peer arrives before events are on: a message received from it
    // shows libzmq has handled its arrival.
    zpat_push_t *first = zpat_push_new (endpoint, &tu_opts);
    ck_assert_int_eq (zpat_send_str (first, "1"), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "1");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    s_expect_none (zpat_socket (pull));

    // One arrives while they are on, and events are turned off and on again
    // before they are received: forgotten.
    zpat_push_t *second = zpat_push_new (endpoint, &tu_opts);
    ck_assert_int_eq (zpat_send_str (second, "2"), 0);
    text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "2");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_events_off (pull), 0);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    s_expect_none (zpat_socket (pull));
    // The counters kept up meanwhile.
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 2);

    // What happens from now on is reported.
    zpat_push_destroy (&first);
    zpat_event_t event = s_expect (zpat_socket (pull), ZPAT_EVENT_DISCONNECTED);
    ck_assert_str_eq (event.endpoint, endpoint);
    s_expect_none (zpat_socket (pull));

    // And while off, nothing is kept: turned on again, nothing is waiting.
    ck_assert_int_eq (zpat_events_off (pull), 0);
    zpat_push_destroy (&second);
    s_await_peers (zpat_socket (pull), 0);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    s_expect_none (zpat_socket (pull));
    zpat_pull_destroy (&pull);
}
END_TEST

// libzmq reports no inproc:// events: an object attached only there, events
// on, waits out its timeout.
START_TEST (inproc_only_object_gets_no_events)
{
    char endpoint[TU_ENDPOINT_SIZE];
    zpat_pull_t *pull = s_pull_bound ("inproc", endpoint);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    zpat_push_t *push = zpat_push_new (NULL, &tu_opts);
    ck_assert_int_eq (zpat_events_on (push), 0);
    ck_assert_int_eq (zpat_connect (push, endpoint), 0);
    ck_assert_int_eq (zpat_send_str (push, "x"), 0);
    char *text = zpat_recv_str (pull);
    ck_assert_str_eq (text, "x");
    zpat_str_free (&text);

    zpat_event_t event;
    long long start = tu_now_ms ();
    FAILS_WITH (EAGAIN, zpat_recv_event (pull, &event, 30));
    ck_assert_int_ge (tu_now_ms () - start, 29);
    FAILS_WITH (EAGAIN, zpat_recv_event (push, &event, 0));
    zpat_push_destroy (&push);
    FAILS_WITH (EAGAIN, zpat_recv_event (pull, &event, 10));
    ck_assert_uint_eq (s_stats (zpat_socket (pull)).peers, 0);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// A failed bind

START_TEST (bind_failure_reports_its_errno)
{
    zpat_pull_t *holder = zpat_pull_new ("tcp://127.0.0.1:*", &tu_opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (holder), "zpat_pull_new", "tcp", endpoint);

    // libzmq 4.3.4 overwrites errno while it reports the failure to the
    // monitor: the caller still gets EADDRINUSE.
    NULL_WITH (EADDRINUSE, zpat_pull_new (endpoint, &tu_opts));
    NULL_WITH (EADDRINUSE, zpat_rep_new (endpoint, &tu_opts));

    zpat_pull_t *pull = zpat_pull_new (NULL, &tu_opts);
    ck_assert_ptr_nonnull (pull);
    ck_assert_int_eq (zpat_events_on (pull), 0);
    FAILS_WITH (EADDRINUSE, zpat_bind (pull, endpoint));
    zpat_event_t event;
    ck_assert_int_eq (zpat_recv_event (pull, &event, 0), 0);
    ck_assert_msg (event.type == ZPAT_EVENT_BIND_FAILED, "got %s",
                   s_name (event.type));
    ck_assert_int_eq (event.value, EADDRINUSE);
    ck_assert_str_eq (event.endpoint, endpoint);
    ck_assert_str_eq (event.peer, "");
    s_expect_none (zpat_socket (pull));

    // A second failure, on an object already attached over tcp://.
    char other[TU_ENDPOINT_SIZE];
    ck_assert_int_eq (zpat_bind (pull, "tcp://127.0.0.1:*"), 0);
    snprintf (other, sizeof other, "%s", zpat_endpoint (pull));
    FAILS_WITH (EADDRINUSE, zpat_bind (pull, endpoint));
    event = s_expect (zpat_socket (pull), ZPAT_EVENT_BIND_FAILED);
    ck_assert_int_eq (event.value, EADDRINUSE);
    ck_assert_str_eq (event.endpoint, endpoint);
    // The bind that worked is still there.
    ck_assert_str_eq (zpat_endpoint (pull), other);
    s_expect_none (zpat_socket (pull));

    // An ipc:// path that cannot be made.
    FAILS_WITH (ENOENT, zpat_bind (pull, "ipc:///nonexistent-zpat-dir/x"));
    event = s_expect (zpat_socket (pull), ZPAT_EVENT_BIND_FAILED);
    ck_assert_int_eq (event.value, ENOENT);
    ck_assert_str_eq (event.endpoint, "ipc:///nonexistent-zpat-dir/x");
    s_expect_none (zpat_socket (pull));
    zpat_pull_destroy (&pull);
    zpat_pull_destroy (&holder);
}
END_TEST

// ---------------------------------------------------------------------------
// Names

START_TEST (every_event_type_has_a_name)
{
    static const struct {
        int type;
        const char *name;
    } names[] = {
        {ZPAT_EVENT_CONNECTED, "CONNECTED"},
        {ZPAT_EVENT_CONNECT_RETRIED, "CONNECT_RETRIED"},
        {ZPAT_EVENT_ACCEPTED, "ACCEPTED"},
        {ZPAT_EVENT_DISCONNECTED, "DISCONNECTED"},
        {ZPAT_EVENT_BIND_FAILED, "BIND_FAILED"},
        {ZPAT_EVENT_CLOSED, "CLOSED"},
        {ZPAT_EVENT_HANDSHAKE_SUCCEEDED, "HANDSHAKE_SUCCEEDED"},
        {ZPAT_EVENT_HANDSHAKE_FAILED, "HANDSHAKE_FAILED"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_str_eq (zpat_event_name (names[i].type), names[i].name);
    const int unknown[] = {0,       -1,      ZPAT_EVENT_HANDSHAKE_FAILED + 1,
                           1 << 16, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *name = zpat_event_name (unknown[i]);
        ck_assert_ptr_nonnull (name);
        ck_assert_str_eq (name, "UNKNOWN");
    }
}
END_TEST

static Suite *
events_suite (void)
{
    Suite *suite = suite_create ("events");
    int transports = (int)(sizeof s_transports / sizeof s_transports[0]);
    TCase *tc = tcase_create ("peers");
    tcase_set_timeout (tc, 30);
    tcase_add_loop_test (tc, zpat_peer_arrives_and_leaves, 0, transports);
    tcase_add_test (tc, accepted_peer_is_the_connecting_address);
    tcase_add_test (tc, mechanism_mismatch_fails_the_handshake);
    tcase_add_loop_test (tc, pyzmq_peer_arrives_and_leaves, 0, transports);
    tcase_add_loop_test (tc, killed_peer_is_seen_to_leave, 0, transports);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("restart");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, client_sees_its_server_restart);
    tcase_add_test (tc, req_counts_one_reconnect);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("recv_event");
    tcase_add_test (tc, recv_event_times_out);
    tcase_add_test (tc, recv_event_refuses_bad_calls);
    tcase_add_loop_test (tc, events_off_forgets_and_on_starts_afresh, 0,
                         transports);
    tcase_add_test (tc, inproc_only_object_gets_no_events);
    tcase_add_test (tc, bind_failure_reports_its_errno);
    tcase_add_test (tc, every_event_type_has_a_name);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (int argc, char **argv)
{
    if (argc == 3 && strcmp (argv[1], "--peer") == 0)
        return s_run_peer (argv[2]);
    if (!realpath (argv[0], s_self))
        snprintf (s_self, sizeof s_self, "%s", argv[0]);
    return tu_run_suite (events_suite (), CK_FORK_GETENV);
}
