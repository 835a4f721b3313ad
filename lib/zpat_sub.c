// zpat_sub.c - SUB, the subscriber: connects by default; receives only the
// messages whose first frame starts with one of its prefixes.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

struct zpat_sub {
    zpat_socket_t sock;
};

static bool
s_check (zpat_sub_t *self)
{
    return self && zpat__socket_check (&self->sock) &&
           self->sock.role == ZPAT__SUB;
}

// libzmq 4.3.0 to 4.3.4 send a subscription to the publisher as a ZMTP 3.1
// SUBSCRIBE command. For prefixes of 246 to 255 bytes the command outgrows
// the one-byte size its frame was given, and the publisher never applies it
// (measured over tcp:// and ipc:// with Debian 12's 4.3.4: lengths 246 and
// 248 to 255 never deliver, 247 does by luck). Refusing the whole range keeps
// a user from waiting forever on a subscription that cannot work.
static bool
s_length_in_hole (size_t length)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    bool affected = major == 4 && minor == 3 && patch <= 4;
    return affected && length >= 246 && length <= 255;
}

static int
s_filter (zpat_sub_t *self, int option, const char *prefix)
{
    if (!s_check (self) || !prefix)
        return zpat__fail (EINVAL);
    size_t length = strlen (prefix);
    if (s_length_in_hole (length))
        return zpat__fail (ZPAT_ESUBLEN);
    return zmq_setsockopt (self->sock.handle, option, prefix, length);
}

int
zpat_sub_subscribe (zpat_sub_t *self, const char *prefix)
{
    return s_filter (self, ZMQ_SUBSCRIBE, prefix);
}

int
zpat_sub_unsubscribe (zpat_sub_t *self, const char *prefix)
{
    return s_filter (self, ZMQ_UNSUBSCRIBE, prefix);
}

zpat_sub_t *
zpat_sub_new (const char *endpoints, const char *prefix,
              const zpat_options_t *opts)
{
    // Subscribe before connecting, so the first connection carries it. The
    // prefix is checked first, so a bad one costs no socket.
    if (prefix && s_length_in_hole (strlen (prefix)))
        return zpat__fail_null (ZPAT_ESUBLEN);
    zpat_sub_t *self = (zpat_sub_t *)zpat__socket_new (
        ZPAT__SUB, sizeof (zpat_sub_t), NULL, opts);
    if (!self)
        return NULL;
    zpat_socket_t *sock = &self->sock;
    int rc = prefix ? zpat_sub_subscribe (self, prefix) : 0;
    if (rc == 0 && endpoints)
        rc = zpat__socket_attach (sock, endpoints);
    if (rc == -1) {
        int saved = errno;
        zpat_sub_destroy (&self);
        return zpat__fail_null (saved);
    }
    return self;
}

void
zpat_sub_destroy (zpat_sub_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, ZPAT__SUB) == 0)
        *self_p = NULL;
}

// Builds a new NUL-terminated string from size bytes.
static char *
s_strndup (const void *data, size_t size)
{
    char *string = malloc (size + 1);
    if (string) {
        if (size)
            memcpy (string, data, size);
        string[size] = 0;
    }
    return string;
}

int
zpat_sub_recv_topic (zpat_sub_t *self, char **topic_p, char **payload_p)
{
    if (!s_check (self) || !topic_p || !payload_p)
        return zpat__fail (EINVAL);
    zpat_socket_t *sock = &self->sock;
    if (zpat__socket_recv_kept (sock) == -1)
        return -1;
    const void *topic, *payload = "";
    size_t topic_size, payload_size = 0;
    if (sock->kept == ZPAT__KEPT_ONE) {
        topic = zmq_msg_data (&sock->frame);
        topic_size = zmq_msg_size (&sock->frame);
    } else if (sock->multi.count == 2) {
        topic = zpat_msg_data (&sock->multi, 0);
        topic_size = zpat_msg_size (&sock->multi, 0);
        payload = zpat_msg_data (&sock->multi, 1);
        payload_size = zpat_msg_size (&sock->multi, 1);
    } else
        return zpat__fail (ZPAT_EFRAMES);
    if (payload_size > INT_MAX)
        return zpat__fail (EMSGSIZE);
    char *topic_copy = s_strndup (topic, topic_size);
    char *payload_copy = s_strndup (payload, payload_size);
    if (!topic_copy || !payload_copy) {
        free (topic_copy);
        free (payload_copy);
        return zpat__fail (ENOMEM);
    }
    zpat__socket_drop_kept (sock);
    *topic_p = topic_copy;
    *payload_p = payload_copy;
    return (int)payload_size;
}
