// zpat_internal.h - the map of zpat's insides, bottom-up: the context,
// signals and messages (layer 0); the socket core (layer 1: zpat_socket.c,
// zpat_options.c, zpat_endpoint.c, zpat_wait.c, zpat_send.c, zpat_recv.c);
// and the seam through which the roles (layer 2: zpat_req.c ... zpat_pull.c)
// plug into the core. Calls go down the layers, never up: the core reaches
// a role only through the hooks in its zpat__role_t. The one place in zpat
// that includes czmq.h and zmq.h.
// SPDX-License-Identifier: MPL-2.0

#ifndef ZPAT_INTERNAL_H
#define ZPAT_INTERNAL_H

#include "zpat.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

// The word at the start of every live socket core; overwritten on destroy,
// so a crossed void * or a destroyed object is refused with EINVAL.
#define ZPAT__TAG_LIVE 0x7a706174u
#define ZPAT__TAG_DEAD 0x64656164u
// An object inherited across fork (): its socket is the parent's, so in the
// child it may only be freed.
#define ZPAT__TAG_FORKED 0x666f726bu

// Longest endpoint accepted, in bytes, without its NUL.
#define ZPAT__ENDPOINT_MAX 255

// ---------------------------------------------------------------------------
// Layer 0: messages (zpat_msg.c). A message: frames [0, count) are
// initialised libzmq messages; the slots from count to capacity are raw
// memory kept for reuse.
struct zpat_msg {
    zmq_msg_t *frames;
    size_t count;
    size_t capacity;
};

// ---------------------------------------------------------------------------
// Layer 1, the socket core: what every role shares, and the seam a role
// plugs into. The core never names a role: what a role does differently is
// in its zpat__role_t, which the role's own file defines and hands to
// zpat__socket_new. See docs/adding-a-role.md.

typedef struct zpat__role zpat__role_t;

// What a socket keeps from a receive that the caller could not take.
typedef enum {
    ZPAT__KEPT_NONE,
    ZPAT__KEPT_ONE,   // one frame, in frame
    ZPAT__KEPT_MULTI, // several frames, in multi
} zpat__kept_t;

// The socket core that every role embeds as its first member.
struct zpat_socket {
    uint32_t tag;             // ZPAT__TAG_LIVE while the object lives
    const zpat__role_t *role; // what kind of object this is, and its hooks
    bool fast_send;           // a sender whose sends are one libzmq call
    bool fast_recv;           // a receiver whose receives are one libzmq call
    void *handle;             // the libzmq socket, in czmq's process context
    zpat_options_t opts;      // in force now, in setter units (0 is a value)
    zpat__kept_t kept;        // a received message waiting for the caller
    size_t kept_bytes;        // its size, all frames
    zmq_msg_t *frame; // slot 0 of an array of frame_slots slots the socket
                      // owns; always initialised: what receives land in
    size_t frame_slots;
    int recv_flags; // what a fast receive passes zmq_msg_recv (plan_receive)
    int recv_limit; // the largest size a fast receive hands over
    // Counters (zpat_stats.c). The countdowns run on every send and receive
    // anyway (the tick), so they count the messages too: sent is
    // sent_base + ZPAT__TICK - countdown. Bytes are added as they go.
    unsigned countdown;      // sends left before the next send tick
    unsigned recv_countdown; // receives left before the next receive tick
    unsigned ticks;          // ticks so far, either way
    uint64_t sent_base, received_base;
    uint64_t bytes_sent, bytes_received;
    uint64_t dropped;       // messages zpat dropped (oversized, a REP's junk)
    uint64_t send_timeouts; // sends that gave up waiting (EAGAIN)
    // Connections (zpat_monitor.c): libzmq's socket monitor, started when
    // the object first attaches to a tcp:// or ipc:// endpoint.
    void *monitor; // our end of it (a PAIR), closed with handle; or NULL
    struct zpat__conns *conns; // its state: events kept, endpoints lost
    uint64_t peers, reconnects;
    // Pollers this object is in (zpat_poller.c), told when it is destroyed.
    struct zpat__watch *watches;
    struct zpat_msg multi;    // a kept multipart message
    struct zpat_msg outgoing; // frames of a multipart send, built first
    char endpoint[ZPAT__ENDPOINT_MAX + 1]; // last endpoint bound, resolved
    bool inproc;                           // attached to an inproc:// endpoint
    bool interrupted;  // a stray signal cut a fast path's wait: wait on once
    bool tried;        // a fast path just found nothing, signals being caught:
                       // the general path's wait need not try again first
    int64_t wait_from; // a fast receive's wait began then (clock ms; 0 for
                       // none): the general path's drops keep to it
    // Non-zero while a call may be inside libzmq on this socket, so that the
    // exit handler closes only sockets no other thread is using (see
    // zpat__socket_enter). Written by the owning thread, read at exit.
    atomic_uchar busy;
    // The context's registry (zpat_ctx.c reads and writes these, with tag,
    // handle, monitor and busy, and nothing else of the core).
    bool linked; // in the context's registry of live sockets
    struct zpat_socket *prev, *next;
    char **bound; // every endpoint bound, resolved, to unbind on destroy
    size_t bound_count;
    char **connected;       // every endpoint connected to, as written: the last
    size_t connected_count; // names the object; a request reconnects them
    // A REQ whose receive gave up (EAGAIN, EINTR) with its reply owed: the
    // count of messages sent, plus one, when that happened; 0 for none. A
    // send refused with ZPAT_EFSM while no message has been sent since
    // abandons the request (role->abandon) instead. (zpat_stats.c rebases
    // it when the counts are reset.)
    uint64_t abandon_mark;
};

