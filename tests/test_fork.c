// test_fork.c - fork (): the child's first new object starts a context of
// its own, objects it inherited fail every call with ZPAT_EFORKED, and
// nothing the child does to them, nor its exit, disturbs the parent's
// sockets and connections. The pre-fork server: a parent's REP serves
// children that connect to it as any other peer would.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// How long a receive that must succeed may wait, and how long a child may
// take to finish: generous bounds, scaled under valgrind.
#define RECV_TIMEOUT_MS (10000 * tu_time_factor ())
#define CHILD_LIMIT_MS (30000LL * tu_time_factor ())
// How long after a signal a blocked call may take to return.
#define WAKE_LIMIT_MS (100 * tu_time_factor ())

static void
s_pause_ms (long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep (&pause, NULL);
}

// ---------------------------------------------------------------------------
// Children. A child must not use Check's assertions (they would report into
// the parent's test as if the parent had failed, or not at all): it checks
// with CHILD_CHECK, which writes what failed into a pipe and ends the
// child's work with status 1; the parent reads the pipe after waitpid ().

typedef struct {
    pid_t pid;
    int report_fd; // the parent's read end
} child_t;

// The child's write end, in the child.
static int s_report_fd = -1;

static void
s_report (int line, const char *format, ...)
{
    char text[512];
    int used = snprintf (text, sizeof text,
                         "child %ld, line %d: ", (long)getpid (), line);
    va_list args;
    va_start (args, format);
    vsnprintf (text + used, sizeof text - (size_t)used, format, args);
    va_end (args);
    size_t size = strlen (text);
    if (s_report_fd >= 0 && write (s_report_fd, text, size) < 0) {
        // The parent reads the status anyway.
    }
}

#define CHILD_CHECK(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            s_report (__LINE__, __VA_ARGS__);                                  \
            return 1;                                                          \
        }                                                                      \
    } while (0)

// Checks that call, made in the child on an inherited object, failed with
// ZPAT_EFORKED (ok is the call's "it failed" test).
#define CHILD_FORKED(ok, what)                                                 \
    CHILD_CHECK ((ok) && errno == ZPAT_EFORKED,                                \
                 "%s on an inherited object: %s", what,                        \
                 (ok) ? zpat_strerror (errno) : "succeeded")

// Waits (bounded, and carrying on regardless) until every other thread of
// this process, libzmq's among them, has been seen asleep 20 times in a
// row, 1 ms apart. A child inherits only the forking thread: a lock that
// another thread held at fork () stays held in the child for good. glibc
// and zpat take care of theirs, but AddressSanitizer's allocator (gcc 12)
// does not, and a libzmq thread that was allocating at that instant leaves
// every thread the child starts stuck at its first allocation. Idle
// threads hold no such lock.
static void
s_quiesce (void)
{
    long self = (long)syscall (SYS_gettid);
    long long deadline = tu_now_ms () + 2000LL * tu_time_factor ();
    int quiet = 0;
    while (quiet < 20 && tu_now_ms () < deadline) {
        bool all = true;
        DIR *tasks = opendir ("/proc/self/task");
        struct dirent *entry;
        while (tasks && all && (entry = readdir (tasks))) {
            long tid = atol (entry->d_name);
            if (tid > 0 && tid != self && !tu_thread_sleeps (tid))
                all = false;
        }
        if (tasks)
            closedir (tasks);
        quiet = all ? quiet + 1 : 0;
        s_pause_ms (1);
    }
}

typedef int (child_fn) (void *arg);

// Forks a child that runs fn (arg) and then ends with its result, through
// _exit () (use_exit false) or exit () (true: the exit handlers run in the
// child, zpat's and czmq's included).
static child_t
s_spawn (child_fn *fn, void *arg, bool use_exit)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    fflush (NULL); // or exit () in the child would write stdio twice
    s_quiesce ();
    pid_t pid = fork ();
    ck_assert_int_ne (pid, -1);
    if (pid == 0) {
        close (fds[0]);
        s_report_fd = fds[1];
        int rc = fn (arg);
        if (use_exit)
            exit (rc);
        _exit (rc);
    }
    close (fds[1]);
    return (child_t){.pid = pid, .report_fd = fds[0]};
}

