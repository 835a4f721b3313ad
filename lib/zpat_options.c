// zpat_options.c - the socket core's options: checked, handed to libzmq,
// and kept in setter units so that zpat_socket_get_options reports them as
// they were set. The direction options apply only to roles that move
// messages that way.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

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
    zpat__socket_plan_receive (self);
}

// True when option means something for self's role.
static bool
s_applies (const zpat_socket_t *self, option_t option)
{
    if (option == OPT_SEND_TIMEOUT || option == OPT_SEND_HWM)
        return self->role->sends;
    if (option == OPT_RECV_TIMEOUT || option == OPT_RECV_HWM)
        return self->role->receives;
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

// PLAIN's name and password travel in one-byte-length fields.
#define PLAIN_FIELD_MAX 255

static int
s_set_key (zpat_socket_t *self, int name, const uint8_t *key)
{
    return zmq_setsockopt (self->handle, name, key, 32);
}

// The security fields: CURVE (a server with its certificate, or a client
// with its certificate and the server's key) or PLAIN, or neither.
static int
s_apply_security (zpat_socket_t *self, const zpat_options_t *opts)
{
    bool curve = opts->curve_cert || opts->curve_server_key;
    bool plain =
        opts->plain_username || opts->plain_password || opts->plain_server;
    if (curve && plain)
        return zpat__fail (EINVAL);
    if (plain) {
        int on = 1;
        if (opts->plain_server)
            return opts->plain_username || opts->plain_password
                       ? zpat__fail (EINVAL)
                       : zmq_setsockopt (self->handle, ZMQ_PLAIN_SERVER, &on,
                                         sizeof on);
        const char *name = opts->plain_username;
        const char *password = opts->plain_password;
        if (!name || !password || strlen (name) > PLAIN_FIELD_MAX ||
            strlen (password) > PLAIN_FIELD_MAX)
            return zpat__fail (EINVAL);
        if (zmq_setsockopt (self->handle, ZMQ_PLAIN_USERNAME, name,
                            strlen (name)) == -1)
            return -1;
        return zmq_setsockopt (self->handle, ZMQ_PLAIN_PASSWORD, password,
                               strlen (password));
    }
    if (!curve)
        return 0;
    if (!zpat__curve_available ())
        return zpat__fail (ENOTSUP);
    if (!opts->curve_cert)
        return zpat__fail (EINVAL);
    const uint8_t *public_key = zpat__cert_public (opts->curve_cert);
    const uint8_t *secret_key = zpat__cert_secret (opts->curve_cert);
    if (!public_key || !secret_key)
        return -1;
    if (!opts->curve_server_key) {
        int on = 1;
        if (zmq_setsockopt (self->handle, ZMQ_CURVE_SERVER, &on, sizeof on) ==
            -1)
            return -1;
        return s_set_key (self, ZMQ_CURVE_SECRETKEY, secret_key);
    }
    uint8_t server_key[32];
    if (zpat__z85_key (opts->curve_server_key, server_key) == -1)
        return -1;
    if (s_set_key (self, ZMQ_CURVE_SERVERKEY, server_key) == -1 ||
        s_set_key (self, ZMQ_CURVE_PUBLICKEY, public_key) == -1)
        return -1;
    return s_set_key (self, ZMQ_CURVE_SECRETKEY, secret_key);
}

int
zpat__options_apply (zpat_socket_t *self, const zpat_options_t *opts)
{
    static const zpat_options_t none;
    if (!opts)
        opts = &none;
    // The reliable pipeline's fields are taken by the PUSH and PULL
    // constructors (zpat_push.c, zpat_pull.c) before the core sees the
    // options: any other role has no such mode.
    if (opts->reliable_credit || opts->heartbeat_ms)
        return zpat__fail (EINVAL);
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
         self->role->sends ? ZPAT_DEFAULT_LINGER_MS : ZPAT_WAIT_NONE},
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
    if (zpat__socket_enter (self) == -1)
        return -1;
    int rc = s_apply_security (self, opts);
    zpat__socket_leave (self);
    return rc;
}

int
zpat_socket_set_send_timeout_ms (zpat_socket_t *self, int ms)
{
    return zpat__api_sock (s_set_option (self, OPT_SEND_TIMEOUT, ms),
                           "zpat_set_send_timeout_ms", self);
}

int
zpat_socket_set_recv_timeout_ms (zpat_socket_t *self, int ms)
{
    return zpat__api_sock (s_set_option (self, OPT_RECV_TIMEOUT, ms),
                           "zpat_set_recv_timeout_ms", self);
}

int
zpat_socket_set_send_hwm (zpat_socket_t *self, int messages)
{
    return zpat__api_sock (s_set_option (self, OPT_SEND_HWM, messages),
                           "zpat_set_send_hwm", self);
}

int
zpat_socket_set_recv_hwm (zpat_socket_t *self, int messages)
{
    return zpat__api_sock (s_set_option (self, OPT_RECV_HWM, messages),
                           "zpat_set_recv_hwm", self);
}

int
zpat_socket_set_linger_ms (zpat_socket_t *self, int ms)
{
    return zpat__api_sock (s_set_option (self, OPT_LINGER, ms),
                           "zpat_set_linger_ms", self);
}

int
zpat_socket_set_max_msg_bytes (zpat_socket_t *self, int64_t bytes)
{
    return zpat__api_sock (s_set_option (self, OPT_MAX_MSG, bytes),
                           "zpat_set_max_msg_bytes", self);
}

int
zpat_socket_set_reconnect_ivl_ms (zpat_socket_t *self, int ms)
{
    return zpat__api_sock (s_set_option (self, OPT_RECONNECT_IVL, ms),
                           "zpat_set_reconnect_ivl_ms", self);
}

int
zpat_socket_set_ipv6 (zpat_socket_t *self, int on)
{
    return zpat__api_sock (s_set_option (self, OPT_IPV6, on), "zpat_set_ipv6",
                           self);
}

static int
s_get_options (zpat_socket_t *self, zpat_options_t *opts, size_t opts_size)
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
zpat_socket_get_options_sized (zpat_socket_t *self, zpat_options_t *opts,
                               size_t opts_size)
{
    return zpat__api_sock (s_get_options (self, opts, opts_size),
                           "zpat_get_options", self);
}

int
zpat_socket_get_options (zpat_socket_t *self, zpat_options_t *opts)
{
    return zpat_socket_get_options_sized (self, opts, ZPAT__OPTIONS_V0_SIZE);
}

// A caller built against a later zpat with more fields is accepted when it
// leaves them all at zero (their defaults); otherwise EINVAL, as for an
// option this library cannot honour.
int
zpat__options_copy (zpat_options_t *into, const zpat_options_t *opts,
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
