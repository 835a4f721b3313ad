// zpat_poller.c - waiting on several objects and descriptors at once, and
// what other event loops need (a descriptor and a readiness check). Beside
// the socket core: it sees objects only through the core.
// SPDX-License-Identifier: MPL-2.0
//
// How a wait works (the way zmq_poll works, without its first poll (2) and
// without allocating): libzmq's descriptor for a socket only says "look
// again" (edge-triggered), and reading ZMQ_EVENTS is what looks, and
// re-arms it. So every turn reads ZMQ_EVENTS of every object first; only if
// none is ready does it sleep in poll (2) on their descriptors (with the
// signal pipe and the caller's own descriptors), and then it looks again.

#include "zpat_internal.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#define POLLER_TAG 0x706f6c6cu
#define POLLER_DEAD 0x64656164u
#define ALL_EVENTS (ZPAT_POLLIN | ZPAT_POLLOUT | ZPAT_POLLEVENT)

typedef struct entry {
    zpat__watch_t watch;   // first: the object's list of watches links this
    zpat_poller_t *poller; // the poller it belongs to
    zpat_socket_t *socket; // the object, or NULL (a descriptor, or gone)
    void *monitor;         // the object's monitor when the items were built
    int fd;                // the descriptor, or -1
    int events;            // what to wait for
    void *arg;             // the caller's
    bool gone;             // the object was destroyed: drop at the next wait
    int found;             // what this wait found ready
} entry_t;

struct zpat_poller {
    uint32_t tag;
    entry_t **entries; // in the order added
    size_t count, capacity;
    // What poll (2) sleeps on, built from the entries when they change:
    // per object its descriptor (and its monitor's, for events), per
    // descriptor itself, and last the signal pipe.
    struct pollfd *fds;
    size_t *fd_entry; // the entry each of fds is for (count: the pipe)
    size_t fd_count, fd_capacity;
    size_t plain; // how many of fds are the caller's descriptors
    bool dirty;   // the entries changed since fds was built
    size_t next;  // where the next wait starts looking: fairness
};

static int
s_check (const zpat_poller_t *self)
{
    return self && self->tag == POLLER_TAG ? 0 : zpat__fail (EINVAL);
}

static zpat_poller_t *
s_new (void)
{
    zpat_poller_t *self = calloc (1, sizeof *self);
    if (!self)
        return zpat__fail_null (ENOMEM);
    self->tag = POLLER_TAG;
    self->dirty = true;
    return self;
}

zpat_poller_t *
zpat_poller_new (void)
{
    return zpat__api_ptr (s_new (), "zpat_poller_new", NULL, NULL);
}

// An object's end, heard through its watch list: the entry stays (its
// memory is the poller's) until the next wait or remove drops it.
static void
s_gone (zpat__watch_t *watch)
{
    entry_t *entry = (entry_t *)watch;
    entry->gone = true;
    entry->socket = NULL;
    entry->poller->dirty = true;
}

static void
s_unwatch (entry_t *entry)
{
    if (!entry->socket)
        return;
    zpat__watch_t **at = &entry->socket->watches;
    while (*at && *at != &entry->watch)
        at = &(*at)->next;
    if (*at)
        *at = entry->watch.next;
}

void
zpat__socket_forget_watches (zpat_socket_t *self)
{
    zpat__watch_t *watch = self->watches;
    self->watches = NULL;
    while (watch) {
        zpat__watch_t *next = watch->next;
        watch->gone (watch);
        watch = next;
    }
}

void
zpat_poller_destroy (zpat_poller_t **self_p)
{
    if (!self_p || !*self_p || (*self_p)->tag != POLLER_TAG)
        return;
    zpat_poller_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        s_unwatch (self->entries[i]);
        free (self->entries[i]);
    }
    free (self->entries);
    free (self->fds);
    free (self->fd_entry);
    self->tag = POLLER_DEAD;
    free (self);
    *self_p = NULL;
}

static entry_t *
s_find (zpat_poller_t *self, const zpat_socket_t *socket, int fd, size_t *index)
{
    for (size_t i = 0; i < self->count; i++) {
        entry_t *entry = self->entries[i];
        if (!entry->gone && entry->socket == socket && entry->fd == fd) {
            if (index)
                *index = i;
            return entry;
        }
    }
    return NULL;
}

