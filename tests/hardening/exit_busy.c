// exit_busy.c - leaving main () while other threads are inside zpat calls.
// One thread is blocked in a receive that never ends (a PULL with no peer,
// no timeout); two threads loop over REQ requests with a 50 ms receive
// timeout, one against nothing and one against a REP that never answers.
// main () returns EXIT_OWN 100 ms after they start: the process must end
// with that status, never abort (libzmq's signaler assertions) or hang.
// exit_loop.sh runs this a thousand times.
//
// Usage: exit_busy [busy | linger | linger-connect]
//   busy    (the default) as above.
//   linger  as above, and then main () queues LINGER_MESSAGES messages of
//           LINGER_SIZE bytes on a bound PUSH, to a PULL in a child
//           process, and returns at once, the PUSH idle with most of them
//           still queued. The child must get every message, in order: idle
//           objects get their linger at exit even while other threads are
//           busy. The scenario runs in a child process, so that the
//           process that waits for the reader's verdict is not the one
//           whose exit is tested.
//   linger-connect  as linger, but the PUSH connects, and the child binds
//           only as main () returns: the whole burst is still queued at
//           exit, and the PUSH reconnects only RECONNECT_MS after its first
//           attempt failed. The burst can only arrive if the exit waits
//           for it (up to the linger): czmq's own exit handler pauses
//           200 ms, which in the bound case may be enough by itself.
//
// Exit status: EXIT_OWN when all is well; EXIT_SETUP when the scenario could
// not be set up; EXIT_LOST when the reader missed messages (or said
// nothing); EXIT_CHILD_HUNG when the reader did not finish in time. Any
// other status, or a signal (128 + the signal in the linger modes), is the
// failure this program is looking for.
// SPDX-License-Identifier: MPL-2.0

#include "hardening_util.h"

#include <zpat.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OWN 3
#define EXIT_SETUP 2
#define EXIT_LOST 4
#define EXIT_CHILD_HUNG 5

// The pause between the threads starting and main () returning: the
// scenario itself, not a synchronization.
#define BUSY_PAUSE_MS 100
// The REQ threads' receive timeout.
#define REQ_TIMEOUT_MS 50
// The idle PUSH's burst in the linger modes. The reader's receive HWM holds
// the whole burst: libzmq itself (4.3.4, raw zmq_close and zmq_ctx_term,
// bound or connected) loses the last few dozen messages of a burst whose
// reader lets its receive queue fill up (in about half the runs of the
// same scenario written against raw libzmq), which is not what this
// program looks for.
#define LINGER_MESSAGES 1000
#define LINGER_SIZE 1024
#define READER_HWM (2 * LINGER_MESSAGES)
// The idle PUSH's linger: three times the default, scaled under valgrind
// so that the slower drain still fits in it. (With the default alone, a
// loaded machine once let the linger run out with 120 of the 1,000
// messages still on their way: a process that delivers them all leaves
// as soon as they are out, so the longer linger costs nothing otherwise.)
#define LINGER_MS (3 * ZPAT_DEFAULT_LINGER_MS * hu_time_factor ())
// linger-connect: the PUSH's reconnect interval, longer than czmq's pause.
#define RECONNECT_MS 300
// How long the reader waits for each message, and the supervisor for the
// reader once the scenario has ended; both scaled under valgrind.
#define READER_TIMEOUT_MS (5000 * hu_time_factor ())
#define CHILD_WAIT_MS (8000 * hu_time_factor ())

// The objects are kept in globals, so that LeakSanitizer, which looks for
// leaks after every exit handler has run, finds them reachable: this
// program leaves them to the process's end on purpose.
static zpat_rep_t *s_silent_rep; // bound; never answers
static zpat_push_t *s_idle_push; // linger mode: the queued burst
static char s_silent_endpoint[256];
static char s_nothing_endpoint[256];
static char s_linger_endpoint[256];

// ---------------------------------------------------------------------------
// The busy threads. Each loops for the life of the process: when the context
// ends at exit its calls fail (ZPAT_ETERM) and it starts over, so that calls
// keep arriving while the exit handlers run.

static void
s_pause_ms (long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) == -1 && errno == EINTR) {
    }
}

// After a call failed because the context has ended: at once natively, so
// that calls keep coming as fast as they can; under valgrind, which runs one
// thread at a time, after a millisecond, or the spinning threads would
// starve the I/O thread that must deliver the idle PUSH's burst within its
// linger.
static void
s_after_failure (void)
{
    if (errno == ZPAT_ETERM && hu_under_valgrind ())
        s_pause_ms (1);
}