// Waits (bounded) for the child, and fails the test, with what the child
// reported, unless it exited with status 0.
static void
s_reap (child_t *child)
{
    long long deadline = tu_now_ms () + CHILD_LIMIT_MS;
    int status = 0;
    pid_t done;
    while ((done = waitpid (child->pid, &status, WNOHANG)) == 0 &&
           tu_now_ms () < deadline)
        s_pause_ms (2);
    bool hung = done != child->pid;
    if (hung) {
        kill (child->pid, SIGKILL);
        waitpid (child->pid, &status, 0);
    }
    char text[600] = "";
    fcntl (child->report_fd, F_SETFL, O_NONBLOCK);
    ssize_t size = read (child->report_fd, text, sizeof text - 1);
    text[size > 0 ? size : 0] = 0;
    close (child->report_fd);
    child->report_fd = -1;
    ck_assert_msg (!hung, "child %ld still running after %lld ms %s",
                   (long)child->pid, CHILD_LIMIT_MS, text);
    ck_assert_msg (!WIFSIGNALED (status), "child %ld died of %s %s",
                   (long)child->pid, strsignal (WTERMSIG (status)), text);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "child %ld ended with status %d: %s", (long)child->pid,
                   WEXITSTATUS (status), text[0] ? text : "(no report)");
}

// ---------------------------------------------------------------------------
// The pre-fork server

static const char *const s_transports[] = {"tcp", "ipc"};

typedef struct {
    int number;
    const char *endpoint; // the parent's REP
    zpat_rep_t *rep;      // inherited
    zpat_req_t *req;      // inherited, connected to rep
    bool leave_alive;     // destroy nothing before leaving (exit () case)
} server_child_t;

static int
s_server_child (void *arg)
{
    server_child_t *self = arg;
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    zpat_req_t *req = zpat_req_new (self->endpoint, &opts);
    CHILD_CHECK (req, "req_new in the child: %s", zpat_strerror (errno));
    char request[32];
    snprintf (request, sizeof request, "child %d", self->number);
    CHILD_CHECK (zpat_send_str (req, request) == 0, "send: %s",
                 zpat_strerror (errno));
    char *reply = zpat_recv_str (req);
    CHILD_CHECK (reply, "no reply to \"%s\": %s", request,
                 zpat_strerror (errno));
    CHILD_CHECK (strcmp (reply, request) == 0, "reply \"%s\" to \"%s\"", reply,
                 request);
    zpat_str_free (&reply);

    // The inherited REP is the parent's: it fails at once.
    errno = 0;
    char *text = zpat_recv_str (self->rep);
    CHILD_FORKED (!text, "recv_str");
    errno = 0;
    CHILD_FORKED (zpat_send_str (self->req, "from the child") == -1,
                  "send_str");
    if (self->leave_alive)
        return 0; // exit () with the inherited objects and its own REQ
    zpat_req_destroy (&req);
    zpat_rep_destroy (&self->rep);
    CHILD_CHECK (!self->rep, "rep_destroy left the pointer set");
    zpat_req_destroy (&self->req);
    CHILD_CHECK (!self->req, "req_destroy left the pointer set");
    return 0;
}

// One request-reply exchange between req and rep, on whatever connection
// they have.
static void
s_exchange (zpat_req_t *req, zpat_rep_t *rep, const char *text)
{
    ck_assert_msg (zpat_send_str (req, text) == 0, "send \"%s\": %s", text,
                   zpat_strerror (errno));
    char *request = zpat_recv_str (rep);
    ck_assert_msg (request, "the REP did not get \"%s\": %s", text,
                   zpat_strerror (errno));
    ck_assert_str_eq (request, text);
    ck_assert_int_eq (zpat_send_str (rep, request), 0);
    zpat_str_free (&request);
    char *reply = zpat_recv_str (req);
    ck_assert_msg (reply, "no reply to \"%s\": %s", text,
                   zpat_strerror (errno));
    ck_assert_str_eq (reply, text);
    zpat_str_free (&reply);
}

