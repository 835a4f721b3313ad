// zpat_pub.c - PUB, the publisher: binds by default; sends only, never
// blocks, and counts the subscriptions that reach it.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

// The libzmq socket is an XPUB with ZMQ_XPUB_VERBOSER: it publishes as a PUB
// does, and hands every subscribe (first byte 1) and unsubscribe (first byte
// 0) to the application, so the publisher can tell when its subscribers are
// in place instead of sleeping and hoping.
struct zpat_pub {
    zpat_socket_t sock;
    int subscriptions; // live subscriptions seen on the XPUB
};

// Every subscribe and unsubscribe, duplicates included, reaches the
// publisher, so that it can count them.
static int
s_open (zpat_socket_t *sock)
{
    int on = 1;
    if (zpat__socket_enter (sock) == -1)
        return -1;
    int rc = zmq_setsockopt (sock->handle, ZMQ_XPUB_VERBOSER, &on, sizeof on);
    zpat__socket_leave (sock);
    return rc;
}

// Reads the subscriptions queued on the XPUB. The send paths run it every
// 256 sends (the tick hook), so that they cannot pile up without bound.
static void
s_drain (zpat_socket_t *sock)
{
    zpat_pub_t *self = (zpat_pub_t *)sock;
    zmq_msg_t note;
    zmq_msg_init (&note);
    while (zmq_msg_recv (&note, sock->handle, ZMQ_DONTWAIT) >= 0) {
        const unsigned char *bytes = zmq_msg_data (&note);
        if (zmq_msg_size (&note) >= 1 && bytes[0] == 1)
            self->subscriptions++;
        else if (zmq_msg_size (&note) >= 1 && bytes[0] == 0 &&
                 self->subscriptions > 0)
            self->subscriptions--;
    }
    zmq_msg_close (&note);
}

static const zpat__role_t s_role = {
    .name = "PUB",
    .zmq_type = ZMQ_XPUB,
    .size = sizeof (zpat_pub_t),
    .attach = '@',
    .sends = true,
    .open = s_open,
    .tick = s_drain,
};

zpat_pub_t *
zpat_pub_new_sized (const char *endpoints, const zpat_options_t *opts,
                    size_t opts_size)
{
    return zpat__api_ptr (
        zpat__socket_new (&s_role, endpoints, opts, opts_size), "zpat_pub_new",
        NULL, endpoints);
}

zpat_pub_t *
zpat_pub_new (const char *endpoints, const zpat_options_t *opts)
{
    return zpat_pub_new_sized (endpoints, opts, ZPAT__OPTIONS_V0_SIZE);
}

void
zpat_pub_destroy (zpat_pub_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
        *self_p = NULL;
}

// 0 for a live publisher, else -1 with EINVAL or ZPAT_EFORKED.
static int
s_check (zpat_pub_t *self)
{
    return zpat__socket_is ((zpat_socket_t *)self, &s_role);
}

static int
s_send_topic (zpat_pub_t *self, const char *topic, const void *data,
              size_t size)
{
    if (s_check (self) == -1)
        return -1;
    if (!topic || (!data && size))
        return zpat__fail (EINVAL);
    zpat_frame_t frames[2] = {{topic, strlen (topic)}, {data, size}};
    return zpat__socket_send_frames (&self->sock, frames, 2);
}

int
zpat_pub_send_topic (zpat_pub_t *self, const char *topic, const void *data,
                     size_t size)
{
    return zpat__api_sock (s_send_topic (self, topic, data, size),
                           "zpat_pub_send_topic", (zpat_socket_t *)self);
}

static int
s_subscriptions (zpat_pub_t *self)
{
    if (s_check (self) == -1 || zpat__socket_enter (&self->sock) == -1)
        return -1;
    s_drain (&self->sock);
    zpat__socket_leave (&self->sock);
    return self->subscriptions;
}

int
zpat_pub_subscriptions (zpat_pub_t *self)
{
    return zpat__api_sock (s_subscriptions (self), "zpat_pub_subscriptions",
                           (zpat_socket_t *)self);
}

static int s_wait_subscriptions (zpat_pub_t *self, int count, int timeout_ms);

static int
s_wait_subscriptions_in (zpat_pub_t *self, int count, int timeout_ms)
{
    if (s_check (self) == -1)
        return -1;
    if (timeout_ms < ZPAT_WAIT_FOREVER)
        return zpat__fail (EINVAL);
    if (zpat__socket_enter (&self->sock) == -1)
        return -1;
    int rc = s_wait_subscriptions (self, count, timeout_ms);
    zpat__socket_leave (&self->sock);
    return rc;
}

int
zpat_pub_wait_subscriptions (zpat_pub_t *self, int count, int timeout_ms)
{
    return zpat__api_sock (s_wait_subscriptions_in (self, count, timeout_ms),
                           "zpat_pub_wait_subscriptions",
                           (zpat_socket_t *)self);
}

static int
s_wait_subscriptions (zpat_pub_t *self, int count, int timeout_ms)
{
    int64_t deadline =
        timeout_ms < 0 ? -1 : zpat__clock_ms () + (int64_t)timeout_ms;
    while (true) {
        s_drain (&self->sock);
        if (self->subscriptions >= count)
            return self->subscriptions;
        int left = -1;
        if (deadline >= 0) {
            left = (int)(deadline - zpat__clock_ms ());
            if (left <= 0)
                return zpat__fail (EAGAIN);
        }
        int rc = zpat__socket_poll (&self->sock, ZMQ_POLLIN, left, false);
        if (rc == -1)
            return -1;
        if (rc == 0)
            return zpat__fail (EAGAIN);
    }
}