static int
s_add (zpat_poller_t *self, zpat_socket_t *socket, int fd, int events,
       void *arg)
{
    if (s_find (self, socket, fd, NULL))
        return zpat__fail (EEXIST);
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        entry_t **entries = realloc (self->entries, capacity * sizeof *entries);
        if (!entries)
            return zpat__fail (ENOMEM);
        self->entries = entries;
        self->capacity = capacity;
    }
    entry_t *entry = calloc (1, sizeof *entry);
    if (!entry)
        return zpat__fail (ENOMEM);
    entry->watch.gone = s_gone;
    entry->poller = self;
    entry->socket = socket;
    entry->fd = fd;
    entry->events = events;
    entry->arg = arg;
    if (socket) {
        entry->watch.next = socket->watches;
        socket->watches = &entry->watch;
    }
    self->entries[self->count++] = entry;
    self->dirty = true;
    return 0;
}

static int
s_add_socket (zpat_poller_t *self, zpat_socket_t *socket, int events, void *arg)
{
    if (s_check (self) == -1 || zpat__socket_valid (socket) == -1)
        return -1;
    if (events == 0 || (events & ~ALL_EVENTS) ||
        ((events & ZPAT_POLLIN) && !socket->role->receives) ||
        ((events & ZPAT_POLLOUT) && !socket->role->sends))
        return zpat__fail (EINVAL);
    return s_add (self, socket, -1, events, arg);
}

int
zpat_poller_add_socket (zpat_poller_t *self, zpat_socket_t *socket, int events,
                        void *arg)
{
    return zpat__api_int (s_add_socket (self, socket, events, arg),
                          "zpat_poller_add", self, NULL);
}

static int
s_add_fd (zpat_poller_t *self, int fd, int events, void *arg)
{
    if (s_check (self) == -1)
        return -1;
    if (fd < 0 || events == 0 || (events & ~(ZPAT_POLLIN | ZPAT_POLLOUT)))
        return zpat__fail (EINVAL);
    if (fcntl (fd, F_GETFD) == -1)
        return zpat__fail (EBADF);
    return s_add (self, NULL, fd, events, arg);
}

int
zpat_poller_add_fd (zpat_poller_t *self, int fd, int events, void *arg)
{
    return zpat__api_int (s_add_fd (self, fd, events, arg),
                          "zpat_poller_add_fd", self, NULL);
}

static int
s_remove (zpat_poller_t *self, const zpat_socket_t *socket, int fd)
{
    size_t i;
    entry_t *entry = s_find (self, socket, fd, &i);
    if (!entry)
        return zpat__fail (ENOENT);
    s_unwatch (entry);
    free (entry);
    memmove (&self->entries[i], &self->entries[i + 1],
             (self->count - i - 1) * sizeof *self->entries);
    self->count--;
    if (self->next > i)
        self->next--;
    self->dirty = true;
    return 0;
}

static int
s_remove_socket (zpat_poller_t *self, const zpat_socket_t *socket)
{
    if (s_check (self) == -1)
        return -1;
    if (!socket)
        return zpat__fail (EINVAL);
    return s_remove (self, socket, -1);
}

int
zpat_poller_remove_socket (zpat_poller_t *self, zpat_socket_t *socket)
{
    return zpat__api_int (s_remove_socket (self, socket), "zpat_poller_remove",
                          self, NULL);
}

static int
s_remove_fd (zpat_poller_t *self, int fd)
{
    if (s_check (self) == -1)
        return -1;
    if (fd < 0)
        return zpat__fail (EINVAL);
    return s_remove (self, NULL, fd);
}

int
zpat_poller_remove_fd (zpat_poller_t *self, int fd)
{
    return zpat__api_int (s_remove_fd (self, fd), "zpat_poller_remove_fd", self,
                          NULL);
}

// Drops the entries of destroyed objects.
static void
s_purge (zpat_poller_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->count; i++) {
        entry_t *entry = self->entries[i];
        if (entry->gone) {
            free (entry);
            if (self->next > kept)
                self->next--;
        } else
            self->entries[kept++] = entry;
    }
    self->count = kept;
    if (self->next >= kept)
        self->next = 0;
}