// _i: the transport (bit 0) and whether the children leave through exit ()
// with every object alive (bit 1) or destroy what they inherited and
// _exit ().
START_TEST (prefork_server_serves_its_children)
{
    const char *transport = s_transports[_i & 1];
    bool use_exit = _i & 2;
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    char endpoint[128];
    zpat_rep_t *rep = zpat_rep_new (
        tu_endpoint (endpoint, sizeof endpoint, transport), &opts);
    ck_assert_msg (rep, "rep on %s: %s", endpoint, zpat_strerror (errno));
    snprintf (endpoint, sizeof endpoint, "%s", zpat_endpoint (rep));
    // A connection made before the fork, which the children inherit.
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    ck_assert_ptr_nonnull (req);
    s_exchange (req, rep, "before the fork");

    server_child_t args[2];
    child_t children[2];
    for (int n = 0; n < 2; n++) {
        args[n] = (server_child_t){.number = n,
                                   .endpoint = endpoint,
                                   .rep = rep,
                                   .req = req,
                                   .leave_alive = use_exit};
        children[n] = s_spawn (s_server_child, &args[n], use_exit);
    }
    // Serve both children: each request is answered with itself.
    bool seen[2] = {false, false};
    for (int served = 0; served < 2; served++) {
        char *request = zpat_recv_str (rep);
        if (!request) {
            int error = errno;
            s_reap (&children[0]); // reports what a child said, if anything
            s_reap (&children[1]);
            ck_abort_msg ("request %d never came: %s", served + 1,
                          zpat_strerror (error));
        }
        int number = -1;
        ck_assert_msg (sscanf (request, "child %d", &number) == 1 &&
                           number >= 0 && number < 2 && !seen[number],
                       "unexpected request \"%s\"", request);
        seen[number] = true;
        ck_assert_int_eq (zpat_send_str (rep, request), 0);
        zpat_str_free (&request);
    }
    s_reap (&children[0]);
    s_reap (&children[1]);

    // The parent's REP, and the connection made before the fork, still
    // work; so does a new connection (over ipc:// the path is still there).
    s_exchange (req, rep, "after the children");
    zpat_req_t *third = zpat_req_new (endpoint, &opts);
    ck_assert_ptr_nonnull (third);
    s_exchange (third, rep, "a third requester");
    s_exchange (req, rep, "and the first again");
    zpat_req_destroy (&third);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
}
END_TEST

// ---------------------------------------------------------------------------
// Every call on an inherited object

typedef struct {
    zpat_req_t *req;
    zpat_rep_t *rep;
    zpat_pub_t *pub;
    zpat_sub_t *sub;
    zpat_push_t *push;
    zpat_pull_t *pull;
    zpat_msg_t *msg; // holds one frame
} family_t;

static family_t
s_family_new (void)
{
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    family_t f;
    f.rep = zpat_rep_new ("tcp://127.0.0.1:*", &opts);
    ck_assert_ptr_nonnull (f.rep);
    f.req = zpat_req_new (zpat_endpoint (f.rep), &opts);
    f.pub = zpat_pub_new ("tcp://127.0.0.1:*", &opts);
    ck_assert_ptr_nonnull (f.pub);
    f.sub = zpat_sub_new (zpat_endpoint (f.pub), "topic", &opts);
    f.pull = zpat_pull_new ("tcp://127.0.0.1:*", &opts);
    ck_assert_ptr_nonnull (f.pull);
    f.push = zpat_push_new (zpat_endpoint (f.pull), &opts);
    f.msg = zpat_msg_new ();
    ck_assert (f.req && f.sub && f.push && f.msg);
    ck_assert_int_eq (zpat_msg_add_str (f.msg, "frame"), 0);
    // Traffic on every connection, so that each is up before the fork.
    s_exchange (f.req, f.rep, "hello");
    ck_assert_int_eq (zpat_pub_wait_subscriptions (f.pub, 1, RECV_TIMEOUT_MS),
                      1);
    ck_assert_int_eq (zpat_send_str (f.push, "pushed"), 0);
    char *text = zpat_recv_str (f.pull);
    ck_assert_str_eq (text, "pushed");
    zpat_str_free (&text);
    return f;
}

static void
s_family_destroy (family_t *f)
{
    zpat_req_destroy (&f->req);
    zpat_rep_destroy (&f->rep);
    zpat_pub_destroy (&f->pub);
    zpat_sub_destroy (&f->sub);
    zpat_push_destroy (&f->push);
    zpat_pull_destroy (&f->pull);
    zpat_msg_destroy (&f->msg);
}

// The parent's objects all still work.
static void
s_family_works (family_t *f)
{
    s_exchange (f->req, f->rep, "still here");
    ck_assert_int_eq (zpat_send_str (f->push, "pushed again"), 0);
    char *text = zpat_recv_str (f->pull);
    ck_assert_msg (text, "pull: %s", zpat_strerror (errno));
    ck_assert_str_eq (text, "pushed again");
    zpat_str_free (&text);
    ck_assert_int_eq (zpat_pub_subscriptions (f->pub), 1);
    ck_assert_int_eq (zpat_pub_send_topic (f->pub, "topic", "data", 4), 0);
    char *topic = NULL, *payload = NULL;
    ck_assert_int_eq (zpat_sub_recv_topic (f->sub, &topic, &payload), 4);
    ck_assert_str_eq (topic, "topic");
    ck_assert_str_eq (payload, "data");
    zpat_str_free (&topic);
    zpat_str_free (&payload);
}

