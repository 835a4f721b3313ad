// exit_handler.c - zpat calls from an exit handler of the program's own, in
// whichever order the handlers run. The program makes objects of several
// roles, with traffic on them, and returns from main (); its handler then
// destroys some, ends the context, calls verbs on the rest (each must fail
// cleanly, never crash or wait), makes new objects (which may fail with
// ZPAT_ETERM) and destroys everything.
//
// Usage: exit_handler before | after
//   before  the handler is registered before the first zpat call, so it runs
//           after zpat's and czmq's exit handlers, on a context already
//           ended and objects already closed.
//   after   it is registered after the first zpat call, so it runs first,
//           on a live context.
//
// Exit status: 0 when every check passed and the program's own status (0,
// from main) came through; 1 when a check failed (each is printed); 2 when
// the objects could not be set up; 3 when the handler never finished (a
// last handler, registered before everything, checks that it did).
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_SETUP 2
#define EXIT_HANDLER_UNFINISHED 3

// A receive on an ended context must return at once; it is given this
// timeout so that one that waits instead shows as slow, not as a hang.
#define RECV_TIMEOUT_MS 3000

static zpat_req_t *s_req;   // has sent a request, reply not read
static zpat_rep_t *s_rep;   // has the request, has not answered
static zpat_push_t *s_push; // bound, with a message queued to s_pull
static zpat_pull_t *s_pull; // connected to s_push, has not read
static zpat_pub_t *s_pub;   // bound, with s_sub subscribed
static zpat_sub_t *s_sub;   // connected, subscribed to everything
static const char *s_mode = "?";
static int s_failures;
static atomic_int s_finished;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf (stderr, "exit_handler %s: line %d: ", s_mode, __LINE__);  \
            fprintf (stderr, __VA_ARGS__);                                     \
            fprintf (stderr, "\n");                                            \
            s_failures++;                                                      \
        }                                                                      \
    } while (0)

static long long
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_setup_failed (const char *what)
{
    fprintf (stderr, "exit_handler %s: %s: %s\n", s_mode, what,
             zpat_strerror (errno));
    exit (EXIT_SETUP);
}

// The objects, each in a state with something pending.
static void
s_make_objects (void)
{
    zpat_options_t opts = {.recv_timeout_ms = RECV_TIMEOUT_MS,
                           .send_timeout_ms = RECV_TIMEOUT_MS};
    s_rep = zpat_rep_new ("tcp://127.0.0.1:*", &opts);
    if (!s_rep)
        s_setup_failed ("rep");
    s_req = zpat_req_new (zpat_endpoint (s_rep), &opts);
    if (!s_req || zpat_send_str (s_req, "request") != 0)
        s_setup_failed ("req");
    char *request = zpat_recv_str (s_rep);
    if (!request)
        s_setup_failed ("rep recv");
    zpat_str_free (&request);

    s_push = zpat_push_new ("@tcp://127.0.0.1:*", &opts);
    if (!s_push)
        s_setup_failed ("push");
    s_pull = zpat_pull_new (NULL, &opts);
    if (!s_pull || zpat_connect (s_pull, zpat_endpoint (s_push)) != 0)
        s_setup_failed ("pull");
    if (zpat_send_str (s_push, "queued") != 0)
        s_setup_failed ("push send");

    s_pub = zpat_pub_new ("tcp://127.0.0.1:*", &opts);
    if (!s_pub)
        s_setup_failed ("pub");
    s_sub = zpat_sub_new (zpat_endpoint (s_pub), "", &opts);
    if (!s_sub || zpat_pub_wait_subscriptions (s_pub, 1, 5000) < 1)
        s_setup_failed ("sub");
    if (zpat_send_str (s_pub, "published") != 0)
        s_setup_failed ("pub send");
}

// A constructor from the handler: a new object, or NULL with ZPAT_ETERM.
// Whatever it made is destroyed again.
static void
s_try_new_objects (const char *when)
{
    errno = 0;
    zpat_push_t *push = zpat_push_new ("inproc://exit-handler-new", NULL);
    CHECK (push || errno == ZPAT_ETERM, "%s: push_new: %s", when,
           zpat_strerror (errno));
    // Its request goes nowhere: no linger, or the exit would wait for it.
    zpat_options_t no_linger = {.linger_ms = ZPAT_WAIT_NONE};
    errno = 0;
    zpat_req_t *req = zpat_req_new ("tcp://127.0.0.1:9", &no_linger);
    CHECK (req || errno == ZPAT_ETERM, "%s: req_new: %s", when,
           zpat_strerror (errno));
    errno = 0;
    zpat_sub_t *sub = zpat_sub_new (NULL, "topic", NULL);
    CHECK (sub || errno == ZPAT_ETERM, "%s: sub_new: %s", when,
           zpat_strerror (errno));
    if (req) {
        // A new REQ on a live context sends (its request is queued).
        CHECK (zpat_send_str (req, "from the handler") == 0,
               "%s: new req send: %s", when, zpat_strerror (errno));
    }
    zpat_push_destroy (&push);
    zpat_req_destroy (&req);
    zpat_sub_destroy (&sub);
    CHECK (!push && !req && !sub, "%s: destroy left a pointer set", when);
}

