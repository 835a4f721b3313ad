// zpat_reliable_push.c - the reliable pusher's engine: a ROUTER in a thread
// of its own that hands each message the application sent to a puller with
// credit, keeps it until that puller acknowledges it, and gives it to
// another puller if that one dies. See docs/reliable-pipeline.md.
// SPDX-License-Identifier: MPL-2.0
//
// The application's sends go to the engine over an inproc PAIR (the
// pusher's own socket core): its high-water mark is what makes a send wait,
// since the thread takes a message off it only when some puller has credit.
// The ROUTER and the thread's end of the PAIR are cores of internal roles,
// in the context's registry, and the thread marks them busy while it runs,
// as the authenticator and the devices do: zpat_shutdown () and exit wake
// it (ZPAT_ETERM) and close them as they close every object.
//
// A puller is dead when a send to it fails with EHOSTUNREACH
// (ZMQ_ROUTER_MANDATORY): libzmq drops its connection when its process
// ends, or when libzmq's heartbeats (ZMQ_HEARTBEAT_IVL/TIMEOUT, answered by
// the peer's I/O thread, so a busy puller stays alive) go unanswered. Every
// quarter heartbeat the thread sends a one-frame ping to each puller that
// holds messages, so that a death is seen even when nothing else is sent.

#include "zpat_reliable.h"

#include <fcntl.h>
#include <sys/random.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define BUCKETS 1024u
#define STOP_NOW 'X'
#define STOP_LINGER 'L'
#define ATTACH 'A' // zpat_bind or zpat_connect on the pusher: see s_attach

// The ROUTER (bare endpoints connect) and the thread's end of the PAIR.
static const zpat__role_t s_router_role = {
    .name = "PUSH",
    .zmq_type = ZMQ_ROUTER,
    .size = sizeof (zpat_socket_t),
    .attach = '>',
    .sends = true,
    .receives = true,
};

static const zpat__role_t s_inbox_role = {
    .name = "PUSH",
    .zmq_type = ZMQ_PAIR,
    .size = sizeof (zpat_socket_t),
    .attach = '@',
    .sends = false,
    .receives = true,
};

typedef struct peer {
    uint8_t id[255];
    size_t id_size;
    uint32_t credit;      // what it may hold, capped by the pusher's
    uint32_t outstanding; // what it holds now (sent, not acknowledged)
} peer_t;

typedef struct entry {
    uint64_t seq;
    peer_t *peer;       // who holds it; NULL while queued again
    struct entry *next; // in its bucket, or in the queue
    size_t count;
    zmq_msg_t frames[]; // the message, as the application sent it
} entry_t;

struct zpat__rpush {
    zpat_socket_t *router, *inbox;
    pid_t pid;
    pthread_t thread;
    bool started;
    int stop[2];          // a pipe: STOP_LINGER or STOP_NOW
    atomic_int linger_ms; // written before STOP_LINGER
    // A bind or connect the application asked for, made by the thread
    // (which owns the ROUTER): under lock, until done is set.
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    zpat_socket_t *app;
    const char *attach_endpoint;
    char attach_mode;
    bool attach_pending, stopped;
    // At exit the thread gets the linger before the context ends.
    zpat__exit_hook_t exit_hook;
    bool joined;      // the thread has been stopped and joined
    int attach_errno; // 0 when done well
    uint32_t cap;
    int heartbeat_ms;
    // The thread's own state from here on.
    peer_t **peers;
    size_t peer_count, peer_capacity, turn;
    entry_t *buckets[BUCKETS]; // sent and not acknowledged, by seq
    size_t unacked;
    entry_t *queue_head, *queue_tail; // taken back from dead pullers
    uint64_t next_seq;
};

zpat_socket_t *
zpat__rel_socket_new (const zpat__role_t *role, const zpat_options_t *given,
                      zpat_options_t *core_opts, int *heartbeat_ms)
{
    if (given->reliable_credit < 0 || given->heartbeat_ms < 0 ||
        (given->heartbeat_ms && !given->reliable_credit))
        return zpat__fail_null (EINVAL);
    *core_opts = *given;
    core_opts->reliable_credit = 0;
    core_opts->heartbeat_ms = 0;
    *heartbeat_ms = given->heartbeat_ms ? given->heartbeat_ms
                                        : ZPAT__REL_DEFAULT_HEARTBEAT_MS;
    zpat_socket_t *sock =
        zpat__socket_new (role, NULL, core_opts, sizeof *core_opts);
    if (sock) {
        sock->opts.reliable_credit = given->reliable_credit;
        sock->opts.heartbeat_ms = *heartbeat_ms;
    }
    return sock;
}

