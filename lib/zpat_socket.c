// zpat_socket.c - the socket core the six roles share: construction, options,
// bind/connect, and the only calls to zmq_msg_send and zmq_msg_recv.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>

// ---------------------------------------------------------------------------
// Roles

static const struct {
    int zmq_type;
    bool sends, receives;
    char attach; // what a bare endpoint does: '@' bind, '>' connect
} s_roles[] = {
    [ZPAT__REQ] = {ZMQ_REQ, true, true, '>'},
    // A ROUTER, with the REP envelope handled in zpat_rep.c: libzmq 4.3.4's
    // REP can silently drop the reply to a good request after a bad peer.
    [ZPAT__REP] = {ZMQ_ROUTER, true, true, '@'},
    // An XPUB, so that the publisher sees its subscriptions arrive.
    [ZPAT__PUB] = {ZMQ_XPUB, true, false, '@'},
    [ZPAT__SUB] = {ZMQ_SUB, false, true, '>'},
    [ZPAT__PUSH] = {ZMQ_PUSH, true, false, '>'},
    [ZPAT__PULL] = {ZMQ_PULL, false, true, '@'},
};

bool
zpat__role_sends (zpat__role_t role)
{
    return s_roles[role].sends;
}

bool
zpat__role_receives (zpat__role_t role)
{
    return s_roles[role].receives;
}

int64_t
zpat__clock_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// ---------------------------------------------------------------------------
// Options

typedef enum {
    OPT_SEND_TIMEOUT,
    OPT_RECV_TIMEOUT,
    OPT_SEND_HWM,
    OPT_RECV_HWM,
    OPT_LINGER,
    OPT_MAX_MSG,
    OPT_RECONNECT_IVL,
    OPT_IPV6,
} option_t;

// Checks value (in setter units) for option, and returns what libzmq takes,
// or sets errno and returns INT64_MIN.
static int64_t
s_option_to_zmq (option_t option, int64_t value)
{
    switch (option) {
    case OPT_SEND_TIMEOUT:
    case OPT_RECV_TIMEOUT:
        if (value == ZPAT_WAIT_NONE)
            return 0;
        if (value >= ZPAT_WAIT_FOREVER && value <= INT_MAX)
            return value;
        break;
    case OPT_SEND_HWM:
    case OPT_RECV_HWM:
        if (value == ZPAT_UNLIMITED)
            return 0; // libzmq's "no limit"
        if (value > 0 && value <= INT_MAX)
            return value;
        break;
    case OPT_LINGER:
        // Never infinite: destroying an object must not hang.
        if (value == ZPAT_WAIT_NONE)
            return 0;
        if (value >= 0 && value <= INT_MAX)
            return value;
        break;
    case OPT_MAX_MSG:
        if (value == ZPAT_UNLIMITED || value > 0)
            return value;
        break;
    case OPT_RECONNECT_IVL:
        if (value > 0 && value <= INT_MAX)
            return value;
        break;
    case OPT_IPV6:
        return value != 0;
    }
    errno = EINVAL;
    return INT64_MIN;
}

// Works out how a fast receive runs, whenever the size limit or the
// transports change. Where zpat may have to drop what arrives (an inproc://
// socket with a size limit, which libzmq does not check there), the fast
// path only takes a message already there: the general path then counts the
// whole wait, so that a drop does not extend it. Not for a REQ, which waits
// for every reply and gets one: if that is dropped, no other comes, and the
// wait runs on from there. A message larger than recv_limit goes to the
// general path, which drops it if it is over the limit (libzmq reports sizes
// from INT_MAX up as INT_MAX, so those always go there when limited).
static void
s_plan_receive (zpat_socket_t *self)
{
    int64_t max = self->opts.max_msg_bytes;
    bool limited = self->inproc && max >= 0;
    self->recv_flags = limited && self->role != ZPAT__REQ ? ZMQ_DONTWAIT : 0;
    self->recv_limit = !limited        ? INT_MAX
                       : max < INT_MAX ? (int)max
                                       : INT_MAX - 1;
}

// Records value (already checked) as the option in force.
static void
s_store (zpat_socket_t *self, option_t option, int64_t value)
{
    zpat_options_t *o = &self->opts;
    int stored = (int)value == ZPAT_WAIT_NONE ? 0 : (int)value;
    switch (option) {
    case OPT_SEND_TIMEOUT:
        o->send_timeout_ms = stored;
        break;
    case OPT_RECV_TIMEOUT:
        o->recv_timeout_ms = stored;
        break;
    case OPT_SEND_HWM:
        o->send_hwm = (int)value;
        break;
    case OPT_RECV_HWM:
        o->recv_hwm = (int)value;
        break;
    case OPT_LINGER:
        o->linger_ms = stored;
        break;
    case OPT_MAX_MSG:
        o->max_msg_bytes = value;
        break;
    case OPT_RECONNECT_IVL:
        o->reconnect_ivl_ms = (int)value;
        break;
    case OPT_IPV6:
        o->ipv6 = value != 0;
        break;
    }
    s_plan_receive (self);
}

// True when option means something for self's role.
static bool
s_applies (const zpat_socket_t *self, option_t option)
{
    if (option == OPT_SEND_TIMEOUT || option == OPT_SEND_HWM)
        return s_roles[self->role].sends;
    if (option == OPT_RECV_TIMEOUT || option == OPT_RECV_HWM)
        return s_roles[self->role].receives;
    return true;
}

static int
s_set_option_in (zpat_socket_t *self, option_t option, int64_t value)
{
    static const int names[] = {
        [OPT_SEND_TIMEOUT] = ZMQ_SNDTIMEO,
        [OPT_RECV_TIMEOUT] = ZMQ_RCVTIMEO,
        [OPT_SEND_HWM] = ZMQ_SNDHWM,
        [OPT_RECV_HWM] = ZMQ_RCVHWM,
        [OPT_LINGER] = ZMQ_LINGER,
        [OPT_MAX_MSG] = ZMQ_MAXMSGSIZE,
        [OPT_RECONNECT_IVL] = ZMQ_RECONNECT_IVL,
        [OPT_IPV6] = ZMQ_IPV6,
    };
    int64_t raw = s_option_to_zmq (option, value);
    if (raw == INT64_MIN)
        return -1;
    int rc;
    if (option == OPT_MAX_MSG)
        rc = zmq_setsockopt (self->handle, names[option], &raw, sizeof raw);
    else {
        int small = (int)raw;
        rc = zmq_setsockopt (self->handle, names[option], &small, sizeof small);
    }
    if (rc == -1)
        return -1;
    s_store (self, option, value);
    return 0;
}

