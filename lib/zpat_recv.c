// zpat_recv.c - the socket core's receives: the fast paths (one libzmq
// call, inline, no hook in front), the general paths behind them, and the
// kept message that makes a failed receive lose nothing. A role with a recv
// hook (REP) replaces how a whole message is received and kept.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

// Works out how a fast receive runs, whenever the options or the
// transports change. Where zpat may have to drop what arrives (an inproc://
// socket with a size limit, which libzmq does not check there) and the
// receive has a timeout, the fast path first takes only a message already
// there; finding none, it notes when its wait begins (wait_from) before it
// waits, so that a drop does not extend the wait. Without a timeout (the
// default) there is nothing to extend, and the fast path waits at once, as
// raw libzmq does: a try that finds nothing costs libzmq hundreds of
// instructions. Not for a role whose receive waits for one reply (REQ): if
// that is dropped, no other comes, and the wait runs on from there. A
// message larger than recv_limit goes to the general path, which drops it
// if it is over the limit. libzmq reports sizes from INT_MAX up as INT_MAX,
// so those always go there (the limit is at most INT_MAX - 1), where the
// size is read whole: the fast paths can take what zmq_msg_recv returns as
// the size.
void
zpat__socket_plan_receive (zpat_socket_t *self)
{
    int64_t max = self->opts.max_msg_bytes;
    bool limited = self->inproc && max >= 0;
    bool timed = self->opts.recv_timeout_ms >= 0;
    self->recv_flags =
        limited && timed && !self->role->one_reply ? ZMQ_DONTWAIT : 0;
    self->recv_limit = limited && max < INT_MAX ? (int)max : INT_MAX - 1;
}

// Checks a receive call and marks self busy, as s_enter_sender does a send.
static int
s_enter_receiver (zpat_socket_t *self, bool args_ok)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!self->role->receives || !args_ok) {
        zpat__idle (self); // as in s_enter_sender
        return zpat__fail (EINVAL);
    }
    return zpat__socket_enter (self);
}

void
zpat__socket_drop_kept (zpat_socket_t *self)
{
    // Release the frame at once: a large buffer goes back, and a zero-copy
    // frame's free function runs now rather than at the next receive.
    zmq_msg_close (self->frame);
    zmq_msg_init (self->frame);
    if (self->multi.count)
        zpat_msg_reset (&self->multi);
    self->kept = ZPAT__KEPT_NONE;
}

// Receives a multipart message whose first frame is in first into msg.
// libzmq delivers a message whole, so the other frames are already there.
int
zpat__socket_recv_rest (zpat_socket_t *self, zmq_msg_t *first,
                        struct zpat_msg *msg)
{
    zpat_msg_reset (msg);
    bool more = true;
    while (more) {
        zmq_msg_t *slot = zpat__msg_slot (msg);
        if (!slot) {
            // Out of memory mid-message: read the rest so that the socket
            // stays usable, and say so.
            zmq_msg_t skip;
            zmq_msg_init (&skip);
            do {
                if (zmq_msg_recv (&skip, self->handle, 0) == -1)
                    break;
            } while (zmq_msg_more (&skip));
            zmq_msg_close (&skip);
            zpat_msg_reset (msg);
            return zpat__fail (ENOMEM);
        }
        zmq_msg_init (slot);
        if (msg->count == 0)
            zmq_msg_move (slot, first);
        else if (zpat__socket_transfer (self, slot, 0, false, false) == -1) {
            int saved = errno;
            zmq_msg_close (slot);
            zpat_msg_reset (msg);
            return zpat__fail (saved);
        }
        msg->count++;
        more = zmq_msg_more (slot);
    }
    return 0;
}

// True when a frame of the kept message is over the maximum message size.
// libzmq enforces the limit in its tcp:// and ipc:// decoder only; this
// holds it over inproc:// too.
bool
zpat__socket_oversized (zpat_socket_t *self)
{
    int64_t max = self->opts.max_msg_bytes;
    if (!self->inproc || max < 0)
        return false;
    if (self->kept == ZPAT__KEPT_ONE)
        return (int64_t)zmq_msg_size (self->frame) > max;
    for (size_t i = 0; i < self->multi.count; i++)
        if ((int64_t)zmq_msg_size (&self->multi.frames[i]) > max)
            return true;
    return false;
}

