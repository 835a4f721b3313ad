// test_flood.c - Check suite: a REP server in its own process keeps serving
// a proper zpat REQ client while 2,000 junk connections hit it, answers
// every proper request, and its resident memory barely moves.
// SPDX-License-Identifier: MPL-2.0

#include "../testutil.h"
#include "hardening_util.h"

#include <zpat.h>

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// The flood: JUNK_THREADS threads, each making JUNK_PER_THREAD connections.
#define JUNK_THREADS 2
#define JUNK_PER_THREAD 1000
// Silent connections held open at once by each junk thread.
#define JUNK_HELD 32
// Proper requests before the flood (warm-up) and after it.
#define WARM_REQUESTS 200
#define AFTER_REQUESTS 200
// A proper request not answered within this is counted as failed; the REQ
// is put aside (to see whether the reply comes late) and a new one made.
// Scaled by the time factor: under valgrind even the first round trip,
// connection set-up included, takes longer than 300 ms.
#define REQUEST_TIMEOUT_MS (300 * hu_time_factor ())
// Request ids the server remembers answering.
#define MAX_IDS 100000

// The junk kinds, one after another on each junk thread.
typedef enum {
    JUNK_RANDOM,        // 1 to 2,000 random bytes
    JUNK_TRUNCATED,     // a greeting cut short
    JUNK_HUGE_64MIB,    // a frame header of 64 MiB + 1 after a handshake
    JUNK_HUGE_2_63,     // a frame header of 2^63 - 1 after a handshake
    JUNK_NO_ENVELOPE,   // a message without REQ envelope, then gone
    JUNK_ASK_AND_LEAVE, // a proper request, gone before the reply
    JUNK_SILENT,        // connects and says nothing (held open a while)
    JUNK_RESET,         // connects and resets at once
    JUNK_WRONG_TYPE,    // a handshake as a PUB
    JUNK_BAD_UTF8,      // a proper request whose body is not UTF-8
    JUNK_KINDS
} junk_kind_t;

static const char *const junk_names[] = {
    "random bytes",     "truncated greeting", "64 MiB+1 frame",
    "2^63-1 frame",     "no REQ envelope",    "request then gone",
    "silent",           "connect+reset",      "wrong socket type",
    "non-UTF-8 request"};

// ---------------------------------------------------------------------------
// The server: a REP in a child process, answering "ok <id>" with "re <id>",
// "check <id>" with whether it answered that id, "quit" by leaving, and
// anything else with "junk". It reports its endpoint's port through a pipe.

static int
s_server_main (int report_fd)
{
    zpat_options_t opts = {.recv_timeout_ms = 60000,
                           .send_timeout_ms = 1000,
                           .linger_ms = ZPAT_WAIT_NONE};
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &opts);
    if (!rep)
        return 2;
    int port = hu_tcp_port (zpat_endpoint (rep));
    if (write (report_fd, &port, sizeof port) != sizeof port)
        return 2;
    static unsigned char answered[MAX_IDS];
    zpat_msg_t *msg = zpat_msg_new ();
    char reply[64];
    while (true) {
        int frames = zpat_recv_msg (rep, msg);
        if (frames < 0) {
            fprintf (stderr, "server: receive: %s\n", zpat_strerror (errno));
            return 3;
        }
        char text[64] = "";
        size_t size = zpat_msg_size (msg, 0);
        if (frames == 1 && size < sizeof text)
            memcpy (text, zpat_msg_data (msg, 0), size);
        unsigned id = 0;
        bool quit = false;
        if (sscanf (text, "ok %u", &id) == 1 && id < MAX_IDS) {
            answered[id] = 1;
            snprintf (reply, sizeof reply, "re %u", id);
        } else if (sscanf (text, "check %u", &id) == 1 && id < MAX_IDS)
            snprintf (reply, sizeof reply, "%s", answered[id] ? "yes" : "no");
        else if (strcmp (text, "quit") == 0) {
            snprintf (reply, sizeof reply, "bye");
            quit = true;
        } else
            snprintf (reply, sizeof reply, "junk");
        if (zpat_send_str (rep, reply) == -1) {
            fprintf (stderr, "server: reply: %s\n", zpat_strerror (errno));
            return 3;
        }
        if (quit)
            break;
    }
    zpat_msg_destroy (&msg);
    zpat_rep_destroy (&rep);
    return 0;
}