static int
s_set_option (zpat_socket_t *self, option_t option, int64_t value)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    // The direction options only on the roles that move messages that way,
    // as the generic setter macros already insist at compile time.
    if (!s_applies (self, option))
        return zpat__fail (EINVAL);
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = s_set_option_in (self, option, value);
    zpat__socket_leave (self);
    return rc;
}

// Applies a constructor's options, where 0 means the default.
static int
s_apply_options (zpat_socket_t *self, const zpat_options_t *opts)
{
    static const zpat_options_t none;
    if (!opts)
        opts = &none;
    const struct {
        option_t option;
        int64_t given, fallback;
    } table[] = {
        {OPT_SEND_TIMEOUT, opts->send_timeout_ms, ZPAT_WAIT_FOREVER},
        {OPT_RECV_TIMEOUT, opts->recv_timeout_ms, ZPAT_WAIT_FOREVER},
        {OPT_SEND_HWM, opts->send_hwm, 1000},
        {OPT_RECV_HWM, opts->recv_hwm, 1000},
        // A SUB or a PULL sends no messages of its own (a SUB only its
        // subscriptions), so nothing is worth waiting for when it closes.
        {OPT_LINGER, opts->linger_ms,
         s_roles[self->role].sends ? ZPAT_DEFAULT_LINGER_MS : ZPAT_WAIT_NONE},
        {OPT_MAX_MSG, opts->max_msg_bytes, ZPAT_DEFAULT_MAX_MSG_BYTES},
        {OPT_RECONNECT_IVL, opts->reconnect_ivl_ms, 100},
        {OPT_IPV6, opts->ipv6, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int64_t value = table[i].given ? table[i].given : table[i].fallback;
        option_t option = table[i].option;
        if (s_applies (self, option)) {
            if (s_set_option (self, option, value) == -1)
                return -1;
        } else if (s_option_to_zmq (option, value) == INT64_MIN)
            return -1; // refused even where it would not apply
        else
            s_store (self, option, value);
    }
    return 0;
}

int
zpat_socket_set_send_timeout_ms (zpat_socket_t *self, int ms)
{
    return s_set_option (self, OPT_SEND_TIMEOUT, ms);
}

int
zpat_socket_set_recv_timeout_ms (zpat_socket_t *self, int ms)
{
    return s_set_option (self, OPT_RECV_TIMEOUT, ms);
}

int
zpat_socket_set_send_hwm (zpat_socket_t *self, int messages)
{
    return s_set_option (self, OPT_SEND_HWM, messages);
}

int
zpat_socket_set_recv_hwm (zpat_socket_t *self, int messages)
{
    return s_set_option (self, OPT_RECV_HWM, messages);
}

int
zpat_socket_set_linger_ms (zpat_socket_t *self, int ms)
{
    return s_set_option (self, OPT_LINGER, ms);
}

int
zpat_socket_set_max_msg_bytes (zpat_socket_t *self, int64_t bytes)
{
    return s_set_option (self, OPT_MAX_MSG, bytes);
}

int
zpat_socket_set_reconnect_ivl_ms (zpat_socket_t *self, int ms)
{
    return s_set_option (self, OPT_RECONNECT_IVL, ms);
}

int
zpat_socket_set_ipv6 (zpat_socket_t *self, int on)
{
    return s_set_option (self, OPT_IPV6, on);
}

int
zpat_socket_get_options_sized (zpat_socket_t *self, zpat_options_t *opts,
                               size_t opts_size)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!opts || opts_size < ZPAT__OPTIONS_V0_SIZE)
        return zpat__fail (EINVAL);
    zpat_options_t now = self->opts;
    if (now.send_timeout_ms == 0)
        now.send_timeout_ms = ZPAT_WAIT_NONE;
    if (now.recv_timeout_ms == 0)
        now.recv_timeout_ms = ZPAT_WAIT_NONE;
    if (now.linger_ms == 0)
        now.linger_ms = ZPAT_WAIT_NONE;
    // A caller's struct may be shorter (an older zpat) or longer (a later
    // one, whose extra fields this library does not know: zero, their
    // defaults).
    memcpy (opts, &now, opts_size < sizeof now ? opts_size : sizeof now);
    if (opts_size > sizeof now)
        memset ((char *)opts + sizeof now, 0, opts_size - sizeof now);
    return 0;
}

int
zpat_socket_get_options (zpat_socket_t *self, zpat_options_t *opts)
{
    return zpat_socket_get_options_sized (self, opts, ZPAT__OPTIONS_V0_SIZE);
}

// ---------------------------------------------------------------------------
// Endpoints

// libzmq reports an unknown transport as EPROTONOSUPPORT; to the caller it
// is one more malformed endpoint. A tcp:// host that cannot be resolved (or
// a bind address that is no address or interface here) is ENODEV from
// libzmq, "No such device": ZPAT_ENOHOST says what it is.
static int
s_endpoint_error (const char *endpoint)
{
    int code = errno;
    if (code == EPROTONOSUPPORT)
        code = EINVAL;
    else if (code == ENODEV && strncmp (endpoint, "tcp://", 6) == 0)
        code = ZPAT_ENOHOST;
    return zpat__fail (code);
}

// Returns the port of a tcp:// endpoint (0 for "*"), -1 for another
// transport, or -2 when the port is not "*" or a number up to 65535: libzmq
// 4.3.4 takes "tcp://*:99999" as port 34463 and "5x" as 5, so zpat checks.
static long
s_tcp_port (const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return -1;
    const char *colon = strrchr (endpoint + 6, ':');
    if (!colon)
        return -2;
    const char *digits = colon + 1;
    if (strcmp (digits, "*") == 0)
        return 0;
    size_t count = strspn (digits, "0123456789");
    if (count == 0 || count > 5 || digits[count] != 0)
        return -2;
    long port = strtol (digits, NULL, 10);
    return port <= 65535 ? port : -2;
}

static bool
s_endpoint_ok (const char *endpoint)
{
    return endpoint && *endpoint && strlen (endpoint) <= ZPAT__ENDPOINT_MAX &&
           s_tcp_port (endpoint) != -2;
}

