// zpat.c - the zpat command-line tool: any ZeroMQ role from the shell, to
// poke a service or script one, as nng's nngcat does for nng.
// SPDX-License-Identifier: MPL-2.0
//
//   zpat rep 'tcp://*:5555' --data world          answer every request
//   echo hello | zpat req tcp://localhost:5555    one request, print reply
//   zpat sub tcp://localhost:5556 -s weather -n 3 three messages, then exit
//
// The usage is in zpat_cli_args.c, the input and output formats in
// zpat_cli_io.c, and the manual in docs/zpat.1.

#include "zpat_cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// The object, under its own type for the calls of its role and as a
// zpat_socket_t for the calls every role has.
typedef struct {
    zpat_req_t *req;
    zpat_rep_t *rep;
    zpat_pub_t *pub;
    zpat_sub_t *sub;
    zpat_push_t *push;
    zpat_pull_t *pull;
    zpat_dealer_t *dealer;
    zpat_router_t *router;
    zpat_socket_t *any;
} object_t;

// One run of the tool.
typedef struct {
    const cli_args_t *args;
    object_t obj;
    // The message given by --data and --file, when given: its frames, and
    // the file contents they point into.
    zpat_frame_t *frames;
    char **files;
    size_t frame_count;
    // Otherwise the roles that send read lines from stdin.
    cli_reader_t in;
    bool reading;
    // The message about to be sent: sent_limit copies of the frames, or the
    // line taken from in.
    bool pending;
    const char *line;
    size_t line_size;
    long sent, received;
    long sent_limit;     // the frames' copies to send; 0 with lines
    int64_t next_send;   // when the next send may go (--delay, --interval)
    zpat_poller_t *idle; // empty: waits that only a signal may end
    zpat_msg_t *msg;     // received
    zpat_msg_t *reply;   // a router's reply
} run_t;

// Reports errno for what failed and returns the status to exit with:
// quietly 0 after SIGINT or SIGTERM, 3 for a timeout, 1 for the rest.
static int
s_failed (run_t *self, const char *what)
{
    int error = errno;
    if ((error == EINTR && zpat_interrupted ()) || error == ZPAT_ETERM)
        return CLI_DONE;
    if (error == EAGAIN && self->args->timeout_ms >= 0) {
        fprintf (stderr, "zpat: %s: timed out after %d ms\n", what,
                 self->args->timeout_ms);
        // What is still queued has nobody to take it: no linger.
        if (self->obj.any)
            zpat_socket_set_linger_ms (self->obj.any, 0);
        return CLI_TIMEOUT;
    }
    fprintf (stderr, "zpat: %s: %s\n", what, zpat_strerror (error));
    return CLI_ERROR;
}

// Waits until self->next_send; a signal ends the wait (-1, EINTR).
static int
s_wait_turn (run_t *self)
{
    int64_t left = self->next_send - cli_now_ms ();
    if (left <= 0)
        return 0;
    zpat_ready_t ready;
    int rc = zpat_poller_wait (self->idle, (int)left, &ready, 1);
    return rc == -1 && errno == EAGAIN ? 0 : rc;
}

// Makes self->pending the next message to send, if there is one. wait:
// wait for a line; otherwise return 2 when no whole line is held yet.
// Returns 1 (a message is pending), 0 (no more), 2, or -1 with errno.
static int
s_take (run_t *self, bool wait)
{
    if (self->pending)
        return 1;
    if (!self->reading) {
        self->pending = self->sent < self->sent_limit;
        return self->pending;
    }
    int rc =
        wait ? cli_reader_next_line (&self->in, &self->line, &self->line_size)
             : cli_reader_line (&self->in, &self->line, &self->line_size);
    if (rc == 0 && !wait)
        return self->in.ended ? 0 : 2;
    self->pending = rc == 1;
    return rc;
}

// Sends the pending message: 0, or -1 with errno.
static int
s_send (run_t *self)
{
    int rc = self->reading
                 ? zpat_socket_send (self->obj.any, self->line, self->line_size)
                 : zpat_socket_send_frames (self->obj.any, self->frames,
                                            self->frame_count);
    if (rc == 0) {
        self->pending = false;
        self->sent++;
        self->next_send = cli_now_ms () + self->args->interval_ms;
    }
    return rc;
}

// Prints the message received (with the router's peer) and counts it:
// CLI_GO_ON, or the status to exit with when stdout fails.
static int
s_print (run_t *self, const zpat_peer_t *peer)
{
    if (cli_print (stdout, self->args->format, peer, self->msg) == -1)
        return s_failed (self, "stdout");
    self->received++;
    return CLI_GO_ON;
}

static bool
s_count_reached (const run_t *self)
{
    return self->args->count && self->received >= self->args->count;
}

