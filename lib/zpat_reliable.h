// zpat_reliable.h - the reliable pipeline's wire format and the pusher's
// engine (zpat_reliable_push.c), shared by zpat_push.c and zpat_pull.c.
// Private; see docs/reliable-pipeline.md for the protocol. (Kept out of
// zpat_internal.h while that file is being changed elsewhere: these lines
// belong under its layer 2.)
// SPDX-License-Identifier: MPL-2.0

#ifndef ZPAT_RELIABLE_H
#define ZPAT_RELIABLE_H

#include "zpat_internal.h"

// The first frame of every message, by its first byte.
#define ZPAT__REL_DATA 'D'  // pusher to puller: 'D' seq(8), then the message
#define ZPAT__REL_PING 'H'  // pusher to puller: 'H', alone
#define ZPAT__REL_READY 'R' // puller to pusher: 'R' credit(4)
#define ZPAT__REL_ACK 'A'   // puller to pusher: 'A' credit(4) seq(8)...
#define ZPAT__REL_DATA_SIZE 9
#define ZPAT__REL_READY_SIZE 5
#define ZPAT__REL_ACK_HEAD 5 // then 1 to 16 sequence numbers
#define ZPAT__REL_ACKS_MAX 16

#define ZPAT__REL_DEFAULT_HEARTBEAT_MS 1000

static inline void
zpat__put_be (uint8_t *at, uint64_t value, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        at[i] = (uint8_t)value;
        value >>= 8;
    }
}

static inline uint64_t
zpat__get_be (const uint8_t *at, int bytes)
{
    uint64_t value = 0;
    for (int i = 0; i < bytes; i++)
        value = value << 8 | at[i];
    return value;
}

// Sets libzmq's own (ZMTP) heartbeats on a socket: a ping every half
// heartbeat, the connection dropped after a whole one without traffic.
int zpat__rel_heartbeats (void *handle, int heartbeat_ms);

// Makes the core of a reliable pusher or puller (role) from the caller's
// options: checks the mode's fields (EINVAL), hands the core a copy
// without them in *core_opts (it takes none of them), and records them in
// the core's options, where zpat_get_options reads them. Returns the core,
// with the heartbeat in force in *heartbeat_ms, or NULL with errno.
zpat_socket_t *zpat__rel_socket_new (const zpat__role_t *role,
                                     const zpat_options_t *given,
                                     zpat_options_t *core_opts,
                                     int *heartbeat_ms);

// The pusher's engine: a ROUTER attached to endpoints (a bare endpoint
// connects), a thread that owns it, and app, the pusher's own PAIR, which
// the application's sends go through. credit caps what each puller may
// hold. Returns it, or NULL with errno (nothing left behind).
typedef struct zpat__rpush zpat__rpush_t;
zpat__rpush_t *zpat__rpush_new (zpat_socket_t *app, const char *endpoints,
                                const zpat_options_t *opts, int credit,
                                int heartbeat_ms);
// Binds ('@') or connects ('>') the engine's ROUTER to endpoint, in its
// thread, and waits for that: 0, or -1 with errno (ZPAT_ETERM once the
// engine has stopped). The pusher's zpat_bind and zpat_connect.
int zpat__rpush_attach (zpat__rpush_t *self, const char *endpoint, char mode);
// Stops the engine, giving what the application sent up to linger_ms to be
// acknowledged (unless the context has ended), then frees it. In a fork ()
// child, only frees what is safe to free.
void zpat__rpush_destroy (zpat__rpush_t **self_p, int linger_ms);

#endif // ZPAT_RELIABLE_H