// Binds, and if the port is one this process released a moment ago, waits
// for libzmq's I/O thread to finish closing the old listener (it does so in
// the background) instead of failing with EADDRINUSE.
// libzmq 4.3.4 looks a tcp:// bind address up as an interface name first
// (getifaddrs, which opens a netlink socket) and aborts the process when that
// fails, as it does when no file descriptor is left. So before such a bind,
// make sure the two descriptors it needs can be had, and report EMFILE (or
// ENFILE) instead. Another thread can still take the last descriptor in
// between; this closes the common case, a process that ran out.
static int
s_descriptors_left (const char *endpoint)
{
    if (s_tcp_port (endpoint) < 0 || strncmp (endpoint, "tcp://*:", 8) == 0)
        return 0;
    int probe = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (probe == -1 && (errno == EMFILE || errno == ENFILE))
        return -1;
    int second = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int saved = errno;
    if (probe != -1)
        close (probe);
    if (second != -1)
        close (second);
    else if (saved == EMFILE || saved == ENFILE)
        return zpat__fail (saved);
    return 0;
}

static int
s_bind (zpat_socket_t *self, const char *endpoint)
{
    if (s_descriptors_left (endpoint) == -1)
        return -1;
    int64_t deadline = 0;
    while (zmq_bind (self->handle, endpoint) == -1) {
        long port = s_tcp_port (endpoint);
        if (errno != EADDRINUSE || port <= 0 ||
            !zpat__ctx_recently_released (port))
            return -1;
        if (deadline == 0)
            deadline = zpat__clock_ms () + 1000;
        else if (zpat__clock_ms () >= deadline)
            return zpat__fail (EADDRINUSE);
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    return 0;
}

// Remembers a bound endpoint, so that destroy can unbind it at once.
static int
s_remember (zpat_socket_t *self, const char *endpoint)
{
    char *copy = strdup (endpoint);
    char **bound = copy ? realloc (self->bound, (self->bound_count + 1) *
                                                    sizeof *self->bound)
                        : NULL;
    if (!bound) {
        free (copy);
        return zpat__fail (ENOMEM);
    }
    self->bound = bound;
    self->bound[self->bound_count++] = copy;
    return 0;
}

// Forgets every bound endpoint before the socket is closed. inproc:// names
// are unbound, so that they are free again when destroy returns (libzmq
// hands inproc:// pipes their queued messages before it ends them). tcp://
// and ipc:// listeners are left for zmq_close to end: unbinding one drops its
// connections and the messages queued on them, where closing keeps the
// linger. tcp:// ports are noted, so that a bind to one of them can wait for
// libzmq to let it go. Touches libzmq only when the caller marked self busy.
static void
s_release_endpoints (zpat_socket_t *self, bool unbind)
{
    for (size_t i = 0; i < self->bound_count; i++) {
        if (unbind && strncmp (self->bound[i], "inproc://", 9) == 0)
            zmq_unbind (self->handle, self->bound[i]);
        long port = s_tcp_port (self->bound[i]);
        if (port > 0 && self->tag == ZPAT__TAG_LIVE) // not the parent's
            zpat__ctx_released (port);
        free (self->bound[i]);
    }
    free (self->bound);
    self->bound = NULL;
    self->bound_count = 0;
}

static int
s_bind_in (zpat_socket_t *self, const char *endpoint)
{
    if (s_bind (self, endpoint) == -1)
        return s_endpoint_error (endpoint);
    self->inproc |= strncmp (endpoint, "inproc://", 9) == 0;
    s_plan_receive (self);
    char resolved[ZPAT__ENDPOINT_MAX + 1];
    size_t size = sizeof resolved;
    if (zmq_getsockopt (self->handle, ZMQ_LAST_ENDPOINT, resolved, &size) == -1)
        snprintf (resolved, sizeof resolved, "%s", endpoint);
    if (s_remember (self, resolved) == -1) {
        zmq_unbind (self->handle, resolved);
        return -1;
    }
    memcpy (self->endpoint, resolved, sizeof resolved);
    return 0;
}

int
zpat_socket_bind (zpat_socket_t *self, const char *endpoint)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_endpoint_ok (endpoint))
        return zpat__fail (EINVAL);
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = s_bind_in (self, endpoint);
    zpat__socket_leave (self);
    return rc;
}

int
zpat_socket_connect (zpat_socket_t *self, const char *endpoint)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_endpoint_ok (endpoint))
        return zpat__fail (EINVAL);
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = zmq_connect (self->handle, endpoint);
    zpat__socket_leave (self);
    if (rc == -1)
        return s_endpoint_error (endpoint);
    self->inproc |= strncmp (endpoint, "inproc://", 9) == 0;
    s_plan_receive (self);
    return 0;
}

const char *
zpat_socket_endpoint (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return NULL;
    if (!self->endpoint[0])
        return zpat__fail_null (EINVAL);
    return self->endpoint;
}

void *
zpat_socket_handle (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return NULL;
    return self->handle;
}

// Attaches a comma-separated list: "@ep" binds, ">ep" connects, a bare
// endpoint does what the role usually does.
int
zpat__socket_attach (zpat_socket_t *self, const char *endpoints)
{
    if (!*endpoints)
        return zpat__fail (EINVAL);
    const char *at = endpoints;
    while (true) {
        const char *comma = strchr (at, ',');
        size_t length = comma ? (size_t)(comma - at) : strlen (at);
        char mode = s_roles[self->role].attach;
        if (length && (*at == '@' || *at == '>')) {
            mode = *at++;
            length--;
        }
        if (length == 0 || length > ZPAT__ENDPOINT_MAX)
            return zpat__fail (EINVAL);
        char endpoint[ZPAT__ENDPOINT_MAX + 1];
        memcpy (endpoint, at, length);
        endpoint[length] = 0;
        int rc = mode == '@' ? zpat_socket_bind (self, endpoint)
                             : zpat_socket_connect (self, endpoint);
        if (rc == -1)
            return -1;
        if (!comma)
            return 0;
        at = comma + 1;
    }
}

// ---------------------------------------------------------------------------
// Lifecycle

