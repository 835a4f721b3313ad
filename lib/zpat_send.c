// zpat_send.c - the socket core's sends: the fast paths (one libzmq call,
// inline, no hook in front), and the general paths behind them, which run
// the role's hooks around each message.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <stdarg.h>

// Checks a send call: EINVAL (or ZPAT_EFORKED) for a bad object, role or
// argument (args_ok false), then ZPAT_ETERM after zpat_shutdown ().
static int
s_check_sender (zpat_socket_t *self, bool args_ok)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!self->role->sends || !args_ok)
        return zpat__fail (EINVAL);
    return zpat__ctx_ended () ? zpat__fail (ZPAT_ETERM) : 0;
}

// As s_check_sender, and marks self busy for the call (zpat__socket_enter):
// the caller ends it with zpat__socket_leave.
static int
s_enter_sender (zpat_socket_t *self, bool args_ok)
{
    if (s_check_sender (self, args_ok) == -1) {
        // A fast path may have marked a live object busy before it found
        // the call was not its to make: a refused call leaves no mark.
        if (zpat__socket_check (self))
            zpat__idle (self);
        return -1;
    }
    return zpat__socket_enter (self);
}

// After every message sent: counts down to the role's tick hook (a
// publisher reads the subscriptions piling up on its XPUB now and then, so
// that they cannot grow without bound). As cheap as a test of the role.
// The same countdown counts the messages sent (zpat_stats.c), so the
// counters cost the fast paths one addition, the bytes.
static inline void
s_after_send (zpat_socket_t *self, size_t bytes)
{
    self->bytes_sent += bytes;
    if (__builtin_expect (--self->countdown == 0, 0))
        zpat__socket_tick (self);
}

// The fast paths read zpat__slow once, after marking the socket busy: 0
// (nothing unusual) or ZPAT__SLOW_SIGNALS alone (signals are caught, none has
// arrived) let a send or receive be one libzmq call. With signals caught that
// call must not wait (a signal would not end it in other threads), so it
// passes ZMQ_DONTWAIT, which is the same bit: the word itself is the flags.
// Whatever the fast path does not finish (a wait, an error to sort) goes to
// the general path, which checks everything again.
_Static_assert(ZPAT__SLOW_SIGNALS == ZMQ_DONTWAIT,
               "the fast paths use the slow word as libzmq flags");
#define FAST_MAX ZPAT__SLOW_SIGNALS

// True when a send on self may take a fast path: a live sender whose role
// has no send_head hook. Marks it busy; the caller reads zpat__slow next.
static inline bool
s_fast_sender (zpat_socket_t *self)
{
    if (!self || self->tag != ZPAT__TAG_LIVE || !self->fast_send)
        return false;
    zpat__busy (self);
    return true;
}

// The same for a role with a send_head hook and its own fast one
// (role->send_head_fast). Read at the start of the general paths, so that
// the plain fast paths pay nothing for it.
static inline bool
s_hooked_sender (zpat_socket_t *self)
{
    if (!self || self->tag != ZPAT__TAG_LIVE || !self->role->send_head_fast)
        return false;
    zpat__busy (self);
    return true;
}

// After a fast send that libzmq refused: true when the general path must
// take over (a signal cut the wait, or a send that must not wait found the
// queue full), false when the error stands.
static bool s_may_abandon (const zpat_socket_t *self);

static bool __attribute__ ((noinline)) s_send_fast_miss (zpat_socket_t *self)
{
    if (errno == ZPAT_EFSM) {
        self->tried = false;
        return s_may_abandon (self); // the general path abandons the request
    }
    if (errno == EINTR) {
        self->interrupted = true; // the general path waits on, once
        return true;
    }
    // Read again rather than kept across the call: if it changed meanwhile,
    // the general path sorts it out.
    self->tried = (zpat__slow_word () & ZPAT__SLOW_SIGNALS) && errno == EAGAIN;
    if (!self->tried && errno == EAGAIN)
        self->send_timeouts++;
    return self->tried;
}

// Sends one frame of a message on the general path, with the role's
// send_head hook ahead of a first frame. Only a role with that hook has no
// fast sends (zpat__socket_new), so reading fast_send first keeps the other
// roles' general path from loading the role to find out.
// True when a send refused with ZPAT_EFSM comes right after a receive gave
// up on the reply (nothing sent since): the role may abandon the request.
static bool
s_may_abandon (const zpat_socket_t *self)
{
    return self->abandon_mark &&
           self->abandon_mark == zpat__socket_sent (self) + 1;
}

// Sends a message's first frame in place of a request whose reply a
// receive gave up on (the role's abandon hook), out of line: a path taken
// only after ZPAT_EFSM.
static int __attribute__ ((noinline))
s_send_abandoning (zpat_socket_t *self, zmq_msg_t *frame, int flags)
{
    if (self->role->abandon (self, true) == -1)
        return -1;
    int rc = zpat__socket_transfer (self, frame, flags, true, true);
    int saved = errno;
    self->role->abandon (self, false);
    if (rc != -1)
        self->abandon_mark = 0;
    errno = saved;
    return rc;
}