typedef struct {
    zpat_pull_t *pull; // in globals for LeakSanitizer, as above
    zpat_req_t *req;
    atomic_int started;
} busy_t;

static busy_t s_blocker, s_req_nothing, s_req_silent;

static void *
s_blocker_thread (void *arg)
{
    busy_t *self = arg;
    static atomic_int counter;
    char endpoint[128];
    while (true) {
        snprintf (endpoint, sizeof endpoint, "inproc://exit-busy-%ld-%d",
                  (long)getpid (), atomic_fetch_add (&counter, 1));
        self->pull = zpat_pull_new (endpoint, NULL); // no timeout, no peer
        if (self->pull) {
            atomic_store (&self->started, 1);
            char buf[16];
            if (zpat_recv (self->pull, buf, sizeof buf) >= 0)
                fprintf (stderr, "exit_busy: a PULL with no peer received\n");
            s_after_failure ();
            zpat_pull_destroy (&self->pull);
        } else
            s_after_failure ();
    }
    return NULL;
}

// One request after another, each on a new REQ (a REQ whose reply timed out
// cannot send again): send, wait REQ_TIMEOUT_MS for a reply that never
// comes, destroy.
static void
s_request_loop (busy_t *self, const char *endpoint, int linger_ms)
{
    zpat_options_t opts = {.recv_timeout_ms = REQ_TIMEOUT_MS,
                           .send_timeout_ms = REQ_TIMEOUT_MS,
                           .linger_ms = linger_ms};
    while (true) {
        self->req = zpat_req_new (endpoint, &opts);
        if (self->req) {
            atomic_store (&self->started, 1);
            if (zpat_send_str (self->req, "anyone?") == 0) {
                char *reply = zpat_recv_str (self->req);
                if (reply)
                    fprintf (stderr, "exit_busy: a reply from nobody\n");
                zpat_str_free (&reply);
            }
            s_after_failure ();
            zpat_req_destroy (&self->req);
        } else
            s_after_failure ();
    }
}

// Against an ipc:// path nothing listens on: the request stays queued, so
// its linger is none (a thousand runs would otherwise each wait a second).
static void *
s_req_nothing_thread (void *arg)
{
    s_request_loop (arg, s_nothing_endpoint, ZPAT_WAIT_NONE);
    return NULL;
}

// Against the REP that never answers: the request is delivered, and the
// REQ keeps the default linger.
static void *
s_req_silent_thread (void *arg)
{
    s_request_loop (arg, s_silent_endpoint, 0);
    return NULL;
}

static void
s_start_thread (void *(*fn) (void *), busy_t *self)
{
    pthread_t thread;
    if (pthread_create (&thread, NULL, fn, self) != 0) {
        fprintf (stderr, "exit_busy: pthread_create failed\n");
        exit (EXIT_SETUP);
    }
    pthread_detach (thread);
}

// Starts the busy threads and waits (bounded) until each has made its
// first object, so that main () returns while they are inside calls.
static void
s_start_busy (void)
{
    snprintf (s_nothing_endpoint, sizeof s_nothing_endpoint,
              "ipc:///tmp/zpat-exit-busy-nothing-%ld", (long)getpid ());
    s_silent_rep = zpat_rep_new ("tcp://127.0.0.1:*", NULL);
    if (!s_silent_rep) {
        fprintf (stderr, "exit_busy: rep: %s\n", zpat_strerror (errno));
        exit (EXIT_SETUP);
    }
    snprintf (s_silent_endpoint, sizeof s_silent_endpoint, "%s",
              zpat_endpoint (s_silent_rep));
    s_start_thread (s_blocker_thread, &s_blocker);
    s_start_thread (s_req_nothing_thread, &s_req_nothing);
    s_start_thread (s_req_silent_thread, &s_req_silent);
    double deadline = hu_now_ms () + 5000.0 * hu_time_factor ();
    while (!(atomic_load (&s_blocker.started) &&
             atomic_load (&s_req_nothing.started) &&
             atomic_load (&s_req_silent.started))) {
        if (hu_now_ms () > deadline) {
            fprintf (stderr, "exit_busy: the threads never started\n");
            exit (EXIT_SETUP);
        }
        s_pause_ms (1);
    }
}

// ---------------------------------------------------------------------------
// Linger modes

typedef enum { MODE_BUSY, MODE_LINGER, MODE_LINGER_CONNECT } run_mode_t;