// Copies the caller's options, opts_size bytes of them, into *into: fields
// the caller's zpat_options_t did not have take their defaults. A caller
// built against a later zpat with more fields is accepted when it leaves
// them all at zero (their defaults); otherwise EINVAL, as for an option this
// library cannot honour. Returns 0 or -1 with EINVAL.
static int
s_copy_options (zpat_options_t *into, const zpat_options_t *opts,
                size_t opts_size)
{
    memset (into, 0, sizeof *into);
    if (!opts)
        return 0;
    if (opts_size < ZPAT__OPTIONS_V0_SIZE)
        return zpat__fail (EINVAL);
    const unsigned char *bytes = (const unsigned char *)opts;
    for (size_t i = sizeof *into; i < opts_size; i++)
        if (bytes[i])
            return zpat__fail (EINVAL);
    memcpy (into, opts, opts_size < sizeof *into ? opts_size : sizeof *into);
    return 0;
}

zpat_socket_t *
zpat__socket_new (zpat__role_t role, size_t size, const char *endpoints,
                  const zpat_options_t *opts_in, size_t opts_size)
{
    zpat_options_t copied;
    if (s_copy_options (&copied, opts_in, opts_size) == -1)
        return NULL;
    const zpat_options_t *opts = opts_in ? &copied : NULL;
    zpat_socket_t *self = calloc (1, size);
    if (!self)
        return zpat__fail_null (ENOMEM);
    self->role = role;
    // REP handles an envelope around every message, so it never takes the
    // fast paths.
    self->fast_send = s_roles[role].sends && role != ZPAT__REP;
    self->fast_recv = s_roles[role].receives && role != ZPAT__REP;
    // A fast zpat_socket_recv_msg swaps this array with the caller's
    // message's, so it comes from the same allocator as a message's slots.
    self->frame = malloc (sizeof *self->frame);
    if (!self->frame) {
        free (self);
        return zpat__fail_null (ENOMEM);
    }
    self->frame_slots = 1;
    zmq_msg_init (self->frame);
    if (zpat__ctx_open (self, s_roles[role].zmq_type) == -1) {
        int saved = errno;
        zmq_msg_close (self->frame);
        free (self->frame);
        free (self);
        return zpat__fail_null (saved);
    }
    self->tag = ZPAT__TAG_LIVE;
    int rc = s_apply_options (self, opts);
    if (rc == 0 && role == ZPAT__PUB) {
        // Every subscribe and unsubscribe, duplicates included, reaches the
        // publisher, so that it can count them.
        int on = 1;
        rc = zpat__socket_enter (self);
        if (rc == 0) {
            rc = zmq_setsockopt (self->handle, ZMQ_XPUB_VERBOSER, &on,
                                 sizeof on);
            zpat__socket_leave (self);
        }
    }
    if (rc == 0 && endpoints)
        rc = zpat__socket_attach (self, endpoints);
    if (rc == -1) {
        int saved = errno;
        zpat__socket_destroy (self, role);
        return zpat__fail_null (saved);
    }
    return self;
}

int
zpat__socket_destroy (zpat_socket_t *self, zpat__role_t role)
{
    if (!self || self->role != role ||
        (self->tag != ZPAT__TAG_LIVE && self->tag != ZPAT__TAG_FORKED))
        return -1;
    zpat__socket_drop_kept (self);
    zmq_msg_close (self->frame);
    free (self->frame);
    zpat__msg_fini (&self->multi);
    zpat__msg_fini (&self->envelope);
    zpat__msg_fini (&self->outgoing);
    // Unbinding waits for nothing; after zpat_shutdown () or at exit the
    // socket is left to the context's end as it is.
    bool unbind = self->tag == ZPAT__TAG_LIVE && self->handle &&
                  zpat__socket_enter (self) == 0;
    s_release_endpoints (self, unbind);
    if (unbind)
        zpat__socket_leave (self);
    zpat__ctx_close (self);
    self->tag = ZPAT__TAG_DEAD;
    free (self);
    return 0;
}

// ---------------------------------------------------------------------------
// Waiting

// Waits until the socket is ready for events, the signal pipe fires, or
// timeout_ms (-1 forever) runs out. Returns 1 ready, 0 timed out, or -1 with
// EINTR or ZPAT_ETERM.
int
zpat__socket_poll (zpat_socket_t *self, short events, int timeout_ms,
                   bool fresh)
{
    // The socket's own descriptor, polled with the signal pipe by poll (2)
    // itself: zmq_poll () costs about a thousand instructions more per wait.
    // The descriptor only says "look again" (edge-triggered), so ZMQ_EVENTS
    // is read before every poll (), and reading it is what re-arms it; a
    // send or receive that just failed for want of room or a message (fresh)
    // has done the same.
    int fd;
    size_t fd_size = sizeof fd;
    if (zmq_getsockopt (self->handle, ZMQ_FD, &fd, &fd_size) == -1)
        return -1;
    int64_t deadline = timeout_ms < 0 ? -1 : zpat__clock_ms () + timeout_ms;
    int ready;
    size_t ready_size = sizeof ready;
    for (;; fresh = false) {
        if (!fresh) {
            if (zmq_getsockopt (self->handle, ZMQ_EVENTS, &ready,
                                &ready_size) == -1)
                return -1;
            if (ready & events)
                return 1;
        }
        struct pollfd items[2] = {
            {fd, POLLIN, 0},
            {zpat__signal_fd (), POLLIN, 0},
        };
        nfds_t count = items[1].fd == -1 ? 1 : 2;
        if (count == 2 && zpat_interrupted ())
            return zpat__fail (EINTR);
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - zpat__clock_ms ();
            wait = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        }
        int rc = poll (items, count, wait);
        if (rc == -1 && errno == EINTR && !zpat_interrupted ())
            continue; // a signal zpat was not asked to catch
        if (rc == -1)
            return -1;
        if (count == 2 && (items[1].revents || zpat_interrupted ()))
            return zpat__fail (EINTR);
        if (rc == 0 && deadline >= 0 && zpat__clock_ms () >= deadline) {
            // One last look: what woke libzmq may not have woken us.
            if (zmq_getsockopt (self->handle, ZMQ_EVENTS, &ready,
                                &ready_size) == -1)
                return -1;
            return (ready & events) ? 1 : 0;
        }
    }
}