static int
s_send_frame (zpat_socket_t *self, zmq_msg_t *frame, int more, bool first)
{
    if (first && !self->fast_send) {
        int ahead = self->role->send_head (self);
        if (ahead == -1)
            return -1;
        first = ahead == 0; // frames sent ahead did any waiting
    }
    int flags = more ? ZMQ_SNDMORE : 0;
    int rc = zpat__socket_transfer (self, frame, flags, true, first);
    if (rc == -1 && first && errno == ZPAT_EFSM && s_may_abandon (self))
        return s_send_abandoning (self, frame, flags);
    return rc;
}

// The general send path: any role, signals caught or not. Kept out of line
// so that the fast path in zpat_socket_send stays a few instructions.
static int
s_send_copy_in (zpat_socket_t *self, const void *data, size_t size)
{
    zmq_msg_t frame;
    if (zmq_msg_init_size (&frame, size) == -1)
        return zpat__fail (ENOMEM);
    if (size)
        memcpy (zmq_msg_data (&frame), data, size);
    if (s_send_frame (self, &frame, 0, true) == -1) {
        int saved = errno;
        zmq_msg_close (&frame);
        if (saved == EAGAIN)
            self->send_timeouts++;
        return zpat__fail (saved);
    }
    s_after_send (self, size);
    return 0;
}

// After a fast send's gate (s_fast_sender or s_hooked_sender) and its
// argument checks: the libzmq flags for the send (the slow word; see
// FAST_MAX), once the role's fast send_head (hooked) has sent what goes
// ahead; or -2 for the general path, or -1 with errno.
static inline __attribute__ ((always_inline)) int
s_send_flags (zpat_socket_t *self, bool hooked)
{
    unsigned flags = zpat__slow_word ();
    if (flags > FAST_MAX)
        return -2;
    if (hooked) {
        int ahead = self->role->send_head_fast (self, (int)flags);
        if (ahead != 0) {
            if (ahead == -1)
                zpat__idle (self);
            return ahead;
        }
    }
    return (int)flags;
}

// The fast send, plain (s_fast_sender: one libzmq call, as a raw program
// would make it) or with the role's fast send_head in front (hooked: REP).
// Returns 0, -1 with errno, or -2 for the general path. Everything else
// (and a send a stray signal interrupted, which then waits on) takes the
// general path. (An empty send with a NULL data takes the general path.)
static inline __attribute__ ((always_inline)) int
s_send_try (zpat_socket_t *self, const void *data, size_t size, bool hooked)
{
    if (!(hooked ? s_hooked_sender (self) : s_fast_sender (self)) || !data ||
        size > INT_MAX)
        return -2;
    int flags = s_send_flags (self, hooked);
    if (flags < 0)
        return flags;
    // zmq_send returns the size sent, which size <= INT_MAX makes exact.
    if (__builtin_expect (zmq_send (self->handle, data, size, flags) >= 0, 1)) {
        s_after_send (self, size);
        zpat__idle (self);
        return 0;
    }
    // After the head, only the end of the context stops the message.
    if (hooked || !s_send_fast_miss (self)) {
        zpat__idle (self);
        return -1;
    }
    return -2;
}

static int __attribute__ ((noinline))
s_send_copy (zpat_socket_t *self, const void *data, size_t size)
{
    int rc = s_send_try (self, data, size, true);
    if (rc != -2)
        return rc;
    if (s_enter_sender (self, data || !size) == -1)
        return -1;
    rc = s_send_copy_in (self, data, size);
    zpat__socket_leave (self);
    return rc;
}

static inline __attribute__ ((always_inline)) int
s_send (zpat_socket_t *self, const void *data, size_t size)
{
    int rc = s_send_try (self, data, size, false);
    if (rc != -2)
        return rc;
    return s_send_copy (self, data, size);
}

static int
s_send_str (zpat_socket_t *self, const char *string)
{
    if (!string)
        return zpat__fail (EINVAL);
    return s_send (self, string, strlen (string));
}

static int
s_sendf (zpat_socket_t *self, const char *format, va_list given)
{
    if (s_check_sender (self, format) == -1)
        return -1;
    char small[256];
    va_list args;
    va_copy (args, given);
    int length = vsnprintf (small, sizeof small, format, args);
    va_end (args);
    if (length < 0)
        return zpat__fail (EINVAL);
    if ((size_t)length < sizeof small)
        return s_send (self, small, (size_t)length);
    char *large = malloc ((size_t)length + 1);
    if (!large)
        return zpat__fail (ENOMEM);
    va_copy (args, given);
    vsnprintf (large, (size_t)length + 1, format, args);
    va_end (args);
    int rc = s_send (self, large, (size_t)length);
    int saved = errno;
    free (large);
    errno = saved;
    return rc;
}

static int s_send_msg (zpat_socket_t *self, zpat_msg_t *msg);
static int s_send_msg_in (zpat_socket_t *self, zpat_msg_t *msg);
static inline __attribute__ ((always_inline)) int
s_send_msg_fast (zpat_socket_t *self, zpat_msg_t *msg);