int
zpat__socket_recv_finish (zpat_socket_t *self, int size)
{
    if (!zmq_msg_more (self->frame)) {
        self->kept = ZPAT__KEPT_ONE;
        // libzmq reports sizes from INT_MAX up as INT_MAX.
        self->kept_bytes =
            size < INT_MAX ? (size_t)size : zmq_msg_size (self->frame);
    } else if (zpat__socket_recv_rest (self, self->frame, &self->multi) == -1)
        return -1;
    else {
        self->kept = ZPAT__KEPT_MULTI;
        self->kept_bytes = 0;
        for (size_t i = 0; i < self->multi.count; i++)
            self->kept_bytes += zmq_msg_size (&self->multi.frames[i]);
    }
    return 0;
}

// Receives a message (or a REP request's body) into self->frame, and the
// rest of a multipart one into self->multi, and marks it kept. first: the
// first frame may wait, with the caller's timeout.
int
zpat__socket_recv_body (zpat_socket_t *self, bool first)
{
    int size = zpat__socket_transfer (self, self->frame, 0, false, first);
    if (size == -1)
        return -1;
    return zpat__socket_recv_finish (self, size);
}

// Makes sure a whole message is kept in self, receiving one if none is.
// Messages the role must not deliver (oversized ones; for a role with a
// recv hook, whatever it refuses) are dropped and the wait goes on, within
// the same receive timeout: a stream of them cannot hold the call forever.
// A REQ whose reply is dropped gets no reply, as over tcp:// (where libzmq
// drops it): it waits out its timeout.
static int
s_recv_kept (zpat_socket_t *self)
{
    if (self->role->recv)
        return self->kept != ZPAT__KEPT_NONE ? 0 : self->role->recv (self);
    int64_t start = zpat__socket_wait_start (self);
    while (true) {
        // A message kept by a fast receive has not been checked yet.
        if (self->kept == ZPAT__KEPT_NONE &&
            zpat__socket_recv_body (self, true) == -1)
            return -1;
        if (!zpat__socket_oversized (self))
            return 0;
        zpat__socket_drop_kept (self);
        self->dropped++;
        if (zpat__socket_wait_rest (self, start) == -1)
            return -1;
    }
}

int
zpat__socket_recv_kept (zpat_socket_t *self)
{
    if (s_recv_kept (self) == 0)
        return 0;
    zpat__socket_recv_failed (self);
    return -1;
}

void __attribute__ ((noinline)) zpat__socket_recv_failed (zpat_socket_t *self)
{
    // Only a receive that gave up waiting: after ZPAT_EFSM no request was
    // pending, and after ZPAT_ETERM nothing more is sent.
    if (self->role->abandon && (errno == EAGAIN || errno == EINTR))
        self->abandon_mark = zpat__socket_sent (self) + 1;
}

// True when a receive on self may be one libzmq call, with the flags it
// stores in *flags: a live receiver whose role has no recv hook, with
// nothing kept from an earlier call, and the slow word 0 or ZPAT__SLOW_SIGNALS
// (see FAST_MAX). Marks self busy once it is known live; the general path marks
// it again.
static inline bool
s_fast_receiver (zpat_socket_t *self, int *flags)
{
    if (!self || self->tag != ZPAT__TAG_LIVE || !self->fast_recv ||
        self->kept != ZPAT__KEPT_NONE)
        return false;
    zpat__busy (self);
    unsigned slow = zpat__slow_word ();
    if (slow == 0) {
        *flags = self->recv_flags;
        return true;
    }
    *flags = ZMQ_DONTWAIT;
    return slow == ZPAT__SLOW_SIGNALS;
}

// The same for a role with a recv hook and its own fast receive
// (role->recv_fast), with the slow word as the flags. Read at the start of
// the general paths, so that the plain fast paths pay nothing for it.
static inline bool
s_hooked_receiver (zpat_socket_t *self, int *flags)
{
    if (!self || self->tag != ZPAT__TAG_LIVE || !self->role->recv_fast ||
        self->kept != ZPAT__KEPT_NONE)
        return false;
    zpat__busy (self);
    unsigned slow = zpat__slow_word ();
    *flags = (int)slow;
    return slow <= ZPAT__SLOW_SIGNALS;
}

