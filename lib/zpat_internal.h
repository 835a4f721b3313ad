// zpat_internal.h - the shared socket core and internal prototypes: the one
// place in zpat that includes czmq.h and zmq.h.
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

// The word at the start of every live socket core; overwritten on destroy,
// so a crossed void * or a destroyed object is refused with EINVAL.
#define ZPAT__TAG_LIVE 0x7a706174u
#define ZPAT__TAG_DEAD 0x64656164u
// An object inherited across fork (): its socket is the parent's, so in the
// child it may only be freed.
#define ZPAT__TAG_FORKED 0x666f726bu

// Longest endpoint accepted, in bytes, without its NUL.
#define ZPAT__ENDPOINT_MAX 255

typedef enum {
    ZPAT__REQ,
    ZPAT__REP,
    ZPAT__PUB,
    ZPAT__SUB,
    ZPAT__PUSH,
    ZPAT__PULL,
} zpat__role_t;

// A message: frames [0, count) are initialised libzmq messages; the slots
// from count to capacity are raw memory kept for reuse.
struct zpat_msg {
    zmq_msg_t *frames;
    size_t count;
    size_t capacity;
};

// What a socket keeps from a receive that the caller could not take.
typedef enum {
    ZPAT__KEPT_NONE,
    ZPAT__KEPT_ONE,   // one frame, in frame
    ZPAT__KEPT_MULTI, // several frames, in multi
} zpat__kept_t;

// The socket core that every role embeds as its first member.
struct zpat_socket {
    uint32_t tag;        // ZPAT__TAG_LIVE while the object lives
    zpat__role_t role;   // which of the six roles
    bool fast_send;      // a sender whose sends are one libzmq call
    bool fast_recv;      // a receiver whose receives are one libzmq call
    void *handle;        // the libzmq socket, in czmq's process context
    zpat_options_t opts; // in force now, in setter units (0 is a value)
    zpat__kept_t kept;   // a received message waiting for the caller
    zmq_msg_t *frame;    // slot 0 of an array of frame_slots slots the socket
                         // owns; always initialised: what receives land in
    size_t frame_slots;
    int recv_flags; // what a fast receive passes zmq_msg_recv (s_plan_receive)
    int recv_limit; // the largest size a fast receive hands over
    struct zpat_msg multi;    // a kept multipart message
    struct zpat_msg outgoing; // frames of a multipart send, built first
    int subscriptions;        // PUB: live subscriptions seen on the XPUB
    unsigned sends;           // PUB: sends since the last subscription drain
    char endpoint[ZPAT__ENDPOINT_MAX + 1]; // last endpoint bound, resolved
    struct zpat_msg envelope; // REP: the routing frames of the request
    bool replying;            // REP: a request was received, not yet answered
    bool inproc;              // attached to an inproc:// endpoint
    bool interrupted; // a stray signal cut a fast path's wait: wait on once
    bool tried;       // a fast path just found nothing, signals being caught:
                      // the general path's wait need not try again first
    // Non-zero while a call may be inside libzmq on this socket, so that the
    // exit handler closes only sockets no other thread is using (see
    // zpat__socket_enter). Written by the owning thread, read at exit.
    atomic_uchar busy;
    bool linked;  // in the context's registry of live sockets
    char **bound; // every endpoint bound, resolved, to unbind on destroy
    size_t bound_count;
    struct zpat_socket *prev, *next; // the registry of live sockets
};

// Sets errno and returns -1, or NULL for the pointer variant.
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

// True when a role can send (or receive).
bool zpat__role_sends (zpat__role_t role);
bool zpat__role_receives (zpat__role_t role);

// Context (zpat_ctx.c): opens a libzmq socket of type for core in the shared
// context and registers it; closes and unregisters it, first unbinding its
// inproc:// endpoints (so their names are free at once) and noting its tcp://
// ports as released. Closing keeps the linger: messages already queued on
// any connection still leave. An object inherited across fork () is only
// forgotten, never closed: its socket is the parent's.
int zpat__ctx_open (zpat_socket_t *core, int type);
void zpat__ctx_close (zpat_socket_t *core);

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