int
zpat__rel_heartbeats (void *handle, int heartbeat_ms)
{
    int ivl = heartbeat_ms / 2 > 0 ? heartbeat_ms / 2 : 1;
    int timeout = heartbeat_ms;
    if (zmq_setsockopt (handle, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) == -1 ||
        zmq_setsockopt (handle, ZMQ_HEARTBEAT_TIMEOUT, &timeout,
                        sizeof timeout) == -1)
        return -1;
    return zmq_setsockopt (handle, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout);
}

// ---------------------------------------------------------------------------
// Messages and pullers

static void
s_entry_free (entry_t *entry)
{
    for (size_t i = 0; i < entry->count; i++)
        zmq_msg_close (&entry->frames[i]);
    free (entry);
}

static void
s_hash_add (zpat__rpush_t *self, entry_t *entry)
{
    entry_t **bucket = &self->buckets[entry->seq % BUCKETS];
    entry->next = *bucket;
    *bucket = entry;
    self->unacked++;
}

static entry_t *
s_hash_take (zpat__rpush_t *self, uint64_t seq)
{
    for (entry_t **at = &self->buckets[seq % BUCKETS]; *at; at = &(*at)->next) {
        if ((*at)->seq == seq) {
            entry_t *found = *at;
            *at = found->next;
            self->unacked--;
            return found;
        }
    }
    return NULL;
}

// Queued again entries go out before anything new.
static void
s_queue_front (zpat__rpush_t *self, entry_t *entry)
{
    entry->peer = NULL;
    entry->next = self->queue_head;
    self->queue_head = entry;
    if (!self->queue_tail)
        self->queue_tail = entry;
}

static entry_t *
s_queue_pop (zpat__rpush_t *self)
{
    entry_t *entry = self->queue_head;
    if (entry) {
        self->queue_head = entry->next;
        if (!self->queue_head)
            self->queue_tail = NULL;
    }
    return entry;
}

// Removes seq from the queue (an acknowledgement from a puller taken for
// dead that was not): true when it was there.
static bool
s_queue_drop (zpat__rpush_t *self, uint64_t seq)
{
    entry_t *previous = NULL;
    for (entry_t *it = self->queue_head; it; previous = it, it = it->next) {
        if (it->seq != seq)
            continue;
        if (previous)
            previous->next = it->next;
        else
            self->queue_head = it->next;
        if (self->queue_tail == it)
            self->queue_tail = previous;
        s_entry_free (it);
        return true;
    }
    return false;
}

static peer_t *
s_peer_find (zpat__rpush_t *self, const uint8_t *id, size_t size, bool add)
{
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers[i]->id_size == size &&
            memcmp (self->peers[i]->id, id, size) == 0)
            return self->peers[i];
    if (!add || size == 0 || size > sizeof self->peers[0]->id)
        return NULL;
    if (self->peer_count == self->peer_capacity) {
        size_t capacity = self->peer_capacity ? self->peer_capacity * 2 : 8;
        peer_t **grown = realloc (self->peers, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        self->peers = grown;
        self->peer_capacity = capacity;
    }
    peer_t *peer = calloc (1, sizeof *peer);
    if (!peer)
        return NULL;
    memcpy (peer->id, id, size);
    peer->id_size = size;
    self->peers[self->peer_count++] = peer;
    return peer;
}

static int
s_by_seq (const void *a, const void *b)
{
    uint64_t x = (*(entry_t *const *)a)->seq;
    uint64_t y = (*(entry_t *const *)b)->seq;
    return x < y ? -1 : x > y;
}

// A puller is gone: what it held goes back to the front of the queue, in
// the order it was sent, and it is forgotten.
static void
s_peer_dead (zpat__rpush_t *self, peer_t *peer)
{
    size_t count = peer->outstanding, found = 0;
    entry_t **held = count ? malloc (count * sizeof *held) : NULL;
    for (size_t b = 0; b < BUCKETS; b++) {
        entry_t **at = &self->buckets[b];
        while (*at) {
            entry_t *it = *at;
            if (it->peer != peer) {
                at = &it->next;
                continue;
            }
            *at = it->next;
            self->unacked--;
            if (held && found < count)
                held[found++] = it;
            else
                s_queue_front (self, it); // out of memory: any order
        }
    }
    if (held) {
        qsort (held, found, sizeof *held, s_by_seq);
        while (found > 0)
            s_queue_front (self, held[--found]);
        free (held);
    }
    for (size_t i = 0; i < self->peer_count; i++) {
        if (self->peers[i] == peer) {
            self->peers[i] = self->peers[--self->peer_count];
            break;
        }
    }
    free (peer);
}