// Forks the server and returns its pid; stores its port.
static pid_t
s_server_spawn (int *port)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        close (fds[0]);
        _exit (s_server_main (fds[1]));
    }
    close (fds[1]);
    ck_assert_int_eq (read (fds[0], port, sizeof *port), sizeof *port);
    close (fds[0]);
    return pid;
}

// ---------------------------------------------------------------------------
// The proper client

typedef struct {
    char endpoint[64];
    zpat_req_t *req;
    unsigned next_id;
    unsigned ok, failed;
    // REQs that timed out, kept to see whether their reply comes late.
    zpat_req_t *aside[4096];
    unsigned aside_id[4096];
    unsigned aside_count;
    double worst_ms; // slowest successful round trip
} client_t;

// One request; true when its reply came in time and was right.
static bool
s_client_request (client_t *self)
{
    if (!self->req) {
        zpat_options_t client_opts = {
            .send_timeout_ms = REQUEST_TIMEOUT_MS,
            .recv_timeout_ms = REQUEST_TIMEOUT_MS,
            .linger_ms = ZPAT_WAIT_NONE,
        };
        self->req = zpat_req_new (self->endpoint, &client_opts);
        ck_assert_msg (self->req, "REQ: %s", zpat_strerror (errno));
    }
    unsigned id = self->next_id++;
    ck_assert_uint_lt (id, MAX_IDS);
    double start = hu_now_ms ();
    ck_assert_int_eq (zpat_sendf (self->req, "ok %u", id), 0);
    char *reply = zpat_recv_str (self->req);
    if (!reply) {
        ck_assert_int_eq (errno, EAGAIN);
        self->failed++;
        if (self->aside_count < 4096) {
            self->aside_id[self->aside_count] = id;
            self->aside[self->aside_count++] = self->req;
        } else
            zpat_req_destroy (&self->req);
        self->req = NULL;
        return false;
    }
    double took = hu_now_ms () - start;
    if (took > self->worst_ms)
        self->worst_ms = took;
    char expected[32];
    snprintf (expected, sizeof expected, "re %u", id);
    ck_assert_str_eq (reply, expected);
    zpat_str_free (&reply);
    self->ok++;
    return true;
}

// Asks the server something on a fresh REQ and returns the answer, or NULL
// when none came. A question whose answer is lost is asked again (a lost
// reply is what this suite looks for; it is counted elsewhere).
static char *
s_ask (const char *endpoint, const char *question, int attempts)
{
    zpat_options_t opts = {.send_timeout_ms = 2000 * hu_time_factor (),
                           .recv_timeout_ms = 2000 * hu_time_factor (),
                           .linger_ms = ZPAT_WAIT_NONE};
    char *answer = NULL;
    for (int i = 0; i < attempts && !answer; i++) {
        zpat_req_t *req = zpat_req_new (endpoint, &opts);
        ck_assert_ptr_nonnull (req);
        ck_assert_int_eq (zpat_send_str (req, question), 0);
        answer = zpat_recv_str (req);
        zpat_req_destroy (&req);
    }
    return answer;
}

// ---------------------------------------------------------------------------
// The junk threads

typedef struct {
    int port;
    unsigned seed;
    unsigned made;    // junk connections made
    unsigned refused; // connects the kernel refused (backlog full)
    unsigned dropped; // huge-frame peers the server hung up on in time
    unsigned huge;    // huge-frame peers tried
    atomic_bool done; // set by the thread as it finishes
} junk_t;

static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C (2685821657736338717);
}