static inline __attribute__ ((always_inline)) int
s_recv_fast (zpat_socket_t *self, int flags);

// The rest of a fast receive that did not get a message to hand over:
// keeps a multipart or oversized one for the general path (which drops it if
// it is over the limit), and sorts the errors. Out of line, as it is rare.
static int __attribute__ ((noinline))
s_recv_fast_miss (zpat_socket_t *self, int rc)
{
    if (rc >= 0)
        return zpat__socket_recv_finish (self, rc) == -1 ? -1 : -2;
    if (errno == EINTR) {
        self->interrupted = true; // the general path waits on, once
        return -2;
    }
    // A receive that must not wait found nothing. (The slow word is read
    // again rather than kept across the call.)
    unsigned signals = zpat__slow_word () & ZPAT__SLOW_SIGNALS;
    if (errno != EAGAIN || !(signals || self->recv_flags & ZMQ_DONTWAIT)) {
        zpat__socket_recv_failed (self);
        return -1;
    }
    if (signals) {
        self->tried = true; // the general path's wait polls at once
        return -2;
    }
    // An inproc:// socket with a size limit, whose fast receive only takes
    // what is there: wait here, in one libzmq call as a raw program would
    // (the general path costs hundreds of instructions more), noting when
    // the wait began, so that a message dropped as oversized does not
    // extend it when the general path waits for the next.
    self->wait_from = self->opts.recv_timeout_ms > 0 ? zpat__clock_ms () : 0;
    rc = zmq_msg_recv (self->frame, self->handle, 0);
    if (rc >= 0 && rc <= self->recv_limit && !zmq_msg_more (self->frame)) {
        self->wait_from = 0;
        return rc;
    }
    if (rc >= 0)
        return zpat__socket_recv_finish (self, rc) == -1 ? -1 : -2;
    if (errno == EINTR) {
        self->interrupted = true;
        return -2;
    }
    self->wait_from = 0;
    zpat__socket_recv_failed (self);
    return -1;
}

// The fast receive: one zmq_msg_recv into self->frame, with the flags
// s_plan_receive chose. Returns the size (below INT_MAX: see recv_limit)
// of a one-frame message within the size limit, for the caller to take;
// -2 when the general path must take over (nothing there yet on a socket
// that may drop, a multipart or oversized message, now kept, or a stray
// signal); -1 with errno on an error.
static inline __attribute__ ((always_inline)) int
s_recv_fast (zpat_socket_t *self, int flags)
{
    int rc = zmq_msg_recv (self->frame, self->handle, flags);
    // zmq_msg_more is zmq_msg_get (ZMQ_MORE) behind one more call.
    if (rc >= 0 && rc <= self->recv_limit &&
        !zmq_msg_get (self->frame, ZMQ_MORE))
        return rc;
    return s_recv_fast_miss (self, rc);
}

// Counts a message a fast path handed over, as the send paths do: the bytes
// (added as soon as the size is known, while it is in a register), and one
// off the countdown that also counts the messages (zpat_stats.c).
static inline void
s_count_bytes (zpat_socket_t *self, int bytes)
{
    self->bytes_received += (unsigned)bytes;
}

static inline void
s_count_message (zpat_socket_t *self)
{
    if (__builtin_expect (--self->recv_countdown == 0, 0))
        zpat__socket_recv_tick (self);
}

// After a fast receive the frame's bytes have been copied out: release
// them now, as a drop would (a zero-copy frame's free function runs now, and
// a large buffer goes back at once).
static inline void
s_recv_done (zpat_socket_t *self)
{
    zmq_msg_close (self->frame);
    zmq_msg_init (self->frame);
}

// Each kind of receive below comes in three parts: s_X_take, what a fast
// receive does with the message it got (inline, so that the plain fast
// path is one piece of straight code); s_X_fast, the plain fast path, inline
// in the entry point; and s_X_slow, out of line, which tries the role's own
// fast receive (hooked: REP) before the general path, s_X_in. Each _take and
// _fast returns -2 for the general path.