// Runs a send or receive of one frame with the caller's timeout: the general
// path behind the inline zpat__socket_transfer, which has tried the common
// case first. Without
// zpat_catch_signals () libzmq blocks by itself, honouring the socket's
// timeout, and a stray EINTR is retried. With it, the call first tries not to
// wait, then polls the socket together with the signal pipe.
//
// Only a message's first frame can wait: libzmq takes (or delivers) the rest
// of a multipart message together with the first, so later frames pass
// first = false and are never cut off by a signal or a timeout half-way.
int
zpat__socket_transfer_wait (zpat_socket_t *self, zmq_msg_t *frame, int flags,
                            bool sending, bool first)
{
    // The inline half (or a fast path, which set self->interrupted) has
    // already made the one blocking call, and a signal zpat was not asked to
    // catch interrupted it; or zpat catches signals.
    self->interrupted = false;
    bool tried = self->tried;
    self->tried = false;
    bool catching = zpat__signal_fd () != -1;
    if (!first) {
        // A later frame is already there: just go again.
        while (true) {
            int rc = sending ? zmq_msg_send (frame, self->handle, flags)
                             : zmq_msg_recv (frame, self->handle, flags);
            if (rc >= 0 || errno != EINTR)
                return rc;
        }
    }
    // A first frame's wait goes on with the timeout counted from here, so
    // that a stray signal starts it over once, not on every signal.
    if (catching && zpat_interrupted ())
        return zpat__fail (EINTR);
    int timeout =
        sending ? self->opts.send_timeout_ms : self->opts.recv_timeout_ms;
    int64_t deadline = timeout < 0 ? -1 : zpat__clock_ms () + timeout;
    for (;; tried = false) {
        if (!tried) {
            int rc =
                sending
                    ? zmq_msg_send (frame, self->handle, flags | ZMQ_DONTWAIT)
                    : zmq_msg_recv (frame, self->handle, flags | ZMQ_DONTWAIT);
            if (rc >= 0 || errno != EAGAIN)
                return rc;
        }
        int left = -1;
        if (deadline >= 0) {
            left = (int)(deadline - zpat__clock_ms ());
            if (left <= 0)
                return zpat__fail (EAGAIN);
        }
        int rc = zpat__socket_poll (self, sending ? ZMQ_POLLOUT : ZMQ_POLLIN,
                                    left, true);
        if (rc == -1)
            return -1;
        if (rc == 0)
            return zpat__fail (EAGAIN);
    }
}

// ---------------------------------------------------------------------------
// Sending

int
zpat__socket_enter (zpat_socket_t *self)
{
    zpat__busy (self);
    if (zpat__ctx_ended ()) {
        zpat__idle (self);
        return zpat__fail (ZPAT_ETERM);
    }
    return 0;
}

// Checks a send call: EINVAL (or ZPAT_EFORKED) for a bad object, role or
// argument (args_ok false), then ZPAT_ETERM after zpat_shutdown ().
static int
s_check_sender (zpat_socket_t *self, bool args_ok)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_roles[self->role].sends || !args_ok)
        return zpat__fail (EINVAL);
    return zpat__ctx_ended () ? zpat__fail (ZPAT_ETERM) : 0;
}

// As s_check_sender, and marks self busy for the call (zpat__socket_enter):
// the caller ends it with zpat__socket_leave.
static int
s_enter_sender (zpat_socket_t *self, bool args_ok)
{
    if (s_check_sender (self, args_ok) == -1) {
        // A fast path may have marked a live object busy before it found
        // the call was not its to make: a refused call leaves no mark.
        if (zpat__socket_check (self))
            zpat__idle (self);
        return -1;
    }
    return zpat__socket_enter (self);
}

// A publisher reads the subscriptions piling up on its XPUB now and then,
// so that they cannot grow without bound.
static inline void
s_after_send (zpat_socket_t *self)
{
    if (self->role == ZPAT__PUB && (++self->sends & 255) == 0)
        zpat__pub_drain (self);
}

// The fast paths read zpat__slow once, after marking the socket busy: 0
// (nothing unusual) or ZPAT__SLOW_SIGNALS alone (signals are caught, none has
// arrived) let a send or receive be one libzmq call. With signals caught that
// call must not wait (a signal would not end it in other threads), so it
// passes ZMQ_DONTWAIT, which is the same bit: the word itself is the flags.
// Whatever the fast path does not finish (a wait, an error to sort) goes to
// the general path, which checks everything again.
_Static_assert(ZPAT__SLOW_SIGNALS == ZMQ_DONTWAIT,
               "the fast paths use the slow word as libzmq flags");
#define FAST_MAX ZPAT__SLOW_SIGNALS

// True when a send on self may take a fast path: a live sender other than a
// REP. Marks it busy; the caller reads zpat__slow next.
static inline bool
s_fast_sender (zpat_socket_t *self)
{
    if (!self || self->tag != ZPAT__TAG_LIVE || !self->fast_send)
        return false;
    zpat__busy (self);
    return true;
}

// After a fast send that libzmq refused: true when the general path must
// take over (a signal cut the wait, or a send that must not wait found the
// queue full), false when the error stands.
static bool __attribute__ ((noinline)) s_send_fast_miss (zpat_socket_t *self)
{
    if (errno == EINTR) {
        self->interrupted = true; // the general path waits on, once
        return true;
    }
    // Read again rather than kept across the call: if it changed meanwhile,
    // the general path sorts it out.
    self->tried = (zpat__slow_word () & ZPAT__SLOW_SIGNALS) && errno == EAGAIN;
    return self->tried;
}

int
zpat__socket_send_frame (zpat_socket_t *self, zmq_msg_t *frame, int more,
                         bool first)
{
    if (self->role == ZPAT__REP && first) {
        if (zpat__rep_send_envelope (self) == -1)
            return -1;
        first = false; // the envelope's first frame did any waiting
    }
    int rc = zpat__socket_transfer (self, frame, more ? ZMQ_SNDMORE : 0, true,
                                    first);
    if (rc >= 0 && !more && self->role == ZPAT__REP)
        self->replying = false;
    return rc;
}

// The general send path: any role, signals caught or not. Kept out of line
// so that the fast path in zpat_socket_send stays a few instructions.
static int
s_send_copy_in (zpat_socket_t *self, const void *data, size_t size)
{
    zmq_msg_t frame;
    if (zmq_msg_init_size (&frame, size) == -1)
        return zpat__fail (ENOMEM);
    if (size)
        memcpy (zmq_msg_data (&frame), data, size);
    if (zpat__socket_send_frame (self, &frame, 0, true) == -1) {
        int saved = errno;
        zmq_msg_close (&frame);
        return zpat__fail (saved);
    }
    s_after_send (self);
    return 0;
}