// A PUSH and a PULL made in the child exchange a message over inproc://,
// under a name the parent also uses: the child's context is its own.
static int
s_child_fresh_pair (const char *inproc)
{
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    zpat_pull_t *pull = zpat_pull_new (inproc, &opts);
    CHILD_CHECK (pull, "pull_new %s in the child: %s", inproc,
                 zpat_strerror (errno));
    zpat_push_t *push = zpat_push_new (inproc, &opts);
    CHILD_CHECK (push, "push_new in the child: %s", zpat_strerror (errno));
    CHILD_CHECK (zpat_send_str (push, "in the child") == 0, "send: %s",
                 zpat_strerror (errno));
    char *text = zpat_recv_str (pull);
    CHILD_CHECK (text && strcmp (text, "in the child") == 0, "recv: %s",
                 text ? text : zpat_strerror (errno));
    zpat_str_free (&text);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    return 0;
}

typedef struct {
    family_t *family;
    const char *inproc; // bound by the parent too
} every_call_t;

static int
s_every_call_child (void *arg)
{
    every_call_t *self = arg;
    family_t *f = self->family;
    char buf[64];
    zpat_options_t opts;
    zpat_frame_t frame = {"x", 1};

    errno = 0;
    CHILD_FORKED (zpat_send (f->push, "x", 1) == -1, "send");
    errno = 0;
    CHILD_FORKED (zpat_send_str (f->push, "x") == -1, "send_str");
    errno = 0;
    CHILD_FORKED (zpat_sendf (f->push, "%d", 1) == -1, "sendf");
    errno = 0;
    CHILD_FORKED (zpat_send_frames (f->push, &frame, 1) == -1, "send_frames");
    errno = 0;
    CHILD_FORKED (zpat_send_msg (f->push, f->msg) == -1, "send_msg");
    CHILD_CHECK (zpat_msg_count (f->msg) == 1, "a failed send_msg took frames");
    errno = 0;
    CHILD_FORKED (zpat_recv (f->pull, buf, sizeof buf) == -1, "recv");
    errno = 0;
    CHILD_FORKED (zpat_recv_str (f->pull) == NULL, "recv_str");
    errno = 0;
    CHILD_FORKED (zpat_recv_msg (f->pull, f->msg) == -1, "recv_msg");
    CHILD_CHECK (zpat_msg_count (f->msg) == 1, "a failed recv_msg changed msg");
    errno = 0;
    CHILD_FORKED (zpat_discard (f->pull) == -1, "discard");
    errno = 0;
    CHILD_FORKED (zpat_bind (f->pull, "tcp://127.0.0.1:*") == -1, "bind");
    errno = 0;
    CHILD_FORKED (zpat_connect (f->push, "inproc://zpat-fork-nowhere") == -1,
                  "connect");
    errno = 0;
    CHILD_FORKED (zpat_endpoint (f->pull) == NULL, "endpoint");
    errno = 0;
    CHILD_FORKED (zpat_handle (f->pull) == NULL, "handle");
    errno = 0;
    CHILD_FORKED (zpat_get_options (f->pull, &opts) == -1, "get_options");
    errno = 0;
    CHILD_FORKED (zpat_set_send_timeout_ms (f->push, 5) == -1,
                  "set_send_timeout_ms");
    errno = 0;
    CHILD_FORKED (zpat_set_recv_timeout_ms (f->pull, 5) == -1,
                  "set_recv_timeout_ms");
    errno = 0;
    CHILD_FORKED (zpat_set_send_hwm (f->push, 5) == -1, "set_send_hwm");
    errno = 0;
    CHILD_FORKED (zpat_set_recv_hwm (f->pull, 5) == -1, "set_recv_hwm");
    errno = 0;
    CHILD_FORKED (zpat_set_linger_ms (f->push, 5) == -1, "set_linger_ms");
    errno = 0;
    CHILD_FORKED (zpat_set_max_msg_bytes (f->pull, 5) == -1,
                  "set_max_msg_bytes");
    errno = 0;
    CHILD_FORKED (zpat_set_reconnect_ivl_ms (f->push, 5) == -1,
                  "set_reconnect_ivl_ms");
    errno = 0;
    CHILD_FORKED (zpat_set_ipv6 (f->push, 1) == -1, "set_ipv6");
    errno = 0;
    CHILD_FORKED (zpat_send_str (f->req, "x") == -1, "req send_str");
    errno = 0;
    CHILD_FORKED (zpat_recv_str (f->req) == NULL, "req recv_str");
    errno = 0;
    CHILD_FORKED (zpat_recv_str (f->rep) == NULL, "rep recv_str");
    errno = 0;
    CHILD_FORKED (zpat_send_str (f->rep, "x") == -1, "rep send_str");
    errno = 0;
    CHILD_FORKED (zpat_send_str (f->pub, "x") == -1, "pub send_str");
    errno = 0;
    CHILD_FORKED (zpat_pub_send_topic (f->pub, "topic", "x", 1) == -1,
                  "pub_send_topic");
    errno = 0;
    CHILD_FORKED (zpat_pub_subscriptions (f->pub) == -1, "pub_subscriptions");
    errno = 0;
    CHILD_FORKED (zpat_pub_wait_subscriptions (f->pub, 1, 0) == -1,
                  "pub_wait_subscriptions");
    errno = 0;
    CHILD_FORKED (zpat_sub_subscribe (f->sub, "more") == -1, "sub_subscribe");
    errno = 0;
    CHILD_FORKED (zpat_sub_unsubscribe (f->sub, "topic") == -1,
                  "sub_unsubscribe");
    char *topic = NULL, *payload = NULL;
    errno = 0;
    CHILD_FORKED (zpat_sub_recv_topic (f->sub, &topic, &payload) == -1,
                  "sub_recv_topic");
    CHILD_CHECK (!topic && !payload, "a failed recv_topic set its pointers");
    errno = 0;
    CHILD_FORKED (zpat_recv_str (f->sub) == NULL, "sub recv_str");

    // The child's own objects work, in a context of its own.
    if (s_child_fresh_pair (self->inproc) != 0)
        return 1;

    // Destroying the inherited objects frees them and sets the pointers to
    // NULL; a second destroy does nothing.
    s_family_destroy (f);
    CHILD_CHECK (!f->req && !f->rep && !f->pub && !f->sub && !f->push &&
                     !f->pull,
                 "destroy left a pointer set");
    s_family_destroy (f);

    // And still, after the inherited objects are gone.
    return s_child_fresh_pair (self->inproc);
}

