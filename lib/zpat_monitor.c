// zpat_monitor.c - connections: libzmq's socket monitor, started for every
// object when it first attaches to a tcp:// or ipc:// endpoint, keeps the
// peer counters, and the connection events the caller asked for.
// SPDX-License-Identifier: MPL-2.0
//
// libzmq sends each event to the monitor's PAIR socket with a blocking send:
// if that PAIR's queue filled, libzmq's I/O thread would stop. So our end
// takes an unbounded queue (RCVHWM 0), and every tick of the send and
// receive paths, every read of the counters, every wait of a poller and
// every event received empties it into the counters here. Events the caller
// did not ask for are not kept.

#include "zpat_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

// With events on, every event but MONITOR_STOPPED (stopping the monitor
// must send nothing); with events off, only those the counters and a
// failed bind's errno need, so that an idle object whose peer is down does
// not pile up a CONNECT_RETRIED per retry until someone reads them.
#define MONITOR_EVENTS (ZMQ_EVENT_ALL & ~ZMQ_EVENT_MONITOR_STOPPED)
#define COUNTER_EVENTS                                                         \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |       \
     ZMQ_EVENT_BIND_FAILED)
// The events kept while events are on, at most; older ones are dropped.
#define EVENTS_MAX 10000
// The endpoints remembered as lost (for reconnects), at most.
#define LOST_MAX 64

struct zpat__conns {
    bool on;            // the caller asked for events
    zpat_event_t *ring; // kept events, oldest at head
    size_t capacity, head, count;
    char *lost[LOST_MAX]; // endpoints whose connection was lost
    size_t lost_count;
    int bind_errno; // the value of the last BIND_FAILED read
    // The endpoint last bound or connected, as the caller wrote it: libzmq
    // names a failed bind's address without its transport ("127.0.0.1:80").
    char attaching[ZPAT__ENDPOINT_MAX + 1];
};

static atomic_uint s_next_monitor;

static bool
s_monitored (const char *endpoint)
{
    return strncmp (endpoint, "tcp://", 6) == 0 ||
           strncmp (endpoint, "ipc://", 6) == 0;
}