// req, pub, push: take a message, send it, and for req wait for the reply.
static int
s_run_sender (run_t *self)
{
    bool req = self->args->role == CLI_REQ;
    long limit = self->reading ? self->args->count : self->sent_limit;
    while (!limit || self->sent < limit) {
        int rc = s_take (self, true);
        if (rc == 0)
            break;
        if (rc == -1)
            return s_failed (self, "stdin");
        if (s_wait_turn (self) == -1)
            return s_failed (self, "wait");
        if (s_send (self) == -1)
            return s_failed (self, "send");
        if (!req)
            continue;
        if (zpat_socket_recv_msg (self->obj.any, self->msg) == -1)
            return s_failed (self, "receive");
        rc = s_print (self, NULL);
        if (rc != CLI_GO_ON)
            return rc;
    }
    return CLI_DONE;
}

// sub, pull: print what comes.
static int
s_run_receiver (run_t *self)
{
    while (!s_count_reached (self)) {
        if (zpat_socket_recv_msg (self->obj.any, self->msg) == -1)
            return s_failed (self, "receive");
        int rc = s_print (self, NULL);
        if (rc != CLI_GO_ON)
            return rc;
    }
    return CLI_DONE;
}

// rep: print each request, then echo it or answer it with the message given.
static int
s_run_rep (run_t *self)
{
    while (!s_count_reached (self)) {
        if (zpat_socket_recv_msg (self->obj.any, self->msg) == -1)
            return s_failed (self, "receive");
        int rc = s_print (self, NULL);
        if (rc != CLI_GO_ON)
            return rc;
        rc = self->frame_count
                 ? zpat_socket_send_frames (self->obj.any, self->frames,
                                            self->frame_count)
                 : zpat_socket_send_msg (self->obj.any, self->msg);
        if (rc == -1)
            return s_failed (self, "reply");
    }
    return CLI_DONE;
}

// A router's answer to self->msg with the message given: the request's
// envelope (its frames up to the first empty one, as a REQ or a queue
// device sends them; none when no frame is empty) and then the frames.
static int
s_router_answer (run_t *self)
{
    zpat_msg_reset (self->reply);
    size_t count = zpat_msg_count (self->msg);
    size_t envelope = 0;
    while (envelope < count && zpat_msg_size (self->msg, envelope) > 0)
        envelope++;
    envelope = envelope < count ? envelope + 1 : 0;
    for (size_t i = 0; i < envelope; i++)
        if (zpat_msg_add (self->reply, zpat_msg_data (self->msg, i),
                          zpat_msg_size (self->msg, i)) == -1)
            return -1;
    for (size_t i = 0; i < self->frame_count; i++)
        if (zpat_msg_add (self->reply, self->frames[i].data,
                          self->frames[i].size) == -1)
            return -1;
    return 0;
}

// router: print each message with its peer's id, then echo it or answer.
// A peer gone before its answer does not end the router: it says so.
static int
s_run_router (run_t *self)
{
    while (!s_count_reached (self)) {
        zpat_peer_t peer;
        if (zpat_router_recv_msg (self->obj.router, &peer, self->msg) == -1)
            return s_failed (self, "receive");
        int rc = s_print (self, &peer);
        if (rc != CLI_GO_ON)
            return rc;
        zpat_msg_t *answer = self->msg;
        if (self->frame_count) {
            if (s_router_answer (self) == -1)
                return s_failed (self, "reply");
            answer = self->reply;
        }
        if (zpat_router_send_msg (self->obj.router, &peer, answer) == 0)
            continue;
        if (errno != EHOSTUNREACH)
            return s_failed (self, "reply");
        fprintf (stderr, "zpat: reply: peer ");
        for (size_t i = 0; i < peer.size; i++)
            fprintf (stderr, "%02x", peer.id[i]);
        fprintf (stderr, " has gone: %s\n", zpat_strerror (EHOSTUNREACH));
    }
    return CLI_DONE;
}