// A role: what it is on the wire and what it does differently from the
// core's plain paths. One static const instance per role file. Every hook
// is optional (NULL: the core's own behaviour) and gets the core, which is
// the first member of the role's struct. A role with recv or send_head never
// takes the fast paths: those stay one libzmq call, with no indirect call in
// front of it.
struct zpat__role {
    const char *name; // "REQ", "PUB": for messages and debugging
    int zmq_type;     // the libzmq socket under it
    size_t size;      // sizeof the role's struct, core first
    char attach;      // what a bare endpoint does: '@' bind, '>' connect
    bool sends;       // has the send verbs (and send options)
    bool receives;    // has the receive verbs (and receive options)
    // Each receive waits for one reply that comes once (REQ): a dropped,
    // oversized reply is not followed by another, so the wait is not
    // counted across drops.
    bool one_reply;
    // After the options, before any endpoint: set up what the role needs
    // on the libzmq socket. Called with self not busy; 0 or -1 with errno
    // (the constructor then fails with it).
    int (*open) (zpat_socket_t *self);
    // On destroy, before the core frees itself: free the role's own state.
    // Must not touch libzmq (it also runs for objects inherited across
    // fork ()).
    void (*close) (zpat_socket_t *self);
    // Replaces the core's receive: with self busy and nothing kept, keep
    // one whole message (zpat__socket_recv_body and friends) or fail with
    // errno, within the receive timeout.
    int (*recv) (zpat_socket_t *self);
    // A fast receive for a role with recv (REP), taken before the general
    // path: with self busy, nothing kept and flags for its first libzmq
    // call (ZMQ_DONTWAIT while signals are caught), receive a message's
    // body into self->frame. Returns its size, as zmq_msg_recv does, when
    // it is one frame of at most recv_limit bytes, for the caller to take
    // (the role's state already says it is taken); -2 when the general
    // path must take over (with what arrived kept, or dropped, and
    // interrupted or tried set as a fast receive sets them); -1 with errno.
    int (*recv_fast) (zpat_socket_t *self, int flags);
    // Before a message's first frame, with self busy: send what goes ahead
    // of it (REP: the envelope). Returns 1 when it sent frames (the
    // message's own then follow at once, without waiting: libzmq takes a
    // message whole), 0 when it sent none, or -1 with errno (nothing of the
    // message sent).
    int (*send_head) (zpat_socket_t *self);
    // A fast send_head, taken before the general path: with self busy and
    // flags for its libzmq calls, send what goes ahead of a one-frame
    // message. 0 when it went (the message must follow at once), -2 when
    // nothing was sent and the general path must take over.
    int (*send_head_fast) (zpat_socket_t *self, int flags);
    // Every ZPAT__TICK successful sends (the fast paths included), with
    // self busy: housekeeping (PUB: read the subscriptions queued).
    void (*tick) (zpat_socket_t *self);
    // What of events (ZPAT_POLLIN, ZPAT_POLLOUT: what libzmq's socket is
    // ready for) the role's state lets the caller do now, for a poller and
    // zpat_socket_ready (REP: receive only when no reply is owed, send only
    // when one is).
    int (*ready) (zpat_socket_t *self, int events);
    // A send refused with ZPAT_EFSM right after a receive gave up on the
    // reply (abandon_mark): with begin true, let the next message's first
    // frame go ahead anyway, with the reply to the request abandoned never
    // to be taken for a later one's; with begin false, after that frame (sent
    // or not), refuse such sends again. 0, or -1 with errno. With self busy.
    int (*abandon) (zpat_socket_t *self, bool begin);
    // Replaces binding ('@') or connecting ('>') self's own libzmq socket
    // to endpoint, for a role whose peers talk to another socket (a
    // reliable pusher: its engine's ROUTER). Called with self not busy,
    // endpoint checked; 0, or -1 with errno.
    int (*attach_to) (zpat_socket_t *self, const char *endpoint, char mode);
};

