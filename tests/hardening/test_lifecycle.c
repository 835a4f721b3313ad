// test_lifecycle.c - Check suite: ending things never hangs or aborts.
// Destroying and exiting are bounded by the linger, zpat_shutdown () wakes
// blocked calls at once, running out of sockets or descriptors is an error
// (NULL + errno), and objects used after zpat_shutdown () say ZPAT_ETERM.
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// The linger the shutdown tests set, and the bound the brief allows on top
// of it. The assertion itself is looser (LOADED_MARGIN_MS), for loaded CI
// machines, and scaled by the time factor under valgrind; the figure
// measured is printed either way.
#define LINGER_MS 200
#define LINGER_SLACK_MS 50
#define LOADED_MARGIN_MS (1000 * hu_time_factor ())
#define QUEUED 1000

// How fast zpat_shutdown () must wake a blocked call, and the looser bound
// asserted (scaled by the time factor under valgrind).
#define WAKE_MS 100
#define WAKE_ASSERT_MS (1000 * hu_time_factor ())

// ---------------------------------------------------------------------------
// Peers that cannot be reached

// A loopback port nothing listens on: bind a socket to port 0 to have the
// kernel pick one, and close it.
static int
s_closed_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge (fd, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert_int_eq (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t size = sizeof addr;
    ck_assert_int_eq (getsockname (fd, (struct sockaddr *)&addr, &size), 0);
    close (fd);
    return ntohs (addr.sin_port);
}

// A black hole: a listening socket that never accepts. The kernel completes
// the TCP handshake, so libzmq sends its greeting and waits for an answer
// that never comes.
static int
s_black_hole (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge (fd, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert_int_eq (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq (listen (fd, 16), 0);
    socklen_t size = sizeof addr;
    ck_assert_int_eq (getsockname (fd, (struct sockaddr *)&addr, &size), 0);
    *port = ntohs (addr.sin_port);
    return fd;
}

static const char *const unreachable_names[] = {"closed port", "black hole"};

// A PUSH connected to an unreachable peer (_i: 0 closed port, 1 black hole)
// with QUEUED messages queued and a linger of LINGER_MS.
static zpat_push_t *
s_push_stuck (int kind, int *hole_fd)
{
    int port;
    *hole_fd = -1;
    if (kind == 0)
        port = s_closed_port ();
    else
        *hole_fd = s_black_hole (&port);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    zpat_options_t opts = {.linger_ms = LINGER_MS,
                           .send_hwm = 2 * QUEUED,
                           .send_timeout_ms = 1000};
    zpat_push_t *push = zpat_push_new (endpoint, &opts);
    ck_assert_msg (push, "PUSH to %s: %s", endpoint, zpat_strerror (errno));
    char payload[100];
    memset (payload, 'q', sizeof payload);
    for (int i = 0; i < QUEUED; i++)
        ck_assert_msg (zpat_send (push, payload, sizeof payload) == 0,
                       "queueing message %d: %s", i, zpat_strerror (errno));
    return push;
}

// Destroying the PUSH, then ending the context, together take at most the
// linger (plus LINGER_SLACK_MS, asserted with a loaded-machine margin).
START_TEST (shutdown_with_queue_to_unreachable_peer_is_bounded_by_linger)
{
    int hole;
    zpat_push_t *push = s_push_stuck (_i, &hole);
    double start = hu_now_ms ();
    zpat_push_destroy (&push);
    double destroyed = hu_now_ms ();
    zpat_shutdown ();
    double ended = hu_now_ms ();
    printf ("[figures] lifecycle: PUSH with %d messages queued to a %s, "
            "linger %d ms: destroy %.1f ms, then zpat_shutdown %.1f ms, "
            "total %.1f ms (target <= %d)\n",
            QUEUED, unreachable_names[_i], LINGER_MS, destroyed - start,
            ended - destroyed, ended - start, LINGER_MS + LINGER_SLACK_MS);
    ck_assert_ptr_null (push);
    ck_assert_msg (ended - start < LINGER_MS + LOADED_MARGIN_MS,
                   "destroy + shutdown took %.0f ms", ended - start);
    // The context is gone; a new object starts a fresh one.
    zpat_pull_t *pull = zpat_pull_new ("inproc://lifecycle-fresh", NULL);
    ck_assert_msg (pull, "new object after shutdown: %s",
                   zpat_strerror (errno));
    zpat_pull_destroy (&pull);
    if (hole >= 0)
        close (hole);
}
END_TEST

// Leaving the process with the PUSH still queued (destroyed or not) takes
// at most the linger: the child tells us when it calls exit (), and we time
// how long it takes to be gone.
START_TEST (exit_with_queue_to_unreachable_peer_is_bounded_by_linger)
{
    for (int destroy = 0; destroy < 2; destroy++) {
        int fds[2];
        ck_assert_int_eq (pipe (fds), 0);
        pid_t pid = fork ();
        ck_assert_int_ge (pid, 0);
        if (pid == 0) {
            close (fds[0]);
            int hole;
            zpat_push_t *push = s_push_stuck (_i, &hole);
            if (destroy)
                zpat_push_destroy (&push);
            char go = 'x';
            if (write (fds[1], &go, 1) != 1)
                _exit (2);
            exit (0);
        }
        close (fds[1]);
        char go;
        ck_assert_int_eq (read (fds[0], &go, 1), 1);
        double start = hu_now_ms ();
        int status;
        ck_assert_int_eq (waitpid (pid, &status, 0), pid);
        double took = hu_now_ms () - start;
        close (fds[0]);
        printf ("[figures] lifecycle: exit () with %d messages queued to a "
                "%s (%s), linger %d ms: %.1f ms (target <= %d)\n",
                QUEUED, unreachable_names[_i],
                destroy ? "PUSH destroyed" : "PUSH left open", LINGER_MS, took,
                LINGER_MS + LINGER_SLACK_MS);
        ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                       "child status %d", status);
        ck_assert_msg (took < LINGER_MS + LOADED_MARGIN_MS, "exit took %.0f ms",
                       took);
    }
}
END_TEST

// ---------------------------------------------------------------------------
// zpat_shutdown () wakes blocked calls

typedef enum {
    BLOCK_PULL_RECV,
    BLOCK_REQ_RECV,
    BLOCK_REP_RECV,
    BLOCK_SUB_RECV,
    BLOCK_PUSH_SEND,
    BLOCK_PUB_WAIT,
    BLOCKERS
} blocker_kind_t;

static const char *const blocker_names[] = {
    "PULL receive", "REQ receive", "REP receive",
    "SUB receive",  "PUSH send",   "PUB wait_subscriptions"};

typedef struct {
    blocker_kind_t kind;
    void *object; // made in the main thread, used by this one only
    pid_t tid;
    atomic_bool started;
    int rc, error;
    double woke_ms;
} blocker_t;

static void *
s_blocker (void *arg)
{
    blocker_t *self = arg;
    self->tid = hu_gettid ();
    atomic_store (&self->started, true);
    int rc = 0;
    switch (self->kind) {
    case BLOCK_PULL_RECV:
    case BLOCK_REQ_RECV:
    case BLOCK_REP_RECV:
    case BLOCK_SUB_RECV: {
        // The call zpat_recv_str (s) makes for each of these roles.
        char *got = zpat_socket_recv_str ((zpat_socket_t *)self->object);
        rc = got ? 0 : -1;
        zpat_str_free (&got);
        break;
    }
    case BLOCK_PUSH_SEND:
        // No peer, so no queue: a PUSH waits for one to appear.
        rc = zpat_send_str ((zpat_push_t *)self->object, "stuck");
        break;
    case BLOCK_PUB_WAIT:
        rc = zpat_pub_wait_subscriptions ((zpat_pub_t *)self->object, 1,
                                          ZPAT_WAIT_FOREVER);
        break;
    case BLOCKERS:
        break;
    }
    self->error = errno;
    self->rc = rc;
    self->woke_ms = hu_now_ms ();
    return NULL;
}

// One call of each kind blocked forever in its own thread; zpat_shutdown ()
// must wake all of them with -1/ZPAT_ETERM within WAKE_MS. _i = 1 runs the
// same after zpat_catch_signals (), which makes zpat poll a signal pipe
// alongside each socket.
START_TEST (shutdown_wakes_blocked_calls_with_eterm)
{
    if (_i == 1)
        ck_assert_int_eq (zpat_catch_signals (), 0);
    // Peers: a REP that never answers for the REQ, a PUB that never
    // publishes for the SUB. All waits are forever.
    zpat_rep_t *mute = zpat_rep_new ("inproc://lifecycle-mute", NULL);
    zpat_pub_t *quiet = zpat_pub_new ("inproc://lifecycle-quiet", NULL);
    ck_assert_ptr_nonnull (mute);
    ck_assert_ptr_nonnull (quiet);
    blocker_t blockers[BLOCKERS];
    memset (blockers, 0, sizeof blockers);
    blockers[BLOCK_PULL_RECV].object =
        zpat_pull_new ("inproc://lifecycle-pull", NULL);
    zpat_req_t *req = zpat_req_new ("inproc://lifecycle-mute", NULL);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "hello?"), 0);
    blockers[BLOCK_REQ_RECV].object = req;
    blockers[BLOCK_REP_RECV].object =
        zpat_rep_new ("inproc://lifecycle-rep", NULL);
    blockers[BLOCK_SUB_RECV].object =
        zpat_sub_new ("inproc://lifecycle-quiet", "", NULL);
    blockers[BLOCK_PUSH_SEND].object = zpat_push_new (NULL, NULL);
    blockers[BLOCK_PUB_WAIT].object =
        zpat_pub_new ("inproc://lifecycle-pub", NULL);
    pthread_t threads[BLOCKERS];
    for (int k = 0; k < BLOCKERS; k++) {
        ck_assert_msg (blockers[k].object, "%s: %s", blocker_names[k],
                       zpat_strerror (errno));
        blockers[k].kind = (blocker_kind_t)k;
        atomic_init (&blockers[k].started, false);
        ck_assert_int_eq (
            pthread_create (&threads[k], NULL, s_blocker, &blockers[k]), 0);
    }
    // Wait until every thread sleeps in its call: no fixed sleep.
    for (int k = 0; k < BLOCKERS; k++) {
        while (!atomic_load (&blockers[k].started))
            sched_yield ();
        ck_assert_msg (
            hu_thread_blocked (blockers[k].tid, 5000 * hu_time_factor ()),
            "%s never blocked", blocker_names[k]);
    }
    double start = hu_now_ms ();
    zpat_shutdown ();
    double worst = 0;
    for (int k = 0; k < BLOCKERS; k++) {
        pthread_join (threads[k], NULL);
        double took = blockers[k].woke_ms - start;
        if (took > worst)
            worst = took;
        printf ("[figures] lifecycle%s: zpat_shutdown woke a blocked %s in "
                "%.2f ms: rc %d, %s\n",
                _i ? " (signals caught)" : "", blocker_names[k], took,
                blockers[k].rc, zpat_strerror (blockers[k].error));
    }
    for (int k = 0; k < BLOCKERS; k++) {
        ck_assert_msg (blockers[k].rc == -1 && blockers[k].error == ZPAT_ETERM,
                       "%s returned %d, %s", blocker_names[k], blockers[k].rc,
                       zpat_strerror (blockers[k].error));
    }
    if (worst > WAKE_MS)
        printf ("[figures] lifecycle: NOTE slowest wake-up %.1f ms is over "
                "the %d ms target\n",
                worst, WAKE_MS);
    ck_assert_msg (worst < WAKE_ASSERT_MS, "slowest wake-up %.0f ms", worst);
    zpat_pull_destroy ((zpat_pull_t **)&blockers[BLOCK_PULL_RECV].object);
    zpat_req_destroy (&req);
    zpat_rep_destroy ((zpat_rep_t **)&blockers[BLOCK_REP_RECV].object);
    zpat_sub_destroy ((zpat_sub_t **)&blockers[BLOCK_SUB_RECV].object);
    zpat_push_destroy ((zpat_push_t **)&blockers[BLOCK_PUSH_SEND].object);
    zpat_pub_destroy ((zpat_pub_t **)&blockers[BLOCK_PUB_WAIT].object);
    zpat_rep_destroy (&mute);
    zpat_pub_destroy (&quiet);
}
END_TEST

