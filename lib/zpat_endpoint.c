// zpat_endpoint.c - the socket core's endpoints: checking them, binding
// (and reading back the endpoint bound), connecting, attaching a list, and
// releasing them all when the object is destroyed.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <sys/socket.h>
#include <linux/netlink.h>
#include <time.h>
#include <unistd.h>

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
        int reported = zpat__monitor_bind_errno (self);
        if (reported)
            errno = reported;
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

// Adds a copy of endpoint to a list of them (the endpoints bound, so that
// destroy can unbind them at once; those connected to, so that a request
// can remake the connections).
static int
s_remember (char ***list, size_t *count, const char *endpoint)
{
    char *copy = strdup (endpoint);
    char **grown = copy ? realloc (*list, (*count + 1) * sizeof **list) : NULL;
    if (!grown) {
        free (copy);
        return zpat__fail (ENOMEM);
    }
    *list = grown;
    (*list)[(*count)++] = copy;
    return 0;
}

// Forgets every bound endpoint before the socket is closed. inproc:// names
// are unbound, so that they are free again when destroy returns (libzmq
// hands inproc:// pipes their queued messages before it ends them). tcp://
// and ipc:// listeners are left for zmq_close to end: unbinding one drops its
// connections and the messages queued on them, where closing keeps the
// linger. tcp:// ports are noted, so that a bind to one of them can wait for
// libzmq to let it go. Touches libzmq only when the caller marked self busy.
void
zpat__socket_release_endpoints (zpat_socket_t *self, bool unbind)
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
    for (size_t i = 0; i < self->connected_count; i++)
        free (self->connected[i]);
    free (self->connected);
    self->connected = NULL;
    self->connected_count = 0;
}

static int
s_bind_in (zpat_socket_t *self, const char *endpoint)
{
    // The monitor goes first, so that it sees this endpoint's events too.
    if (zpat__monitor_start (self, endpoint) == -1)
        return -1;
    if (s_bind (self, endpoint) == -1)
        return s_endpoint_error (endpoint);
    self->inproc |= strncmp (endpoint, "inproc://", 9) == 0;
    zpat__socket_plan_receive (self);
    char resolved[ZPAT__ENDPOINT_MAX + 1];
    size_t size = sizeof resolved;
    if (zmq_getsockopt (self->handle, ZMQ_LAST_ENDPOINT, resolved, &size) == -1)
        snprintf (resolved, sizeof resolved, "%s", endpoint);
    if (s_remember (&self->bound, &self->bound_count, resolved) == -1) {
        zmq_unbind (self->handle, resolved);
        return -1;
    }
    memcpy (self->endpoint, resolved, sizeof resolved);
    return 0;
}

static int
s_bind_api (zpat_socket_t *self, const char *endpoint)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_endpoint_ok (endpoint))
        return zpat__fail (EINVAL);
    if (self->role->attach_to)
        return self->role->attach_to (self, endpoint, '@');
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = s_bind_in (self, endpoint);
    zpat__socket_leave (self);
    return rc;
}

static int s_connect_in (zpat_socket_t *self, const char *endpoint);

static int
s_connect (zpat_socket_t *self, const char *endpoint)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!s_endpoint_ok (endpoint))
        return zpat__fail (EINVAL);
    if (self->role->attach_to)
        return self->role->attach_to (self, endpoint, '>');
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = s_connect_in (self, endpoint);
    zpat__socket_leave (self);
    return rc;
}

int
zpat__socket_attach_in (zpat_socket_t *self, const char *endpoint, char mode)
{
    if (!s_endpoint_ok (endpoint))
        return zpat__fail (EINVAL);
    return mode == '@' ? s_bind_in (self, endpoint)
                       : s_connect_in (self, endpoint);
}