static int __attribute__ ((noinline))
s_send_copy (zpat_socket_t *self, const void *data, size_t size)
{
    if (s_enter_sender (self, data || !size) == -1)
        return -1;
    int rc = s_send_copy_in (self, data, size);
    zpat__socket_leave (self);
    return rc;
}

int
zpat_socket_send (zpat_socket_t *self, const void *data, size_t size)
{
    // The common case in one libzmq call, as a raw program would make it;
    // everything else (and a send a stray signal interrupted, which then
    // waits on) takes the general path.
    // (An empty send with a NULL data takes the general path.)
    if (s_fast_sender (self) && data && size <= INT_MAX) {
        unsigned flags = zpat__slow_word ();
        if (flags <= FAST_MAX) {
            if (zmq_send (self->handle, data, size, (int)flags) >= 0) {
                s_after_send (self);
                zpat__idle (self);
                return 0;
            }
            if (!s_send_fast_miss (self)) {
                zpat__idle (self);
                return -1;
            }
        }
    }
    return s_send_copy (self, data, size);
}

int
zpat_socket_send_str (zpat_socket_t *self, const char *string)
{
    if (!string)
        return zpat__fail (EINVAL);
    return zpat_socket_send (self, string, strlen (string));
}

int
zpat_socket_sendf (zpat_socket_t *self, const char *format, ...)
{
    if (s_check_sender (self, format) == -1)
        return -1;
    char small[256];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (small, sizeof small, format, args);
    va_end (args);
    if (length < 0)
        return zpat__fail (EINVAL);
    if ((size_t)length < sizeof small)
        return zpat_socket_send (self, small, (size_t)length);
    char *large = malloc ((size_t)length + 1);
    if (!large)
        return zpat__fail (ENOMEM);
    va_start (args, format);
    vsnprintf (large, (size_t)length + 1, format, args);
    va_end (args);
    int rc = zpat_socket_send (self, large, (size_t)length);
    int saved = errno;
    free (large);
    errno = saved;
    return rc;
}

int
zpat_socket_send_frames (zpat_socket_t *self, const zpat_frame_t *frames,
                         size_t count)
{
    if (s_check_sender (self, frames && count) == -1)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!frames[i].data && frames[i].size)
            return zpat__fail (EINVAL);
    // Build every frame before sending the first, so that running out of
    // memory half-way leaves nothing queued ("all frames arrive, or none").
    // The socket's own message holds them, reused from call to call.
    struct zpat_msg *out = &self->outgoing;
    zpat_msg_reset (out);
    for (size_t i = 0; i < count; i++) {
        if (zpat_msg_add (out, frames[i].data, frames[i].size) == -1) {
            zpat_msg_reset (out);
            return zpat__fail (ENOMEM);
        }
    }
    if (zpat_socket_send_msg (self, out) == -1) {
        int saved = errno;
        zpat_msg_reset (out);
        return zpat__fail (saved);
    }
    return 0;
}

static int s_send_msg (zpat_socket_t *self, zpat_msg_t *msg);
static int s_send_msg_in (zpat_socket_t *self, zpat_msg_t *msg);

int
zpat_socket_send_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    if (s_fast_sender (self) && msg && msg->count == 1) {
        unsigned flags = zpat__slow_word ();
        if (flags <= FAST_MAX) {
            if (zmq_msg_send (&msg->frames[0], self->handle, (int)flags) >= 0) {
                msg->count = 0; // libzmq emptied the frame
                s_after_send (self);
                zpat__idle (self);
                return 0;
            }
            if (!s_send_fast_miss (self)) {
                zpat__idle (self);
                return -1;
            }
        }
    }
    return s_send_msg (self, msg);
}

static int __attribute__ ((noinline))
s_send_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    if (s_enter_sender (self, msg && msg->count) == -1)
        return -1;
    int rc = s_send_msg_in (self, msg);
    zpat__socket_leave (self);
    return rc;
}

static int
s_send_msg_in (zpat_socket_t *self, zpat_msg_t *msg)
{
    for (size_t i = 0; i < msg->count; i++) {
        if (zpat__socket_send_frame (self, &msg->frames[i], i + 1 < msg->count,
                                     i == 0) == -1) {
            // Only the first frame can wait, so only it can fail for a
            // timeout or a signal, leaving msg whole. A later frame fails
            // only when zpat_shutdown () ended the context mid-message: the
            // message went with it.
            if (i > 0) {
                int saved = errno;
                zpat_msg_reset (msg);
                errno = saved;
            }
            return -1;
        }
    }
    // libzmq has emptied every frame it took; nothing is left to close.
    msg->count = 0;
    s_after_send (self);
    return 0;
}

// ---------------------------------------------------------------------------
// Receiving

// Checks a receive call and marks self busy, as s_enter_sender does a send.
static int
s_enter_receiver (zpat_socket_t *self, bool args_ok)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_roles[self->role].receives || !args_ok) {
        zpat__idle (self); // as in s_enter_sender
        return zpat__fail (EINVAL);
    }
    return zpat__socket_enter (self);
}

void
zpat__socket_drop_kept (zpat_socket_t *self)
{
    // Release the frame at once: a large buffer goes back, and a zero-copy
    // frame's free function runs now rather than at the next receive.
    zmq_msg_close (self->frame);
    zmq_msg_init (self->frame);
    if (self->multi.count)
        zpat_msg_reset (&self->multi);
    self->kept = ZPAT__KEPT_NONE;
}

// Receives a multipart message whose first frame is in first into msg.
// libzmq delivers a message whole, so the other frames are already there.
int
zpat__socket_recv_rest (zpat_socket_t *self, zmq_msg_t *first,
                        struct zpat_msg *msg)
{
    zpat_msg_reset (msg);
    bool more = true;
    while (more) {
        zmq_msg_t *slot = zpat__msg_slot (msg);
        if (!slot) {
            // Out of memory mid-message: read the rest so that the socket
            // stays usable, and say so.
            zmq_msg_t skip;
            zmq_msg_init (&skip);
            do {
                if (zmq_msg_recv (&skip, self->handle, 0) == -1)
                    break;
            } while (zmq_msg_more (&skip));
            zmq_msg_close (&skip);
            zpat_msg_reset (msg);
            return zpat__fail (ENOMEM);
        }
        zmq_msg_init (slot);
        if (msg->count == 0)
            zmq_msg_move (slot, first);
        else if (zpat__socket_transfer (self, slot, 0, false, false) == -1) {
            int saved = errno;
            zmq_msg_close (slot);
            zpat_msg_reset (msg);
            return zpat__fail (saved);
        }
        msg->count++;
        more = zmq_msg_more (slot);
    }
    return 0;
}