// ---------------------------------------------------------------------------
// After zpat_shutdown ()

// Checks that a call failed with ZPAT_ETERM; a call that did not is noted
// in misses, so that one test reports every such call at once.
static char misses[2048];

static void
s_expect_eterm (bool failed, const char *call)
{
    if (failed && errno == ZPAT_ETERM)
        return;
    size_t used = strlen (misses);
    snprintf (misses + used, sizeof misses - used, "\n  %s: %s", call,
              failed ? zpat_strerror (errno) : "succeeded");
}

#define ASSERT_ETERM(call)                                                     \
    do {                                                                       \
        errno = 0;                                                             \
        s_expect_eterm ((call) == -1, #call);                                  \
    } while (0)

#define ASSERT_ETERM_NULL(call)                                                \
    do {                                                                       \
        errno = 0;                                                             \
        void *p_ = (call);                                                     \
        s_expect_eterm (p_ == NULL, #call);                                    \
    } while (0)

// Every verb on every role fails with ZPAT_ETERM after zpat_shutdown (), as
// do constructors while the old objects live; once they are all destroyed,
// a new object works.
START_TEST (objects_used_after_shutdown_fail_with_eterm)
{
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", NULL);
    ck_assert_ptr_nonnull (rep);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (rep));
    zpat_req_t *req = zpat_req_new (endpoint, NULL);
    zpat_pub_t *pub = zpat_pub_new ("inproc://lifecycle-eterm-pub", NULL);
    zpat_sub_t *sub = zpat_sub_new ("inproc://lifecycle-eterm-pub", "", NULL);
    zpat_pull_t *pull = zpat_pull_new ("inproc://lifecycle-eterm-pull", NULL);
    zpat_push_t *push = zpat_push_new ("inproc://lifecycle-eterm-pull", NULL);
    ck_assert (req && pub && sub && pull && push);
    // A message in flight, to show that even a ready receive says ETERM.
    ck_assert_int_eq (zpat_send_str (push, "queued"), 0);
    zpat_shutdown ();
    char buf[16];
    zpat_msg_t *msg = zpat_msg_new ();
    ck_assert_ptr_nonnull (msg);

    ASSERT_ETERM (zpat_send_str (req, "x"));
    ASSERT_ETERM (zpat_send (push, "x", 1));
    ASSERT_ETERM (zpat_sendf (pub, "%d", 1));
    ASSERT_ETERM (zpat_pub_send_topic (pub, "t", "x", 1));
    ASSERT_ETERM (zpat_recv (pull, buf, sizeof buf));
    ASSERT_ETERM (zpat_recv_msg (sub, msg));
    ASSERT_ETERM_NULL (zpat_recv_str (rep));
    ASSERT_ETERM (zpat_pub_wait_subscriptions (pub, 1, 100));
    ASSERT_ETERM (zpat_bind (pull, "inproc://lifecycle-eterm-more"));
    ASSERT_ETERM (zpat_connect (push, "inproc://lifecycle-eterm-more"));
    ASSERT_ETERM (zpat_sub_subscribe (sub, "more"));
    ASSERT_ETERM (zpat_set_recv_timeout_ms (pull, 5));
    ASSERT_ETERM (zpat_set_linger_ms (push, 5));
    ASSERT_ETERM_NULL (zpat_pull_new ("inproc://lifecycle-eterm-new", NULL));
    ASSERT_ETERM_NULL (zpat_req_new (NULL, NULL));
    // Once more, now that libzmq has surely seen the end of its context.
    ASSERT_ETERM (zpat_send (push, "x", 1));
    ASSERT_ETERM (zpat_send_str (req, "x"));
    if (misses[0])
        printf ("[figures] lifecycle: calls after zpat_shutdown that did not "
                "fail with ZPAT_ETERM:%s\n",
                misses);

    zpat_msg_destroy (&msg);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
    zpat_sub_destroy (&sub);
    zpat_pub_destroy (&pub);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    ck_assert (!req && !rep && !sub && !pub && !push && !pull);
    ck_assert_msg (!misses[0], "after zpat_shutdown ():%s", misses);

    // A fresh context: a whole exchange works again.
    pull = zpat_pull_new ("inproc://lifecycle-eterm-again", NULL);
    push = zpat_push_new ("inproc://lifecycle-eterm-again", NULL);
    ck_assert_msg (pull && push, "after shutdown: %s", zpat_strerror (errno));
    ck_assert_int_eq (zpat_send_str (push, "again"), 0);
    char *got = zpat_recv_str (pull);
    ck_assert_ptr_nonnull (got);
    ck_assert_str_eq (got, "again");
    zpat_str_free (&got);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Running out

#define MAX_TRY 20000

// Makes an object of role (index % 6) with no endpoint.
static void *
s_new_any (int index)
{
    switch (index % 6) {
    case 0:
        return zpat_req_new (NULL, NULL);
    case 1:
        return zpat_rep_new (NULL, NULL);
    case 2:
        return zpat_pub_new (NULL, NULL);
    case 3:
        return zpat_sub_new (NULL, NULL, NULL);
    case 4:
        return zpat_push_new (NULL, NULL);
    default:
        return zpat_pull_new (NULL, NULL);
    }
}

static void
s_destroy_any (int index, void **object)
{
    switch (index % 6) {
    case 0:
        zpat_req_destroy ((zpat_req_t **)object);
        break;
    case 1:
        zpat_rep_destroy ((zpat_rep_t **)object);
        break;
    case 2:
        zpat_pub_destroy ((zpat_pub_t **)object);
        break;
    case 3:
        zpat_sub_destroy ((zpat_sub_t **)object);
        break;
    case 4:
        zpat_push_destroy ((zpat_push_t **)object);
        break;
    default:
        zpat_pull_destroy ((zpat_pull_t **)object);
        break;
    }
}

// After every object is destroyed, a new one works: at once, or (libzmq
// frees a socket's slot in its reaper thread) within two seconds. Returns
// the milliseconds it took, printing whether it was at once.
static double
s_new_works_again (const char *what)
{
    double start = hu_now_ms ();
    int refusals = 0;
    zpat_pull_t *pull = NULL;
    while (!pull && hu_now_ms () - start < 2000) {
        pull = zpat_pull_new ("tcp://127.0.0.1:*", NULL);
        if (!pull) {
            ck_assert_msg (errno == EMFILE || errno == ENFILE,
                           "new after %s: %s", what, zpat_strerror (errno));
            refusals++;
            sched_yield ();
        }
    }
    double took = hu_now_ms () - start;
    ck_assert_msg (pull, "no new object 2 s after %s", what);
    // The reaper may still be freeing slots: the second object gets the
    // same bounded patience as the first.
    zpat_push_t *push = NULL;
    while (!push && hu_now_ms () - start < 4000) {
        push = zpat_push_new (zpat_endpoint (pull), NULL);
        if (!push) {
            ck_assert_msg (errno == EMFILE || errno == ENFILE,
                           "second new after %s: %s", what,
                           zpat_strerror (errno));
            sched_yield ();
        }
    }
    ck_assert_msg (push, "no second object 4 s after %s", what);
    ck_assert_int_eq (zpat_send_str (push, "alive"), 0);
    char *got = zpat_recv_str (pull);
    ck_assert_ptr_nonnull (got);
    ck_assert_str_eq (got, "alive");
    zpat_str_free (&got);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    printf ("[figures] lifecycle: after %s, a new object worked %s (%d "
            "refusals, %.1f ms)\n",
            what, refusals ? "after a wait" : "at once", refusals, took);
    return took;
}

// Objects of every role until libzmq's socket limit: NULL with EMFILE,
// never an abort; then all destroyed and a new one works.
START_TEST (creating_sockets_until_refused_gives_emfile)
{
    if (hu_under_valgrind ()) {
        printf ("[figures] lifecycle: %s skipped under valgrind (it "
                "reserves descriptors and moves the limit)\n",
                "creating_sockets_until_refused_gives_emfile");
        return;
    }
    void **objects = calloc (MAX_TRY, sizeof *objects);
    ck_assert_ptr_nonnull (objects);
    int made = 0;
    while (made < MAX_TRY) {
        objects[made] = s_new_any (made);
        if (!objects[made])
            break;
        made++;
    }
    int error = errno;
    printf ("[figures] lifecycle: %d sockets made, then NULL with %s\n", made,
            zpat_strerror (error));
    ck_assert_int_lt (made, MAX_TRY);
    ck_assert_int_gt (made, 0);
    ck_assert_msg (error == EMFILE, "refused with %s, expected EMFILE",
                   zpat_strerror (error));
    // A second refusal is the same, and changes nothing.
    ck_assert_ptr_null (s_new_any (0));
    ck_assert_int_eq (errno, EMFILE);
    for (int i = 0; i < made; i++)
        s_destroy_any (i, &objects[i]);
    free (objects);
    s_new_works_again ("the socket limit");
}
END_TEST

// The number of descriptors this process has open.
static int
s_open_fds (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    ck_assert_ptr_nonnull (dir);
    int count = 0;
    while (readdir (dir))
        count++;
    closedir (dir);
    return count - 3; // ".", ".." and the directory's own descriptor
}

static double
s_cpu_ms (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0 +
           usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

// The copies of stdin that fill the descriptor table.
typedef struct {
    int fds[64];
    int count;
    struct rlimit old;
} filler_t;

// Lowers RLIMIT_NOFILE and fills every descriptor below it but free ones
// with copies of stdin.
static void
s_fill_descriptors (filler_t *self, int free)
{
    ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &self->old), 0);
    struct rlimit low = self->old;
    low.rlim_cur = (rlim_t)s_open_fds () + 32;
    ck_assert_int_eq (setrlimit (RLIMIT_NOFILE, &low), 0);
    self->count = 0;
    while (self->count < 64) {
        int fd = fcntl (0, F_DUPFD, 0);
        if (fd == -1)
            break;
        self->fds[self->count++] = fd;
    }
    ck_assert_int_eq (errno, EMFILE);
    for (int i = 0; i < free; i++)
        close (self->fds[--self->count]);
}

// Closes the copies (only ours: libzmq's descriptors are not touched) and
// restores the limit.
static void
s_release_descriptors (filler_t *self)
{
    while (self->count > 0)
        close (self->fds[--self->count]);
    ck_assert_int_eq (setrlimit (RLIMIT_NOFILE, &self->old), 0);
}

// Binding, or making a bound object, with no descriptor (or one) to spare:
// -1 or NULL with EMFILE, never an abort. libzmq 4.3.4 looks a bind address
// up as an interface name first (getifaddrs, which needs a socket) and
// errno_asserts when that fails (bugs.md, H6).
static const struct {
    const char *endpoint;
    bool make; // zpat_pull_new (endpoint) rather than zpat_bind on an object
    int free;  // descriptors left free
} no_fd_cases[] = {
    {"tcp://127.0.0.1:*", false, 0},
    {"tcp://127.0.0.1:*", true, 0},
    {"tcp://127.0.0.1:*", true, 1},
    {"tcp://lo:*", false, 0},
    {"tcp://*:*", false, 0},
    {"tcp://*:*", true, 1},
    {"ipc:///tmp/zpat-h6-nofd", false, 0},
};
#define NO_FD_CASES ((int)(sizeof no_fd_cases / sizeof no_fd_cases[0]))

START_TEST (no_descriptor_left_gives_emfile_not_abort)
{
    if (hu_under_valgrind ()) {
        printf ("[figures] lifecycle: %s skipped under valgrind (it "
                "reserves descriptors and moves the limit)\n",
                "no_descriptor_left_gives_emfile_not_abort");
        return;
    }
    const char *endpoint = no_fd_cases[_i].endpoint;
    zpat_pull_t *pull = NULL;
    if (!no_fd_cases[_i].make) {
        pull = zpat_pull_new (NULL, NULL);
        ck_assert_ptr_nonnull (pull);
    } else {
        // Start the context first, as a running program would have.
        zpat_push_t *started = zpat_push_new (NULL, NULL);
        ck_assert_ptr_nonnull (started);
        zpat_push_destroy (&started);
    }
    // Said first: an abort leaves no other trace.
    printf ("[figures] lifecycle: %s %s with %d descriptor(s) free...\n",
            no_fd_cases[_i].make ? "zpat_pull_new" : "zpat_bind", endpoint,
            no_fd_cases[_i].free);
    filler_t filler;
    s_fill_descriptors (&filler, no_fd_cases[_i].free);
    errno = 0;
    int rc;
    zpat_pull_t *made = NULL;
    if (no_fd_cases[_i].make) {
        made = zpat_pull_new (endpoint, NULL);
        rc = made ? 0 : -1;
    } else
        rc = zpat_bind (pull, endpoint);
    int error = errno;
    s_release_descriptors (&filler);
    printf ("[figures] lifecycle: ... %s\n",
            rc == 0 ? "worked" : zpat_strerror (error));
    // The promise is "an error, never an abort". libzmq closes a destroyed
    // socket's descriptors in its reaper thread, so one may come free after
    // the filling: then the call may work, which is fine too.
    ck_assert_msg (rc == 0 || error == EMFILE || error == ENFILE,
                   "%s: rc %d, %s", endpoint, rc, zpat_strerror (error));
    zpat_pull_destroy (&made);
    zpat_pull_destroy (&pull);
    s_new_works_again ("running out of descriptors");
}
END_TEST

#define KNOCKERS 8

// Peers connecting to a bound PULL while the process has no descriptor to
// accept them with wait in the kernel's backlog, and get in and are served
// once descriptors are free again. The CPU the process burns meanwhile is
// printed (libzmq's listener retries accept ()).
START_TEST (peers_wait_while_out_of_descriptors)
{
    if (hu_under_valgrind ()) {
        printf ("[figures] lifecycle: %s skipped under valgrind (it "
                "reserves descriptors and moves the limit)\n",
                "peers_wait_while_out_of_descriptors");
        return;
    }
    zpat_pull_t *pull = zpat_pull_new ("tcp://127.0.0.1:*", NULL);
    ck_assert_ptr_nonnull (pull);
    int port = hu_tcp_port (zpat_endpoint (pull));
    int knockers[KNOCKERS];
    for (int k = 0; k < KNOCKERS; k++) {
        knockers[k] = socket (AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge (knockers[k], 0);
    }
    filler_t filler;
    s_fill_descriptors (&filler, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t)port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    for (int k = 0; k < KNOCKERS; k++)
        ck_assert_int_eq (
            connect (knockers[k], (struct sockaddr *)&addr, sizeof addr), 0);
    // A measurement window, not a wait for an event.
    double cpu_before = s_cpu_ms ();
    struct timespec window = {0, 300 * 1000000};
    nanosleep (&window, NULL);
    double cpu = s_cpu_ms () - cpu_before;
    s_release_descriptors (&filler);
    printf ("[figures] lifecycle: CPU used in 300 ms while %d connections "
            "waited for a descriptor: %.0f ms\n",
            KNOCKERS, cpu);
    zpat_set_recv_timeout_ms (pull, 5000);
    for (int k = 0; k < KNOCKERS; k++) {
        struct timeval tv = {5, 0};
        setsockopt (knockers[k], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ck_assert_msg (hu_handshake (knockers[k], "PUSH") == 0,
                       "knocker %d was never served", k);
        ck_assert_int_eq (hu_send_frame (knockers[k], "in", 2, 0), 0);
        char buf[8];
        ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), 2);
        close (knockers[k]);
    }
    zpat_pull_destroy (&pull);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("lifecycle");

    TCase *linger = tcase_create ("linger");
    tcase_set_timeout (linger, 30);
    tcase_add_loop_test (
        linger, shutdown_with_queue_to_unreachable_peer_is_bounded_by_linger, 0,
        2);
    tcase_add_loop_test (
        linger, exit_with_queue_to_unreachable_peer_is_bounded_by_linger, 0, 2);
    suite_add_tcase (suite, linger);

    TCase *shutdown = tcase_create ("shutdown");
    tcase_set_timeout (shutdown, 30);
    tcase_add_loop_test (shutdown, shutdown_wakes_blocked_calls_with_eterm, 0,
                         2);
    tcase_add_test (shutdown, objects_used_after_shutdown_fail_with_eterm);
    suite_add_tcase (suite, shutdown);

    TCase *limits = tcase_create ("limits");
    tcase_set_timeout (limits, 60);
    tcase_add_test (limits, creating_sockets_until_refused_gives_emfile);
    tcase_add_loop_test (limits, no_descriptor_left_gives_emfile_not_abort, 0,
                         NO_FD_CASES);
    tcase_add_test (limits, peers_wait_while_out_of_descriptors);
    suite_add_tcase (suite, limits);
    return suite;
}

int
main (void)
{
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