static void *
s_junk_thread (void *arg)
{
    junk_t *self = arg;
    uint64_t state = UINT64_C (0x5DEECE66D) * (self->seed + 1);
    int held[JUNK_HELD];
    for (int i = 0; i < JUNK_HELD; i++)
        held[i] = -1;
    unsigned char buf[2100];
    unsigned char hello[HU_GREETING_SIZE + 64];
    hu_greeting (hello);
    size_t hello_size =
        HU_GREETING_SIZE + hu_ready (hello + HU_GREETING_SIZE, "REQ");
    for (unsigned i = 0; i < JUNK_PER_THREAD; i++) {
        junk_kind_t kind = (junk_kind_t)((i + self->seed) % JUNK_KINDS);
        int fd = hu_raw_connect (self->port, 2000);
        if (fd == -1) {
            self->refused++;
            continue;
        }
        self->made++;
        bool handshaken = false;
        if (kind == JUNK_HUGE_64MIB || kind == JUNK_HUGE_2_63 ||
            kind == JUNK_NO_ENVELOPE || kind == JUNK_ASK_AND_LEAVE ||
            kind == JUNK_BAD_UTF8)
            handshaken = hu_handshake (fd, "REQ") == 0;
        unsigned char head[9];
        switch (kind) {
        case JUNK_RANDOM: {
            size_t size = 1 + s_random (&state) % 2000;
            for (size_t k = 0; k < size; k++)
                buf[k] = (unsigned char)s_random (&state);
            hu_send_all (fd, buf, size);
            break;
        }
        case JUNK_TRUNCATED:
            hu_send_all (fd, hello, 1 + s_random (&state) % (hello_size - 1));
            break;
        case JUNK_HUGE_64MIB:
        case JUNK_HUGE_2_63:
            if (handshaken) {
                uint64_t size = kind == JUNK_HUGE_64MIB
                                    ? (uint64_t)ZPAT_DEFAULT_MAX_MSG_BYTES + 1
                                    : UINT64_C (0x7FFFFFFFFFFFFFFF);
                hu_send_all (fd, head, hu_frame_header (head, size, HU_LONG));
                self->huge++;
                if (hu_wait_closed (fd, 5000) >= 0)
                    self->dropped++;
            }
            break;
        case JUNK_NO_ENVELOPE:
            hu_send_frame (fd, "no envelope", 11, 0);
            break;
        case JUNK_ASK_AND_LEAVE:
            hu_send_frame (fd, "", 0, HU_MORE);
            hu_send_frame (fd, "ok 99999", 8, 0);
            break;
        case JUNK_SILENT: {
            int slot = (int)(i / JUNK_KINDS) % JUNK_HELD;
            if (held[slot] >= 0)
                close (held[slot]);
            held[slot] = fd;
            fd = -1;
            break;
        }
        case JUNK_RESET: {
            struct linger hard = {1, 0};
            setsockopt (fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
            break;
        }
        case JUNK_WRONG_TYPE: {
            unsigned char wrong[HU_GREETING_SIZE + 64];
            hu_greeting (wrong);
            size_t size =
                HU_GREETING_SIZE + hu_ready (wrong + HU_GREETING_SIZE, "PUB");
            hu_send_all (fd, wrong, size);
            break;
        }
        case JUNK_BAD_UTF8:
            hu_send_frame (fd, "", 0, HU_MORE);
            hu_send_frame (fd, "\xff\xfe\xc3\x28", 4, 0);
            // Read the reply now and then, so that some connections end
            // cleanly after a whole exchange.
            if (i % 2 && handshaken) {
                size_t size;
                int flags;
                hu_recv_frame (fd, buf, sizeof buf, &size, &flags);
            }
            break;
        case JUNK_KINDS:
            break;
        }
        if (fd >= 0)
            close (fd);
    }
    for (int i = 0; i < JUNK_HELD; i++)
        if (held[i] >= 0)
            close (held[i]);
    atomic_store (&self->done, true);
    return NULL;
}

// ---------------------------------------------------------------------------

START_TEST (rep_serves_through_junk_flood)
{
    int port;
    pid_t server = s_server_spawn (&port);
    client_t *client = calloc (1, sizeof *client);
    ck_assert_ptr_nonnull (client);
    snprintf (client->endpoint, sizeof client->endpoint, "tcp://127.0.0.1:%d",
              port);

    // Warm up, so that the memory a first exchange allocates for good is
    // counted before the flood.
    for (int i = 0; i < WARM_REQUESTS; i++)
        ck_assert_msg (s_client_request (client), "warm-up request %d failed",
                       i);
    long rss_before = hu_rss_kb (server);
    ck_assert_int_gt (rss_before, 0);

    junk_t junk[JUNK_THREADS];
    pthread_t threads[JUNK_THREADS];
    double flood_start = hu_now_ms ();
    for (int t = 0; t < JUNK_THREADS; t++) {
        memset (&junk[t], 0, sizeof junk[t]);
        atomic_init (&junk[t].done, false);
        junk[t].port = port;
        junk[t].seed = (unsigned)t * 5;
        ck_assert_int_eq (
            pthread_create (&threads[t], NULL, s_junk_thread, &junk[t]), 0);
    }
    // Proper requests for as long as the flood lasts.
    unsigned before_ok = client->ok, before_failed = client->failed;
    bool flooding = true;
    while (flooding) {
        s_client_request (client);
        flooding = false;
        for (int t = 0; t < JUNK_THREADS; t++)
            if (!atomic_load (&junk[t].done))
                flooding = true;
    }
    for (int t = 0; t < JUNK_THREADS; t++)
        pthread_join (threads[t], NULL);
    double flood_ms = hu_now_ms () - flood_start;
    unsigned during_ok = client->ok - before_ok;
    unsigned during_failed = client->failed - before_failed;

    // After the flood every request must succeed.
    unsigned after_failed = client->failed;
    for (int i = 0; i < AFTER_REQUESTS; i++)
        s_client_request (client);
    after_failed = client->failed - after_failed;

    // Sort out the failures: a reply that came late, a reply the server
    // sent that never arrived, a request that never reached the server.
    unsigned late = 0, dropped = 0, unheard = 0;
    for (unsigned i = 0; i < client->aside_count; i++) {
        zpat_set_recv_timeout_ms (client->aside[i], 50);
        char *reply = zpat_recv_str (client->aside[i]);
        if (reply)
            late++;
        else {
            char question[32];
            snprintf (question, sizeof question, "check %u",
                      client->aside_id[i]);
            char *answer = s_ask (client->endpoint, question, 3);
            ck_assert_msg (answer, "no answer to \"%s\"", question);
            if (strcmp (answer, "yes") == 0)
                dropped++;
            else
                unheard++;
            zpat_str_free (&answer);
        }
        zpat_str_free (&reply);
        zpat_req_destroy (&client->aside[i]);
    }
    zpat_req_destroy (&client->req);

    long rss_after = hu_rss_kb (server);
    int status = 0;
    ck_assert_msg (waitpid (server, &status, WNOHANG) == 0,
                   "the server process died during the flood (status %d)",
                   status);
    // The server leaves once it has answered; its answer may be lost.
    char *bye = s_ask (client->endpoint, "quit", 1);
    zpat_str_free (&bye);
    ck_assert_int_eq (waitpid (server, &status, 0), server);

    unsigned made = 0, refused = 0, huge = 0, huge_dropped = 0;
    for (int t = 0; t < JUNK_THREADS; t++) {
        made += junk[t].made;
        refused += junk[t].refused;
        huge += junk[t].huge;
        huge_dropped += junk[t].dropped;
    }
    double rate = 100.0 * during_ok / (during_ok + during_failed);
    printf ("[figures] flood: %u junk connections in %.0f ms (%u refused by "
            "the kernel), %d kinds:",
            made, flood_ms, refused, JUNK_KINDS);
    for (int k = 0; k < JUNK_KINDS; k++)
        printf ("%s%s", k ? ", " : " ", junk_names[k]);
    printf ("\n[figures] flood: huge-frame peers dropped by the server: %u of "
            "%u\n",
            huge_dropped, huge);
    printf ("[figures] flood: proper requests during the flood: %u of %u "
            "answered within %d ms (%.2f%%); after it: %u of %d; slowest "
            "answered round trip %.1f ms\n",
            during_ok, during_ok + during_failed, REQUEST_TIMEOUT_MS, rate,
            AFTER_REQUESTS - after_failed, AFTER_REQUESTS, client->worst_ms);
    printf ("[figures] flood: unanswered requests: %u late, %u answered by "
            "the server but the reply never arrived, %u never reached it\n",
            late, dropped, unheard);
    printf ("[figures] flood: server RSS %ld KiB before, %ld KiB after "
            "(%+ld KiB)\n",
            rss_before, rss_after, rss_after - rss_before);

    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "server exit status %d", status);
    ck_assert_uint_eq (made, JUNK_THREADS * JUNK_PER_THREAD);
    ck_assert_uint_eq (huge_dropped, huge);
    ck_assert_msg (rate >= 99.0,
                   "only %.2f%% of proper requests succeeded "
                   "during the flood",
                   rate);
    ck_assert_msg (after_failed == 0, "%u requests failed after the flood",
                   after_failed);
    ck_assert_msg (dropped == 0,
                   "%u replies the server sent to proper requests never "
                   "arrived (REP drops a reply after a junk peer: bugs.md)",
                   dropped);
    ck_assert_msg (rss_after - rss_before < hu_rss_limit_kb (),
                   "server RSS grew by %ld KiB", rss_after - rss_before);
    free (client);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("flood");
    TCase *flood = tcase_create ("flood");
    tcase_set_timeout (flood, 240);
    tcase_add_test (flood, rep_serves_through_junk_flood);
    suite_add_tcase (suite, flood);
    return suite;
}

int
main (void)
{
    // Line-buffered, so that the figures a failing test printed are kept.
    setvbuf (stdout, NULL, _IOLBF, 0);
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