// How many sends (or receives) pass between two ticks; and between two
// reads of the monitor's queue by the ticks (a multiple of it).
#define ZPAT__TICK 256u
#define ZPAT__DRAIN_EVERY 1024u

// ---------------------------------------------------------------------------
// Errors: sets errno and returns -1, or NULL for the pointer variant.
static inline int
zpat__fail (int code)
{
    errno = code;
    return -1;
}

static inline void *
zpat__fail_null (int code)
{
    errno = code;
    return NULL;
}

// ---------------------------------------------------------------------------
// Layer 0: the error policy (zpat_policy.c). Every public call that can
// fail ends with one of these, after it has released its object: on
// failure, and only while a handler is installed, the handler hears of it
// (and may exit). A call that succeeds pays one test of its result.
extern atomic_int zpat__policy;
// True once the exit handler has run (exit () is under way).
bool zpat__ctx_exiting (void);
// Calls the handler (errno kept) for call on object, naming endpoint.
void zpat__report (const char *call, const void *object, const char *endpoint);
// The same for an object of the socket core, named by its endpoint.
void zpat__report_socket (const char *call, const zpat_socket_t *self);

static inline int
zpat__api_int (int rc, const char *call, const void *object,
               const char *endpoint)
{
    if (__builtin_expect (rc == -1, 0) &&
        atomic_load_explicit (&zpat__policy, memory_order_relaxed))
        zpat__report (call, object, endpoint);
    return rc;
}

static inline void *
zpat__api_ptr (void *result, const char *call, const void *object,
               const char *endpoint)
{
    if (__builtin_expect (!result, 0) &&
        atomic_load_explicit (&zpat__policy, memory_order_relaxed))
        zpat__report (call, object, endpoint);
    return result;
}

// ---------------------------------------------------------------------------
// Layer 0: CURVE keys (zpat_cert.c), for the options and the authenticator.
// True when libzmq can do CURVE.
bool zpat__curve_available (void);
// Decodes a 40-character Z85 key into key: 0, or -1 with EINVAL.
int zpat__z85_key (const char *text, uint8_t key[32]);
// A certificate's keys (32 bytes each), or NULL with EINVAL: not a
// certificate, or (the secret) one without its secret key.
const uint8_t *zpat__cert_public (const zpat_cert_t *self);
const uint8_t *zpat__cert_secret (const zpat_cert_t *self);
// zpat_cert_load without the error policy, for the authenticator.
zpat_cert_t *zpat__cert_load (const char *path);

// ---------------------------------------------------------------------------
// Layer 0: the context (zpat_ctx.c).

// Opens a libzmq socket of type for core in the shared context and
// registers it; closes and unregisters it. Closing keeps the linger:
// messages already queued on any connection still leave. An object
// inherited across fork () is only forgotten, never closed: its socket is
// the parent's.
int zpat__ctx_open (zpat_socket_t *core, int type);
void zpat__ctx_close (zpat_socket_t *core);
// Work an object's own thread must finish at exit before the context ends
// (a reliable pusher's messages waiting for acknowledgements): the exit
// handler calls fn (arg) first, with the context still running, in the
// order added. The caller owns the hook and removes it before freeing it.
typedef struct zpat__exit_hook {
    void (*fn) (void *arg);
    void *arg;
    struct zpat__exit_hook *next;
} zpat__exit_hook_t;
void zpat__ctx_exit_hook_add (zpat__exit_hook_t *hook);
void zpat__ctx_exit_hook_remove (zpat__exit_hook_t *hook);
// A further libzmq socket of type in the context (the caller owns it), or
// NULL with errno (ZPAT_ETERM once the context has ended).
void *zpat__ctx_socket (int type);