// Starts libzmq's monitor on self and connects our end to it, watching the
// events the caller's choice needs. 0, or -1 with errno.
static int
s_monitor_open (zpat_socket_t *self)
{
    char name[64];
    snprintf (name, sizeof name, "inproc://zpat-monitor-%u",
              atomic_fetch_add (&s_next_monitor, 1));
    int events = self->conns->on ? MONITOR_EVENTS : COUNTER_EVENTS;
    if (zmq_socket_monitor (self->handle, name, events) == -1)
        return -1;
    void *pair = zpat__ctx_socket (ZMQ_PAIR);
    int unlimited = 0, linger = 0;
    if (!pair ||
        zmq_setsockopt (pair, ZMQ_RCVHWM, &unlimited, sizeof unlimited) == -1 ||
        zmq_setsockopt (pair, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
        zmq_connect (pair, name) == -1) {
        int saved = errno;
        zmq_socket_monitor (self->handle, NULL, 0);
        if (pair)
            zmq_close (pair);
        return zpat__fail (saved);
    }
    self->monitor = pair;
    return 0;
}

// Starts the monitor again with the events now wanted: stops libzmq's end
// (so nothing more is sent to ours), reads what ours holds into the
// counters, closes it and opens a new pair. 0, or -1 with errno (the
// object then has no monitor until its next tcp:// or ipc:// attach).
static int s_monitor_reopen (zpat_socket_t *self);

int
zpat__monitor_start (zpat_socket_t *self, const char *endpoint)
{
    if (!s_monitored (endpoint))
        return 0;
    if (!self->conns) {
        self->conns = calloc (1, sizeof *self->conns);
        if (!self->conns)
            return zpat__fail (ENOMEM);
    }
    snprintf (self->conns->attaching, sizeof self->conns->attaching, "%s",
              endpoint);
    return self->monitor ? 0 : s_monitor_open (self);
}

static void
s_forget_lost (struct zpat__conns *conns, size_t i)
{
    free (conns->lost[i]);
    conns->lost[i] = conns->lost[--conns->lost_count];
}

// Notes a connection lost to endpoint, and returns true when a connection
// to endpoint ends such a loss (a reconnect).
static bool
s_lost (struct zpat__conns *conns, const char *endpoint, bool lost)
{
    for (size_t i = 0; i < conns->lost_count; i++) {
        if (strcmp (conns->lost[i], endpoint) == 0) {
            if (!lost)
                s_forget_lost (conns, i);
            return !lost;
        }
    }
    if (lost && conns->lost_count < LOST_MAX) {
        char *copy = strdup (endpoint);
        if (copy)
            conns->lost[conns->lost_count++] = copy;
    }
    return false;
}

// The public type for a libzmq event, and the handshake reason; 0 for an
// event zpat does not report.
static int
s_type (unsigned event, int *reason)
{
    *reason = ZPAT_HANDSHAKE_OTHER;
    switch (event) {
    case ZMQ_EVENT_CONNECTED:
        return ZPAT_EVENT_CONNECTED;
    case ZMQ_EVENT_CONNECT_RETRIED:
        return ZPAT_EVENT_CONNECT_RETRIED;
    case ZMQ_EVENT_ACCEPTED:
        return ZPAT_EVENT_ACCEPTED;
    case ZMQ_EVENT_DISCONNECTED:
        return ZPAT_EVENT_DISCONNECTED;
    case ZMQ_EVENT_BIND_FAILED:
        return ZPAT_EVENT_BIND_FAILED;
    case ZMQ_EVENT_CLOSED:
        return ZPAT_EVENT_CLOSED;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        return ZPAT_EVENT_HANDSHAKE_SUCCEEDED;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        *reason = ZPAT_HANDSHAKE_PROTOCOL;
        return ZPAT_EVENT_HANDSHAKE_FAILED;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        *reason = ZPAT_HANDSHAKE_AUTH;
        return ZPAT_EVENT_HANDSHAKE_FAILED;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        return ZPAT_EVENT_HANDSHAKE_FAILED;
    default:
        return 0;
    }
}

// The peer's address: for a connection made, the host and port connected
// to; for one accepted over tcp://, what the system says of the descriptor
// libzmq reported (if it is still that connection's: libzmq gives no more).
static void
s_peer (zpat_event_t *event, int fd)
{
    event->peer[0] = 0;
    if (strncmp (event->endpoint, "tcp://", 6) != 0)
        return;
    if (event->type == ZPAT_EVENT_CONNECTED) {
        snprintf (event->peer, sizeof event->peer, "%s", event->endpoint + 6);
        return;
    }
    if (event->type != ZPAT_EVENT_ACCEPTED)
        return;
    struct sockaddr_storage address;
    socklen_t size = sizeof address;
    if (getpeername (fd, (struct sockaddr *)&address, &size) == -1)
        return;
    char host[INET6_ADDRSTRLEN];
    if (address.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&address;
        inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
        snprintf (event->peer, sizeof event->peer, "%s:%u", host,
                  ntohs (in->sin_port));
    } else if (address.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
        inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf (event->peer, sizeof event->peer, "[%s]:%u", host,
                  ntohs (in6->sin6_port));
    }
}

// Keeps event, dropping the oldest when EVENTS_MAX are kept.
static void
s_keep (struct zpat__conns *conns, const zpat_event_t *event)
{
    if (conns->count == conns->capacity) {
        if (conns->capacity == EVENTS_MAX) {
            conns->head = (conns->head + 1) % conns->capacity;
            conns->count--;
        } else {
            size_t capacity = conns->capacity ? conns->capacity * 2 : 16;
            if (capacity > EVENTS_MAX)
                capacity = EVENTS_MAX;
            zpat_event_t *ring = malloc (capacity * sizeof *ring);
            if (!ring)
                return; // out of memory: the event is lost, not the rest
            for (size_t i = 0; i < conns->count; i++)
                ring[i] = conns->ring[(conns->head + i) % conns->capacity];
            free (conns->ring);
            conns->ring = ring;
            conns->capacity = capacity;
            conns->head = 0;
        }
    }
    conns->ring[(conns->head + conns->count) % conns->capacity] = *event;
    conns->count++;
}

// A failed bind: libzmq reports the socket it opened for it as CLOSED
// (with no endpoint over tcp://) just before BIND_FAILED, and names the
// address without its transport. The caller asked for no listener, so that
// CLOSED is not theirs; and the endpoint is the one they bound.
static const char *
s_bind_failed (struct zpat__conns *conns, const char *address)
{
    const char *scheme = strstr (conns->attaching, "://");
    if (!scheme || strcmp (scheme + 3, address) != 0)
        return address;
    if (conns->count) {
        const zpat_event_t *last =
            &conns->ring[(conns->head + conns->count - 1) % conns->capacity];
        if (last->type == ZPAT_EVENT_CLOSED &&
            (!last->endpoint[0] ||
             strcmp (last->endpoint, conns->attaching) == 0))
            conns->count--;
    }
    return conns->attaching;
}

static void
s_note (zpat_socket_t *self, unsigned id, int value, const char *endpoint)
{
    struct zpat__conns *conns = self->conns;
    if (id == ZMQ_EVENT_CONNECTED || id == ZMQ_EVENT_ACCEPTED)
        self->peers++;
    if (id == ZMQ_EVENT_DISCONNECTED && self->peers > 0)
        self->peers--;
    if (id == ZMQ_EVENT_DISCONNECTED)
        s_lost (conns, endpoint, true);
    if (id == ZMQ_EVENT_CONNECTED && s_lost (conns, endpoint, false))
        self->reconnects++;
    if (id == ZMQ_EVENT_BIND_FAILED)
        conns->bind_errno = value;
    zpat_event_t event;
    event.type = s_type (id, &event.reason);
    if (!conns->on || event.type == 0)
        return;
    if (id == ZMQ_EVENT_BIND_FAILED)
        endpoint = s_bind_failed (conns, endpoint);
    event.value = value;
    snprintf (event.endpoint, sizeof event.endpoint, "%s", endpoint);
    s_peer (&event, value);
    s_keep (conns, &event);
}

void
zpat__monitor_drain (zpat_socket_t *self)
{
    if (!self->monitor)
        return;
    int saved = errno; // the drain's last receive fails, with EAGAIN
    zmq_msg_t head, address;
    zmq_msg_init (&head);
    zmq_msg_init (&address);
    while (zmq_msg_recv (&head, self->monitor, ZMQ_DONTWAIT) >= 0) {
        // [event number (16 bits) and value (32 bits)] [endpoint]
        if (!zmq_msg_more (&head) ||
            zmq_msg_recv (&address, self->monitor, ZMQ_DONTWAIT) == -1)
            break;
        if (zmq_msg_size (&head) < 6)
            continue;
        uint16_t id;
        uint32_t value;
        memcpy (&id, zmq_msg_data (&head), sizeof id);
        memcpy (&value, (char *)zmq_msg_data (&head) + 2, sizeof value);
        char endpoint[ZPAT__ENDPOINT_MAX + 1];
        size_t size = zmq_msg_size (&address);
        if (size > ZPAT__ENDPOINT_MAX)
            size = ZPAT__ENDPOINT_MAX;
        memcpy (endpoint, zmq_msg_data (&address), size);
        endpoint[size] = 0;
        s_note (self, id, (int)value, endpoint);
    }
    zmq_msg_close (&head);
    zmq_msg_close (&address);
    errno = saved;
}

int
zpat__monitor_bind_errno (zpat_socket_t *self)
{
    if (!self->monitor)
        return 0;
    self->conns->bind_errno = 0;
    zpat__monitor_drain (self);
    return self->conns->bind_errno;
}

void
zpat__monitor_fini (zpat_socket_t *self)
{
    struct zpat__conns *conns = self->conns;
    if (!conns)
        return;
    for (size_t i = 0; i < conns->lost_count; i++)
        free (conns->lost[i]);
    free (conns->ring);
    free (conns);
    self->conns = NULL;
}

static int
s_monitor_reopen (zpat_socket_t *self)
{
    if (!self->monitor)
        return 0;
    zmq_socket_monitor (self->handle, NULL, 0);
    zpat__monitor_drain (self);
    zmq_close (self->monitor);
    self->monitor = NULL;
    return s_monitor_open (self);
}

bool
zpat__monitor_events_on (const zpat_socket_t *self)
{
    return self->conns && self->conns->on;
}

bool
zpat__monitor_has_event (const zpat_socket_t *self)
{
    return self->conns && self->conns->on && self->conns->count > 0;
}

static int
s_events_on (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1 || zpat__socket_enter (self) == -1)
        return -1;
    int rc = 0;
    if (!self->conns) {
        self->conns = calloc (1, sizeof *self->conns);
        rc = self->conns ? 0 : zpat__fail (ENOMEM);
    }
    if (rc == 0 && !self->conns->on) {
        zpat__monitor_drain (self); // what came before is not asked for
        self->conns->on = true;
        rc = s_monitor_reopen (self); // all events from now on
        if (rc == -1)
            self->conns->on = false;
    }
    zpat__socket_leave (self);
    return rc;
}