START_TEST (inherited_objects_fail_every_call_with_eforked)
{
    family_t family = s_family_new ();
    // An inproc:// name the parent holds bound: the child binds it too.
    char inproc[128];
    zpat_pull_t *held =
        zpat_pull_new (tu_endpoint (inproc, sizeof inproc, "inproc"), NULL);
    ck_assert_ptr_nonnull (held);
    every_call_t args = {.family = &family, .inproc = inproc};
    child_t child = s_spawn (s_every_call_child, &args, false);
    s_reap (&child);
    s_family_works (&family);
    // The parent's inproc:// name is still its own.
    zpat_push_t *push = zpat_push_new (inproc, NULL);
    ck_assert_ptr_nonnull (push);
    ck_assert_int_eq (zpat_set_recv_timeout_ms (held, RECV_TIMEOUT_MS), 0);
    ck_assert_int_eq (zpat_send_str (push, "parent"), 0);
    char *text = zpat_recv_str (held);
    ck_assert_str_eq (text, "parent");
    zpat_str_free (&text);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&held);
    s_family_destroy (&family);
}
END_TEST

// A child that leaves through exit () with every inherited object alive:
// zpat's exit handler in the child must leave the parent's sockets alone.
static int
s_exit_alive_child (void *arg)
{
    family_t *f = arg;
    char buf[8];
    errno = 0;
    CHILD_FORKED (zpat_recv (f->pull, buf, sizeof buf) == -1, "recv");
    return 0;
}

// The same with a context of the child's own also running at exit: an
// object of its own, with a message queued that goes nowhere.
static int
s_exit_alive_own_child (void *arg)
{
    if (s_exit_alive_child (arg) != 0)
        return 1;
    zpat_options_t opts = {.linger_ms = 100};
    static zpat_push_t *push; // reachable at exit, for leak checkers
    push = zpat_push_new ("ipc:///tmp/zpat-fork-nowhere", &opts);
    CHILD_CHECK (push, "push_new: %s", zpat_strerror (errno));
    CHILD_CHECK (zpat_send_str (push, "nowhere") == 0, "send: %s",
                 zpat_strerror (errno));
    return 0;
}

