// zpat_device.c - the tutorial's devices: queue (ROUTER/DEALER), forwarder
// (XSUB/XPUB) and streamer (PULL/PUSH), each an object above the roles that
// owns its sockets and runs libzmq's steerable proxy in a thread of its own.
// SPDX-License-Identifier: MPL-2.0
//
// Every socket is a core of the context's registry (internal roles below),
// so exit and zpat_shutdown () treat a device's sockets as any object's:
// the thread marks them busy while the proxy runs, and the proxy returns
// once the context ends. The caller's thread steers it through a PAIR
// (PAUSE, RESUME, STATISTICS, TERMINATE) and hears of its end through a
// pipe (for zpat_device_run).

#include "zpat_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#define DEVICE_TAG 0x64657669u
#define DEVICE_DEAD 0x64656164u

// The sockets a device is made of: plain libzmq behaviour, no hooks. They
// bind by default, on both sides.
#define ROLE(kind, type, out, in)                                              \
    static const zpat__role_t kind = {                                         \
        .name = #type,                                                         \
        .zmq_type = ZMQ_##type,                                                \
        .size = sizeof (zpat_socket_t),                                        \
        .attach = '@',                                                         \
        .sends = out,                                                          \
        .receives = in,                                                        \
    }
ROLE (s_router, ROUTER, true, true);
ROLE (s_dealer, DEALER, true, true);
ROLE (s_xsub, XSUB, true, true);
ROLE (s_xpub, XPUB, true, true);
ROLE (s_pull, PULL, false, true);
ROLE (s_push, PUSH, true, false);
ROLE (s_capture, PUB, true, false);
ROLE (s_control, PAIR, true, true);

struct zpat_device {
    uint32_t tag;
    int type;
    zpat_socket_t *front, *back, *capture;
    zpat_socket_t *steer, *steered; // the control PAIR: our end, the proxy's
    pthread_t thread;
    bool running;        // the thread was started and not joined yet
    atomic_bool stopped; // the proxy has returned (set by the thread)
    // Who frees the device: DESTROYER (set by the thread as it ends) or the
    // thread itself, when destroy gave up waiting for it (ORPHAN).
    atomic_int owner;
    int done[2]; // a pipe the thread closes its write end of as it ends
    int result;  // what the proxy returned (0 after TERMINATE)
    int error;   // and its errno
};

enum { RUNNING, DESTROYER, ORPHAN };

// The size of zpat_device_options_t in zpat 0.1, before zpat_options_t
// grew the security fields: two zpat 0.1 option structs and a pointer.
#define DEVICE_OPTIONS_V0_SIZE (2 * ZPAT__OPTIONS_V0_SIZE + sizeof (char *))
// And with the security fields, before the reliable pipeline's fields
// grew zpat_options_t again.
#define OPTIONS_V1_SIZE                                                        \
    ((offsetof (zpat_options_t, plain_server) + sizeof (int) +                 \
      _Alignof(zpat_options_t) - 1) &                                          \
     ~(_Alignof(zpat_options_t) - 1))
#define DEVICE_OPTIONS_V1_SIZE (2 * OPTIONS_V1_SIZE + sizeof (char *))

// How long destroy waits for the proxy to end after TERMINATE. It ends at
// once unless it is inside a send no peer can take (every backend peer
// full): libzmq's proxy then reads no command until the send goes.
#define DESTROY_WAIT_MS 200

static void s_free (zpat_device_t *self);

static const zpat__role_t *
s_front_role (int type)
{
    return type == ZPAT_QUEUE       ? &s_router
           : type == ZPAT_FORWARDER ? &s_xsub
                                    : &s_pull;
}

static const zpat__role_t *
s_back_role (int type)
{
    return type == ZPAT_QUEUE       ? &s_dealer
           : type == ZPAT_FORWARDER ? &s_xpub
                                    : &s_push;
}

static void
s_destroy_sockets (zpat_device_t *self)
{
    zpat__socket_destroy (self->front, s_front_role (self->type));
    zpat__socket_destroy (self->back, s_back_role (self->type));
    zpat__socket_destroy (self->capture, &s_capture);
    zpat__socket_destroy (self->steer, &s_control);
    zpat__socket_destroy (self->steered, &s_control);
    self->front = self->back = self->capture = NULL;
    self->steer = self->steered = NULL;
}