// Signals (zpat_signal.c): the read end of the signal pipe, or -1 when
// zpat_catch_signals () has not been called. Read on every blocking call, so
// it is a variable rather than a function.
extern int zpat__signal_read_fd;
extern pthread_mutex_t zpat__signal_lock;
void zpat__signal_after_fork (void);
static inline int
zpat__signal_fd (void)
{
    return zpat__signal_read_fd;
}

// Socket core (zpat_socket.c).
// The size of zpat_options_t in zpat 0.1, the first layout: what the entry
// points without _sized read (callers built before sizes were passed).
#define ZPAT__OPTIONS_V0_SIZE (offsetof (zpat_options_t, ipv6) + sizeof (int))
zpat_socket_t *zpat__socket_new (zpat__role_t role, size_t size,
                                 const char *endpoints,
                                 const zpat_options_t *opts, size_t opts_size);
int zpat__socket_attach (zpat_socket_t *self, const char *endpoints);
int zpat__socket_destroy (zpat_socket_t *self, zpat__role_t role);
// Waits until the socket is ready for events, the signal pipe fires, or
// timeout_ms (-1 forever) runs out: 1 ready, 0 timed out, -1 with EINTR or
// ZPAT_ETERM. fresh: a non-blocking send or receive just failed on self.
int zpat__socket_poll (zpat_socket_t *self, short events, int timeout_ms,
                       bool fresh);
int zpat__socket_recv_kept (zpat_socket_t *self);

// A receive that drops messages it must not deliver keeps to its timeout:
// zpat__socket_wait_start notes when the wait began (a clock read only when
// there is a timeout), and after each drop zpat__socket_wait_rest waits for
// the next message with what is left of it. Returns 0 when a message is
// there, -1 with EAGAIN when the time is up, EINTR or ZPAT_ETERM.
int64_t zpat__socket_wait_start (const zpat_socket_t *self);
int zpat__socket_wait_rest (zpat_socket_t *self, int64_t start_ms);
void zpat__socket_drop_kept (zpat_socket_t *self);
int zpat__socket_recv_body (zpat_socket_t *self, bool first);
int zpat__socket_recv_rest (zpat_socket_t *self, zmq_msg_t *first,
                            struct zpat_msg *msg);
bool zpat__socket_oversized (zpat_socket_t *self);
int zpat__socket_transfer_wait (zpat_socket_t *self, zmq_msg_t *frame,
                                int flags, bool sending, bool first);

// Sends or receives one frame (see zpat__socket_transfer_wait). The common
// case, one libzmq call that no signal interrupted, is inline; waiting with
// the signal pipe and retrying after a signal are not.
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
int zpat__socket_send_frame (zpat_socket_t *self, zmq_msg_t *frame, int more,
                             bool first);
int64_t zpat__clock_ms (void);

// Messages (zpat_msg.c): the next free frame slot, grown as needed
// (NULL/ENOMEM); releasing every frame and the slots.
zmq_msg_t *zpat__msg_grow (struct zpat_msg *self);
static inline zmq_msg_t *
zpat__msg_slot (struct zpat_msg *self)
{
    return self->count < self->capacity ? &self->frames[self->count]
                                        : zpat__msg_grow (self);
}
void zpat__msg_fini (struct zpat_msg *self);

// Reply (zpat_rep.c): receives the next request with a well-formed envelope,
// keeping the envelope and the body; sends the envelope back.
int zpat__rep_recv (zpat_socket_t *self);
int zpat__rep_send_envelope (zpat_socket_t *self);

// Publisher (zpat_pub.c): reads the subscriptions queued on the XPUB.
void zpat__pub_drain (zpat_socket_t *self);

#endif // ZPAT_INTERNAL_H