START_TEST (child_exit_with_objects_alive_spares_the_parent)
{
    family_t family = s_family_new ();
    child_t child = s_spawn (
        _i == 0 ? s_exit_alive_child : s_exit_alive_own_child, &family, true);
    s_reap (&child);
    s_family_works (&family);
    s_family_destroy (&family);
}
END_TEST

// ---------------------------------------------------------------------------
// The child as a server: the parent connects to what the child binds

static int
s_rep_child (void *arg)
{
    int fd = *(int *)arg; // where to write the endpoint
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &opts);
    CHILD_CHECK (rep, "rep_new: %s", zpat_strerror (errno));
    const char *endpoint = zpat_endpoint (rep);
    CHILD_CHECK (endpoint, "endpoint: %s", zpat_strerror (errno));
    char line[256];
    snprintf (line, sizeof line, "%s\n", endpoint);
    CHILD_CHECK (write (fd, line, strlen (line)) == (ssize_t)strlen (line),
                 "write");
    char *request = zpat_recv_str (rep);
    CHILD_CHECK (request, "recv: %s", zpat_strerror (errno));
    CHILD_CHECK (zpat_sendf (rep, "child got %s", request) == 0, "send: %s",
                 zpat_strerror (errno));
    zpat_str_free (&request);
    // The reply leaves in the background: the child's exit () waits for it
    // (_exit () would not).
    zpat_rep_destroy (&rep);
    return 0;
}

START_TEST (child_serves_the_parent)
{
    // The parent has a context running (and an object) before the fork.
    family_t family = s_family_new ();
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    child_t child = s_spawn (s_rep_child, &fds[1], true);
    close (fds[1]);
    char endpoint[256] = "";
    size_t used = 0;
    long long deadline = tu_now_ms () + CHILD_LIMIT_MS;
    while (!strchr (endpoint, '\n') && used < sizeof endpoint - 1 &&
           tu_now_ms () < deadline) {
        ssize_t got =
            read (fds[0], endpoint + used, sizeof endpoint - 1 - used);
        if (got <= 0)
            break;
        used += (size_t)got;
        endpoint[used] = 0;
    }
    close (fds[0]);
    char *newline = strchr (endpoint, '\n');
    if (!newline)
        s_reap (&child); // reports why
    ck_assert_msg (newline, "the child sent no endpoint");
    *newline = 0;
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "parent"), 0);
    char *reply = zpat_recv_str (req);
    if (!reply) {
        int error = errno;
        s_reap (&child); // reports what the child said, if anything
        ck_abort_msg ("no reply from the child: %s", zpat_strerror (error));
    }
    ck_assert_str_eq (reply, "child got parent");
    zpat_str_free (&reply);
    zpat_req_destroy (&req);
    s_reap (&child);
    s_family_works (&family);
    s_family_destroy (&family);
}
END_TEST

// ---------------------------------------------------------------------------
// Fork while another thread is blocked inside a call

// Waits until the thread has been seen asleep 20 times in a row, 1 ms apart
// (under valgrind a thread waiting for its turn also shows as asleep).
static void
s_await_sleeping (const atomic_long *tid)
{
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    int seen = 0;
    while (seen < 20 && tu_now_ms () < deadline) {
        if (atomic_load (tid) && tu_thread_sleeps (atomic_load (tid)))
            seen++;
        else
            seen = 0;
        s_pause_ms (1);
    }
    ck_assert_msg (seen >= 20, "the thread never blocked");
}

typedef struct {
    zpat_pull_t *pull;
    atomic_long tid;
    atomic_int done;
    char *text;
    int error;
} blocked_t;

static void *
s_blocked_recv (void *arg)
{
    blocked_t *self = arg;
    atomic_store (&self->tid, (long)syscall (SYS_gettid));
    self->text = zpat_recv_str (self->pull);
    self->error = errno;
    atomic_store (&self->done, 1);
    return NULL;
}

typedef struct {
    zpat_pull_t *pull; // a thread of the parent is inside a receive on it
    zpat_push_t *push;
} blocked_child_t;