static void
s_mark (zpat_device_t *self, bool busy)
{
    zpat_socket_t *sockets[] = {self->front, self->back, self->capture,
                                self->steered};
    for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++) {
        if (!sockets[i])
            continue;
        if (busy)
            zpat__busy (sockets[i]);
        else
            zpat__idle (sockets[i]);
    }
}

static void *
s_run (void *arg)
{
    zpat_device_t *self = arg;
    // The caller's signals are not this thread's business: a Ctrl-C must
    // reach the thread the program waits in.
    sigset_t all;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, NULL);
    s_mark (self, true);
    int rc = -1;
    errno = ZPAT_ETERM;
    if (!zpat__ctx_ended ()) {
        do
            rc = zmq_proxy_steerable (self->front->handle, self->back->handle,
                                      self->capture ? self->capture->handle
                                                    : NULL,
                                      self->steered->handle);
        while (rc == -1 && errno == EINTR && !zpat__ctx_ended ());
    }
    self->result = rc;
    self->error = rc == -1 ? errno : 0;
    s_mark (self, false);
    atomic_store (&self->stopped, true);
    // A destroy that gave up waiting left the freeing to this thread; one
    // that is waiting sees DESTROYER once the pipe wakes it.
    if (atomic_exchange (&self->owner, DESTROYER) == ORPHAN) {
        pthread_detach (pthread_self ());
        s_free (self);
        return NULL;
    }
    close (self->done[1]); // wakes zpat_device_run and destroy
    self->done[1] = -1;
    return NULL;
}

// Makes one side: a core of role with opts, attached to endpoints.
static zpat_socket_t *
s_side (const zpat__role_t *role, const char *endpoints,
        const zpat_options_t *opts)
{
    if (!endpoints || !*endpoints)
        return zpat__fail_null (EINVAL);
    return zpat__socket_new (role, endpoints, opts, sizeof *opts);
}

static zpat_device_t *
s_new (int type, const char *frontend, const char *backend,
       const zpat_device_options_t *opts, size_t opts_size)
{
    if (type != ZPAT_QUEUE && type != ZPAT_FORWARDER && type != ZPAT_STREAMER)
        return zpat__fail_null (EINVAL);
    zpat_device_options_t given;
    memset (&given, 0, sizeof given);
    if (opts && opts_size == DEVICE_OPTIONS_V0_SIZE) {
        // zpat 0.1's layout: each side's options as they were then.
        const char *bytes = (const char *)opts;
        memcpy (&given.frontend, bytes, ZPAT__OPTIONS_V0_SIZE);
        memcpy (&given.backend, bytes + ZPAT__OPTIONS_V0_SIZE,
                ZPAT__OPTIONS_V0_SIZE);
        memcpy (&given.capture, bytes + 2 * ZPAT__OPTIONS_V0_SIZE,
                sizeof given.capture);
    } else if (opts && opts_size == DEVICE_OPTIONS_V1_SIZE &&
               opts_size != sizeof given) {
        const char *bytes = (const char *)opts;
        memcpy (&given.frontend, bytes, OPTIONS_V1_SIZE);
        memcpy (&given.backend, bytes + OPTIONS_V1_SIZE, OPTIONS_V1_SIZE);
        memcpy (&given.capture, bytes + 2 * OPTIONS_V1_SIZE,
                sizeof given.capture);
    } else if (opts) {
        if (opts_size < sizeof given)
            return zpat__fail_null (EINVAL);
        const unsigned char *bytes = (const unsigned char *)opts;
        for (size_t i = sizeof given; i < opts_size; i++)
            if (bytes[i])
                return zpat__fail_null (EINVAL);
        memcpy (&given, opts, sizeof given);
    }
    zpat_device_t *self = calloc (1, sizeof *self);
    if (!self)
        return zpat__fail_null (ENOMEM);
    self->tag = DEVICE_TAG;
    self->type = type;
    self->done[0] = self->done[1] = -1;
    static atomic_uint s_next;
    char name[64];
    snprintf (name, sizeof name, "inproc://zpat-device-%u",
              atomic_fetch_add (&s_next, 1));
    int rc = -1;
    self->front = s_side (s_front_role (type), frontend, &given.frontend);
    if (self->front)
        self->back = s_side (s_back_role (type), backend, &given.backend);
    if (self->back && given.capture)
        self->capture = s_side (&s_capture, given.capture, NULL);
    if (self->back && (!given.capture || self->capture)) {
        char bound[80], connected[80];
        snprintf (bound, sizeof bound, "@%s", name);
        snprintf (connected, sizeof connected, ">%s", name);
        self->steered = zpat__socket_new (&s_control, bound, NULL, 0);
        if (self->steered)
            self->steer = zpat__socket_new (&s_control, connected, NULL, 0);
    }
    // libzmq's proxy ends for good when a send fails: a side's send timeout
    // (options.send_timeout_ms) running out while that side is full would
    // stop the device. The proxy waits for room instead, as zmq_proxy does.
    int forever = -1;
    bool sides = self->steer &&
                 zmq_setsockopt (self->front->handle, ZMQ_SNDTIMEO, &forever,
                                 sizeof forever) == 0 &&
                 zmq_setsockopt (self->back->handle, ZMQ_SNDTIMEO, &forever,
                                 sizeof forever) == 0;
    // A statistics answer comes at once from a live proxy; the bound stops
    // a call on one that has just ended from waiting for ever.
    int answer_ms = 2000;
    if (sides &&
        zmq_setsockopt (self->steer->handle, ZMQ_RCVTIMEO, &answer_ms,
                        sizeof answer_ms) == 0 &&
        pipe (self->done) == 0) {
        fcntl (self->done[0], F_SETFD, FD_CLOEXEC);
        fcntl (self->done[1], F_SETFD, FD_CLOEXEC);
        errno = pthread_create (&self->thread, NULL, s_run, self);
        if (errno == 0) {
            self->running = true;
            rc = 0;
        }
    }
    if (rc == -1) {
        int saved = errno;
        s_destroy_sockets (self);
        for (int i = 0; i < 2; i++)
            if (self->done[i] != -1)
                close (self->done[i]);
        free (self);
        return zpat__fail_null (saved);
    }
    return self;
}

