// zpat_sub.c - SUB, the subscriber: connects by default; receives only the
// messages whose first frame starts with one of its prefixes.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

// A prefix this subscriber holds, and how many times. zpat counts, rather
// than libzmq, because libzmq's SUB forwards every subscribe to the
// publisher but an unsubscribe only on the last one: the publisher's count
// of subscriptions would never come down. Here the wire carries one
// subscribe per prefix and one unsubscribe when the last holder lets go.
typedef struct prefix {
    struct prefix *next;
    size_t length;
    int count;
    char text[];
} prefix_t;

struct zpat_sub {
    zpat_socket_t sock;
    prefix_t *prefixes;
};

static void
s_close (zpat_socket_t *sock)
{
    zpat_sub_t *self = (zpat_sub_t *)sock;
    prefix_t *held = self->prefixes;
    while (held) {
        prefix_t *next = held->next;
        free (held);
        held = next;
    }
    self->prefixes = NULL;
}

static const zpat__role_t s_role = {
    .name = "SUB",
    .zmq_type = ZMQ_SUB,
    .size = sizeof (zpat_sub_t),
    .attach = '>',
    .receives = true,
    .close = s_close,
};

// Longest prefix accepted, in bytes.
#define PREFIX_MAX 65536

// 0 for a live subscriber, else -1 with EINVAL or ZPAT_EFORKED.
static int
s_check (zpat_sub_t *self)
{
    return zpat__socket_is ((zpat_socket_t *)self, &s_role);
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
s_check_prefix (zpat_sub_t *self, const char *prefix)
{
    if (s_check (self) == -1)
        return -1;
    if (!prefix)
        return zpat__fail (EINVAL);
    size_t length = strlen (prefix);
    if (length > PREFIX_MAX)
        return zpat__fail (EINVAL);
    if (s_length_in_hole (length))
        return zpat__fail (ZPAT_ESUBLEN);
    return zpat__ctx_ended () ? zpat__fail (ZPAT_ETERM) : 0;
}

static prefix_t **
s_find (zpat_sub_t *self, const char *prefix)
{
    size_t length = strlen (prefix);
    prefix_t **at = &self->prefixes;
    while (*at && ((*at)->length != length ||
                   memcmp ((*at)->text, prefix, length) != 0))
        at = &(*at)->next;
    return at;
}

static int
s_subscribe (zpat_sub_t *self, const char *prefix)
{
    if (s_check_prefix (self, prefix) == -1)
        return -1;
    prefix_t **at = s_find (self, prefix);
    if (*at) {
        (*at)->count++;
        return 0;
    }
    size_t length = strlen (prefix);
    prefix_t *held = malloc (sizeof *held + length + 1);
    if (!held)
        return zpat__fail (ENOMEM);
    int rc = zpat__socket_enter (&self->sock);
    if (rc == 0) {
        rc = zmq_setsockopt (self->sock.handle, ZMQ_SUBSCRIBE, prefix, length);
        zpat__socket_leave (&self->sock);
    }
    if (rc == -1) {
        int saved = errno;
        free (held);
        return zpat__fail (saved);
    }
    held->next = NULL;
    held->length = length;
    held->count = 1;
    memcpy (held->text, prefix, length + 1);
    *at = held;
    return 0;
}

int
zpat_sub_subscribe (zpat_sub_t *self, const char *prefix)
{
    return zpat__api_sock (s_subscribe (self, prefix), "zpat_sub_subscribe",
                           (zpat_socket_t *)self);
}

static int
s_unsubscribe (zpat_sub_t *self, const char *prefix)
{
    if (s_check_prefix (self, prefix) == -1)
        return -1;
    prefix_t **at = s_find (self, prefix);
    prefix_t *held = *at;
    if (!held)
        return zpat__fail (EINVAL); // not subscribed to it
    if (held->count > 1) {
        held->count--;
        return 0;
    }
    if (zpat__socket_enter (&self->sock) == -1)
        return -1;
    int rc = zmq_setsockopt (self->sock.handle, ZMQ_UNSUBSCRIBE, prefix,
                             held->length);
    zpat__socket_leave (&self->sock);
    if (rc == -1)
        return -1;
    *at = held->next;
    free (held);
    return 0;
}

int
zpat_sub_unsubscribe (zpat_sub_t *self, const char *prefix)
{
    return zpat__api_sock (s_unsubscribe (self, prefix), "zpat_sub_unsubscribe",
                           (zpat_socket_t *)self);
}

zpat_sub_t *
zpat_sub_new (const char *endpoints, const char *prefix,
              const zpat_options_t *opts)
{
    return zpat_sub_new_sized (endpoints, prefix, opts, ZPAT__OPTIONS_V0_SIZE);
}

static zpat_sub_t *
s_new (const char *endpoints, const char *prefix, const zpat_options_t *opts,
       size_t opts_size)
{
    // Subscribe before connecting, so the first connection carries it. The
    // prefix is checked first, so a bad one costs no socket.
    if (prefix && s_length_in_hole (strlen (prefix)))
        return zpat__fail_null (ZPAT_ESUBLEN);
    if (prefix && strlen (prefix) > PREFIX_MAX)
        return zpat__fail_null (EINVAL);
    zpat_sub_t *self =
        (zpat_sub_t *)zpat__socket_new (&s_role, NULL, opts, opts_size);
    if (!self)
        return NULL;
    zpat_socket_t *sock = &self->sock;
    int rc = prefix ? s_subscribe (self, prefix) : 0;
    if (rc == 0 && endpoints)
        rc = zpat__socket_attach (sock, endpoints);
    if (rc == -1) {
        int saved = errno;
        zpat_sub_destroy (&self);
        return zpat__fail_null (saved);
    }
    return self;
}

zpat_sub_t *
zpat_sub_new_sized (const char *endpoints, const char *prefix,
                    const zpat_options_t *opts, size_t opts_size)
{
    return zpat__api_ptr (s_new (endpoints, prefix, opts, opts_size),
                          "zpat_sub_new", NULL, endpoints);
}

void
zpat_sub_destroy (zpat_sub_t **self_p)
{
    if (self_p && *self_p &&
        zpat__socket_destroy (&(*self_p)->sock, &s_role) == 0)
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

static int s_recv_topic (zpat_sub_t *self, char **topic_p, char **payload_p);

static int
s_recv_topic_in (zpat_sub_t *self, char **topic_p, char **payload_p)
{
    if (s_check (self) == -1)
        return -1;
    if (!topic_p || !payload_p)
        return zpat__fail (EINVAL);
    if (zpat__socket_enter (&self->sock) == -1)
        return -1;
    int rc = s_recv_topic (self, topic_p, payload_p);
    zpat__socket_leave (&self->sock);
    return rc;
}

int
zpat_sub_recv_topic (zpat_sub_t *self, char **topic_p, char **payload_p)
{
    return zpat__api_sock (s_recv_topic_in (self, topic_p, payload_p),
                           "zpat_sub_recv_topic", (zpat_socket_t *)self);
}

static int
s_recv_topic (zpat_sub_t *self, char **topic_p, char **payload_p)
{
    zpat_socket_t *sock = &self->sock;
    if (zpat__socket_recv_kept (sock) == -1)
        return -1;
    const void *topic, *payload = "";
    size_t topic_size, payload_size = 0;
    if (sock->kept == ZPAT__KEPT_ONE) {
        topic = zmq_msg_data (sock->frame);
        topic_size = zmq_msg_size (sock->frame);
    } else if (sock->multi.count == 2) {
        topic = zmq_msg_data (&sock->multi.frames[0]);
        topic_size = zmq_msg_size (&sock->multi.frames[0]);
        payload = zmq_msg_data (&sock->multi.frames[1]);
        payload_size = zmq_msg_size (&sock->multi.frames[1]);
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
    zpat__socket_took (sock);
    zpat__socket_drop_kept (sock);
    *topic_p = topic_copy;
    *payload_p = payload_copy;
    return (int)payload_size;
}