static int
s_blocked_child (void *arg)
{
    blocked_child_t *self = arg;
    // The inherited PULL was busy in the parent: here it fails at once.
    long long start = tu_now_ms ();
    errno = 0;
    CHILD_FORKED (zpat_recv_str (self->pull) == NULL, "recv_str");
    CHILD_CHECK (tu_now_ms () - start < 1000, "recv_str took %lld ms",
                 tu_now_ms () - start);
    char inproc[128];
    if (s_child_fresh_pair (tu_endpoint (inproc, sizeof inproc, "inproc")))
        return 1;
    zpat_pull_destroy (&self->pull);
    zpat_push_destroy (&self->push);
    return 0;
}

START_TEST (fork_while_another_thread_is_blocked_in_a_call)
{
    char endpoint[128];
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS * 3,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    zpat_pull_t *pull = zpat_pull_new (
        tu_endpoint (endpoint, sizeof endpoint, s_transports[_i]), &opts);
    ck_assert_ptr_nonnull (pull);
    zpat_push_t *push = zpat_push_new (zpat_endpoint (pull), &opts);
    ck_assert_ptr_nonnull (push);
    blocked_t blocked = {.pull = pull};
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_blocked_recv, &blocked),
                      0);
    s_await_sleeping (&blocked.tid);

    blocked_child_t args = {.pull = pull, .push = push};
    child_t child = s_spawn (s_blocked_child, &args, false);
    s_reap (&child);

    // The parent's thread is still waiting, on a receive that works.
    ck_assert_int_eq (atomic_load (&blocked.done), 0);
    ck_assert_int_eq (zpat_send_str (push, "wake up"), 0);
    long long deadline = tu_now_ms () + RECV_TIMEOUT_MS;
    while (!atomic_load (&blocked.done) && tu_now_ms () < deadline)
        s_pause_ms (1);
    ck_assert_msg (atomic_load (&blocked.done), "the thread never woke");
    pthread_join (thread, NULL);
    ck_assert_msg (blocked.text, "the blocked receive failed: %s",
                   zpat_strerror (blocked.error));
    ck_assert_str_eq (blocked.text, "wake up");
    zpat_str_free (&blocked.text);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// Signals: the child's pipe is its own

typedef struct {
    atomic_long tid;
    atomic_int done;
    int rc, error;
    zpat_pull_t *pull;
} waiter_t;

static void *
s_waiter (void *arg)
{
    waiter_t *self = arg;
    // SIGTERM is blocked here, so the handler runs in the child's main
    // thread: only the signal pipe can wake this one.
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    atomic_store (&self->tid, (long)syscall (SYS_gettid));
    char buf[8];
    errno = 0;
    self->rc = zpat_recv (self->pull, buf, sizeof buf);
    self->error = errno;
    atomic_store (&self->done, 1);
    return NULL;
}

static int
s_signal_child (void *arg)
{
    (void)arg;
    CHILD_CHECK (zpat_interrupted () == 0, "interrupted before any signal");
    zpat_pull_t *pull = zpat_pull_new (NULL, NULL); // waits forever
    CHILD_CHECK (pull, "pull_new: %s", zpat_strerror (errno));
    waiter_t waiter = {.pull = pull};
    pthread_t thread;
    CHILD_CHECK (pthread_create (&thread, NULL, s_waiter, &waiter) == 0,
                 "pthread_create");
    long long deadline = tu_now_ms () + 5000LL * tu_time_factor ();
    int seen = 0;
    while (seen < 20 && tu_now_ms () < deadline) {
        long tid = atomic_load (&waiter.tid);
        seen = tid && tu_thread_sleeps (tid) ? seen + 1 : 0;
        s_pause_ms (1);
    }
    CHILD_CHECK (seen >= 20, "the waiting thread never blocked (tid %ld, %s)",
                 atomic_load (&waiter.tid),
                 atomic_load (&waiter.done) ? "its receive returned"
                                            : "still in its receive");
    long long sent = tu_now_ms ();
    CHILD_CHECK (raise (SIGTERM) == 0, "raise");
    CHILD_CHECK (zpat_interrupted () != 0, "not interrupted after SIGTERM");
    deadline = sent + 5000LL * tu_time_factor ();
    while (!atomic_load (&waiter.done) && tu_now_ms () < deadline)
        s_pause_ms (1);
    CHILD_CHECK (atomic_load (&waiter.done),
                 "the blocked receive never woke: the child's signal pipe "
                 "does not reach its waits");
    pthread_join (thread, NULL);
    CHILD_CHECK (waiter.rc == -1 && waiter.error == EINTR,
                 "blocked receive: %d, %s", waiter.rc,
                 zpat_strerror (waiter.error));
    zpat_pull_destroy (&pull);
    return 0;
}