zpat_device_t *
zpat_device_new_sized (int type, const char *frontend, const char *backend,
                       const zpat_device_options_t *opts, size_t opts_size)
{
    return zpat__api_ptr (s_new (type, frontend, backend, opts, opts_size),
                          "zpat_device_new", NULL, frontend);
}

zpat_device_t *
zpat_device_new (int type, const char *frontend, const char *backend,
                 const zpat_device_options_t *opts)
{
    // The entry point without a size: a caller built against zpat 0.1.
    return zpat_device_new_sized (type, frontend, backend, opts,
                                  DEVICE_OPTIONS_V0_SIZE);
}

static int
s_check (const zpat_device_t *self)
{
    return self && self->tag == DEVICE_TAG ? 0 : zpat__fail (EINVAL);
}

// The error policy's exit for a device's calls (see zpat__api_int), which
// names the device by its frontend's endpoint. The name is looked up on
// the failure path only.
static int
s_api (int rc, const char *call, const zpat_device_t *self)
{
    if (__builtin_expect (rc != -1, 1))
        return rc;
    const char *name = self && self->tag == DEVICE_TAG
                           ? zpat__socket_name (self->front)
                           : NULL;
    return zpat__api_int (rc, call, self, name);
}

static const char *
s_api_ptr (const char *result, const char *call, const zpat_device_t *self)
{
    if (__builtin_expect (result != NULL, 1))
        return result;
    const char *name = self && self->tag == DEVICE_TAG
                           ? zpat__socket_name (self->front)
                           : NULL;
    return zpat__api_ptr (NULL, call, self, name);
}

// Sends a command to the proxy: 0, or -1 with errno (ZPAT_ETERM, or ESRCH
// when the device has stopped).
static int
s_command (zpat_device_t *self, const char *command)
{
    if (atomic_load (&self->stopped))
        return zpat__fail (ESRCH);
    if (zpat__socket_enter (self->steer) == -1)
        return -1;
    int rc = zmq_send (self->steer->handle, command, strlen (command), 0);
    zpat__socket_leave (self->steer);
    return rc == -1 ? -1 : 0;
}

static int
s_steer (zpat_device_t *self, const char *command)
{
    if (s_check (self) == -1)
        return -1;
    return s_command (self, command);
}

int
zpat_device_pause (zpat_device_t *self)
{
    return s_api (s_steer (self, "PAUSE"), "zpat_device_pause", self);
}

int
zpat_device_resume (zpat_device_t *self)
{
    return s_api (s_steer (self, "RESUME"), "zpat_device_resume", self);
}