// Notes that this process just released a tcp:// port, and asks whether it
// did so within the last second.
void zpat__ctx_released (long port);
bool zpat__ctx_recently_released (long port);

// Why calls must take the general paths, in one word that every fast path
// reads: zpat_catch_signals () made the signal pipe (for good), or
// zpat_shutdown () ended the context (until it is freed).
#define ZPAT__SLOW_SIGNALS 1u
#define ZPAT__SLOW_ENDED 2u
// A SIGINT or SIGTERM arrived and has not been cleared: calls end with EINTR.
#define ZPAT__SLOW_INTERRUPTED 4u
extern atomic_uint zpat__slow;

// True once zpat_shutdown () has ended the context (until it is freed).
// Read on every call, so inline.
static inline bool
zpat__ctx_ended (void)
{
    return atomic_load_explicit (&zpat__slow, memory_order_relaxed) &
           ZPAT__SLOW_ENDED;
}

// The word the fast paths read, after marking the socket busy.
static inline unsigned
zpat__slow_word (void)
{
    return atomic_load_explicit (&zpat__slow, memory_order_relaxed);
}

// A monotonic clock in milliseconds. Inline: the waits read it on every
// turn.
static inline int64_t
zpat__clock_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// Layer 0: signals (zpat_signal.c): the read end of the signal pipe, or -1
// when zpat_catch_signals () has not been called. Read on every blocking
// call, so it is a variable rather than a function.
extern int zpat__signal_read_fd;
extern pthread_mutex_t zpat__signal_lock;
void zpat__signal_after_fork (void);
static inline int
zpat__signal_fd (void)
{
    return zpat__signal_read_fd;
}

// Layer 0: messages (zpat_msg.c): the next free frame slot, grown as needed
// (NULL/ENOMEM); releasing every frame and the slots.
zmq_msg_t *zpat__msg_grow (struct zpat_msg *self);
static inline zmq_msg_t *
zpat__msg_slot (struct zpat_msg *self)
{
    return self->count < self->capacity ? &self->frames[self->count]
                                        : zpat__msg_grow (self);
}
void zpat__msg_fini (struct zpat_msg *self);
// zpat_msg_add without the error policy, for zpat_send_frames.
int zpat__msg_add (zpat_msg_t *self, const void *data, size_t size);

// ---------------------------------------------------------------------------
// Layer 1: the socket core. zpat_socket.c: checking, marking busy, making
// and destroying objects.

// True when self is a live socket.
static inline bool
zpat__socket_check (const zpat_socket_t *self)
{
    return self && self->tag == ZPAT__TAG_LIVE;
}

// 0 when self is a live socket of this process; else -1 with EINVAL, or
// ZPAT_EFORKED for one inherited across fork ().
static inline int
zpat__socket_valid (const zpat_socket_t *self)
{
    if (zpat__socket_check (self))
        return 0;
    errno = self && self->tag == ZPAT__TAG_FORKED ? ZPAT_EFORKED : EINVAL;
    return -1;
}

// The endpoint that names self in an error report: the last one bound, or
// else the last one connected to; NULL for none, or for a pointer that is
// not a live object.
const char *zpat__socket_name (const zpat_socket_t *self);

// The policy's exit for the socket core's calls (see zpat__api_int).
static inline int
zpat__api_sock (int rc, const char *call, const zpat_socket_t *self)
{
    if (__builtin_expect (rc == -1, 0) &&
        atomic_load_explicit (&zpat__policy, memory_order_relaxed))
        zpat__report_socket (call, self);
    return rc;
}

static inline void *
zpat__api_sock_ptr (void *result, const char *call, const zpat_socket_t *self)
{
    if (__builtin_expect (!result, 0) &&
        atomic_load_explicit (&zpat__policy, memory_order_relaxed))
        zpat__report_socket (call, self);
    return result;
}