// dealer: sends and receives at once. It sends each message as soon as it
// has it (and --interval allows), prints each message that comes, and ends
// when --count messages came or, without --count, once its input has
// ended and as many came as it sent. --timeout bounds each wait for a
// message while one is due (more sent than received, or input ended).
static int
s_run_dealer (run_t *self)
{
    const cli_args_t *args = self->args;
    zpat_poller_t *poller = zpat_poller_new ();
    if (!poller || zpat_poller_add_socket (poller, self->obj.any, ZPAT_POLLIN,
                                           NULL) == -1) {
        int status = s_failed (self, "poller");
        zpat_poller_destroy (&poller);
        return status;
    }
    bool watching = false; // stdin is in the poller
    bool input_done = false;
    int64_t due_since = cli_now_ms ();
    int status = CLI_GO_ON;
    while (status == CLI_GO_ON) {
        if (args->count ? s_count_reached (self)
                        : input_done && self->received >= self->sent) {
            status = CLI_DONE;
            break;
        }
        int taken = input_done ? 0 : s_take (self, false);
        if (taken == -1) {
            status = s_failed (self, "stdin");
            break;
        }
        input_done = taken == 0;
        int64_t now = cli_now_ms ();
        if (taken == 1 && now >= self->next_send) {
            if (s_send (self) == -1)
                status = s_failed (self, "send");
            due_since = cli_now_ms ();
            continue;
        }
        // Watch stdin only while a line is wanted and not yet whole.
        bool want_stdin = taken == 2;
        if (want_stdin != watching) {
            int rc = want_stdin
                         ? zpat_poller_add_fd (poller, 0, ZPAT_POLLIN, NULL)
                         : zpat_poller_remove_fd (poller, 0);
            if (rc == -1) {
                status = s_failed (self, "stdin");
                break;
            }
            watching = want_stdin;
        }
        int wait = taken == 1 ? (int)(self->next_send - now) : -1;
        bool timing = false;
        if (args->timeout_ms >= 0 &&
            (input_done || self->sent > self->received)) {
            int64_t left = due_since + args->timeout_ms - now;
            left = left < 0 ? 0 : left;
            if (wait < 0 || left <= wait) {
                wait = (int)left;
                timing = true;
            }
        }
        zpat_ready_t ready[2];
        int found = zpat_poller_wait (poller,
                                      wait < 0 ? ZPAT_WAIT_FOREVER
                                      : wait   ? wait
                                               : ZPAT_WAIT_NONE,
                                      ready, 2);
        if (found == -1 && errno == EAGAIN) {
            if (timing)
                status = s_failed (self, "receive");
            continue;
        }
        if (found == -1)
            status = s_failed (self, "wait");
        for (int i = 0; i < found && status == CLI_GO_ON; i++) {
            if (ready[i].fd == 0) {
                if (cli_reader_read (&self->in) == -1)
                    status = s_failed (self, "stdin");
            } else if (zpat_socket_recv_msg (self->obj.any, self->msg) == -1) {
                status = s_failed (self, "receive");
            } else {
                status = s_print (self, NULL);
                due_since = cli_now_ms ();
            }
        }
    }
    zpat_poller_destroy (&poller);
    return status;
}

// Makes the object of the role with the options the arguments ask for.
static int
s_new_object (run_t *self)
{
    const cli_args_t *args = self->args;
    zpat_options_t opts = {0};
    if (args->timeout_ms >= 0) {
        int timeout = args->timeout_ms ? args->timeout_ms : ZPAT_WAIT_NONE;
        opts.send_timeout_ms = timeout;
        opts.recv_timeout_ms = timeout;
    }
    object_t *obj = &self->obj;
    const char *endpoints = args->endpoints;
    // zpat_socket () only converts the pointer: NULL stays NULL.
    switch (args->role) {
    case CLI_REQ:
        obj->req = zpat_req_new (endpoints, &opts);
        obj->any = zpat_socket (obj->req);
        break;
    case CLI_REP:
        obj->rep = zpat_rep_new (endpoints, &opts);
        obj->any = zpat_socket (obj->rep);
        break;
    case CLI_PUB:
        obj->pub = zpat_pub_new (endpoints, &opts);
        obj->any = zpat_socket (obj->pub);
        break;
    case CLI_SUB:
        obj->sub = zpat_sub_new (endpoints, NULL, &opts);
        obj->any = zpat_socket (obj->sub);
        break;
    case CLI_PUSH:
        obj->push = zpat_push_new (endpoints, &opts);
        obj->any = zpat_socket (obj->push);
        break;
    case CLI_PULL:
        obj->pull = zpat_pull_new (endpoints, &opts);
        obj->any = zpat_socket (obj->pull);
        break;
    case CLI_DEALER:
        obj->dealer = zpat_dealer_new (endpoints, &opts);
        obj->any = zpat_socket (obj->dealer);
        break;
    case CLI_ROUTER:
        obj->router = zpat_router_new (endpoints, &opts);
        obj->any = zpat_socket (obj->router);
        break;
    }
    if (!obj->any)
        return s_failed (self, endpoints);
    if (args->verbose) {
        const char *bound = zpat_socket_endpoint (obj->any);
        if (bound)
            fprintf (stderr, "zpat: bound to %s\n", bound);
    }
    // sub: the prefixes asked for, or everything.
    static const char *const everything[] = {""};
    const char *const *prefixes =
        args->prefix_count ? args->prefixes : everything;
    size_t prefix_count = args->prefix_count ? args->prefix_count : 1;
    for (size_t i = 0; obj->sub && i < prefix_count; i++) {
        const char *prefix = prefixes[i];
        if (zpat_sub_subscribe (obj->sub, prefix) == -1) {
            char what[64];
            snprintf (what, sizeof what, "--subscribe %.40s%s", prefix,
                      strlen (prefix) > 40 ? "..." : "");
            return s_failed (self, what);
        }
    }
    // pub: the subscribers to wait for before the first send.
    if (obj->pub && args->subscribers > 0 &&
        zpat_pub_wait_subscriptions (
            obj->pub, args->subscribers,
            args->timeout_ms >= 0 ? args->timeout_ms : ZPAT_WAIT_FOREVER) == -1)
        return s_failed (self, "--subscribers");
    return CLI_GO_ON;
}