static int
s_events_off (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1 || zpat__socket_enter (self) == -1)
        return -1;
    struct zpat__conns *conns = self->conns;
    if (conns && conns->on) {
        conns->on = false;
        zpat__monitor_drain (self); // for the counters
        s_monitor_reopen (self);    // only what the counters need
        free (conns->ring);
        conns->ring = NULL;
        conns->capacity = conns->head = conns->count = 0;
    }
    zpat__socket_leave (self);
    return 0;
}

// Waits for an event with what is left of timeout (-1 forever): 0 when one
// may have come, -1 with EAGAIN, EINTR or ZPAT_ETERM.
static int
s_wait_event (zpat_socket_t *self, int64_t deadline)
{
    int left = -1;
    if (deadline >= 0) {
        int64_t now = zpat__clock_ms ();
        left = now >= deadline ? 0 : (int)(deadline - now);
    }
    // Without a monitor (nothing attached over tcp:// or ipc:// yet) no
    // event can come: the wait is for the time or a signal only.
    int rc = self->monitor
                 ? zpat__wait_handle (self->monitor, ZMQ_POLLIN, left, false)
                 : zpat__wait_signal (left);
    if (rc == 0)
        return zpat__fail (EAGAIN);
    return rc == 1 ? 0 : -1;
}