START_TEST (child_signal_pipe_is_its_own)
{
    ck_assert_int_eq (zpat_catch_signals (), 0);
    zpat_options_t opts = {.recv_timeout_ms = 300};
    zpat_pull_t *pull = zpat_pull_new (NULL, &opts);
    ck_assert_ptr_nonnull (pull);
    child_t child = s_spawn (s_signal_child, NULL, false);
    s_reap (&child);
    // The child's signal touched nothing here: not the flag, and not the
    // pipe (a byte left in a shared pipe would end this wait early).
    ck_assert_int_eq (zpat_interrupted (), 0);
    long long start = tu_now_ms ();
    char buf[8];
    errno = 0;
    ck_assert_int_eq (zpat_recv (pull, buf, sizeof buf), -1);
    int error = errno;
    long long took = tu_now_ms () - start;
    ck_assert_msg (error == EAGAIN, "recv: %s", zpat_strerror (error));
    ck_assert_msg (took >= 250, "a 300 ms receive ended after %lld ms", took);
    ck_assert_msg (took < 300 + 2000LL * tu_time_factor (),
                   "a 300 ms receive took %lld ms", took);
    zpat_pull_destroy (&pull);
}
END_TEST

// ---------------------------------------------------------------------------
// The authenticator across fork (): the child's copy only frees, and the
// child may start one of its own (its own context's ZAP handler). The
// parent's keeps answering.

static int
s_auth_child (void *arg)
{
    zpat_auth_t *inherited = arg;
    errno = 0;
    CHILD_FORKED (zpat_auth_deny (inherited, "10.0.0.1") == -1, "auth_deny");
    CHILD_FORKED (zpat_auth_curve_any (inherited) == -1, "auth_curve_any");
    zpat_auth_t *own = zpat_auth_new ();
    CHILD_CHECK (own, "auth_new in the child: %s", zpat_strerror (errno));
    CHILD_CHECK (zpat_auth_curve_any (own) == 0, "curve_any: %s",
                 zpat_strerror (errno));
    zpat_auth_destroy (&inherited); // frees, never waits on a thread
    CHILD_CHECK (!inherited, "auth_destroy left the pointer");
    zpat_auth_destroy (&own);
    return 0;
}

START_TEST (authenticator_after_fork)
{
    zpat_auth_t *auth = zpat_auth_new ();
    ck_assert_msg (auth, "zpat_auth_new: %s", zpat_strerror (errno));
    ck_assert_int_eq (zpat_auth_curve_any (auth), 0);
    child_t child = s_spawn (s_auth_child, auth, false);
    s_reap (&child);
    // The parent's still answers: a CURVE pair connects through it.
    zpat_cert_t *server = zpat_cert_new (), *client = zpat_cert_new ();
    ck_assert_ptr_nonnull (server);
    ck_assert_ptr_nonnull (client);
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .linger_ms = ZPAT_WAIT_NONE,
                           .curve_cert = server};
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", "tcp", endpoint);
    opts.curve_cert = client;
    opts.curve_server_key = zpat_cert_public_txt (server);
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "after fork"), 0);
    char *text = zpat_recv_str (rep);
    ck_assert_msg (text, "recv: %s", zpat_strerror (errno));
    ck_assert_str_eq (text, "after fork");
    zpat_str_free (&text);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
    zpat_cert_destroy (&server);
    zpat_cert_destroy (&client);
    zpat_auth_destroy (&auth);
}
END_TEST

static Suite *
fork_suite (void)
{
    Suite *suite = suite_create ("fork");
    TCase *tc = tcase_create ("prefork");
    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, prefork_server_serves_its_children, 0, 4);
    tcase_add_test (tc, child_serves_the_parent);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("inherited");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, inherited_objects_fail_every_call_with_eforked);
    tcase_add_loop_test (tc, child_exit_with_objects_alive_spares_the_parent, 0,
                         2);
    tcase_add_loop_test (tc, fork_while_another_thread_is_blocked_in_a_call, 0,
                         2);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("signals");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, child_signal_pipe_is_its_own);
    tcase_add_test (tc, authenticator_after_fork);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (fork_suite (), CK_FORK_GETENV);
}