// Reads the frames of --data and --file.
static int
s_load_message (run_t *self)
{
    const cli_args_t *args = self->args;
    size_t count = args->part_count;
    self->frames = calloc (count ? count : 1, sizeof *self->frames);
    self->files = calloc (count ? count : 1, sizeof *self->files);
    if (!self->frames || !self->files) {
        errno = ENOMEM;
        return s_failed (self, "--data");
    }
    for (size_t i = 0; i < count; i++) {
        const cli_part_t *part = &args->parts[i];
        if (!part->is_file) {
            self->frames[i].data = part->arg;
            self->frames[i].size = strlen (part->arg);
            continue;
        }
        bool is_stdin = strcmp (part->arg, "-") == 0;
        int fd = is_stdin ? 0 : open (part->arg, O_RDONLY);
        size_t size = 0;
        int rc = fd == -1 ? -1 : cli_read_all (fd, &self->files[i], &size);
        int saved = errno;
        if (fd > 0)
            close (fd);
        errno = saved;
        if (rc == -1)
            return s_failed (self, is_stdin ? "stdin" : part->arg);
        self->frames[i].data = self->files[i];
        self->frames[i].size = size;
    }
    self->frame_count = count;
    return CLI_GO_ON;
}

static int
s_run (run_t *self)
{
    const cli_args_t *args = self->args;
    int status = s_load_message (self);
    if (status != CLI_GO_ON)
        return status;
    // The roles that send read stdin when no message was given.
    self->reading = cli_role_sends (args->role) && self->frame_count == 0;
    if (self->reading && cli_reader_init (&self->in, 0) == -1)
        return s_failed (self, "stdin");
    self->sent_limit = self->reading ? 0 : args->count ? args->count : 1;
    self->idle = zpat_poller_new ();
    self->msg = zpat_msg_new ();
    self->reply = zpat_msg_new ();
    if (!self->idle || !self->msg || !self->reply)
        return s_failed (self, "start");
    status = s_new_object (self);
    if (status != CLI_GO_ON)
        return status;
    self->next_send = cli_now_ms () + args->delay_ms;
    switch (args->role) {
    case CLI_REQ:
    case CLI_PUB:
    case CLI_PUSH:
        return s_run_sender (self);
    case CLI_SUB:
    case CLI_PULL:
        return s_run_receiver (self);
    case CLI_REP:
        return s_run_rep (self);
    case CLI_ROUTER:
        return s_run_router (self);
    case CLI_DEALER:
        return s_run_dealer (self);
    }
    return CLI_ERROR;
}

int
main (int argc, char **argv)
{
    cli_args_t args;
    int status = cli_args_parse (&args, argc, argv);
    if (status != CLI_GO_ON)
        return status;
    // Ctrl-C and SIGTERM end every wait, and zpat quietly, with status 0.
    if (zpat_catch_signals () == -1) {
        fprintf (stderr, "zpat: signals: %s\n", zpat_strerror (errno));
        cli_args_free (&args);
        return CLI_ERROR;
    }
    run_t run = {.args = &args};
    status = s_run (&run);
    // Destroying the object gives what it has queued its linger (1 s), but
    // after a timeout (see s_failed).
    zpat_req_destroy (&run.obj.req);
    zpat_rep_destroy (&run.obj.rep);
    zpat_pub_destroy (&run.obj.pub);
    zpat_sub_destroy (&run.obj.sub);
    zpat_push_destroy (&run.obj.push);
    zpat_pull_destroy (&run.obj.pull);
    zpat_dealer_destroy (&run.obj.dealer);
    zpat_router_destroy (&run.obj.router);
    zpat_msg_destroy (&run.msg);
    zpat_msg_destroy (&run.reply);
    zpat_poller_destroy (&run.idle);
    if (run.reading)
        cli_reader_fini (&run.in);
    for (size_t i = 0; run.files && i < args.part_count; i++)
        free (run.files[i]);
    free (run.files);
    free (run.frames);
    cli_args_free (&args);
    return status;
}