// The next puller with credit to spare, in turn; NULL for none.
static peer_t *
s_pick (zpat__rpush_t *self)
{
    for (size_t n = 0; n < self->peer_count; n++) {
        peer_t *peer = self->peers[(self->turn + n) % self->peer_count];
        if (peer->outstanding < peer->credit) {
            self->turn = (self->turn + n + 1) % self->peer_count;
            return peer;
        }
    }
    return NULL;
}

static bool
s_has_credit (const zpat__rpush_t *self)
{
    for (size_t i = 0; i < self->peer_count; i++)
        if (self->peers[i]->outstanding < self->peers[i]->credit)
            return true;
    return false;
}

// ---------------------------------------------------------------------------
// The wire

// Sends entry to peer. 0, or -1: the peer is dead (forgotten, and what it
// held queued again), or its queue is full (it gets nothing until it next
// acknowledges); either way entry is queued again, first.
static int
s_send_entry (zpat__rpush_t *self, peer_t *peer, entry_t *entry)
{
    void *handle = self->router->handle;
    int rc =
        zmq_send (handle, peer->id, peer->id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc == -1) {
        int code = errno;
        s_queue_front (self, entry);
        if (code == EAGAIN)
            peer->credit = peer->outstanding;
        else
            s_peer_dead (self, peer);
        return -1;
    }
    uint8_t head[ZPAT__REL_DATA_SIZE];
    head[0] = ZPAT__REL_DATA;
    zpat__put_be (head + 1, entry->seq, 8);
    zmq_send (handle, head, sizeof head, ZMQ_SNDMORE);
    for (size_t i = 0; i < entry->count; i++) {
        zmq_msg_t copy;
        zmq_msg_init (&copy);
        zmq_msg_copy (&copy, &entry->frames[i]);
        if (zmq_msg_send (&copy, handle,
                          i + 1 < entry->count ? ZMQ_SNDMORE : 0) == -1)
            zmq_msg_close (&copy);
    }
    entry->peer = peer;
    peer->outstanding++;
    s_hash_add (self, entry);
    return 0;
}

// Takes one whole message the application sent: NULL when there is none
// (or no memory: it stays for later).
static entry_t *
s_take (zpat__rpush_t *self)
{
    void *handle = self->inbox->handle;
    size_t capacity = 4, count = 0;
    entry_t *entry = malloc (sizeof *entry + capacity * sizeof (zmq_msg_t));
    if (!entry)
        return NULL;
    while (true) {
        if (count == capacity) {
            capacity *= 2;
            entry_t *grown =
                realloc (entry, sizeof *entry + capacity * sizeof (zmq_msg_t));
            if (!grown)
                break; // the rest of the frames are dropped below
            entry = grown;
        }
        zmq_msg_t *frame = &entry->frames[count];
        zmq_msg_init (frame);
        if (zmq_msg_recv (frame, handle, ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (frame);
            break;
        }
        count++;
        if (!zmq_msg_more (frame))
            break;
    }
    if (count == 0) {
        free (entry);
        return NULL;
    }
    if (zmq_msg_more (&entry->frames[count - 1])) {
        // Out of memory mid-message: drop what is left of it.
        zmq_msg_t rest;
        zmq_msg_init (&rest);
        int more = 1;
        while (more && zmq_msg_recv (&rest, handle, ZMQ_DONTWAIT) >= 0)
            more = zmq_msg_more (&rest);
        zmq_msg_close (&rest);
    }
    entry->count = count;
    entry->peer = NULL;
    entry->next = NULL;
    entry->seq = self->next_seq++;
    return entry;
}

// Hands out what is queued again, then what the application sent, while a
// puller has credit.
static void
s_dispatch (zpat__rpush_t *self)
{
    peer_t *peer;
    while (self->queue_head && (peer = s_pick (self)))
        s_send_entry (self, peer, s_queue_pop (self));
    while (!self->queue_head && (peer = s_pick (self))) {
        entry_t *entry = s_take (self);
        if (!entry)
            break;
        s_send_entry (self, peer, entry);
    }
}

// Reads what the pullers sent: READY and ACK.
static void
s_read (zpat__rpush_t *self)
{
    void *handle = self->router->handle;
    zmq_msg_t id, frame;
    zmq_msg_init (&id);
    zmq_msg_init (&frame);
    while (zmq_msg_recv (&id, handle, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more (&id) ||
            zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) == -1)
            continue;
        int more = zmq_msg_more (&frame);
        const uint8_t *data = zmq_msg_data (&frame);
        size_t size = zmq_msg_size (&frame);
        bool ready =
            !more && size == ZPAT__REL_READY_SIZE && data[0] == ZPAT__REL_READY;
        size_t seqs =
            size > ZPAT__REL_ACK_HEAD ? (size - ZPAT__REL_ACK_HEAD) / 8 : 0;
        bool ack = !more && data[0] == ZPAT__REL_ACK && seqs >= 1 &&
                   seqs <= ZPAT__REL_ACKS_MAX &&
                   size == ZPAT__REL_ACK_HEAD + 8 * seqs;
        uint32_t credit = 0;
        if (ready || ack)
            credit = (uint32_t)zpat__get_be (data + 1, 4);
        for (size_t i = 0; ack && i < seqs; i++) {
            // Another pusher's, or one already acknowledged: not found.
            uint64_t seq = zpat__get_be (data + ZPAT__REL_ACK_HEAD + 8 * i, 8);
            entry_t *entry = s_hash_take (self, seq);
            if (entry) {
                entry->peer->outstanding--;
                s_entry_free (entry);
            } else if (self->queue_head)
                s_queue_drop (self, seq);
        }
        if (ready || ack) {
            peer_t *peer = s_peer_find (self, zmq_msg_data (&id),
                                        zmq_msg_size (&id), true);
            if (peer)
                peer->credit = credit < self->cap ? credit : self->cap;
        }
        while (more && zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) >= 0)
            more = zmq_msg_more (&frame); // not ours: skipped
    }
    zmq_msg_close (&id);
    zmq_msg_close (&frame);
}