// As zpat__socket_valid, and EINVAL unless self is of this role: what a
// role's own verbs check first.
static inline int
zpat__socket_is (const zpat_socket_t *self, const zpat__role_t *role)
{
    if (zpat__socket_valid (self) == -1)
        return -1;
    return self->role == role ? 0 : zpat__fail (EINVAL);
}

// Marks self busy (inside libzmq) before the caller reads zpat__slow. The
// exit handler sets ZPAT__SLOW_ENDED, runs a process-wide barrier
// (membarrier) and then reads every socket's busy mark: either this thread
// sees ENDED and keeps out of libzmq, or the handler sees the mark and
// leaves the socket alone. So the fast side needs only a compiler barrier.
static inline void
zpat__busy (zpat_socket_t *self)
{
    atomic_store_explicit (&self->busy, 1, memory_order_relaxed);
    atomic_signal_fence (memory_order_seq_cst);
}

static inline void
zpat__idle (zpat_socket_t *self)
{
    // Release: once the exit handler reads 0 (acquire), everything this
    // thread did inside libzmq is visible to it. A plain store on x86.
    atomic_store_explicit (&self->busy, 0, memory_order_release);
}

// The start of every general (not fast) call on a socket: checks that self
// is a live object of this process (EINVAL, or ZPAT_EFORKED for one
// inherited across fork ()), marks it busy, and refuses with ZPAT_ETERM once
// the context has ended. Returns 0 with self busy, or -1 with errno and
// self left as it was. zpat__socket_leave ends the call, keeping errno.
int zpat__socket_enter (zpat_socket_t *self);
static inline void
zpat__socket_leave (zpat_socket_t *self)
{
    zpat__idle (self);
}

// Makes an object of role (role->size bytes, the core first) with the
// caller's options (opts_size bytes of them; NULL for the defaults) and
// attaches it to endpoints (NULL: none yet). Returns it, or NULL with errno
// (nothing is left behind).
zpat_socket_t *zpat__socket_new (const zpat__role_t *role,
                                 const char *endpoints,
                                 const zpat_options_t *opts, size_t opts_size);
// Destroys self if it is an object of role, live or inherited across fork
// (): 0, or -1 (nothing done) for anything else.
int zpat__socket_destroy (zpat_socket_t *self, const zpat__role_t *role);
// Run out of line by the send and receive paths when their countdown
// reaches 0: count ZPAT__TICK messages, start the next count, and do the
// housekeeping (the role's tick hook; reading connection events).
void zpat__socket_tick (zpat_socket_t *self);
void zpat__socket_recv_tick (zpat_socket_t *self);

// zpat_options.c: what the constructors and the setters share.
// The size of zpat_options_t in zpat 0.1, the first layout: what the entry
// points without _sized read (callers built before sizes were passed).
#define ZPAT__OPTIONS_V0_SIZE (offsetof (zpat_options_t, ipv6) + sizeof (int))
// Copies the caller's options, opts_size bytes of them, into *into (zero,
// the defaults, where the caller's struct is shorter). 0, or -1 with EINVAL
// for a struct too short, or one longer than this library's whose extra
// fields are not all zero.
int zpat__options_copy (zpat_options_t *into, const zpat_options_t *opts,
                        size_t opts_size);
// Applies a constructor's options to a new socket, where 0 means the
// default (opts NULL: all defaults). 0, or -1 with errno.
int zpat__options_apply (zpat_socket_t *self, const zpat_options_t *opts);

// zpat_endpoint.c: attaches a comma-separated list of endpoints ("@ep"
// binds, ">ep" connects, a bare one does what the role usually does): 0 or
// -1 with errno. Releases every endpoint bound before the socket closes
// (unbinding the inproc:// names when unbind: the caller marked self busy).
int zpat__socket_attach (zpat_socket_t *self, const char *endpoints);

// zpat_endpoint.c: zpat_socket_endpoint without the error policy.
const char *zpat__socket_endpoint (zpat_socket_t *self);

// zpat_recv.c: the receives as zpat_socket_recv, _recv_str and _recv_msg,
// without the error policy, for roles whose own verbs report (ROUTER).
int zpat__socket_recv (zpat_socket_t *self, void *buf, size_t size);
char *zpat__socket_recv_str (zpat_socket_t *self);
int zpat__socket_recv_msg (zpat_socket_t *self, zpat_msg_t *msg);
// zpat_send.c: the sends without the error policy, for roles whose own
// verbs report (ROUTER, PUB's zpat_pub_send_topic).
int zpat__socket_send (zpat_socket_t *self, const void *data, size_t size);
int zpat__socket_send_frames (zpat_socket_t *self, const zpat_frame_t *frames,
                              size_t count);