// True when a frame of the kept message is over the maximum message size.
// libzmq enforces the limit in its tcp:// and ipc:// decoder only; this
// holds it over inproc:// too.
bool
zpat__socket_oversized (zpat_socket_t *self)
{
    int64_t max = self->opts.max_msg_bytes;
    if (!self->inproc || max < 0)
        return false;
    if (self->kept == ZPAT__KEPT_ONE)
        return (int64_t)zmq_msg_size (self->frame) > max;
    for (size_t i = 0; i < self->multi.count; i++)
        if ((int64_t)zmq_msg_size (&self->multi.frames[i]) > max)
            return true;
    return false;
}

// With the first frame of a message in self->frame, receives the rest of a
// multipart one into self->multi and marks the message kept.
static int
s_recv_finish (zpat_socket_t *self)
{
    if (!zmq_msg_more (self->frame))
        self->kept = ZPAT__KEPT_ONE;
    else if (zpat__socket_recv_rest (self, self->frame, &self->multi) == -1)
        return -1;
    else
        self->kept = ZPAT__KEPT_MULTI;
    return 0;
}

// Receives a message (or a REP request's body) into self->frame, and the
// rest of a multipart one into self->multi, and marks it kept. first: the
// first frame may wait, with the caller's timeout.
int
zpat__socket_recv_body (zpat_socket_t *self, bool first)
{
    if (zpat__socket_transfer (self, self->frame, 0, false, first) == -1)
        return -1;
    return s_recv_finish (self);
}

int64_t
zpat__socket_wait_start (const zpat_socket_t *self)
{
    return self->opts.recv_timeout_ms >= 0 ? zpat__clock_ms () : 0;
}

int
zpat__socket_wait_rest (zpat_socket_t *self, int64_t start_ms)
{
    int timeout = self->opts.recv_timeout_ms;
    int wait = -1;
    if (timeout > 0) {
        int64_t left = start_ms + timeout - zpat__clock_ms ();
        if (left <= 0)
            return zpat__fail (EAGAIN); // a flood of junk ends here too
        wait = (int)left;
    } else if (timeout == 0)
        wait = 0; // no waiting: only a message already there

    int rc = zpat__socket_poll (self, ZMQ_POLLIN, wait, false);
    if (rc == 0)
        return zpat__fail (EAGAIN);
    return rc == 1 ? 0 : -1;
}

// Makes sure a whole message is kept in self, receiving one if none is.
// Messages the role must not deliver (oversized ones; for a REP, requests
// without a well-formed envelope) are dropped and the wait goes on, within
// the same receive timeout: a stream of them cannot hold the call forever.
// A REQ whose reply is dropped gets no reply, as over tcp:// (where libzmq
// drops it): it waits out its timeout.
int
zpat__socket_recv_kept (zpat_socket_t *self)
{
    if (self->role == ZPAT__REP)
        return self->kept != ZPAT__KEPT_NONE ? 0 : zpat__rep_recv (self);
    int64_t start = zpat__socket_wait_start (self);
    while (true) {
        // A message kept by a fast receive has not been checked yet.
        if (self->kept == ZPAT__KEPT_NONE &&
            zpat__socket_recv_body (self, true) == -1)
            return -1;
        if (!zpat__socket_oversized (self))
            return 0;
        zpat__socket_drop_kept (self);
        if (zpat__socket_wait_rest (self, start) == -1)
            return -1;
    }
}

// True when a receive on self may be one libzmq call, with the flags it
// stores in *flags: a live receiver other than a REP, with nothing kept from
// an earlier call, and the slow word 0 or ZPAT__SLOW_SIGNALS (see FAST_MAX).
// Marks self busy once it is known live; the general path marks it again.
static inline bool
s_fast_receiver (zpat_socket_t *self, int *flags)
{
    if (!self || self->tag != ZPAT__TAG_LIVE || !self->fast_recv ||
        self->kept != ZPAT__KEPT_NONE)
        return false;
    zpat__busy (self);
    unsigned slow = zpat__slow_word ();
    if (slow == 0) {
        *flags = self->recv_flags;
        return true;
    }
    *flags = ZMQ_DONTWAIT;
    return slow == ZPAT__SLOW_SIGNALS;
}

// The rest of a fast receive that did not get a message to hand over:
// keeps a multipart or oversized one for the general path (which drops it if
// it is over the limit), and sorts the errors. Out of line, as it is rare.
static int __attribute__ ((noinline))
s_recv_fast_miss (zpat_socket_t *self, int rc)
{
    if (rc >= 0)
        return s_recv_finish (self) == -1 ? -1 : -2;
    if (errno == EINTR) {
        self->interrupted = true; // the general path waits on, once
        return -2;
    }
    // A receive that must not wait found nothing: the general path waits.
    // (The slow word is read again rather than kept across the call.)
    unsigned signals = zpat__slow_word () & ZPAT__SLOW_SIGNALS;
    if (errno != EAGAIN || !(signals || self->recv_flags & ZMQ_DONTWAIT))
        return -1;
    self->tried = signals != 0; // the general path's wait polls at once
    return -2;
}

// The fast receive: one zmq_msg_recv into self->frame, with the flags
// s_plan_receive chose. Returns the size (clipped to INT_MAX, as libzmq
// reports it) of a one-frame message within the size limit, for the caller
// to take; -2 when the general path must take over (nothing there yet on a
// socket that may drop, a multipart or oversized message, now kept, or a
// stray signal); -1 with errno on an error.
static inline int
s_recv_fast (zpat_socket_t *self, int flags)
{
    int rc = zmq_msg_recv (self->frame, self->handle, flags);
    // zmq_msg_more is zmq_msg_get (ZMQ_MORE) behind one more call.
    if (rc >= 0 && rc <= self->recv_limit &&
        !zmq_msg_get (self->frame, ZMQ_MORE))
        return rc;
    return s_recv_fast_miss (self, rc);
}