// Pings every puller that holds messages: a send that fails with
// EHOSTUNREACH finds a dead one.
static void
s_probe (zpat__rpush_t *self)
{
    void *handle = self->router->handle;
    const uint8_t ping = ZPAT__REL_PING;
    for (size_t i = 0; i < self->peer_count;) {
        peer_t *peer = self->peers[i];
        if (peer->outstanding == 0) {
            i++;
            continue;
        }
        if (zmq_send (handle, peer->id, peer->id_size,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
            if (errno == EHOSTUNREACH) {
                s_peer_dead (self, peer); // peers[i] is another one now
                continue;
            }
        } else
            zmq_send (handle, &ping, 1, 0);
        i++;
    }
}

// True when the application's sends are all taken and acknowledged.
static bool
s_drained (zpat__rpush_t *self)
{
    if (self->unacked || self->queue_head)
        return false;
    int events = 0;
    size_t size = sizeof events;
    zmq_getsockopt (self->inbox->handle, ZMQ_EVENTS, &events, &size);
    return !(events & ZMQ_POLLIN);
}

// In the thread: makes the bind or connect zpat__rpush_attach asked for on
// the ROUTER (busy: the thread keeps it so), and says how it went. What
// zpat_endpoint reports for the pusher is its ROUTER's last bound endpoint.
static void
s_attach_now (zpat__rpush_t *self)
{
    pthread_mutex_lock (&self->lock);
    if (self->attach_pending) {
        int rc = zpat__socket_attach_in (self->router, self->attach_endpoint,
                                         self->attach_mode);
        self->attach_errno = rc == 0 ? 0 : errno;
        if (rc == 0 && self->attach_mode == '@')
            memcpy (self->app->endpoint, self->router->endpoint,
                    sizeof self->app->endpoint);
        self->attach_pending = false;
        pthread_cond_broadcast (&self->done_cond);
    }
    pthread_mutex_unlock (&self->lock);
}

static void *
s_run (void *arg)
{
    zpat__rpush_t *self = arg;
    sigset_t all;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, NULL);
    zpat__busy (self->router);
    zpat__busy (self->inbox);
    int probe_ms = self->heartbeat_ms / 4 > 0 ? self->heartbeat_ms / 4 : 1;
    int64_t next_probe = zpat__clock_ms () + probe_ms;
    int64_t deadline = -1; // lingering until then
    while (!zpat__ctx_ended ()) {
        s_dispatch (self);
        bool can_take = !self->queue_head && s_has_credit (self);
        int64_t now = zpat__clock_ms ();
        if (deadline >= 0 && (now >= deadline || s_drained (self)))
            break;
        int64_t wake = next_probe;
        if (deadline >= 0 && deadline < wake)
            wake = deadline;
        int timeout = wake > now ? (int)(wake - now) : 0;
        zmq_pollitem_t items[3] = {
            {self->router->handle, 0, ZMQ_POLLIN, 0},
            {self->inbox->handle, 0, can_take ? ZMQ_POLLIN : 0, 0},
            {NULL, self->stop[0], ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll (items, 3, timeout);
        if (rc == -1 && errno == EINTR)
            continue;
        if (rc == -1)
            break; // ETERM: the context has ended
        if (items[2].revents) {
            char command = STOP_NOW;
            if (read (self->stop[0], &command, 1) != 1 || command == STOP_NOW)
                break;
            if (command == ATTACH)
                s_attach_now (self);
            else
                deadline = zpat__clock_ms () + atomic_load (&self->linger_ms);
        }
        if (items[0].revents)
            s_read (self);
        now = zpat__clock_ms ();
        if (now >= next_probe) {
            s_probe (self);
            zpat__monitor_drain (self->router);
            next_probe = now + probe_ms;
        }
    }
    // No attach is made after this: one asked for fails, and so does any
    // asked for later.
    pthread_mutex_lock (&self->lock);
    self->stopped = true;
    if (self->attach_pending) {
        self->attach_pending = false;
        self->attach_errno = ZPAT_ETERM;
        pthread_cond_broadcast (&self->done_cond);
    }
    pthread_mutex_unlock (&self->lock);
    zpat__idle (self->inbox);
    zpat__idle (self->router);
    return NULL;
}

int
zpat__rpush_attach (zpat__rpush_t *self, const char *endpoint, char mode)
{
    pthread_mutex_lock (&self->lock);
    int error = 0;
    if (self->stopped || zpat__ctx_ended ())
        error = ZPAT_ETERM;
    else {
        self->attach_endpoint = endpoint;
        self->attach_mode = mode;
        self->attach_pending = true;
        char command = ATTACH;
        ssize_t wrote;
        do
            wrote = write (self->stop[1], &command, 1);
        while (wrote == -1 && errno == EINTR);
        while (self->attach_pending)
            pthread_cond_wait (&self->done_cond, &self->lock);
        error = self->attach_errno;
    }
    pthread_mutex_unlock (&self->lock);
    return error ? zpat__fail (error) : 0;
}

// ---------------------------------------------------------------------------
// The object

static void
s_free (zpat__rpush_t *self, bool whole)
{
    if (whole) {
        for (size_t b = 0; b < BUCKETS; b++) {
            while (self->buckets[b]) {
                entry_t *it = self->buckets[b];
                self->buckets[b] = it->next;
                s_entry_free (it);
            }
        }
        entry_t *it;
        while ((it = s_queue_pop (self)))
            s_entry_free (it);
        for (size_t i = 0; i < self->peer_count; i++)
            free (self->peers[i]);
        free (self->peers);
    }
    zpat__socket_destroy (self->router, &s_router_role);
    zpat__socket_destroy (self->inbox, &s_inbox_role);
    for (int i = 0; i < 2; i++)
        if (self->stop[i] != -1)
            close (self->stop[i]);
    if (whole) { // a forked child's copy may hold a lock taken mid-change
        pthread_mutex_destroy (&self->lock);
        pthread_cond_destroy (&self->done_cond);
    }
    free (self);
}

static void s_at_exit (void *arg);

zpat__rpush_t *
zpat__rpush_new (zpat_socket_t *app, const char *endpoints,
                 const zpat_options_t *opts, int credit, int heartbeat_ms)
{
    zpat__rpush_t *self = calloc (1, sizeof *self);
    if (!self)
        return zpat__fail_null (ENOMEM);
    self->pid = getpid ();
    self->stop[0] = self->stop[1] = -1;
    self->app = app;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->done_cond, NULL);
    self->cap = (uint32_t)credit;
    self->heartbeat_ms = heartbeat_ms;
    atomic_init (&self->linger_ms, ZPAT_DEFAULT_LINGER_MS);
    // A random start, so that one pusher's sequence numbers are not
    // another's: a puller's acknowledgements reach every pusher it has.
    if (getrandom (&self->next_seq, sizeof self->next_seq, 0) !=
        sizeof self->next_seq)
        self->next_seq = (uint64_t)zpat__clock_ms () << 20 ^
                         (uint64_t)getpid () << 40 ^ (uintptr_t)self;
    static atomic_uint s_next;
    char name[80];
    snprintf (name, sizeof name, "@inproc://zpat-reliable-push-%ld-%u",
              (long)getpid (), atomic_fetch_add (&s_next, 1));
    int rc = -1;
    self->router = zpat__socket_new (&s_router_role, NULL, opts, sizeof *opts);
    if (self->router)
        self->inbox = zpat__socket_new (&s_inbox_role, NULL, NULL, 0);
    if (self->inbox && zpat__socket_enter (self->router) == 0) {
        // Each puller's queue holds at most its credit and a few pings;
        // the room left is for pings to a puller busy for a long time.
        int on = 1, hwm = credit < 100000 ? credit + 10000 : 0;
        rc = zmq_setsockopt (self->router->handle, ZMQ_ROUTER_MANDATORY, &on,
                             sizeof on);
        if (rc == 0)
            rc = zmq_setsockopt (self->router->handle, ZMQ_SNDHWM, &hwm,
                                 sizeof hwm);
        if (rc == 0)
            rc = zpat__rel_heartbeats (self->router->handle, heartbeat_ms);
        zpat__socket_leave (self->router);
    }
    if (rc == 0 && zpat__socket_enter (self->inbox) == 0) {
        int one = 1;
        rc = zmq_setsockopt (self->inbox->handle, ZMQ_RCVHWM, &one, sizeof one);
        zpat__socket_leave (self->inbox);
    } else
        rc = -1;
    if (rc == 0)
        rc = zpat__socket_attach (self->inbox, name);
    if (rc == 0 && zpat__socket_enter (app) == 0) {
        rc = zmq_connect (app->handle, name + 1);
        zpat__socket_leave (app);
    } else
        rc = -1;
    if (rc == 0 && endpoints)
        rc = zpat__socket_attach (self->router, endpoints);
    if (rc == 0 && pipe (self->stop) == -1)
        rc = -1;
    if (rc == 0) {
        fcntl (self->stop[0], F_SETFD, FD_CLOEXEC);
        fcntl (self->stop[1], F_SETFD, FD_CLOEXEC);
        fcntl (self->stop[0], F_SETFL, O_NONBLOCK);
        errno = pthread_create (&self->thread, NULL, s_run, self);
        rc = errno ? -1 : 0;
        self->started = rc == 0;
        if (self->started) {
            self->exit_hook.fn = s_at_exit;
            self->exit_hook.arg = self;
            zpat__ctx_exit_hook_add (&self->exit_hook);
        }
    }
    if (rc == -1) {
        int saved = errno ? errno : ENOMEM;
        s_free (self, true);
        return zpat__fail_null (saved);
    }
    // What zpat_endpoint reports for the pusher: its ROUTER's.
    memcpy (app->endpoint, self->router->endpoint, sizeof app->endpoint);
    return self;
}

// Tells the thread to stop, giving what it holds up to linger_ms to be
// acknowledged, and waits for it.
static void
s_stop (zpat__rpush_t *self, int linger_ms)
{
    if (!self->started || self->joined)
        return;
    atomic_store (&self->linger_ms, linger_ms > 0 ? linger_ms : 0);
    char command = linger_ms > 0 ? STOP_LINGER : STOP_NOW;
    ssize_t wrote;
    do
        wrote = write (self->stop[1], &command, 1);
    while (wrote == -1 && errno == EINTR);
    pthread_join (self->thread, NULL);
    self->joined = true;
}

// The exit hook: as destroy would, with the pusher's linger, while the
// context still runs.
static void
s_at_exit (void *arg)
{
    zpat__rpush_t *self = arg;
    if (self->pid == getpid ())
        s_stop (self, self->app->opts.linger_ms);
}

void
zpat__rpush_destroy (zpat__rpush_t **self_p, int linger_ms)
{
    zpat__rpush_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (self->pid != getpid ()) {
        // Inherited across fork (): no thread here, and its state may have
        // been caught mid-change. The cores are only forgotten.
        s_free (self, false);
        return;
    }
    // Out of the exit handler's list first: once removed, it cannot run
    // (and if it ran, the thread is already joined).
    if (self->started)
        zpat__ctx_exit_hook_remove (&self->exit_hook);
    s_stop (self, linger_ms);
    s_free (self, true);
}