static int s_go_fd = -1; // linger-connect: tells the reader to bind

// The message numbered seq: its number, then bytes made from it.
static void
s_linger_message (unsigned char *out, uint32_t seq)
{
    memcpy (out, &seq, sizeof seq);
    for (size_t i = sizeof seq; i < LINGER_SIZE; i++)
        out[i] = (unsigned char)(seq * 31u + i);
}

// The child: connects its PULL (or, bind_late, waits for the parent's word,
// or its end, and binds), and reads the whole burst. Exit status 0 when
// every message came, in order and intact; 1 otherwise, with the reason on
// stderr.
static int
s_reader_main (bool bind_late, int go_fd)
{
    zpat_options_t opts = {.recv_timeout_ms = READER_TIMEOUT_MS,
                           .recv_hwm = READER_HWM};
    char endpoint[300];
    snprintf (endpoint, sizeof endpoint, "%c%s", bind_late ? '@' : '>',
              s_linger_endpoint);
    if (bind_late) {
        char go;
        if (read (go_fd, &go, 1) != 1)
            fprintf (stderr, "exit_busy reader: no word from the parent; "
                             "binding anyway\n");
    }
    zpat_pull_t *pull = zpat_pull_new (endpoint, &opts);
    if (!pull) {
        fprintf (stderr, "exit_busy reader: pull: %s\n", zpat_strerror (errno));
        return 1;
    }
    unsigned char want[LINGER_SIZE], got[LINGER_SIZE];
    int received = 0;
    for (uint32_t seq = 0; seq < LINGER_MESSAGES; seq++) {
        int rc = zpat_recv (pull, got, sizeof got);
        if (rc == -1) {
            fprintf (stderr,
                     "exit_busy reader: got %d of %d messages, then %s\n",
                     received, LINGER_MESSAGES, zpat_strerror (errno));
            break;
        }
        s_linger_message (want, seq);
        if (rc != LINGER_SIZE || memcmp (got, want, LINGER_SIZE) != 0) {
            uint32_t which = 0;
            memcpy (&which, got, rc >= 4 ? sizeof which : 0);
            fprintf (stderr,
                     "exit_busy reader: message %u: %d bytes, numbered %u\n",
                     seq, rc, which);
            break;
        }
        received++;
    }
    zpat_pull_destroy (&pull);
    return received == LINGER_MESSAGES ? 0 : 1;
}

// Waits up to limit_ms for child; stores its status. False if it is still
// running (it is then killed).
static bool
s_wait_child (pid_t child, double limit_ms, int *status)
{
    double deadline = hu_now_ms () + limit_ms;
    pid_t done;
    while ((done = waitpid (child, status, WNOHANG)) == 0 &&
           hu_now_ms () < deadline)
        s_pause_ms (2);
    if (done == child)
        return true;
    kill (child, SIGKILL);
    waitpid (child, status, 0);
    return false;
}

// Removes the file of the linger modes' ipc:// endpoint, which libzmq
// leaves behind: in the supervising process, once the scenario and the
// reader have ended (it is registered with atexit () there, after both are
// forked, so neither runs it).
static void
s_remove_linger_path (void)
{
    const char *scheme = "ipc://";
    if (strncmp (s_linger_endpoint, scheme, strlen (scheme)) == 0)
        unlink (s_linger_endpoint + strlen (scheme));
}

