// zpat_stats.c - the socket core's counters. The send and receive paths
// keep them as they go (zpat_send.c, zpat_recv.c: the bytes, and the
// countdowns that also count the messages); the peer counts come from the
// monitor (zpat_monitor.c). This file reads and resets them.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

// The size of zpat_stats_t in its first layout (zpat 0.2): all of it.
#define STATS_V0_SIZE (offsetof (zpat_stats_t, reconnects) + sizeof (uint64_t))

static uint64_t
s_sent (const zpat_socket_t *self)
{
    return self->sent_base + (ZPAT__TICK - self->countdown);
}

static uint64_t
s_received (const zpat_socket_t *self)
{
    return self->received_base + (ZPAT__TICK - self->recv_countdown);
}

static int
s_stats (zpat_socket_t *self, zpat_stats_t *stats, size_t stats_size)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!stats || stats_size < STATS_V0_SIZE)
        return zpat__fail (EINVAL);
    // Brings the peer counts up to date; after zpat_shutdown () they stay
    // as they were.
    int saved = errno; // a refused enter (ZPAT_ETERM) is no failure here
    if (zpat__socket_enter (self) == 0) {
        zpat__monitor_drain (self);
        zpat__socket_leave (self);
    }
    errno = saved;
    zpat_stats_t now = {
        .msgs_sent = s_sent (self),
        .bytes_sent = self->bytes_sent,
        .msgs_received = s_received (self),
        .bytes_received = self->bytes_received,
        .msgs_dropped = self->dropped,
        .send_timeouts = self->send_timeouts,
        .peers = self->peers,
        .reconnects = self->reconnects,
    };
    memcpy (stats, &now, stats_size < sizeof now ? stats_size : sizeof now);
    if (stats_size > sizeof now)
        memset ((char *)stats + sizeof now, 0, stats_size - sizeof now);
    return 0;
}

static int
s_stats_reset (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    // What libzmq reported before the reset counts before it: a reconnect
    // not yet read must not show after it.
    int saved = errno; // a refused enter (ZPAT_ETERM) is no failure here
    if (zpat__socket_enter (self) == 0) {
        zpat__monitor_drain (self);
        zpat__socket_leave (self);
    }
    errno = saved;
    // The countdowns keep running (they time the ticks): the bases are set
    // so that the counts they give read zero now.
    bool abandoning = self->abandon_mark &&
                      self->abandon_mark == zpat__socket_sent (self) + 1;
    self->sent_base = 0 - (uint64_t)(ZPAT__TICK - self->countdown);
    self->abandon_mark = abandoning ? 1 : 0; // counted from the new zero
    self->received_base = 0 - (uint64_t)(ZPAT__TICK - self->recv_countdown);
    self->bytes_sent = 0;
    self->bytes_received = 0;
    self->dropped = 0;
    self->send_timeouts = 0;
    self->reconnects = 0;
    return 0;
}

int
zpat_socket_stats_sized (zpat_socket_t *self, zpat_stats_t *stats,
                         size_t stats_size)
{
    return zpat__api_sock (s_stats (self, stats, stats_size), "zpat_stats",
                           self);
}

int
zpat_socket_stats_reset (zpat_socket_t *self)
{
    return zpat__api_sock (s_stats_reset (self), "zpat_stats_reset", self);
}