static int
s_recv_event (zpat_socket_t *self, zpat_event_t *event, int timeout)
{
    struct zpat__conns *conns = self->conns;
    if (!conns || !conns->on)
        return zpat__fail (EINVAL);
    int64_t deadline = timeout < 0 ? -1 : zpat__clock_ms () + timeout;
    while (true) {
        zpat__monitor_drain (self);
        if (conns->count) {
            *event = conns->ring[conns->head];
            conns->head = (conns->head + 1) % conns->capacity;
            conns->count--;
            return 0;
        }
        if (timeout == 0 || (deadline >= 0 && zpat__clock_ms () >= deadline))
            return zpat__fail (EAGAIN);
        if (s_wait_event (self, deadline) == -1)
            return -1;
    }
}

static int
s_recv_event_api (zpat_socket_t *self, zpat_event_t *event, int timeout_ms)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    int timeout = zpat__timeout (timeout_ms);
    if (!event || timeout == -2)
        return zpat__fail (EINVAL);
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = s_recv_event (self, event, timeout);
    zpat__socket_leave (self);
    return rc;
}

const char *
zpat_event_name (int type)
{
    switch (type) {
    case ZPAT_EVENT_CONNECTED:
        return "CONNECTED";
    case ZPAT_EVENT_CONNECT_RETRIED:
        return "CONNECT_RETRIED";
    case ZPAT_EVENT_ACCEPTED:
        return "ACCEPTED";
    case ZPAT_EVENT_DISCONNECTED:
        return "DISCONNECTED";
    case ZPAT_EVENT_BIND_FAILED:
        return "BIND_FAILED";
    case ZPAT_EVENT_CLOSED:
        return "CLOSED";
    case ZPAT_EVENT_HANDSHAKE_SUCCEEDED:
        return "HANDSHAKE_SUCCEEDED";
    case ZPAT_EVENT_HANDSHAKE_FAILED:
        return "HANDSHAKE_FAILED";
    default:
        return "UNKNOWN";
    }
}

int
zpat_socket_events_on (zpat_socket_t *self)
{
    return zpat__api_sock (s_events_on (self), "zpat_events_on", self);
}

int
zpat_socket_events_off (zpat_socket_t *self)
{
    return zpat__api_sock (s_events_off (self), "zpat_events_off", self);
}

int
zpat_socket_recv_event (zpat_socket_t *self, zpat_event_t *event,
                        int timeout_ms)
{
    return zpat__api_sock (s_recv_event_api (self, event, timeout_ms),
                           "zpat_recv_event", self);
}