static void
s_handler (void)
{
    // Some objects destroyed while the context may still run.
    zpat_req_destroy (&s_req);
    zpat_push_destroy (&s_push);
    zpat_sub_destroy (&s_sub);
    CHECK (!s_req && !s_push && !s_sub, "destroy left a pointer set");

    zpat_shutdown ();
    zpat_shutdown ();

    // Every verb on a live object fails cleanly, without waiting.
    errno = 0;
    int rc = zpat_socket_send_str (zpat_socket (s_rep), "reply");
    CHECK (rc == -1, "rep send after shutdown: %d", rc);
    errno = 0;
    rc = zpat_send_str (s_pub, "more");
    CHECK (rc == -1, "pub send after shutdown: %d", rc);
    errno = 0;
    rc = zpat_pub_send_topic (s_pub, "topic", "data", 4);
    CHECK (rc == -1, "pub send_topic after shutdown: %d", rc);
    long long start = s_now_ms ();
    char buf[64];
    errno = 0;
    rc = zpat_recv (s_pull, buf, sizeof buf);
    long long took = s_now_ms () - start;
    CHECK (rc == -1, "pull recv after shutdown: %d", rc);
    CHECK (took < RECV_TIMEOUT_MS / 2, "pull recv after shutdown took %lld ms",
           took);
    errno = 0;
    char *text = zpat_recv_str (s_rep);
    CHECK (!text, "rep recv_str after shutdown: \"%s\"", text);
    zpat_str_free (&text);
    zpat_msg_t *msg = zpat_msg_new ();
    CHECK (msg, "msg_new: %s", zpat_strerror (errno));
    if (msg) {
        zpat_msg_add_str (msg, "frame");
        errno = 0;
        rc = zpat_send_msg (s_pub, msg);
        CHECK (rc == -1, "pub send_msg after shutdown: %d", rc);
        CHECK (zpat_msg_count (msg) == 1, "a failed send_msg took the frames");
        errno = 0;
        rc = zpat_recv_msg (s_pull, msg);
        CHECK (rc == -1, "pull recv_msg after shutdown: %d", rc);
        zpat_msg_destroy (&msg);
    }
    errno = 0;
    rc = zpat_bind (s_pull, "inproc://exit-handler-bind");
    CHECK (rc == -1, "pull bind after shutdown: %d", rc);
    errno = 0;
    rc = zpat_connect (s_rep, "tcp://127.0.0.1:9");
    CHECK (rc == -1, "rep connect after shutdown: %d", rc);
    // Calls that need not touch the network: any result, no crash.
    zpat_options_t opts;
    (void)zpat_get_options (s_pull, &opts);
    (void)zpat_set_recv_timeout_ms (s_pull, 10);
    (void)zpat_set_linger_ms (s_pub, 0);
    (void)zpat_discard (s_pull);
    (void)zpat_pub_subscriptions (s_pub);
    (void)zpat_pub_wait_subscriptions (s_pub, 1, 0);
    (void)zpat_endpoint (s_rep);
    CHECK (zpat_strerror (ZPAT_ETERM) != NULL, "strerror");

    // New objects while old ones are still alive: ZPAT_ETERM, or made.
    s_try_new_objects ("with objects alive");

    // The rest destroyed; destroying again does nothing.
    zpat_rep_destroy (&s_rep);
    zpat_pull_destroy (&s_pull);
    zpat_pub_destroy (&s_pub);
    CHECK (!s_rep && !s_pull && !s_pub, "destroy left a pointer set");
    zpat_rep_destroy (&s_rep);
    zpat_pull_destroy (&s_pull);
    zpat_pub_destroy (&s_pub);
    zpat_req_destroy (&s_req);
    zpat_push_destroy (&s_push);
    zpat_sub_destroy (&s_sub);

    // With every object gone: new ones again, and shutdown once more.
    s_try_new_objects ("with every object destroyed");
    zpat_shutdown ();

    if (s_failures > 0) {
        fprintf (stderr, "exit_handler %s: %d check(s) failed\n", s_mode,
                 s_failures);
        _exit (EXIT_FAILED);
    }
    atomic_store (&s_finished, 1);
}

// Registered before everything, so it runs after every other handler: the
// program's handler must have run to its end.
static void
s_last (void)
{
    if (!atomic_load (&s_finished)) {
        fprintf (stderr, "exit_handler %s: the handler never finished\n",
                 s_mode);
        _exit (EXIT_HANDLER_UNFINISHED);
    }
}

int
main (int argc, char *argv[])
{
    if (argc != 2 ||
        (strcmp (argv[1], "before") != 0 && strcmp (argv[1], "after") != 0)) {
        fprintf (stderr, "usage: exit_handler before | after\n");
        return EXIT_SETUP;
    }
    s_mode = argv[1];
    bool before = strcmp (s_mode, "before") == 0;
    if (atexit (s_last) != 0 || (before && atexit (s_handler) != 0))
        return EXIT_SETUP;
    s_make_objects ();
    if (!before && atexit (s_handler) != 0)
        return EXIT_SETUP;
    return 0;
}