static int
s_stats (zpat_device_t *self, zpat_device_stats_t *stats)
{
    if (s_check (self) == -1)
        return -1;
    if (!stats)
        return zpat__fail (EINVAL);
    if (s_command (self, "STATISTICS") == -1)
        return -1;
    // The answer: 8 frames of 64 bits, the frontend's messages and bytes
    // in and out, then the backend's.
    uint64_t values[8] = {0};
    int rc = zpat__socket_enter (self->steer);
    for (size_t i = 0; rc == 0 && i < 8; i++) {
        int more = 0;
        size_t size = sizeof more;
        if (zmq_recv (self->steer->handle, &values[i], sizeof values[i], 0) ==
                -1 ||
            zmq_getsockopt (self->steer->handle, ZMQ_RCVMORE, &more, &size) ==
                -1)
            rc = -1;
        else if (!more && i < 7)
            rc = zpat__fail (EPROTO);
    }
    zpat__socket_leave (self->steer);
    if (rc == -1 && errno == EAGAIN && atomic_load (&self->stopped))
        errno = ESRCH;
    if (rc == -1)
        return -1;
    stats->msgs_forward = values[0];
    stats->bytes_forward = values[1];
    stats->msgs_back = values[4];
    stats->bytes_back = values[5];
    return 0;
}

int
zpat_device_stats (zpat_device_t *self, zpat_device_stats_t *stats)
{
    return s_api (s_stats (self, stats), "zpat_device_stats", self);
}

const char *
zpat_device_frontend (zpat_device_t *self)
{
    const char *endpoint =
        s_check (self) == -1 ? NULL : zpat__socket_endpoint (self->front);
    return s_api_ptr (endpoint, "zpat_device_frontend", self);
}

const char *
zpat_device_backend (zpat_device_t *self)
{
    const char *endpoint =
        s_check (self) == -1 ? NULL : zpat__socket_endpoint (self->back);
    return s_api_ptr (endpoint, "zpat_device_backend", self);
}

static int
s_run_in (zpat_device_t *self)
{
    if (s_check (self) == -1)
        return -1;
    while (true) {
        if (zpat__signal_fd () != -1 && zpat_interrupted ())
            return zpat__fail (EINTR);
        struct pollfd items[2] = {{self->done[0], POLLIN, 0},
                                  {zpat__signal_fd (), POLLIN, 0}};
        int rc = poll (items, items[1].fd == -1 ? 1 : 2, -1);
        if (rc == -1 && errno != EINTR)
            return -1;
        if (items[1].revents ||
            (zpat__signal_fd () != -1 && zpat_interrupted ()))
            return zpat__fail (EINTR);
        if (items[0].revents) {
            // The proxy ended: the context was shut down.
            errno =
                self->error && self->error != ETERM ? self->error : ZPAT_ETERM;
            return -1;
        }
    }
}

int
zpat_device_run (zpat_device_t *self)
{
    return s_api (s_run_in (self), "zpat_device_run", self);
}

static void
s_free (zpat_device_t *self)
{
    s_destroy_sockets (self);
    for (int i = 0; i < 2; i++)
        if (self->done[i] != -1)
            close (self->done[i]);
    self->tag = DEVICE_DEAD;
    free (self);
}

void
zpat_device_destroy (zpat_device_t **self_p)
{
    if (!self_p || !*self_p || (*self_p)->tag != DEVICE_TAG)
        return;
    zpat_device_t *self = *self_p;
    *self_p = NULL;
    if (!self->running) {
        s_free (self);
        return;
    }
    // TERMINATE ends the proxy at once (after zpat_shutdown () it has ended
    // already), and its thread closes its end of the pipe as it goes.
    s_command (self, "TERMINATE");
    struct pollfd done = {self->done[0], POLLIN, 0};
    int64_t deadline = zpat__clock_ms () + DESTROY_WAIT_MS;
    int64_t left;
    while ((left = deadline - zpat__clock_ms ()) > 0 &&
           poll (&done, 1, (int)left) == -1 && errno == EINTR) {
    }
    if (atomic_exchange (&self->owner, ORPHAN) == DESTROYER) {
        pthread_join (self->thread, NULL);
        s_free (self);
        return;
    }
    // Still inside a send no peer takes: the thread frees the device once
    // that send goes, or the context ends (zpat_shutdown (), exit).
    self->tag = DEVICE_DEAD;
}