int zpat__socket_send_msg (zpat_socket_t *self, zpat_msg_t *msg);
void zpat__socket_release_endpoints (zpat_socket_t *self, bool unbind);

// zpat_wait.c: waiting, with timeouts and signals.
// Waits until the libzmq socket handle is ready for events, the signal pipe
// fires, or timeout_ms (-1 forever) runs out: 1 ready, 0 timed out, -1 with
// EINTR or ZPAT_ETERM. fresh: a non-blocking send or receive just failed on
// it. zpat__socket_poll waits so on self's own socket.
int zpat__wait_handle (void *handle, short events, int timeout_ms, bool fresh);
// Waits for the signal pipe alone: 0 when timeout_ms (-1 forever) ran
// out, -1 with EINTR or ZPAT_ETERM (looked at every 100 ms).
int zpat__wait_signal (int timeout_ms);
static inline int
zpat__socket_poll (zpat_socket_t *self, short events, int timeout_ms,
                   bool fresh)
{
    return zpat__wait_handle (self->handle, events, timeout_ms, fresh);
}
// The waits' timeouts, as the public calls take them: ZPAT_WAIT_FOREVER
// (-1), ZPAT_WAIT_NONE or 0 (0), or a count; else -2 (EINVAL).
static inline int
zpat__timeout (int timeout_ms)
{
    if (timeout_ms == ZPAT_WAIT_NONE)
        return 0;
    return timeout_ms >= ZPAT_WAIT_FOREVER ? timeout_ms : -2;
}
// A receive that drops messages it must not deliver keeps to its timeout:
// zpat__socket_wait_start notes when the wait began (a clock read only when
// there is a timeout; or when a fast receive began the wait, wait_from),
// and after each drop zpat__socket_wait_rest waits for the next message
// with what is left of it. Returns 0 when a message is there, -1 with
// EAGAIN when the time is up, EINTR or ZPAT_ETERM.
int64_t zpat__socket_wait_start (zpat_socket_t *self);
int zpat__socket_wait_rest (zpat_socket_t *self, int64_t start_ms);
int zpat__socket_transfer_wait (zpat_socket_t *self, zmq_msg_t *frame,
                                int flags, bool sending, bool first);

// Sends or receives one frame with the caller's timeout, retrying after a
// signal zpat was not asked to catch. Only a message's first frame (first)
// can wait or be cut off by a signal: libzmq takes (or delivers) the rest of
// a multipart message together with the first. The common case, one libzmq
// call that no signal interrupted, is inline; waiting with the signal pipe
// and retrying after a signal are not (zpat__socket_transfer_wait).
static inline int
zpat__socket_transfer (zpat_socket_t *self, zmq_msg_t *frame, int flags,
                       bool sending, bool first)
{
    if (!first || (zpat__signal_fd () == -1 && !self->interrupted)) {
        int rc = sending ? zmq_msg_send (frame, self->handle, flags)
                         : zmq_msg_recv (frame, self->handle, flags);
        if (rc >= 0 || errno != EINTR)
            return rc;
    }
    return zpat__socket_transfer_wait (self, frame, flags, sending, first);
}

// The count of messages self has sent (zpat_stats.c's reading of the
// countdown), for abandon_mark.
static inline uint64_t
zpat__socket_sent (const zpat_socket_t *self)
{
    return self->sent_base + (ZPAT__TICK - self->countdown);
}

// After a receive failed with errno: notes an abandoned request for a role
// with an abandon hook (EAGAIN and EINTR only). Keeps errno.
void zpat__socket_recv_failed (zpat_socket_t *self);

// Drops and remakes every connection self made (zpat_endpoint.c), with the
// messages queued on them discarded rather than lingering: a request's
// retry starts afresh. Bound endpoints are left alone. With self busy; 0,
// or -1 with errno (some may be remade, the rest are not).
int zpat__socket_reconnect (zpat_socket_t *self);