// After a fast receive the frame's bytes have been copied out: release
// them now, as a drop would (a zero-copy frame's free function runs now, and
// a large buffer goes back at once).
static inline void
s_recv_done (zpat_socket_t *self)
{
    zmq_msg_close (self->frame);
    zmq_msg_init (self->frame);
}

// The general receive paths, out of line so that the fast paths in front of
// them save no registers they do not use.
static int
s_recv_copy_in (zpat_socket_t *self, void *buf, size_t size)
{
    if (zpat__socket_recv_kept (self) == -1)
        return -1;
    if (self->kept == ZPAT__KEPT_MULTI)
        return zpat__fail (ZPAT_EFRAMES);
    size_t length = zmq_msg_size (self->frame);
    if (length > size || length > INT_MAX)
        return zpat__fail (EMSGSIZE);
    if (length)
        memcpy (buf, zmq_msg_data (self->frame), length);
    zpat__socket_drop_kept (self);
    return (int)length;
}

static int __attribute__ ((noinline))
s_recv_copy (zpat_socket_t *self, void *buf, size_t size)
{
    if (s_enter_receiver (self, buf || !size) == -1)
        return -1;
    int rc = s_recv_copy_in (self, buf, size);
    zpat__socket_leave (self);
    return rc;
}

int
zpat_socket_recv (zpat_socket_t *self, void *buf, size_t size)
{
    int flags;
    if (s_fast_receiver (self, &flags) && (buf || !size)) {
        int rc = s_recv_fast (self, flags);
        if (rc >= 0 && rc < INT_MAX && (size_t)rc <= size) {
            if (rc)
                memcpy (buf, zmq_msg_data (self->frame), (size_t)rc);
            s_recv_done (self);
            zpat__idle (self);
            return rc;
        }
        if (rc >= 0)
            self->kept = ZPAT__KEPT_ONE; // for the general path to refuse
        else if (rc == -1) {
            zpat__idle (self);
            return -1;
        }
    }
    return s_recv_copy (self, buf, size);
}

static char *s_recv_str (zpat_socket_t *self);

char *
zpat_socket_recv_str (zpat_socket_t *self)
{
    int flags;
    if (s_fast_receiver (self, &flags)) {
        int rc = s_recv_fast (self, flags);
        if (rc >= 0 && rc < INT_MAX) {
            char *string = malloc ((size_t)rc + 1);
            if (string) {
                if (rc)
                    memcpy (string, zmq_msg_data (self->frame), (size_t)rc);
                string[rc] = 0;
                s_recv_done (self);
                zpat__idle (self);
                return string;
            }
        }
        if (rc >= 0)
            self->kept = ZPAT__KEPT_ONE; // the general path tries again
        else if (rc == -1) {
            zpat__idle (self);
            return NULL;
        }
    }
    if (s_enter_receiver (self, true) == -1)
        return NULL;
    char *string = s_recv_str (self);
    zpat__socket_leave (self);
    return string;
}

static char *
s_recv_str (zpat_socket_t *self)
{
    if (zpat__socket_recv_kept (self) == -1)
        return NULL;
    if (self->kept == ZPAT__KEPT_MULTI)
        return zpat__fail_null (ZPAT_EFRAMES);
    size_t length = zmq_msg_size (self->frame);
    char *string = malloc (length + 1);
    if (!string)
        return zpat__fail_null (ENOMEM);
    if (length)
        memcpy (string, zmq_msg_data (self->frame), length);
    string[length] = 0;
    zpat__socket_drop_kept (self);
    return string;
}

static int
s_recv_msg_in (zpat_socket_t *self, zpat_msg_t *msg)
{
    // The message is received into the socket first and handed over only
    // once whole, so that a failed call leaves the caller's message as it
    // was (a zmq_msg_recv straight into it would empty it on a timeout).
    if (zpat__socket_recv_kept (self) == -1)
        return -1;
    if (self->kept == ZPAT__KEPT_MULTI) {
        // Hand the kept frames over by swapping arrays: no copy, and the
        // caller's spare slots become the socket's.
        zpat_msg_reset (msg);
        struct zpat_msg spare = *msg;
        *msg = self->multi;
        self->multi = spare;
    } else if (msg->count >= 1) {
        // zmq_msg_move releases what frame 0 held.
        for (size_t i = 1; i < msg->count; i++)
            zmq_msg_close (&msg->frames[i]);
        zmq_msg_move (&msg->frames[0], self->frame);
        msg->count = 1;
    } else {
        zmq_msg_t *slot = zpat__msg_slot (msg);
        if (!slot)
            return -1; // the message stays kept
        zmq_msg_init (slot);
        zmq_msg_move (slot, self->frame);
        msg->count = 1;
    }
    self->kept = ZPAT__KEPT_NONE;
    return (int)msg->count;
}

static int __attribute__ ((noinline))
s_recv_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    if (s_enter_receiver (self, msg) == -1)
        return -1;
    int rc = s_recv_msg_in (self, msg);
    zpat__socket_leave (self);
    return rc;
}

int
zpat_socket_recv_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    // The fast path for a message that holds one frame, as it does when it
    // is reused from receive to receive, or none but has a slot for one.
    int flags;
    if (s_fast_receiver (self, &flags) && msg && msg->count <= 1 &&
        msg->capacity) {
        int rc = s_recv_fast (self, flags);
        if (rc >= 0) {
            // Hand the frame over by swapping slot arrays with msg rather
            // than moving it (a check, a copy and a release, out of line):
            // nothing is copied or allocated. The frame msg held, now in the
            // socket's array, is released at once, as zmq_msg_move would:
            // its free function (a zero-copy frame's) runs in this call.
            size_t had = msg->count;
            zmq_msg_t *frames = msg->frames;
            size_t slots = msg->capacity;
            msg->frames = self->frame;
            msg->capacity = self->frame_slots;
            msg->count = 1;
            self->frame = frames;
            self->frame_slots = slots;
            if (had)
                zmq_msg_close (self->frame);
            zmq_msg_init (self->frame);
            zpat__idle (self);
            return 1;
        }
        if (rc == -1) {
            zpat__idle (self);
            return -1;
        }
    }
    return s_recv_msg (self, msg);
}

int
zpat_socket_discard (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_roles[self->role].receives)
        return zpat__fail (EINVAL);
    if (self->kept == ZPAT__KEPT_NONE)
        return 0;
    zpat__socket_drop_kept (self);
    return 1;
}