static int
s_send_frames (zpat_socket_t *self, const zpat_frame_t *frames, size_t count)
{
    if (s_check_sender (self, frames && count) == -1)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!frames[i].data && frames[i].size)
            return zpat__fail (EINVAL);
    // Build every frame before sending the first, so that running out of
    // memory half-way leaves nothing queued ("all frames arrive, or none").
    // The socket's own message holds them, reused from call to call.
    struct zpat_msg *out = &self->outgoing;
    zpat_msg_reset (out);
    for (size_t i = 0; i < count; i++) {
        if (zpat__msg_add (out, frames[i].data, frames[i].size) == -1) {
            zpat_msg_reset (out);
            return zpat__fail (ENOMEM);
        }
    }
    if (s_send_msg_fast (self, out) == -1) {
        int saved = errno;
        zpat_msg_reset (out);
        return zpat__fail (saved);
    }
    return 0;
}

// As s_send_try, for a message of one frame.
static inline __attribute__ ((always_inline)) int
s_send_msg_try (zpat_socket_t *self, zpat_msg_t *msg, bool hooked)
{
    if (!(hooked ? s_hooked_sender (self) : s_fast_sender (self)) || !msg ||
        msg->count != 1)
        return -2;
    int flags = s_send_flags (self, hooked);
    if (flags < 0)
        return flags;
    // zmq_msg_send returns the size sent (INT_MAX for more).
    int sent = zmq_msg_send (&msg->frames[0], self->handle, flags);
    if (__builtin_expect (sent >= 0, 1)) {
        msg->count = 0; // libzmq emptied the frame
        s_after_send (self, (unsigned)sent);
        zpat__idle (self);
        return 0;
    }
    if (hooked) {
        // After the head, only the end of the context stops the message,
        // which goes with it, as on the general path.
        int saved = errno;
        zpat_msg_reset (msg);
        zpat__idle (self);
        return zpat__fail (saved);
    }
    if (!s_send_fast_miss (self)) {
        zpat__idle (self);
        return -1;
    }
    return -2;
}

static inline __attribute__ ((always_inline)) int
s_send_msg_fast (zpat_socket_t *self, zpat_msg_t *msg)
{
    int rc = s_send_msg_try (self, msg, false);
    if (rc != -2)
        return rc;
    return s_send_msg (self, msg);
}

static int __attribute__ ((noinline))
s_send_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    int rc = s_send_msg_try (self, msg, true);
    if (rc != -2)
        return rc;
    if (s_enter_sender (self, msg && msg->count) == -1)
        return -1;
    rc = s_send_msg_in (self, msg);
    zpat__socket_leave (self);
    return rc;
}

static int
s_send_msg_in (zpat_socket_t *self, zpat_msg_t *msg)
{
    size_t bytes = 0;
    for (size_t i = 0; i < msg->count; i++) {
        // What zmq_msg_send returns: the frame's size (INT_MAX for more).
        int size =
            s_send_frame (self, &msg->frames[i], i + 1 < msg->count, i == 0);
        if (size == -1) {
            // Only the first frame can wait, so only it can fail for a
            // timeout or a signal, leaving msg whole. A later frame fails
            // only when zpat_shutdown () ended the context mid-message: the
            // message went with it.
            if (i > 0) {
                int saved = errno;
                zpat_msg_reset (msg);
                errno = saved;
            } else if (errno == EAGAIN)
                self->send_timeouts++;
            return -1;
        }
        bytes += (unsigned)size;
    }
    // libzmq has emptied every frame it took; nothing is left to close.
    msg->count = 0;
    s_after_send (self, bytes);
    return 0;
}

// The entry points: each passes its result to the error policy on its way
// out (zpat_policy.c); the calls above stay inline in them.

int
zpat_socket_send (zpat_socket_t *self, const void *data, size_t size)
{
    return zpat__api_sock (s_send (self, data, size), "zpat_send", self);
}

int
zpat_socket_send_str (zpat_socket_t *self, const char *string)
{
    return zpat__api_sock (s_send_str (self, string), "zpat_send_str", self);
}

int
zpat_socket_sendf (zpat_socket_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int rc = s_sendf (self, format, args);
    va_end (args);
    return zpat__api_sock (rc, "zpat_sendf", self);
}

int
zpat_socket_send_frames (zpat_socket_t *self, const zpat_frame_t *frames,
                         size_t count)
{
    return zpat__api_sock (s_send_frames (self, frames, count),
                           "zpat_send_frames", self);
}

int
zpat_socket_send_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    return zpat__api_sock (s_send_msg_fast (self, msg), "zpat_send_msg", self);
}

int
zpat__socket_send (zpat_socket_t *self, const void *data, size_t size)
{
    return s_send (self, data, size);
}

int
zpat__socket_send_frames (zpat_socket_t *self, const zpat_frame_t *frames,
                          size_t count)
{
    return s_send_frames (self, frames, count);
}

int
zpat__socket_send_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    return s_send_msg_fast (self, msg);
}