// A fast receive's error, out of line: sharing its return with the
// success path would cost that path a register move.
static int __attribute__ ((noinline)) s_recv_failed (zpat_socket_t *self)
{
    zpat__idle (self);
    return -1;
}

// The end of a fast receive that handed a message of size bytes over.
static inline __attribute__ ((always_inline)) void
s_recv_handed (zpat_socket_t *self, int size)
{
    s_count_bytes (self, size);
    s_count_message (self);
    zpat__idle (self);
}

// The end of a fast receive that did not: a message that arrived (size)
// is kept for the general path (-2), which refuses it or tries again; an
// error (-1) stands.
static inline __attribute__ ((always_inline)) int
s_recv_not_handed (zpat_socket_t *self, int rc)
{
    if (rc >= 0)
        zpat__socket_keep_one (self, rc);
    else if (rc == -1)
        return s_recv_failed (self);
    return -2;
}

// Into the caller's buffer.
static inline __attribute__ ((always_inline)) int
s_recv_take (zpat_socket_t *self, int rc, void *buf, size_t size)
{
    if (rc >= 0 && (size_t)rc <= size) {
        if (rc)
            memcpy (buf, zmq_msg_data (self->frame), (size_t)rc);
        s_recv_done (self);
        s_recv_handed (self, rc);
        return rc;
    }
    return s_recv_not_handed (self, rc); // too large: the general path says
}

static int
s_recv_in (zpat_socket_t *self, void *buf, size_t size)
{
    if (zpat__socket_recv_kept (self) == -1)
        return -1;
    if (self->kept == ZPAT__KEPT_MULTI)
        return zpat__fail (ZPAT_EFRAMES);
    size_t length = zmq_msg_size (self->frame);
    if (length > size || length > INT_MAX)
        return zpat__fail (EMSGSIZE);
    if (length)
        memcpy (buf, zmq_msg_data (self->frame), length);
    zpat__socket_took (self);
    zpat__socket_drop_kept (self);
    return (int)length;
}

static int __attribute__ ((noinline))
s_recv_slow (zpat_socket_t *self, void *buf, size_t size)
{
    int flags;
    if ((buf || !size) && s_hooked_receiver (self, &flags)) {
        int rc =
            s_recv_take (self, self->role->recv_fast (self, flags), buf, size);
        if (rc != -2)
            return rc;
    }
    if (s_enter_receiver (self, buf || !size) == -1)
        return -1;
    int rc = s_recv_in (self, buf, size);
    zpat__socket_leave (self);
    return rc;
}

static inline __attribute__ ((always_inline)) int
s_recv (zpat_socket_t *self, void *buf, size_t size)
{
    // The common case in one libzmq call, as a raw program would make it.
    int flags;
    if (s_fast_receiver (self, &flags) && (buf || !size)) {
        int rc = s_recv_take (self, s_recv_fast (self, flags), buf, size);
        if (rc != -2)
            return rc;
    }
    return s_recv_slow (self, buf, size);
}

// Into a new string.
static inline __attribute__ ((always_inline)) char *
s_recv_str_take (zpat_socket_t *self, int rc, bool *general)
{
    if (rc >= 0) {
        char *string = malloc ((size_t)rc + 1);
        if (string) {
            if (rc)
                memcpy (string, zmq_msg_data (self->frame), (size_t)rc);
            string[rc] = 0;
            s_recv_done (self);
            s_recv_handed (self, rc);
            return string;
        }
    }
    // Out of memory: the general path tries again.
    *general = s_recv_not_handed (self, rc) == -2;
    return NULL;
}

static char *
s_recv_str_in (zpat_socket_t *self)
{
    if (zpat__socket_recv_kept (self) == -1)
        return NULL;
    if (self->kept == ZPAT__KEPT_MULTI)
        return zpat__fail_null (ZPAT_EFRAMES);
    size_t length = zmq_msg_size (self->frame);
    char *string = malloc (length + 1);
    if (!string)
        return zpat__fail_null (ENOMEM);
    if (length)
        memcpy (string, zmq_msg_data (self->frame), length);
    string[length] = 0;
    zpat__socket_took (self);
    zpat__socket_drop_kept (self);
    return string;
}