static int
s_push_fd (zpat_poller_t *self, int fd, short events, size_t entry)
{
    if (self->fd_count == self->fd_capacity) {
        size_t capacity = self->fd_capacity ? self->fd_capacity * 2 : 8;
        struct pollfd *fds = realloc (self->fds, capacity * sizeof *fds);
        if (!fds)
            return zpat__fail (ENOMEM);
        self->fds = fds;
        size_t *owners = realloc (self->fd_entry, capacity * sizeof *owners);
        if (!owners)
            return zpat__fail (ENOMEM);
        self->fd_entry = owners;
        self->fd_capacity = capacity;
    }
    self->fds[self->fd_count] = (struct pollfd){fd, events, 0};
    self->fd_entry[self->fd_count++] = entry;
    return 0;
}

// Rebuilds what poll (2) sleeps on. An object's descriptor only ever asks
// for POLLIN: it signals any change. Called with every object busy.
static int
s_build (zpat_poller_t *self)
{
    self->fd_count = 0;
    self->plain = 0;
    for (size_t i = 0; i < self->count; i++) {
        entry_t *entry = self->entries[i];
        if (entry->socket) {
            zpat_socket_t *socket = entry->socket;
            entry->monitor = socket->monitor;
            int fd;
            size_t size = sizeof fd;
            if ((entry->events & (ZPAT_POLLIN | ZPAT_POLLOUT))) {
                if (zmq_getsockopt (socket->handle, ZMQ_FD, &fd, &size) == -1 ||
                    s_push_fd (self, fd, POLLIN, i) == -1)
                    return -1;
            }
            size = sizeof fd;
            if ((entry->events & ZPAT_POLLEVENT) && socket->monitor) {
                if (zmq_getsockopt (socket->monitor, ZMQ_FD, &fd, &size) ==
                        -1 ||
                    s_push_fd (self, fd, POLLIN, i) == -1)
                    return -1;
            }
        } else {
            short events =
                (short)((entry->events & ZPAT_POLLIN ? POLLIN : 0) |
                        (entry->events & ZPAT_POLLOUT ? POLLOUT : 0));
            if (s_push_fd (self, entry->fd, events, i) == -1)
                return -1;
            self->plain++;
        }
    }
    // A place for the signal pipe, filled in at each wait.
    if (s_push_fd (self, -1, POLLIN, self->count) == -1)
        return -1;
    self->dirty = false;
    return 0;
}

// Marks every object busy (or idle again), as a call on each would.
// Descriptors have no object to mark.
static void
s_mark (zpat_poller_t *self, bool busy)
{
    for (size_t i = 0; i < self->count; i++) {
        zpat_socket_t *socket = self->entries[i]->socket;
        if (!socket)
            continue;
        if (busy)
            zpat__busy (socket);
        else
            zpat__idle (socket);
    }
}

// What socket is ready for now, of wanted (ZPAT_POLLIN, ZPAT_POLLOUT), as
// its receive and send calls would find it: libzmq's ZMQ_EVENTS, a message
// a receive kept, what the role's state allows (a REP receives only when
// it owes no reply, and sends only when it does), and, for a role whose
// receive may drop what libzmq has (a REP's junk), that receive made at
// once: the message is kept if good, so POLLIN means a receive will not
// wait. (An oversized message over inproc:// is not looked at: the
// receive drops it and waits on, within its timeout.) With socket busy. -1 with
// errno (ZPAT_ETERM).
static int
s_readiness (zpat_socket_t *socket, int wanted)
{
    int events;
    size_t size = sizeof events;
    if (zmq_getsockopt (socket->handle, ZMQ_EVENTS, &events, &size) == -1)
        return -1;
    int found = 0;
    if ((events & ZMQ_POLLIN) && socket->role->receives)
        found |= ZPAT_POLLIN;
    if ((events & ZMQ_POLLOUT) && socket->role->sends)
        found |= ZPAT_POLLOUT;
    if (socket->kept != ZPAT__KEPT_NONE)
        found |= ZPAT_POLLIN; // libzmq has handed it over already
    if (socket->role->ready)
        found = socket->role->ready (socket, found);
    if ((found & wanted & ZPAT_POLLIN) && socket->kept == ZPAT__KEPT_NONE &&
        socket->role->recv) {
        int timeout = socket->opts.recv_timeout_ms;
        socket->opts.recv_timeout_ms = 0;
        int rc = zpat__socket_recv_kept (socket);
        socket->opts.recv_timeout_ms = timeout;
        if (rc == -1 && (errno == ETERM || errno == ZPAT_ETERM))
            return -1;
        if (rc == -1 && errno == EAGAIN)
            found &= ~ZPAT_POLLIN; // all there was was dropped
        // (Another error, as a ROUTER's refusal of a receive that does not
        // name where the peer goes, is for the receive itself to report.)
    }
    return found & wanted;
}