// Binds ('@') or connects ('>') self, already marked busy by the caller,
// to one endpoint, remembering it as zpat_bind and zpat_connect do: 0, or
// -1 with errno. For an object whose thread keeps it busy.
int zpat__socket_attach_in (zpat_socket_t *self, const char *endpoint,
                            char mode);

// zpat_recv.c: the parts of a receive a role's recv hook builds on.
// Works out how a fast receive runs, whenever the size limit or the
// transports change.
void zpat__socket_plan_receive (zpat_socket_t *self);
// Makes sure a whole message is kept in self, receiving one if none is
// (through the role's recv hook, if it has one): 0 or -1 with errno.
int zpat__socket_recv_kept (zpat_socket_t *self);
// Receives a message into self->frame, and the rest of a multipart one
// into self->multi, and marks it kept. first: the first frame may wait.
int zpat__socket_recv_body (zpat_socket_t *self, bool first);
// Receives a multipart message whose first frame is in first into msg.
int zpat__socket_recv_rest (zpat_socket_t *self, zmq_msg_t *first,
                            struct zpat_msg *msg);
// True when a frame of the kept message is over the maximum message size
// (libzmq checks it over tcp:// and ipc:// only; this over inproc:// too).
bool zpat__socket_oversized (zpat_socket_t *self);
// Drops the kept message, releasing its frames at once.
void zpat__socket_drop_kept (zpat_socket_t *self);
// Counts the kept message as received (bytes and message), as the caller
// takes it: call before handing it over or dropping it.
static inline void
zpat__socket_took (zpat_socket_t *self)
{
    self->bytes_received += self->kept_bytes;
    if (--self->recv_countdown == 0)
        zpat__socket_recv_tick (self);
}
// With the first frame of a message in self->frame (size: what
// zmq_msg_recv returned for it), receives the rest of a multipart one into
// self->multi and marks the message kept. 0, or -1 with errno (nothing kept).
int zpat__socket_recv_finish (zpat_socket_t *self, int size);

// Marks the one frame a fast receive got (size: what zmq_msg_recv said) as
// kept, for the general path.
static inline void
zpat__socket_keep_one (zpat_socket_t *self, int size)
{
    self->kept = ZPAT__KEPT_ONE;
    self->kept_bytes =
        size < INT_MAX ? (size_t)size : zmq_msg_size (self->frame);
}

// zpat_monitor.c: connections, from libzmq's socket monitor. Starts the
// monitor if endpoint is tcp:// or ipc:// and it is not running yet (0, or
// -1 with errno: the bind or connect is then not made). Reads what it has
// reported into the counters (and the events kept, with events on); with
// self busy, keeping errno. Stops it and frees its state (destroy; self busy
// or, when unbusy is false, libzmq not to be touched).
int zpat__monitor_start (zpat_socket_t *self, const char *endpoint);
void zpat__monitor_drain (zpat_socket_t *self);
void zpat__monitor_fini (zpat_socket_t *self);
// After zmq_bind failed: the errno its BIND_FAILED event carries, or 0.
// (libzmq 4.3.4 overwrites errno while it reports the event.)
int zpat__monitor_bind_errno (zpat_socket_t *self);
// True when events are on and one is kept for zpat_socket_recv_event (call
// zpat__monitor_drain first to include those libzmq has reported).
bool zpat__monitor_has_event (const zpat_socket_t *self);
bool zpat__monitor_events_on (const zpat_socket_t *self);

// zpat_input.c: true when zpat_input () would return at once, from what it
// has already read from descriptor 0 (a line, or the end of input): a
// poller waiting on descriptor 0 must say so, as poll (2) cannot.
bool zpat__input_ready (void);

// zpat_poller.c: a poller's hold on an object. The object keeps a list of
// them; destroying it calls gone on each, so that no poller keeps a
// pointer to freed memory.
typedef struct zpat__watch {
    struct zpat__watch *next;
    void (*gone) (struct zpat__watch *watch);
} zpat__watch_t;
void zpat__socket_forget_watches (zpat_socket_t *self);

// ---------------------------------------------------------------------------
// Layer 2: the roles (zpat_req.c, zpat_rep.c, zpat_pub.c, zpat_sub.c,
// zpat_push.c, zpat_pull.c). Each defines its struct (the core first, then
// its own state), its static const zpat__role_t, its constructors and
// destroy, and its own verbs. Nothing here: no layer below calls a role.

#endif // ZPAT_INTERNAL_H
