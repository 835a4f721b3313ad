// zpat_socket.c - the socket core's lifecycle: making an object of a role,
// destroying it, and the checks every call starts with. The core's other
// concepts each have a file: zpat_options.c, zpat_endpoint.c, zpat_wait.c,
// zpat_send.c and zpat_recv.c. No role is named here: a role hands its
// zpat__role_t to zpat__socket_new (see zpat_internal.h).
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

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

void
zpat__socket_tick (zpat_socket_t *self)
{
    self->sent_base += ZPAT__TICK;
    self->countdown = ZPAT__TICK;
    if (++self->ticks % (ZPAT__DRAIN_EVERY / ZPAT__TICK) == 0 &&
        !zpat__ctx_ended ())
        zpat__monitor_drain (self);
    if (self->role->tick)
        self->role->tick (self);
}

void
zpat__socket_recv_tick (zpat_socket_t *self)
{
    self->received_base += ZPAT__TICK;
    self->recv_countdown = ZPAT__TICK;
    if (++self->ticks % (ZPAT__DRAIN_EVERY / ZPAT__TICK) == 0 &&
        !zpat__ctx_ended ())
        zpat__monitor_drain (self);
}

zpat_socket_t *
zpat__socket_new (const zpat__role_t *role, const char *endpoints,
                  const zpat_options_t *opts_in, size_t opts_size)
{
    zpat_options_t copied;
    if (zpat__options_copy (&copied, opts_in, opts_size) == -1)
        return NULL;
    const zpat_options_t *opts = opts_in ? &copied : NULL;
    zpat_socket_t *self = calloc (1, role->size);
    if (!self)
        return zpat__fail_null (ENOMEM);
    self->role = role;
    // A role that wraps every message (REP's envelope) never takes the fast
    // paths: they are one libzmq call with no hook in front.
    // (A sender's fast_send is false exactly when it has a send_head hook:
    // zpat_send.c relies on it.)
    self->fast_send = role->sends && !role->send_head;
    self->fast_recv = role->receives && !role->recv;
    self->countdown = ZPAT__TICK;
    self->recv_countdown = ZPAT__TICK;
    // A fast zpat_socket_recv_msg swaps this array with the caller's
    // message's, so it comes from the same allocator as a message's slots.
    self->frame = malloc (sizeof *self->frame);
    if (!self->frame) {
        free (self);
        return zpat__fail_null (ENOMEM);
    }
    self->frame_slots = 1;
    zmq_msg_init (self->frame);
    if (zpat__ctx_open (self, role->zmq_type) == -1) {
        int saved = errno;
        zmq_msg_close (self->frame);
        free (self->frame);
        free (self);
        return zpat__fail_null (saved);
    }
    self->tag = ZPAT__TAG_LIVE;
    int rc = zpat__options_apply (self, opts);
    if (rc == 0 && role->open)
        rc = role->open (self);
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
zpat__socket_destroy (zpat_socket_t *self, const zpat__role_t *role)
{
    if (!self || self->role != role ||
        (self->tag != ZPAT__TAG_LIVE && self->tag != ZPAT__TAG_FORKED))
        return -1;
    zpat__socket_drop_kept (self);
    zmq_msg_close (self->frame);
    free (self->frame);
    zpat__msg_fini (&self->multi);
    zpat__msg_fini (&self->outgoing);
    if (role->close)
        role->close (self);
    // Unbinding waits for nothing; after zpat_shutdown () or at exit the
    // socket is left to the context's end as it is.
    bool unbind = self->tag == ZPAT__TAG_LIVE && self->handle &&
                  zpat__socket_enter (self) == 0;
    zpat__socket_release_endpoints (self, unbind);
    if (unbind)
        zpat__socket_leave (self);
    zpat__socket_forget_watches (self);
    zpat__ctx_close (self); // closes the monitor's socket too
    zpat__monitor_fini (self);
    self->tag = ZPAT__TAG_DEAD;
    free (self);
    return 0;
}

static void *
s_handle (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return NULL;
    return self->handle;
}

void *
zpat_socket_handle (zpat_socket_t *self)
{
    return zpat__api_sock_ptr (s_handle (self), "zpat_handle", self);
}