// The linger modes run the scenario in a child process of this one, which
// forks the reader too, so that nothing the reader waits for outlives the
// scenario's exit: a process that waited for the reader in an exit handler
// of its own would keep its libzmq threads delivering as long as it waited,
// linger or not. This process ends with the scenario's own status (128 +
// the signal, if one ended it) when the reader got the whole burst, else
// EXIT_LOST or EXIT_CHILD_HUNG. Returns in the scenario's process only.
static void
s_supervise (bool bind_late)
{
    snprintf (s_linger_endpoint, sizeof s_linger_endpoint,
              "ipc:///tmp/zpat-exit-busy-linger-%ld", (long)getpid ());
    int go[2];
    if (pipe (go) != 0) {
        perror ("exit_busy: pipe");
        exit (EXIT_SETUP);
    }
    fflush (NULL);
    pid_t reader = fork ();
    if (reader == -1) {
        perror ("exit_busy: fork");
        exit (EXIT_SETUP);
    }
    if (reader == 0) {
        close (go[1]);
        exit (s_reader_main (bind_late, go[0]));
    }
    close (go[0]);
    pid_t scenario = fork ();
    if (scenario == -1) {
        perror ("exit_busy: fork");
        kill (reader, SIGKILL);
        exit (EXIT_SETUP);
    }
    if (scenario == 0) {
        s_go_fd = go[1];
        return;
    }
    atexit (s_remove_linger_path);
    close (go[1]);
    // The scenario itself is bounded by exit_loop.sh's timeout.
    int status = 0;
    waitpid (scenario, &status, 0);
    int own =
        WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
    int reader_status = 0;
    if (!s_wait_child (reader, CHILD_WAIT_MS, &reader_status)) {
        fprintf (stderr,
                 "exit_busy: the reader was still reading %d ms after the "
                 "scenario ended (status %d)\n",
                 CHILD_WAIT_MS, own);
        exit (own == EXIT_OWN ? EXIT_CHILD_HUNG : own);
    }
    if (!WIFEXITED (reader_status) || WEXITSTATUS (reader_status) != 0) {
        if (WIFSIGNALED (reader_status))
            fprintf (stderr, "exit_busy: the reader died of %s\n",
                     strsignal (WTERMSIG (reader_status)));
        else
            fprintf (stderr, "exit_busy: the reader missed messages\n");
        exit (own == EXIT_OWN ? EXIT_LOST : own);
    }
    exit (own);
}

// Makes the idle PUSH and queues the burst. Bound (linger), the first send
// waits for the reader to connect and the rest only queue (the I/O thread
// sends them on). Connecting (linger-connect), to an endpoint nobody binds
// yet, every send only queues; then the reader is told to bind.
static void
s_queue_burst (bool connect)
{
    zpat_options_t opts = {.send_timeout_ms = 10000 * hu_time_factor (),
                           .send_hwm = 2 * LINGER_MESSAGES,
                           .linger_ms = LINGER_MS,
                           .reconnect_ivl_ms = connect ? RECONNECT_MS : 0};
    char endpoint[300];
    snprintf (endpoint, sizeof endpoint, "%c%s", connect ? '>' : '@',
              s_linger_endpoint);
    s_idle_push = zpat_push_new (endpoint, &opts);
    if (!s_idle_push) {
        fprintf (stderr, "exit_busy: push: %s\n", zpat_strerror (errno));
        exit (EXIT_SETUP);
    }
    unsigned char message[LINGER_SIZE];
    for (uint32_t seq = 0; seq < LINGER_MESSAGES; seq++) {
        s_linger_message (message, seq);
        if (zpat_send (s_idle_push, message, sizeof message) != 0) {
            fprintf (stderr, "exit_busy: send %u: %s\n", seq,
                     zpat_strerror (errno));
            exit (EXIT_SETUP);
        }
    }
    // Calls the library refuses leave the PUSH as idle as it was: exit must
    // still give its burst the linger (a refused fast-path call once left
    // the object marked busy, and exit then waited for no linger at all).
    int rc_null = zpat_send (s_idle_push, NULL, 5);
    zpat_msg_t *empty = zpat_msg_new ();
    int rc_empty = empty ? zpat_send_msg (s_idle_push, empty) : -1;
    zpat_msg_destroy (&empty);
    if (rc_null != -1 || rc_empty != -1) {
        fprintf (stderr, "exit_busy: a bad send was accepted\n");
        exit (EXIT_SETUP);
    }
    if (connect && write (s_go_fd, "!", 1) != 1) {
        perror ("exit_busy: write");
        exit (EXIT_SETUP);
    }
}

int
main (int argc, char *argv[])
{
    run_mode_t mode = MODE_BUSY;
    if (argc > 1 && strcmp (argv[1], "linger") == 0)
        mode = MODE_LINGER;
    else if (argc > 1 && strcmp (argv[1], "linger-connect") == 0)
        mode = MODE_LINGER_CONNECT;
    else if (argc > 1 && strcmp (argv[1], "busy") != 0) {
        fprintf (stderr, "usage: exit_busy [busy | linger | linger-connect]\n");
        return EXIT_SETUP;
    }
    if (mode != MODE_BUSY)
        s_supervise (mode == MODE_LINGER_CONNECT);
    s_start_busy ();
    s_pause_ms (BUSY_PAUSE_MS);
    if (mode != MODE_BUSY)
        s_queue_burst (mode == MODE_LINGER_CONNECT);
    // The busy threads are inside their calls; the idle PUSH still holds
    // much of its burst. Leave.
    return EXIT_OWN;
}