static char *__attribute__ ((noinline)) s_recv_str_slow (zpat_socket_t *self)
{
    int flags;
    if (s_hooked_receiver (self, &flags)) {
        bool general = false;
        char *string = s_recv_str_take (
            self, self->role->recv_fast (self, flags), &general);
        if (!general)
            return string;
    }
    if (s_enter_receiver (self, true) == -1)
        return NULL;
    char *string = s_recv_str_in (self);
    zpat__socket_leave (self);
    return string;
}

static inline __attribute__ ((always_inline)) char *
s_recv_str_fast (zpat_socket_t *self)
{
    int flags;
    if (s_fast_receiver (self, &flags)) {
        bool general = false;
        char *string =
            s_recv_str_take (self, s_recv_fast (self, flags), &general);
        if (!general)
            return string;
    }
    return s_recv_str_slow (self);
}

// Into the caller's message: for a message that holds one frame, as it
// does when it is reused from receive to receive, or none but has a slot
// for one.
static inline __attribute__ ((always_inline)) int
s_recv_msg_take (zpat_socket_t *self, int rc, zpat_msg_t *msg)
{
    if (rc >= 0) {
        s_count_bytes (self, rc);
        // Hand the frame over by swapping slot arrays with msg rather
        // than moving it (a check, a copy and a release, out of line):
        // nothing is copied or allocated. The frame msg held, now in the
        // socket's array, is released at once, as zmq_msg_move would:
        // its free function (a zero-copy frame's) runs in this call.
        size_t had = msg->count;
        zmq_msg_t *frames = msg->frames;
        size_t slots = msg->capacity;
        msg->frames = self->frame;
        msg->capacity = self->frame_slots;
        msg->count = 1;
        self->frame = frames;
        self->frame_slots = slots;
        if (had)
            zmq_msg_close (self->frame);
        zmq_msg_init (self->frame);
        s_count_message (self);
        zpat__idle (self);
        return 1;
    }
    if (rc == -1)
        return s_recv_failed (self);
    return -2;
}

static int
s_recv_msg_in (zpat_socket_t *self, zpat_msg_t *msg)
{
    // The message is received into the socket first and handed over only
    // once whole, so that a failed call leaves the caller's message as it
    // was (a zmq_msg_recv straight into it would empty it on a timeout).
    if (zpat__socket_recv_kept (self) == -1)
        return -1;
    if (self->kept != ZPAT__KEPT_MULTI && msg->count == 0 &&
        !zpat__msg_slot (msg))
        return -1; // ENOMEM: the message stays kept
    zpat__socket_took (self);
    if (self->kept == ZPAT__KEPT_MULTI) {
        // Hand the kept frames over by swapping arrays: no copy, and the
        // caller's spare slots become the socket's.
        zpat_msg_reset (msg);
        struct zpat_msg spare = *msg;
        *msg = self->multi;
        self->multi = spare;
    } else if (msg->count >= 1) {
        // zmq_msg_move releases what frame 0 held.
        for (size_t i = 1; i < msg->count; i++)
            zmq_msg_close (&msg->frames[i]);
        zmq_msg_move (&msg->frames[0], self->frame);
        msg->count = 1;
    } else {
        zmq_msg_t *slot = zpat__msg_slot (msg); // there is one: see above
        zmq_msg_init (slot);
        zmq_msg_move (slot, self->frame);
        msg->count = 1;
    }
    self->kept = ZPAT__KEPT_NONE;
    return (int)msg->count;
}

static int __attribute__ ((noinline))
s_recv_msg_slow (zpat_socket_t *self, zpat_msg_t *msg)
{
    int flags;
    if (msg && msg->count <= 1 && msg->capacity &&
        s_hooked_receiver (self, &flags)) {
        int rc =
            s_recv_msg_take (self, self->role->recv_fast (self, flags), msg);
        if (rc != -2)
            return rc;
    }
    if (s_enter_receiver (self, msg) == -1)
        return -1;
    int rc = s_recv_msg_in (self, msg);
    zpat__socket_leave (self);
    return rc;
}

