// zpat_req.c - REQ, the request (client) role: connects by default;
// sends a request, then receives its reply. A request whose reply a
// receive gave up on can be abandoned by the next send, and
// zpat_req_request sends a request and retries it until it is answered
// (the ZeroMQ guide's Lazy Pirate, built in).
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_req {
    zpat_socket_t sock;
    bool correlating; // ZMQ_REQ_CORRELATE is on: replies are matched by id
};

// Lets the next request go ahead of a reply still owed (begin), then stops
// letting it (end). From the first abandoned request on, every request
// carries an id frame ahead of the envelope's delimiter, which REP peers
// echo (libzmq's, pyzmq's, zpat's, through devices), and libzmq drops a
// reply whose id is not the last request's; the abandoned request's own
// reply, sent without an id, is dropped the same way. Until then a zpat REQ
// sends exactly what libzmq's plain REQ sends, for peers that read the
// envelope frame by frame (a ROUTER expecting [peer, "", body]).
static int
s_abandon (zpat_socket_t *sock, bool begin)
{
    zpat_req_t *self = (zpat_req_t *)sock;
    int on = begin;
    if (begin && !self->correlating) {
        if (zmq_setsockopt (sock->handle, ZMQ_REQ_CORRELATE, &on, sizeof on) ==
            -1)
            return -1;
        self->correlating = true;
    }
    return zmq_setsockopt (sock->handle, ZMQ_REQ_RELAXED, &on, sizeof on);
}

static const zpat__role_t s_role = {
    .name = "REQ",
    .zmq_type = ZMQ_REQ,
    .size = sizeof (zpat_req_t),
    .attach = '>',
    .sends = true,
    .receives = true,
    .one_reply = true,
    .abandon = s_abandon,
};

zpat_req_t *
zpat_req_new_sized (const char *endpoints, const zpat_options_t *opts,
                    size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size), "zpat_req_new",
        NULL, endpoints);
}

zpat_req_t *
zpat_req_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_req_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_req_destroy (zpat_req_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}

// ---------------------------------------------------------------------------
// zpat_req_request: each try sends a copy of the request and waits for the
// reply until the try's deadline; a try that gets none abandons the request
// (the next send may, see above), remakes the connections so that nothing
// queued for a dead or stuck peer is sent later, and sends it again.

// The send and receive timeouts, as libzmq and the core hold them.
typedef struct {
    int zmq_send, zmq_recv; // ZMQ_SNDTIMEO, ZMQ_RCVTIMEO
    int send, recv;         // the core's, which its general paths read
} timeouts_t;

static int
s_timeouts_get (zpat_socket_t *sock, timeouts_t *t)
{
    size_t size = sizeof t->zmq_send;
    if (zmq_getsockopt (sock->handle, ZMQ_SNDTIMEO, &t->zmq_send, &size) == -1)
        return -1;
    size = sizeof t->zmq_recv;
    if (zmq_getsockopt (sock->handle, ZMQ_RCVTIMEO, &t->zmq_recv, &size) == -1)
        return -1;
    t->send = sock->opts.send_timeout_ms;
    t->recv = sock->opts.recv_timeout_ms;
    return 0;
}

static int
s_timeouts_set (zpat_socket_t *sock, const timeouts_t *t)
{
    if (zmq_setsockopt (sock->handle, ZMQ_SNDTIMEO, &t->zmq_send,
                        sizeof t->zmq_send) == -1 ||
        zmq_setsockopt (sock->handle, ZMQ_RCVTIMEO, &t->zmq_recv,
                        sizeof t->zmq_recv) == -1)
        return -1;
    sock->opts.send_timeout_ms = t->send;
    sock->opts.recv_timeout_ms = t->recv;
    return 0;
}

// Both timeouts to ms (at least 1: 0 would mean not to wait at all).
static int
s_timeouts_limit (zpat_socket_t *sock, int64_t ms)
{
    int limit = ms < 1 ? 1 : ms > INT_MAX ? INT_MAX : (int)ms;
    timeouts_t t = {limit, limit, limit, limit};
    if (zpat__socket_enter (sock) == -1)
        return -1;
    int rc = s_timeouts_set (sock, &t);
    zpat__socket_leave (sock);
    return rc;
}