static int
s_connect_in (zpat_socket_t *self, const char *endpoint)
{
    int rc = zpat__monitor_start (self, endpoint);
    if (rc == 0 && zmq_connect (self->handle, endpoint) == -1)
        rc = s_endpoint_error (endpoint);
    // Remembered for a request's retries (and to name the object): a
    // connection that cannot be remembered is not kept.
    if (rc == 0 &&
        s_remember (&self->connected, &self->connected_count, endpoint) == -1) {
        zmq_disconnect (self->handle, endpoint);
        rc = -1;
    }
    if (rc == -1)
        return -1;
    self->inproc |= strncmp (endpoint, "inproc://", 9) == 0;
    zpat__socket_plan_receive (self);
    return 0;
}

int
zpat__socket_reconnect (zpat_socket_t *self)
{
    // libzmq ends a connection with the socket's linger as it is when
    // zmq_disconnect is called: with none, what is queued on it is dropped
    // rather than sent once the peer is back (a request already retried).
    int linger;
    size_t size = sizeof linger;
    if (zmq_getsockopt (self->handle, ZMQ_LINGER, &linger, &size) == -1)
        return -1;
    int none = 0, rc = 0;
    if (zmq_setsockopt (self->handle, ZMQ_LINGER, &none, sizeof none) == -1)
        return -1;
    for (size_t i = 0; i < self->connected_count && rc == 0; i++) {
        const char *endpoint = self->connected[i];
        // Not connected now (a failure half-way through before): connect.
        if (zmq_disconnect (self->handle, endpoint) == -1 && errno != ENOENT)
            rc = -1;
        else if (zmq_connect (self->handle, endpoint) == -1)
            rc = -1;
    }
    int saved = errno;
    zmq_setsockopt (self->handle, ZMQ_LINGER, &linger, sizeof linger);
    errno = saved;
    return rc;
}

const char *
zpat__socket_name (const zpat_socket_t *self)
{
    if (!self || self->tag != ZPAT__TAG_LIVE)
        return NULL;
    if (self->endpoint[0])
        return self->endpoint;
    return self->connected_count ? self->connected[self->connected_count - 1]
                                 : NULL;
}

static const char *
s_endpoint (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return NULL;
    if (!self->endpoint[0])
        return zpat__fail_null (EINVAL);
    return self->endpoint;
}

// A bare endpoint does what the role usually does (role->attach).
int
zpat__socket_attach (zpat_socket_t *self, const char *endpoints)
{
    if (!*endpoints)
        return zpat__fail (EINVAL);
    const char *at = endpoints;
    while (true) {
        const char *comma = strchr (at, ',');
        size_t length = comma ? (size_t)(comma - at) : strlen (at);
        char mode = self->role->attach;
        if (length && (*at == '@' || *at == '>')) {
            mode = *at++;
            length--;
        }
        if (length == 0 || length > ZPAT__ENDPOINT_MAX)
            return zpat__fail (EINVAL);
        char endpoint[ZPAT__ENDPOINT_MAX + 1];
        memcpy (endpoint, at, length);
        endpoint[length] = 0;
        int rc = mode == '@' ? s_bind_api (self, endpoint)
                             : s_connect (self, endpoint);
        if (rc == -1)
            return -1;
        if (!comma)
            return 0;
        at = comma + 1;
    }
}

int
zpat_socket_bind (zpat_socket_t *self, const char *endpoint)
{
    // Named by the endpoint it failed on, not the object's last one.
    return zpat__api_int (s_bind_api (self, endpoint), "zpat_bind", self,
                          endpoint);
}

int
zpat_socket_connect (zpat_socket_t *self, const char *endpoint)
{
    return zpat__api_int (s_connect (self, endpoint), "zpat_connect", self,
                          endpoint);
}

const char *
zpat_socket_endpoint (zpat_socket_t *self)
{
    return zpat__api_sock_ptr ((void *)s_endpoint (self), "zpat_endpoint",
                               self);
}

// For the devices, which report under their own names.
const char *
zpat__socket_endpoint (zpat_socket_t *self)
{
    return s_endpoint (self);
}