// Looks at every object without sleeping: what each is ready for now.
// Returns how many are ready, or -1 with errno (ZPAT_ETERM).
static int
s_look (zpat_poller_t *self)
{
    int ready = 0;
    for (size_t i = 0; i < self->count; i++) {
        entry_t *entry = self->entries[i];
        entry->found = 0;
        zpat_socket_t *socket = entry->socket;
        if (!socket) {
            // Standard input: a line zpat_input () has read already is
            // ready, though poll (2) sees nothing left to read.
            if (entry->fd == STDIN_FILENO && (entry->events & ZPAT_POLLIN) &&
                !entry->gone && zpat__input_ready ()) {
                entry->found = ZPAT_POLLIN;
                ready++;
            }
            continue;
        }
        if (entry->events & (ZPAT_POLLIN | ZPAT_POLLOUT)) {
            int found = s_readiness (socket, entry->events);
            if (found == -1)
                return -1;
            entry->found |= found;
        }
        if (entry->events & ZPAT_POLLEVENT) {
            zpat__monitor_drain (socket); // reading re-arms its descriptor
            // The drain keeps errno, so it hides the end of the context:
            // ask the monitor itself, or a wait on events alone would sleep
            // on after zpat_shutdown ().
            int events;
            size_t size = sizeof events;
            if (socket->monitor && zmq_getsockopt (socket->monitor, ZMQ_EVENTS,
                                                   &events, &size) == -1)
                return -1;
            if (zpat__monitor_has_event (socket))
                entry->found |= ZPAT_POLLEVENT;
        }
        entry->found &= entry->events;
        if (entry->found)
            ready++;
    }
    return ready;
}

// What poll (2) found for the caller's descriptors.
static int
s_look_fds (zpat_poller_t *self)
{
    int ready = 0;
    for (size_t i = 0; i + 1 < self->fd_count; i++) {
        entry_t *entry = self->entries[self->fd_entry[i]];
        short revents = self->fds[i].revents;
        if (entry->socket || !revents)
            continue;
        int found = 0; // added to what s_look found (standard input)
        // A hung-up pipe or socket reads its end (0 bytes) at once: that is
        // readable, as for stdin at end of input.
        if (revents & (POLLIN | POLLHUP))
            found |= ZPAT_POLLIN;
        if (revents & POLLOUT)
            found |= ZPAT_POLLOUT;
        found &= entry->events;
        if (revents & (POLLERR | POLLNVAL))
            found |= ZPAT_POLLERR;
        if (found && !entry->found)
            ready++;
        entry->found |= found;
    }
    return ready;
}

// Fills ready[] with up to max ready entries, starting after the last one
// the previous wait returned.
static int
s_report (zpat_poller_t *self, zpat_ready_t *ready, size_t max)
{
    size_t filled = 0, last = self->next;
    for (size_t k = 0; k < self->count && filled < max; k++) {
        size_t i = (self->next + k) % self->count;
        entry_t *entry = self->entries[i];
        if (!entry->found)
            continue;
        ready[filled++] =
            (zpat_ready_t){entry->arg, entry->socket, entry->fd, entry->found};
        last = i;
    }
    self->next = (last + 1) % self->count;
    return (int)filled;
}