// Sends a copy of request (the caller's stays as it was).
static int
s_send_copy (zpat_socket_t *sock, const zpat_msg_t *request,
             struct zpat_msg *copy)
{
    zpat_msg_reset (copy);
    for (size_t i = 0; i < request->count; i++) {
        zmq_msg_t *slot = zpat__msg_slot (copy);
        if (!slot)
            return -1; // ENOMEM
        zmq_msg_init (slot);
        // A reference, not a copy of the bytes (libzmq counts them).
        zmq_msg_copy (slot, (zmq_msg_t *)&request->frames[i]);
        copy->count++;
    }
    return zpat__socket_send_msg (sock, copy);
}

// One try: send, then wait for the reply until deadline. into: a message
// (reply) or, when NULL, a string returned through *string.
static int
s_try (zpat_req_t *self, const zpat_msg_t *request, struct zpat_msg *copy,
       zpat_msg_t *reply, char **string, int64_t deadline)
{
    zpat_socket_t *sock = &self->sock;
    if (s_timeouts_limit (sock, deadline - zpat__clock_ms ()) == -1 ||
        s_send_copy (sock, request, copy) == -1)
        return -1;
    if (s_timeouts_limit (sock, deadline - zpat__clock_ms ()) == -1)
        return -1;
    if (reply)
        return zpat__socket_recv_msg (sock, reply);
    *string = zpat__socket_recv_str (sock);
    return *string ? 0 : -1;
}

static int
s_request (zpat_req_t *self, const zpat_msg_t *request, zpat_msg_t *reply,
           char **string, int timeout_ms, int tries)
{
    zpat_socket_t *sock = (zpat_socket_t *)self; // the core is first
    if (zpat__socket_valid (sock) == -1)
        return -1;
    if (sock->role != &s_role || !request || !request->count ||
        (!reply && !string) || timeout_ms <= 0 || tries < 1)
        return zpat__fail (EINVAL);
    timeouts_t saved;
    if (zpat__socket_enter (sock) == -1)
        return -1;
    int rc = s_timeouts_get (sock, &saved);
    zpat__socket_leave (sock);
    if (rc == -1)
        return -1;
    struct zpat_msg copy = {0};
    int error = EAGAIN;
    rc = -1;
    for (int attempt = 0; attempt < tries && rc == -1; attempt++) {
        if (attempt > 0) {
            if (zpat__socket_enter (sock) == -1)
                break;
            int remade = zpat__socket_reconnect (sock);
            zpat__socket_leave (sock);
            if (remade == -1)
                break;
        }
        rc = s_try (self, request, &copy, reply, string,
                    zpat__clock_ms () + timeout_ms);
        // Silence (EAGAIN) is what the next try is for; anything else (a
        // signal, the end of the context, a request kept unsent for want
        // of memory, a reply kept as ZPAT_EFRAMES) ends the call.
        if (rc == -1 && errno != EAGAIN)
            break;
    }
    if (rc == -1 && errno != EAGAIN)
        error = errno;
    zpat__msg_fini (&copy);
    if (zpat__socket_enter (sock) == 0) {
        s_timeouts_set (sock, &saved);
        zpat__socket_leave (sock);
    }
    if (rc == -1)
        errno = error;
    return rc;
}

int
zpat_req_request (zpat_req_t *self, const zpat_msg_t *request,
                  zpat_msg_t *reply, int timeout_ms, int tries)
{
    return zpat__api_sock (
        s_request (self, request, reply, NULL, timeout_ms, tries),
        "zpat_req_request", (zpat_socket_t *)self);
}

char *
zpat_req_request_str (zpat_req_t *self, const char *request, int timeout_ms,
                      int tries)
{
    char *reply = NULL;
    int rc = zpat__fail (EINVAL);
    if (request) {
        // The request as a one-frame message of our own.
        struct zpat_msg message = {0};
        if (zpat__msg_add (&message, request, strlen (request)) == 0)
            rc = s_request (self, &message, NULL, &reply, timeout_ms, tries);
        int saved = errno;
        zpat__msg_fini (&message);
        errno = saved;
    }
    return zpat__api_sock_ptr (rc == 0 ? reply : NULL, "zpat_req_request_str",
                               (zpat_socket_t *)self);
}