static inline __attribute__ ((always_inline)) int
s_recv_msg_fast (zpat_socket_t *self, zpat_msg_t *msg)
{
    int flags;
    if (s_fast_receiver (self, &flags) && msg && msg->count <= 1 &&
        msg->capacity) {
        int rc = s_recv_msg_take (self, s_recv_fast (self, flags), msg);
        if (rc != -2)
            return rc;
    }
    return s_recv_msg_slow (self, msg);
}

// Lent: the message stays in self->frame, where the next receive's
// zmq_msg_recv (or zpat__socket_recv_body) releases it first.
static inline __attribute__ ((always_inline)) int
s_recv_lend_take (zpat_socket_t *self, int rc, const void **data)
{
    if (rc >= 0) {
        *data = zmq_msg_data (self->frame);
        s_recv_handed (self, rc);
        return rc;
    }
    return rc == -1 ? s_recv_failed (self) : -2;
}

static int
s_recv_lend_in (zpat_socket_t *self, const void **data)
{
    if (zpat__socket_recv_kept (self) == -1)
        return -1;
    if (self->kept == ZPAT__KEPT_MULTI)
        return zpat__fail (ZPAT_EFRAMES);
    size_t length = zmq_msg_size (self->frame);
    if (length >= INT_MAX)
        return zpat__fail (EMSGSIZE);
    zpat__socket_took (self);
    self->kept = ZPAT__KEPT_NONE; // lent: the frame stays
    *data = zmq_msg_data (self->frame);
    return (int)length;
}

static int __attribute__ ((noinline))
s_recv_lend_slow (zpat_socket_t *self, const void **data)
{
    int flags;
    if (data && s_hooked_receiver (self, &flags)) {
        int rc =
            s_recv_lend_take (self, self->role->recv_fast (self, flags), data);
        if (rc != -2)
            return rc;
    }
    if (s_enter_receiver (self, data) == -1)
        return -1;
    int rc = s_recv_lend_in (self, data);
    zpat__socket_leave (self);
    return rc;
}

static inline __attribute__ ((always_inline)) int
s_recv_lend (zpat_socket_t *self, const void **data)
{
    int flags;
    if (s_fast_receiver (self, &flags) && data) {
        int rc = s_recv_lend_take (self, s_recv_fast (self, flags), data);
        if (rc != -2)
            return rc;
    }
    return s_recv_lend_slow (self, data);
}

static int
s_discard (zpat_socket_t *self)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    if (!self->role->receives)
        return zpat__fail (EINVAL);
    if (self->kept == ZPAT__KEPT_NONE)
        return 0;
    // Received, then dropped by the caller. Busy: the count's tick may read
    // the monitor's queue.
    zpat__busy (self);
    zpat__socket_took (self);
    zpat__socket_drop_kept (self);
    zpat__idle (self);
    return 1;
}

// The entry points: each passes its result to the error policy on its way
// out (zpat_policy.c); the ROUTER's verbs use the internal ones, which do
// not, and report under their own names.

int
zpat__socket_recv (zpat_socket_t *self, void *buf, size_t size)
{
    return s_recv (self, buf, size);
}

char *
zpat__socket_recv_str (zpat_socket_t *self)
{
    return s_recv_str_fast (self);
}

int
zpat__socket_recv_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    return s_recv_msg_fast (self, msg);
}

int
zpat_socket_recv (zpat_socket_t *self, void *buf, size_t size)
{
    return zpat__api_sock (s_recv (self, buf, size), "zpat_recv", self);
}

char *
zpat_socket_recv_str (zpat_socket_t *self)
{
    return zpat__api_sock_ptr (s_recv_str_fast (self), "zpat_recv_str", self);
}

int
zpat_socket_recv_msg (zpat_socket_t *self, zpat_msg_t *msg)
{
    return zpat__api_sock (s_recv_msg_fast (self, msg), "zpat_recv_msg", self);
}

int
zpat_socket_recv_lend (zpat_socket_t *self, const void **data)
{
    return zpat__api_sock (s_recv_lend (self, data), "zpat_recv_lend", self);
}

int
zpat_socket_discard (zpat_socket_t *self)
{
    return zpat__api_sock (s_discard (self), "zpat_discard", self);
}