static int
s_wait (zpat_poller_t *self, int timeout, zpat_ready_t *ready, size_t max)
{
    int64_t deadline = timeout < 0 ? -1 : zpat__clock_ms () + timeout;
    while (true) {
        for (size_t i = 0; i < self->count; i++)
            if (self->entries[i]->socket &&
                self->entries[i]->socket->monitor != self->entries[i]->monitor)
                self->dirty = true; // a monitor started since
        if (self->dirty && s_build (self) == -1)
            return -1;
        int signal_fd = zpat__signal_fd ();
        if (signal_fd != -1 && zpat_interrupted ())
            return zpat__fail (EINTR);
        int found = s_look (self);
        if (found == -1)
            return -1;
        // Sleep only when no object is ready; poll the descriptors anyway
        // when there are some, so that a busy object cannot starve them.
        int wait = 0;
        if (found == 0 && deadline >= 0) {
            int64_t left = deadline - zpat__clock_ms ();
            wait = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        } else if (found == 0)
            wait = -1;
        // With no libzmq descriptor in the set (only the caller's, or events
        // of objects with no monitor), nothing would wake this wait when
        // the context ends: look every 100 ms.
        if (self->fd_count - 1 == self->plain && (wait < 0 || wait > 100))
            wait = 100;
        if (zpat__ctx_ended ())
            return zpat__fail (ZPAT_ETERM);
        struct pollfd *pipe = &self->fds[self->fd_count - 1];
        pipe->fd = signal_fd;
        pipe->revents = 0;
        // (The objects' own descriptors say nothing ZMQ_EVENTS has not.)
        bool fds = self->plain > 0;
        if (fds || found == 0) {
            int rc = poll (self->fds, self->fd_count, wait);
            if (rc == -1 && errno != EINTR)
                return -1;
            if (signal_fd != -1 && (pipe->revents || zpat_interrupted ()))
                return zpat__fail (EINTR);
            if (rc > 0)
                found += s_look_fds (self);
            if (found == 0 && rc > 0)
                continue; // an object's descriptor: look again at once
        }
        if (found > 0)
            return s_report (self, ready, max);
        if (deadline >= 0 && zpat__clock_ms () >= deadline)
            return zpat__fail (EAGAIN);
    }
}

static int
s_wait_in (zpat_poller_t *self, int timeout_ms, zpat_ready_t *ready, size_t max)
{
    if (s_check (self) == -1)
        return -1;
    int timeout = zpat__timeout (timeout_ms);
    if (!ready || max == 0 || timeout == -2)
        return zpat__fail (EINVAL);
    if (self->dirty)
        s_purge (self);
    if (self->count == 0 && timeout < 0)
        return zpat__fail (EINVAL); // nothing to wait for, for ever
    for (size_t i = 0; i < self->count; i++)
        if (zpat__socket_valid (self->entries[i]->socket) == -1 &&
            self->entries[i]->socket)
            return -1; // ZPAT_EFORKED: inherited across fork ()
    s_mark (self, true);
    int rc;
    if (zpat__ctx_ended ())
        rc = zpat__fail (ZPAT_ETERM);
    else
        rc = s_wait (self, timeout, ready, max);
    int saved = errno;
    s_mark (self, false);
    if (rc == -1 && saved == ETERM)
        saved = ZPAT_ETERM;
    errno = saved;
    return rc;
}

int
zpat_poller_wait (zpat_poller_t *self, int timeout_ms, zpat_ready_t *ready,
                  size_t max)
{
    return zpat__api_int (s_wait_in (self, timeout_ms, ready, max),
                          "zpat_poller_wait", self, NULL);
}

static int
s_socket_fd (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (zpat__socket_enter (self) == -1)
        return -1;
    int fd;
    size_t size = sizeof fd;
    int rc = zmq_getsockopt (self->handle, ZMQ_FD, &fd, &size);
    zpat__socket_leave (self);
    return rc == -1 ? -1 : fd;
}

int
zpat_socket_fd (zpat_socket_t *self)
{
    return zpat__api_sock (s_socket_fd (self), "zpat_fd", self);
}

static int
s_socket_ready (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (zpat__socket_enter (self) == -1)
        return -1;
    int ready = s_readiness (self, ZPAT_POLLIN | ZPAT_POLLOUT);
    zpat__socket_leave (self);
    if (ready == -1 && errno == ETERM)
        errno = ZPAT_ETERM;
    return ready;
}

int
zpat_socket_ready (zpat_socket_t *self)
{
    return zpat__api_sock (s_socket_ready (self), "zpat_ready", self);
}
