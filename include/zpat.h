// zpat.h - ZeroMQ's request-reply, publish-subscribe and pipeline patterns
// as typed C objects: the only header users include.
// SPDX-License-Identifier: MPL-2.0
//
// Conventions (they hold for every function below unless its comment says
// otherwise):
//
// Errors    An int function returns 0 (or a count) on success and -1 with
//           errno set on failure; a function returning a pointer returns NULL
//           with errno set. zpat_strerror (errno) explains any code. Common
//           codes: EINVAL a bad argument (NULL, a bad endpoint, a value out of
//           range, an object that is not what the call expects); EAGAIN a
//           timeout, or "nothing now" on a call that must not wait; EINTR a
//           wait ended by SIGINT/SIGTERM after zpat_catch_signals (); ZPAT_EFSM
//           a call in the wrong state (a REQ sending twice); ZPAT_ETERM the
//           context was ended with zpat_shutdown () or by exit;
//           ZPAT_EFORKED an object inherited across fork (); ENOMEM out of
//           memory.
//           Bad input from the caller or from the network never aborts.
//           A call that fails changes nothing and loses no message.
// Ownership Objects are made by zpat_<role>_new () and freed by
//           zpat_<role>_destroy (&obj), which sets obj to NULL; destroying
//           NULL or a pointer to NULL does nothing. Strings zpat returns are
//           freed with zpat_str_free (). Inputs (endpoints, buffers) are copied
//           before a call returns unless its comment says it borrows them.
// Threads   An object belongs to one thread at a time, like a libzmq socket.
//           Different objects may be used from different threads at once.
// Context   All objects share one process-wide libzmq context (czmq's), made
//           on first use. zpat_shutdown () ends it.
// Exit      Leaving main () or calling exit () is safe whatever other
//           threads are doing in zpat, and keeps the program's exit status.
//           zpat's exit handler first closes every object no call is
//           inside, while the context still runs, so that their queued
//           messages get up to each socket's linger (default 1000 ms) to
//           leave. If calls are inside libzmq in other threads, it then
//           ends the context, so that they return ZPAT_ETERM at once (or
//           simply end with the process), and closes each such object as
//           its call returns, waiting up to half a second in all; what such
//           an object still had queued may not get its linger. Should a
//           call still be inside libzmq after that half second (none is
//           known to), its object is left open, the process ends without
//           waiting for any linger, and a line on stderr says so.
//           From the moment exit begins, every call fails cleanly: objects
//           with ZPAT_ETERM, constructors with ZPAT_ETERM, destroy just
//           frees, so exit handlers of the program's own may run in any
//           order.
// Fork      After fork (), the child's first zpat_<role>_new () starts a
//           context of its own (a pre-fork server's children connect to it
//           as any other peer would). Objects the child inherited fail every
//           call with ZPAT_EFORKED; destroying them in the child frees their
//           memory and leaves the parent's sockets and connections alone. So
//           does the child's exit. With zpat_catch_signals () in force, the
//           child gets a signal pipe of its own.
// Signals   zpat installs no signal handler unless zpat_catch_signals () is
//           called. See it for what Ctrl-C and SIGTERM do then.
// Roles     Publishing on a subscriber, receiving on a pusher, subscribing
//           on a publisher and the like do not compile: the generic verbs
//           (zpat_send_str, zpat_recv, zpat_bind, ...) accept only the roles
//           for which they make sense.

#ifndef ZPAT_H
#define ZPAT_H

#include <errno.h> // every zpat error is reported in errno
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
// In C++, zpat_device_stats, zpat_socket and zpat_stats each name a struct
// and a function, as stat does in POSIX: g++'s -Wshadow would say so.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
extern "C" {
#endif

#if defined(ZPAT_BUILDING) && defined(__GNUC__)
#define ZPAT_EXPORT __attribute__ ((visibility ("default")))
#else
#define ZPAT_EXPORT
#endif

#if defined(__GNUC__)
#define ZPAT_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define ZPAT_PRINTF(f, a)
#endif

// ---------------------------------------------------------------------------
// Version

#define ZPAT_VERSION_MAJOR 0
#define ZPAT_VERSION_MINOR 1
#define ZPAT_VERSION_PATCH 0
#define ZPAT_MAKE_VERSION(major, minor, patch)                                 \
    ((major)*10000 + (minor)*100 + (patch))
#define ZPAT_VERSION                                                           \
    ZPAT_MAKE_VERSION (ZPAT_VERSION_MAJOR, ZPAT_VERSION_MINOR,                 \
                       ZPAT_VERSION_PATCH)

// zpat_version stores the version of the library linked at run time; any of
// the pointers may be NULL.
ZPAT_EXPORT void zpat_version (int *major, int *minor, int *patch);

// ---------------------------------------------------------------------------
// Errors

// libzmq's own codes, with libzmq's values, so that users need not include
// zmq.h to compare errno against them.
#define ZPAT_EFSM (156384712 + 51)
#define ZPAT_ETERM (156384712 + 53)

// Codes of zpat's own, clear of errno values and of libzmq's range.
#define ZPAT_ERRNO_BASE 0x5A500000
// A subscription prefix of a length that libzmq 4.3.0 to 4.3.4 accept but
// never deliver over tcp:// or ipc:// (246 to 255 bytes).
#define ZPAT_ESUBLEN (ZPAT_ERRNO_BASE + 1)
// A message of a shape the call cannot return (several frames asked for as
// one, or a topic call on a message that is not topic + payload). The message
// is kept: the next receive call of any kind returns it.
#define ZPAT_EFRAMES (ZPAT_ERRNO_BASE + 2)
// An object inherited across fork (): it belongs to the parent's context and
// is of no use in the child, which may only destroy it (destroying it there
// leaves the parent's connections alone). Make new objects in the child.
#define ZPAT_EFORKED (ZPAT_ERRNO_BASE + 3)
// A tcp:// endpoint whose host name cannot be resolved, or whose bind address
// is neither an address nor a network interface of this machine.
#define ZPAT_ENOHOST (ZPAT_ERRNO_BASE + 4)

// zpat_strerror returns a static, human-readable text for any errno value,
// zpat's and libzmq's included; never NULL, never to be freed.
ZPAT_EXPORT const char *zpat_strerror (int errnum);

// ---------------------------------------------------------------------------
// Process-wide set-up

// zpat_shutdown ends the shared context. Calls blocked in any thread return
// -1/ZPAT_ETERM at once, and every later call on an existing object fails with
// ZPAT_ETERM; such objects must still be destroyed. Once the last object is
// destroyed the context is freed, and the next zpat_<role>_new () starts a
// fresh one. Safe to call at any time, several times, or never. Objects
// destroyed after it still get their linger, but libzmq 4.3.4 may drop the
// last few dozen messages of a burst still queued when it ended the context:
// destroy senders first when every message counts (exit does).
ZPAT_EXPORT void zpat_shutdown (void);

// zpat_catch_signals installs handlers for SIGINT and SIGTERM. After it, a
// signal makes every blocking send or receive, in any thread, return
// -1/EINTR within a few milliseconds, and every later send or receive
// returns EINTR at once, until zpat_clear_interrupt (). Returns 0, or -1
// with errno from sigaction (). Calls that need not wait cost a few
// instructions more with it than without.
ZPAT_EXPORT int zpat_catch_signals (void);

// zpat_interrupted returns non-zero once SIGINT or SIGTERM has arrived after
// zpat_catch_signals (), else 0. Safe to call from any thread.
ZPAT_EXPORT int zpat_interrupted (void);

// zpat_clear_interrupt acknowledges a SIGINT or SIGTERM: after it, calls wait
// and deliver as they did before the signal, until the next one arrives, and
// zpat_interrupted () returns 0. An interrupt stays in force until cleared,
// so a program can say goodbye after Ctrl-C (a last send, a summary) and then
// end. A signal that arrives while it runs is not lost: it interrupts again.
// Safe to call from any thread, at any time, but not from a signal handler.
ZPAT_EXPORT void zpat_clear_interrupt (void);

// zpat_input prints prompt (unless NULL) on standard output, waits for a
// line on standard input and returns it without leading or trailing white
// space, as Python's input (prompt).strip () does: a new string the caller
// frees with zpat_str_free (). After zpat_catch_signals (), Ctrl-C and
// SIGTERM end the wait. NULL with errno: ENODATA at end of input, EINTR,
// EMSGSIZE (a line over 64 MiB), ENOMEM, or read ()'s code. It reads
// descriptor 0 itself, so do not mix it with stdio reads of stdin; one
// thread at a time.
ZPAT_EXPORT char *zpat_input (const char *prompt);

// zpat_str_free frees a string returned by zpat and sets *string_p to NULL.
// NULL, or a pointer to NULL, does nothing.
ZPAT_EXPORT void zpat_str_free (char **string_p);

// ---------------------------------------------------------------------------
// Errors that end the program, opt-in, as an uncaught exception ends a
// Python script. By default nothing here is in force: every call returns
// its error (-1 or NULL with errno) and nothing exits.

// zpat_exit_on_error, called at the top of main, makes every zpat call that
// fails from then on, in any thread, print one line on standard error (the
// program, the call, the object's endpoint where it has one, the reason):
//   reqrep_server: zpat_rep_new (tcp://*:5555): Address already in use
// and exit (1), so that a program need not check its calls. It also catches
// SIGINT and SIGTERM (zpat_catch_signals): a call they interrupt ends the
// program quietly with status 0, and so do the end of standard input in
// zpat_input and ZPAT_ETERM after zpat_shutdown (). Either way exit ()
// runs the normal clean-up: queued messages still get their linger. Two
// outcomes still return, since a caller who asks for them handles them:
// EAGAIN (a timeout ran out, or a call told not to wait could not go on at
// once) and a failure once the process is already exiting (the thread then
// waits for the exit to end it). Returns 0, or -1 with errno from
// zpat_catch_signals (nothing changed).
ZPAT_EXPORT int zpat_exit_on_error (void);

// A handler, for programs that want their own policy: called in the thread
// of every zpat call that fails, just before it returns, with the call's
// name as the program would write it ("zpat_send_str"), the object it was
// made on (a zpat_*_t pointer, or NULL), the endpoint involved (the
// constructor's endpoints, or the object's last endpoint; NULL when there
// is none), the errno the call returns with, and arg. Returning lets the
// call fail as usual (errno kept); to end the program, exit () from it.
typedef void (zpat_error_fn) (const char *call, const void *object,
                              const char *endpoint, int errnum, void *arg);

// zpat_set_error_handler installs handler (with arg, borrowed), replacing
// zpat_exit_on_error's policy or another handler; NULL goes back to the
// default, errors returned and nothing reported. Safe from any thread; a
// call failing meanwhile sees the old handler or the new one.
ZPAT_EXPORT void zpat_set_error_handler (zpat_error_fn *handler, void *arg);

// ---------------------------------------------------------------------------
// Options

// Timeouts, in milliseconds.
#define ZPAT_WAIT_FOREVER (-1)
// In an options struct zero means "the default", so waiting 0 ms is spelled
// ZPAT_WAIT_NONE there. The setters accept 0 and ZPAT_WAIT_NONE alike.
#define ZPAT_WAIT_NONE (-2)
// No limit, for high-water marks and the maximum message size.
#define ZPAT_UNLIMITED (-1)

// The default linger and maximum inbound message size, in the units named.
#define ZPAT_DEFAULT_LINGER_MS 1000
#define ZPAT_DEFAULT_MAX_MSG_BYTES (64 * 1024 * 1024)

// zpat_options_t sets up an object at construction. Fields left at zero take
// the default written beside them, so designated initializers name only what
// changes:  zpat_options_t opts = { .recv_timeout_ms = 2500 };
// New fields are only ever added at the end, and a program keeps working
// against a later libzpat with more fields: the calls that take options
// (zpat_<role>_new, zpat_get_options) are macros that also pass
// sizeof (zpat_options_t) as the program was compiled, to the _sized
// functions below. Fields the program's struct lacks take their defaults.
// The functions without _sized read the layout of zpat 0.1 (the eight
// fields below); programs built before the macros existed call them.
typedef struct zpat_options {
    // How long a send may wait (ZPAT_WAIT_NONE, a count, ZPAT_WAIT_FOREVER).
    // Default: forever. A PUB never waits: it drops at its high-water mark.
    int send_timeout_ms;
    // How long a receive may wait; default forever. EAGAIN when it runs out.
    int recv_timeout_ms;
    // Messages queued per peer before a send waits (PUSH, REQ) or drops (PUB;
    // and a REP's reply to a requester whose queue is full, as libzmq's REP
    // does); a count or ZPAT_UNLIMITED. Default 1000. libzmq learns what a
    // peer has read lazily, so a burst can meet the mark a little early.
    int send_hwm;
    // Messages queued per peer on the receiving side; default 1000.
    int recv_hwm;
    // How long destroying the object (or leaving the process) waits for
    // queued messages to reach connected peers (ZPAT_WAIT_NONE or a count).
    // Default ZPAT_DEFAULT_LINGER_MS (1000) for the roles that send; none
    // for SUB and PULL, which have nothing of their own to deliver. Never
    // infinite.
    int linger_ms;
    // Largest inbound message accepted, in bytes; a peer that sends a larger
    // one is disconnected and the message dropped. ZPAT_UNLIMITED lifts the
    // limit. Default ZPAT_DEFAULT_MAX_MSG_BYTES (64 MiB).
    int64_t max_msg_bytes;
    // Wait before reconnecting to a peer that went away; default 100 ms.
    int reconnect_ivl_ms;
    // Non-zero: tcp:// endpoints use IPv6 as well as IPv4. Default off.
    int ipv6;
    // zpat 0.2: security (see "Security" below). Default: none, plaintext.
    // CURVE: curve_cert is this object's certificate, with its secret key
    // (borrowed: the keys are handed to libzmq at construction). With
    // curve_server_key (the server's 40-character public key text) the
    // object is a CURVE client; without it, a CURVE server, which never
    // accepts a peer that does not speak CURVE. Over tcp:// and ipc://:
    // libzmq makes no handshake on inproc://, whose peers (in the same
    // process) are neither encrypted nor checked.
    const struct zpat_cert *curve_cert;
    const char *curve_server_key;
    // PLAIN (a name and a password sent in the clear, for networks you
    // trust; the authenticator checks them): a client sets both strings (1
    // to 255 bytes each), a server sets plain_server. Not with CURVE.
    const char *plain_username;
    const char *plain_password;
    int plain_server;
    // zpat 0.2: the lossless pipeline, for PUSH and PULL only (see "Reliable
    // pipeline" below; EINVAL on any other role). 0 (default): plain
    // PUSH/PULL, libzmq's own wire behaviour. n >= 1: the reliable mode, in
    // which a puller holds at most n messages not yet acknowledged, and
    // a pusher lets none of its pullers hold more than its own n. Both ends
    // must be in this mode.
    int reliable_credit;
    // With reliable_credit: how often, in ms, each end checks on its peers;
    // a puller that died or went silent is declared dead, and its
    // unacknowledged messages sent to the others, within 2 * heartbeat_ms.
    // Default 1000. EINVAL without reliable_credit.
    int heartbeat_ms;
} zpat_options_t;

// ---------------------------------------------------------------------------
// The six roles, and the base they share

typedef struct zpat_socket zpat_socket_t; // any role, seen as a socket
typedef struct zpat_req zpat_req_t;       // request (client): send, recv
typedef struct zpat_rep zpat_rep_t;       // reply (server): recv, send
typedef struct zpat_pub zpat_pub_t;       // publisher: send only
typedef struct zpat_sub zpat_sub_t;       // subscriber: recv only
typedef struct zpat_push zpat_push_t;     // pipeline pusher: send only
typedef struct zpat_pull zpat_pull_t;     // pipeline puller: recv only
typedef struct zpat_dealer zpat_dealer_t; // asynchronous requester: both
typedef struct zpat_router zpat_router_t; // addressed server: per peer
typedef struct zpat_msg zpat_msg_t;       // a message of frames (below)

// Every constructor below takes:
//   endpoints  NULL (attach later with zpat_bind/zpat_connect), or one or
//              more endpoints separated by commas. "@tcp://*:5555" binds,
//              ">tcp://host:5555" connects, and a bare endpoint does what the
//              role usually does: REQ, SUB and PUSH connect; REP, PUB and PULL
//              bind. Transports: tcp://, ipc://, inproc://.
//   opts       NULL for the defaults, or options (copied).
// and returns a new object the caller frees with its destroy function, or
// NULL with errno: EINVAL a bad endpoint or option, EADDRINUSE, ENOMEM,
// ZPAT_ETERM after zpat_shutdown () (or once exit has begun), EMFILE when no
// more sockets can be made, ZPAT_ENOHOST, or another libzmq bind/connect
// code. Nothing is left behind on failure. Each zpat_<role>_new is a macro
// over zpat_<role>_new_sized (..., opts, sizeof (zpat_options_t)); opts_size
// below 0.1's size is EINVAL, and so is a larger one (a program built
// against a later zpat) whose fields this library lacks are not all zero.
//
// Every destroy function closes the socket, frees the object and sets
// *self_p to NULL; NULL, or a pointer to NULL, does nothing. Messages already
// sent get up to the linger to reach connected peers, bound or connecting,
// over tcp://, ipc:// and inproc:// alike (as zmq_close gives them); destroy
// returns at once and the process keeps them in the background (exit waits
// for them, up to the linger). One exception, libzmq 4.3.4's: a sender that
// connected over ipc:// and is destroyed while its peer still has a
// high-water mark's worth to read can lose part of the rest (libzmq#4660;
// about 1 run in 5 loses some of 4,399 messages here; tcp:// does not). An
// inproc:// name can be bound again as soon as destroy returns; a tcp:// port
// may take libzmq a moment to release (see zpat_socket_bind). After
// zpat_shutdown () or exit, and for an object inherited across fork (), destroy
// only frees.

ZPAT_EXPORT zpat_req_t *zpat_req_new (const char *endpoints,
                                      const zpat_options_t *opts);
ZPAT_EXPORT zpat_req_t *zpat_req_new_sized (const char *endpoints,
                                            const zpat_options_t *opts,
                                            size_t opts_size);
ZPAT_EXPORT void zpat_req_destroy (zpat_req_t **self_p);

ZPAT_EXPORT zpat_rep_t *zpat_rep_new (const char *endpoints,
                                      const zpat_options_t *opts);
ZPAT_EXPORT zpat_rep_t *zpat_rep_new_sized (const char *endpoints,
                                            const zpat_options_t *opts,
                                            size_t opts_size);
ZPAT_EXPORT void zpat_rep_destroy (zpat_rep_t **self_p);

ZPAT_EXPORT zpat_pub_t *zpat_pub_new (const char *endpoints,
                                      const zpat_options_t *opts);
ZPAT_EXPORT zpat_pub_t *zpat_pub_new_sized (const char *endpoints,
                                            const zpat_options_t *opts,
                                            size_t opts_size);
ZPAT_EXPORT void zpat_pub_destroy (zpat_pub_t **self_p);

// zpat_sub_new also subscribes to prefix: NULL subscribes to nothing yet,
// "" to everything, "123" to messages whose first frame starts with "123".
ZPAT_EXPORT zpat_sub_t *zpat_sub_new (const char *endpoints, const char *prefix,
                                      const zpat_options_t *opts);
ZPAT_EXPORT zpat_sub_t *zpat_sub_new_sized (const char *endpoints,
                                            const char *prefix,
                                            const zpat_options_t *opts,
                                            size_t opts_size);
ZPAT_EXPORT void zpat_sub_destroy (zpat_sub_t **self_p);

ZPAT_EXPORT zpat_push_t *zpat_push_new (const char *endpoints,
                                        const zpat_options_t *opts);
ZPAT_EXPORT zpat_push_t *zpat_push_new_sized (const char *endpoints,
                                              const zpat_options_t *opts,
                                              size_t opts_size);
ZPAT_EXPORT void zpat_push_destroy (zpat_push_t **self_p);

ZPAT_EXPORT zpat_pull_t *zpat_pull_new (const char *endpoints,
                                        const zpat_options_t *opts);
ZPAT_EXPORT zpat_pull_t *zpat_pull_new_sized (const char *endpoints,
                                              const zpat_options_t *opts,
                                              size_t opts_size);
ZPAT_EXPORT void zpat_pull_destroy (zpat_pull_t **self_p);

// Reliable pipeline (opt-in: options.reliable_credit on both ends; wire
// protocol in docs/reliable-pipeline.md). Every message a reliable pusher
// accepts reaches some reliable puller even if pullers are killed at any
// moment (at-least-once); while no puller dies, each message is delivered
// exactly once. A puller acknowledges the message it last returned when it
// asks for the next one (any receive call), when it is destroyed, or with
// zpat_pull_ack. It holds at most reliable_credit unacknowledged messages
// (one pusher cannot hand a whole burst to the first puller that
// connects). A puller that dies is noticed within 2 * heartbeat_ms and its
// unacknowledged messages go to the others (so a message can then arrive
// twice). The pusher keeps each message until it is acknowledged, in a
// thread of its own; the send verbs wait (up to the send timeout, then
// EAGAIN) while send_hwm messages wait for a puller with credit, so its
// memory stays bounded by send_hwm plus the credit of its pullers.
// Differences from plain mode: a reliable pusher's destroy blocks up to the
// linger while its messages wait to be acknowledged, and so does exit, for
// each reliable pusher not destroyed, before the context ends (after
// zpat_shutdown its thread stops at once and what it holds is lost, as
// over a plain socket whose linger has run out); a reliable puller fed by
// several pushers over inproc:// sends each acknowledgement to one of them
// in turn, so use one pusher per puller there (over tcp:// and ipc:// it
// sends each to every connection); a poller may see a reliable puller
// ready for a heartbeat, after which a receive that must not wait fails
// with EAGAIN. Neither end talks to a plain peer. zpat_bind and
// zpat_connect on a reliable pusher attach its engine's socket, in its
// thread, and return once that is done.

// zpat_pull_ack acknowledges the message a reliable puller last returned
// now, rather than at its next receive (after work whose result is safe,
// before a long wait). 0, or -1 with errno: ZPAT_EFSM nothing to
// acknowledge (none returned yet, or already acknowledged), EINVAL not a
// reliable puller, ZPAT_EFORKED, ZPAT_ETERM. Does not block.
ZPAT_EXPORT int zpat_pull_ack (zpat_pull_t *self);

// zpat_dealer_new: a DEALER (connects by default) sends and receives
// freely: each message goes to one connected peer in turn, and messages
// come fairly from all of them; nothing is matched up for you. With the
// generic verbs (zpat_send*, zpat_recv*). To a REP, or through a queue
// device to one, send an empty frame then the request (zpat_send_frames),
// and the reply comes back as an empty frame then the answer.
ZPAT_EXPORT zpat_dealer_t *zpat_dealer_new (const char *endpoints,
                                            const zpat_options_t *opts);
ZPAT_EXPORT zpat_dealer_t *zpat_dealer_new_sized (const char *endpoints,
                                                  const zpat_options_t *opts,
                                                  size_t opts_size);
ZPAT_EXPORT void zpat_dealer_destroy (zpat_dealer_t **self_p);

// zpat_router_new: a ROUTER (binds by default) receives from any peer with
// the peer's identity, and sends to the peer named: the zpat_router_*
// verbs below (the generic send and receive verbs do not take a router).
ZPAT_EXPORT zpat_router_t *zpat_router_new (const char *endpoints,
                                            const zpat_options_t *opts);
ZPAT_EXPORT zpat_router_t *zpat_router_new_sized (const char *endpoints,
                                                  const zpat_options_t *opts,
                                                  size_t opts_size);
ZPAT_EXPORT void zpat_router_destroy (zpat_router_t **self_p);

// ---------------------------------------------------------------------------
// Router verbs

// A peer of a router: the routing id libzmq gave its connection (5 bytes,
// unless the peer set its own with ZMQ_ROUTING_ID), copied out of the
// message it came with. Plain data: copy it, keep it, compare it with
// size and memcmp.
typedef struct zpat_peer {
    size_t size;           // bytes of id in use, 1 to 255
    unsigned char id[255]; // the routing id
} zpat_peer_t;

// zpat_router_recv, _recv_str and _recv_msg receive as zpat_socket_recv,
// _recv_str and _recv_msg do (the same returns, errors and kept message),
// and on success fill in *peer with who sent it (on failure *peer is left
// as it was). A message's frames are what the peer sent: a REQ's request
// arrives as an empty frame then the body. EINVAL for a NULL peer.
ZPAT_EXPORT int zpat_router_recv (zpat_router_t *self, zpat_peer_t *peer,
                                  void *buf, size_t size);
ZPAT_EXPORT char *zpat_router_recv_str (zpat_router_t *self, zpat_peer_t *peer);
ZPAT_EXPORT int zpat_router_recv_msg (zpat_router_t *self, zpat_peer_t *peer,
                                      zpat_msg_t *msg);

// zpat_router_send, _send_str and _send_msg send to peer as zpat_socket_send,
// _send_str and _send_msg do (to answer a REQ, send an empty frame then the
// reply). A peer that is not connected (never was, or has gone and libzmq
// has seen it go: a send in the moment after a peer leaves can still be
// taken, and dropped) fails with EHOSTUNREACH and nothing is sent
// (libzmq's default would drop it silently); a peer whose queue stays full
// fails with EAGAIN after the send timeout. EINVAL for a NULL peer or a size
// over 255.
ZPAT_EXPORT int zpat_router_send (zpat_router_t *self, const zpat_peer_t *peer,
                                  const void *data, size_t size);
ZPAT_EXPORT int zpat_router_send_str (zpat_router_t *self,
                                      const zpat_peer_t *peer,
                                      const char *string);
ZPAT_EXPORT int zpat_router_send_msg (zpat_router_t *self,
                                      const zpat_peer_t *peer, zpat_msg_t *msg);

// ---------------------------------------------------------------------------
// Request-reply verbs: a request that never gets stuck
//
// A REQ owes a receive after each send: a second send fails with ZPAT_EFSM.
// Once a receive has given up waiting for the reply (EAGAIN: the timeout,
// or ZPAT_WAIT_NONE with nothing there; EINTR), the next send abandons that
// request instead, and the reply to it, should it still come, is dropped:
// it is never returned as the reply to a later request. (A receive again
// before sending still waits for the same reply.) From the first request
// abandoned, the REQ's requests carry an id frame ahead of the empty
// delimiter (libzmq's ZMQ_REQ_CORRELATE), which every REP echoes back
// (libzmq's, pyzmq's, zpat's, and through the devices); before that they
// are exactly libzmq's plain REQ's, for a ROUTER written to expect
// [peer, "", body].

// zpat_req_request sends request (its frames, as one message) and receives
// the reply into reply: the ZeroMQ guide's Lazy Pirate, built in. Each try
// waits up to timeout_ms (sending included) for the reply; on silence the
// request is abandoned, every connection the REQ made is dropped and made
// again (what was queued on them is discarded, not sent later), and the
// request is sent again, up to tries tries in all. Returns the number of
// frames of the reply (what reply held is released); or -1 with EAGAIN when
// every try went unanswered, leaving the REQ ready for the next request,
// EINVAL (NULL or empty request, NULL reply, timeout_ms or tries under 1,
// not a REQ), ZPAT_EFSM (a request sent with zpat_send is still owed its
// reply), EINTR, ZPAT_ETERM, ENOMEM. request is not changed: it is the
// caller's to reuse or destroy. The REQ's own timeouts are not changed.
// A retried request can reach the server more than once (the first copy
// may have been served and only its reply lost): requests sent this way
// must be idempotent, or carry something the server can recognise again.
ZPAT_EXPORT int zpat_req_request (zpat_req_t *self, const zpat_msg_t *request,
                                  zpat_msg_t *reply, int timeout_ms, int tries);

// zpat_req_request_str is zpat_req_request for a one-frame text request
// (sent without its NUL) and reply: returns the reply as a new string the
// caller frees with zpat_str_free, or NULL with errno as above (and
// ZPAT_EFRAMES for a multipart reply, which is kept for zpat_recv_msg).
ZPAT_EXPORT char *zpat_req_request_str (zpat_req_t *self, const char *request,
                                        int timeout_ms, int tries);

// ---------------------------------------------------------------------------
// Publish-subscribe verbs

// zpat_pub_send_topic publishes topic and payload as two frames, as pyzmq's
// send_multipart ([topic, data]) does; a subscriber's prefix is matched
// against the topic. data may be NULL when size is 0. Never blocks.
ZPAT_EXPORT int zpat_pub_send_topic (zpat_pub_t *self, const char *topic,
                                     const void *data, size_t size);

// zpat_pub_subscriptions returns how many subscriptions the publisher's
// connected subscribers hold now: a zpat subscriber counts once per distinct
// prefix it holds; one that unsubscribes or disconnects stops counting. The
// count follows what libzmq has processed, so a departure can take a few
// calls (a few milliseconds) to show. A subscriber of another library
// (pyzmq, raw libzmq) that subscribes the same prefix n times counts n
// times, and n - 1 times after it leaves: libzmq reports every subscribe
// but one unsubscribe per peer and prefix. Does not block.
ZPAT_EXPORT int zpat_pub_subscriptions (zpat_pub_t *self);

// zpat_pub_wait_subscriptions waits until at least count subscriptions are in
// place (see zpat_pub_subscriptions), so that the next message published
// reaches those subscribers: the slow-joiner problem solved by waiting for the
// subscriptions rather than by sleeping. Returns the number in place, or -1:
// EAGAIN when timeout_ms (a count or ZPAT_WAIT_FOREVER) ran out, EINTR.
ZPAT_EXPORT int zpat_pub_wait_subscriptions (zpat_pub_t *self, int count,
                                             int timeout_ms);

// zpat_sub_subscribe adds a prefix filter: messages whose first frame starts
// with prefix are delivered ("" delivers everything). Subscriptions count:
// subscribing twice needs two unsubscribes. Errors: EINVAL (NULL, or longer
// than 65,536 bytes), ZPAT_ESUBLEN (a length libzmq would never deliver).
ZPAT_EXPORT int zpat_sub_subscribe (zpat_sub_t *self, const char *prefix);

// zpat_sub_unsubscribe removes one subscription made with prefix; EINVAL when
// the subscriber holds no subscription to prefix.
ZPAT_EXPORT int zpat_sub_unsubscribe (zpat_sub_t *self, const char *prefix);

// zpat_sub_recv_topic receives a topic + payload message (two frames, as
// zpat_pub_send_topic and pyzmq's send_multipart send them). It stores a new
// NUL-terminated copy of each in *topic_p and *payload_p, which the caller
// frees with zpat_str_free (), and returns the payload's size in bytes (the
// payload may hold NUL bytes). A message of one frame gives that frame as the
// topic and an empty payload. On failure both pointers are left untouched:
// ZPAT_EFRAMES when the message has more than two frames (it is kept for the
// next receive), EAGAIN, EINTR, ENOMEM.
ZPAT_EXPORT int zpat_sub_recv_topic (zpat_sub_t *self, char **topic_p,
                                     char **payload_p);

// ---------------------------------------------------------------------------
// Messages: frames for multipart sends and zero-copy receives
// (zpat_msg_t is declared with the roles, above).

// One frame to send, for zpat_send_frames. The bytes are borrowed for the
// length of the call.
typedef struct zpat_frame {
    const void *data;
    size_t size;
} zpat_frame_t;

// A function that frees a zero-copy frame's bytes once libzmq is done with
// them; it may run in a libzmq I/O thread.
typedef void (zpat_free_fn) (void *data, void *hint);

// zpat_msg_new returns an empty message the caller frees with
// zpat_msg_destroy, or NULL/ENOMEM. A message is reused across sends and
// receives: its frame slots are kept, so steady use does not allocate.
ZPAT_EXPORT zpat_msg_t *zpat_msg_new (void);

// zpat_msg_destroy frees the message and its frames and sets *self_p to NULL.
ZPAT_EXPORT void zpat_msg_destroy (zpat_msg_t **self_p);

// zpat_msg_reset empties the message, keeping its frame slots for reuse.
ZPAT_EXPORT void zpat_msg_reset (zpat_msg_t *self);

// zpat_msg_count returns the number of frames (0 for NULL).
ZPAT_EXPORT size_t zpat_msg_count (const zpat_msg_t *self);

// zpat_msg_data returns frame index's bytes, valid until the message is next
// received into, reset, sent or destroyed; NULL/EINVAL for a bad index.
// The bytes are not NUL-terminated.
ZPAT_EXPORT const void *zpat_msg_data (const zpat_msg_t *self, size_t index);

// zpat_msg_size returns frame index's size in bytes (0 for a bad index).
ZPAT_EXPORT size_t zpat_msg_size (const zpat_msg_t *self, size_t index);

// zpat_msg_strdup returns a new NUL-terminated copy of frame index, which the
// caller frees with zpat_str_free (); NULL with EINVAL or ENOMEM.
ZPAT_EXPORT char *zpat_msg_strdup (const zpat_msg_t *self, size_t index);

// zpat_msg_add appends a frame holding a copy of size bytes at data (data
// may be NULL when size is 0).
ZPAT_EXPORT int zpat_msg_add (zpat_msg_t *self, const void *data, size_t size);

// zpat_msg_add_str appends a frame holding string's bytes, without its NUL.
ZPAT_EXPORT int zpat_msg_add_str (zpat_msg_t *self, const char *string);

// zpat_msg_add_zc appends a frame that points at data without copying it.
// On success the message owns data: free_fn (data, hint) runs once libzmq is
// done with it (free_fn may be NULL for bytes that outlive every send, such
// as string literals). On failure nothing changes and data stays the
// caller's.
ZPAT_EXPORT int zpat_msg_add_zc (zpat_msg_t *self, void *data, size_t size,
                                 zpat_free_fn *free_fn, void *hint);

// ---------------------------------------------------------------------------
// Verbs on any role: use the generic macros further down, which check the
// role at compile time. The functions exist for bindings and callers that
// hold a zpat_socket_t *; they check the role at run time (EINVAL).

// zpat_socket_bind binds to one more endpoint. "tcp://127.0.0.1:*" picks a
// free port; zpat_socket_endpoint tells which. Errors: EINVAL (a malformed
// endpoint, a tcp:// port that is not "*" or 0 to 65535, an unknown
// transport), EADDRINUSE, EADDRNOTAVAIL, ZPAT_ETERM. A port this process
// released within the last second (libzmq frees it in the background) is
// waited for, up to a second, rather than refused.
ZPAT_EXPORT int zpat_socket_bind (zpat_socket_t *self, const char *endpoint);

// zpat_socket_connect connects to one more endpoint; the connection is made,
// and remade after a loss, in the background. Errors as for bind.
ZPAT_EXPORT int zpat_socket_connect (zpat_socket_t *self, const char *endpoint);

// zpat_socket_endpoint returns the endpoint most recently bound, with any
// wildcard port resolved ("tcp://127.0.0.1:40215"), or NULL/EINVAL when the
// socket has bound nothing. The text belongs to the object and stays valid
// until its next bind or its destruction.
ZPAT_EXPORT const char *zpat_socket_endpoint (zpat_socket_t *self);

// zpat_socket_handle returns the libzmq socket, for options zpat does not
// wrap (zmq_setsockopt). zpat still owns it: never close it. NULL/EINVAL.
ZPAT_EXPORT void *zpat_socket_handle (zpat_socket_t *self);

// Setters, each with its unit in its name, meaning what the zpat_options_t
// field of the same name means, except that 0 is a value here, not "the
// default" (a timeout or linger of 0 ms). High-water marks and the maximum
// message size apply to connections made after the call. EINVAL for a value
// out of range, or for a direction the role lacks (a send timeout on a SUB).
ZPAT_EXPORT int zpat_socket_set_send_timeout_ms (zpat_socket_t *self, int ms);
ZPAT_EXPORT int zpat_socket_set_recv_timeout_ms (zpat_socket_t *self, int ms);
ZPAT_EXPORT int zpat_socket_set_send_hwm (zpat_socket_t *self, int messages);
ZPAT_EXPORT int zpat_socket_set_recv_hwm (zpat_socket_t *self, int messages);
ZPAT_EXPORT int zpat_socket_set_linger_ms (zpat_socket_t *self, int ms);
ZPAT_EXPORT int zpat_socket_set_max_msg_bytes (zpat_socket_t *self,
                                               int64_t bytes);
ZPAT_EXPORT int zpat_socket_set_reconnect_ivl_ms (zpat_socket_t *self, int ms);
ZPAT_EXPORT int zpat_socket_set_ipv6 (zpat_socket_t *self, int on);

// zpat_socket_get_options stores the object's options as they are in force
// now in *opts (with real values, never 0-for-default: a wait of 0 ms reads
// as ZPAT_WAIT_NONE).
ZPAT_EXPORT int zpat_socket_get_options (zpat_socket_t *self,
                                         zpat_options_t *opts);
// As zpat_socket_get_options, writing opts_size bytes: sizeof
// (zpat_options_t) as the caller compiled it (at least 0.1's size, else
// EINVAL). Fields this library does not have are stored as 0, and so are
// the security fields: the keys and passwords went to libzmq at
// construction and zpat keeps no copy.
ZPAT_EXPORT int zpat_socket_get_options_sized (zpat_socket_t *self,
                                               zpat_options_t *opts,
                                               size_t opts_size);

// Sending. Each returns 0 once libzmq has queued the message. Errors: EAGAIN
// (the send timeout ran out at the high-water mark), ZPAT_EFSM (a REQ that
// has not had its reply and has not given up on it: see zpat_req_request;
// a REP that has no request to answer), EINTR, ZPAT_ETERM, EINVAL (wrong
// role, NULL). A PUB never blocks.

// zpat_socket_send sends size bytes from data as one frame (data may be NULL
// when size is 0).
ZPAT_EXPORT int zpat_socket_send (zpat_socket_t *self, const void *data,
                                  size_t size);

// zpat_socket_send_str sends string's bytes without the NUL, as pyzmq's
// send (text.encode ('utf-8')) and send_string () do.
ZPAT_EXPORT int zpat_socket_send_str (zpat_socket_t *self, const char *string);

// zpat_socket_sendf formats like printf and sends the text as one frame.
// Texts under 256 bytes are formatted without touching the heap.
ZPAT_EXPORT int zpat_socket_sendf (zpat_socket_t *self, const char *format, ...)
    ZPAT_PRINTF (2, 3);

// zpat_socket_send_frames sends count frames as one multipart message, as
// pyzmq's send_multipart does; all frames arrive, or none.
ZPAT_EXPORT int zpat_socket_send_frames (zpat_socket_t *self,
                                         const zpat_frame_t *frames,
                                         size_t count);

// zpat_socket_send_msg sends msg's frames as one message without copying
// them. On success msg is left empty, ready for reuse; on failure it keeps
// its frames. Sending an empty message is EINVAL.
ZPAT_EXPORT int zpat_socket_send_msg (zpat_socket_t *self, zpat_msg_t *msg);

// Receiving. Each waits up to the receive timeout. Errors: EAGAIN (timeout),
// ZPAT_EFSM (a REQ with no request pending, a REP that has not replied),
// EINTR, ZPAT_ETERM, EINVAL (wrong role, NULL). A message that a call cannot
// return in the form asked for is kept, and the next receive returns it.
// Messages zpat drops itself (over max_msg_bytes on inproc://, where libzmq
// does not check; for a REP, requests without a REQ envelope) do not extend
// the wait: a stream of them still ends the call with EAGAIN on time. A REQ
// whose reply is dropped gets no reply, as over tcp://: EAGAIN once its
// timeout has run out after the reply came. A signal zpat was not asked to
// catch (no zpat_catch_signals) does not end a call: the wait starts over
// once, so the call ends within twice its timeout.

// zpat_socket_recv copies a one-frame message into buf without allocating and
// returns its size in bytes. A message larger than size is not truncated:
// the call fails with EMSGSIZE and keeps it. A multipart message fails with
// ZPAT_EFRAMES and is kept (use zpat_socket_recv_msg).
ZPAT_EXPORT int zpat_socket_recv (zpat_socket_t *self, void *buf, size_t size);

// zpat_socket_recv_str returns a one-frame message as a new NUL-terminated
// string, which the caller frees with zpat_str_free (). The bytes are
// returned as they came (UTF-8 stays UTF-8; a NUL inside ends the C string
// early: use zpat_socket_recv_msg for binary data). ZPAT_EFRAMES as above.
ZPAT_EXPORT char *zpat_socket_recv_str (zpat_socket_t *self);

// zpat_socket_recv_msg receives a whole message, all its frames, into msg
// (replacing what it held), without copying the bytes. Returns the number of
// frames. What msg held is released by a successful call (a zero-copy
// frame's free function runs before it returns); on failure msg is left as
// it was. That has a cost over tcp:// and ipc://, where libzmq decodes a
// message in place in its receive buffer: while msg still holds the last
// message during a receive that waits, the buffer stays in use and libzmq
// allocates another for what arrives (one allocation more per message than
// raw zmq_msg_recv, which releases the message it reuses before waiting;
// tests/perf/test_alloc_net.c). zpat_msg_reset (msg) once done with it
// (say before sending the next request), or zpat_socket_recv_lend, avoids
// it.
ZPAT_EXPORT int zpat_socket_recv_msg (zpat_socket_t *self, zpat_msg_t *msg);

// zpat_socket_recv_lend receives a one-frame message and lends its bytes:
// *data points at them (not NUL-terminated; any address when the size is
// 0), valid until the next call that receives on self (any receive, failed
// ones included, or a poller's wait on a REP or ROUTER), or its destroy.
// Nothing is copied or allocated, and the message's buffer goes back to
// libzmq when that next call comes, like pyzmq's recv (copy=False) with
// the frame kept. Returns the size in bytes, or -1 with errno as
// zpat_socket_recv (ZPAT_EFRAMES, and EMSGSIZE for a frame of INT_MAX
// bytes or more: the message is kept; EINVAL for a NULL data). On failure
// *data is left as it was (what it pointed at is no longer valid).
ZPAT_EXPORT int zpat_socket_recv_lend (zpat_socket_t *self, const void **data);

// zpat_socket_discard drops the message that a failed receive kept (EMSGSIZE,
// ZPAT_EFRAMES) without copying it, so that the next receive waits for the
// one after it. Returns 1 when a message was dropped, 0 when none was kept
// (nothing is received), or -1 with EINVAL (NULL, a role that does not
// receive) or ZPAT_EFORKED. zpat_socket_recv_msg also takes any kept message
// without copying its bytes. On a REP, a discarded request still wants its
// reply (send one, empty if need be, before the next receive).
ZPAT_EXPORT int zpat_socket_discard (zpat_socket_t *self);

// ---------------------------------------------------------------------------
// Devices: the tutorial's n:m middlemen, each an object that owns its two
// sockets and forwards between them in a background thread.

typedef struct zpat_device zpat_device_t;

typedef enum {
    // ROUTER frontend for REQ and DEALER clients, DEALER backend for REP and
    // DEALER workers: requests spread over the workers, every reply goes
    // back to the client that asked.
    ZPAT_QUEUE = 1,
    // XSUB frontend for publishers, XPUB backend for subscribers: the
    // subscriptions travel upstream, so a subscriber behind it receives what
    // it would receive from the publishers directly.
    ZPAT_FORWARDER,
    // PULL frontend for pushers, PUSH backend for pullers.
    ZPAT_STREAMER,
} zpat_device_type_t;

typedef struct zpat_device_options {
    zpat_options_t frontend; // each side's options, as for an object
    zpat_options_t backend;
    // NULL, or endpoints for a PUB that gets a copy of every message the
    // device forwards, either way (bound unless ">" says connect). libzmq
    // 4.3.4 copies there the device's own one-frame commands too (PAUSE,
    // RESUME, STATISTICS, TERMINATE, as zpat_device_* send them).
    const char *capture;
} zpat_device_options_t;

typedef struct zpat_device_stats {
    uint64_t msgs_forward;  // messages frontend -> backend
    uint64_t bytes_forward; // (requests; published; pushed)
    uint64_t msgs_back;     // messages backend -> frontend
    uint64_t bytes_back;    // (replies; subscriptions)
} zpat_device_stats_t;

// zpat_device_new makes a device of type with its frontend and backend
// endpoints (bare endpoints bind, on both sides; "@" and ">" as for an
// object) and opts (NULL for the defaults), and starts it. Returns it, or
// NULL with errno: EINVAL (a bad type or endpoint, NULL endpoints), as for
// a constructor otherwise; nothing is left behind. zpat_device_destroy stops
// its thread (within milliseconds), closes its sockets (with their
// linger) and frees it, and sets *self_p to NULL; NULL does nothing. It
// never waits more than 200 ms: a device stuck in a send no peer can take
// (every backend peer full and not reading) cannot hear the command to
// stop, and is left to end in the background once that send goes or the
// context ends (zpat_shutdown (), exit). The sides wait for room rather
// than drop (their send_timeout_ms is not used), as zmq_proxy does.
ZPAT_EXPORT zpat_device_t *zpat_device_new (int type, const char *frontend,
                                            const char *backend,
                                            const zpat_device_options_t *opts);
ZPAT_EXPORT zpat_device_t *
zpat_device_new_sized (int type, const char *frontend, const char *backend,
                       const zpat_device_options_t *opts, size_t opts_size);
ZPAT_EXPORT void zpat_device_destroy (zpat_device_t **self_p);

// zpat_device_pause stops forwarding (messages wait in the sockets' queues,
// up to their high-water marks), zpat_device_resume goes on. 0, or -1 with
// EINVAL, ZPAT_ETERM, ESRCH (the device has stopped: zpat_shutdown ()).
ZPAT_EXPORT int zpat_device_pause (zpat_device_t *self);
ZPAT_EXPORT int zpat_device_resume (zpat_device_t *self);

// zpat_device_stats: the messages and bytes forwarded each way since the
// device started. 0, or -1 with EINVAL, ZPAT_ETERM, ESRCH.
ZPAT_EXPORT int zpat_device_stats (zpat_device_t *self,
                                   zpat_device_stats_t *stats);

// zpat_device_frontend and zpat_device_backend return the endpoint each
// side bound last, a wildcard port resolved, as zpat_socket_endpoint does
// (valid until the device is destroyed); NULL with EINVAL when that side
// bound nothing.
ZPAT_EXPORT const char *zpat_device_frontend (zpat_device_t *self);
ZPAT_EXPORT const char *zpat_device_backend (zpat_device_t *self);

// zpat_device_run waits in the caller's thread while the device works, for
// a program whose only job is the device: it returns -1 with EINTR on
// SIGINT or SIGTERM (after zpat_catch_signals ()), or with ZPAT_ETERM
// after zpat_shutdown (); EINVAL for NULL. The device keeps running until
// destroyed.
ZPAT_EXPORT int zpat_device_run (zpat_device_t *self);

// ---------------------------------------------------------------------------
// Security: CURVE certificates, and the authenticator that decides which
// peers may connect. Files are those of czmq's zcert and pyzmq's zmq.auth:
// NAME.key holds the public key, NAME.key_secret both keys (a text format,
// ZPL, of "metadata" and "curve" sections). When libzmq was built without
// CURVE, the certificate calls, the CURVE options and the CURVE calls of
// the authenticator fail with ENOTSUP (zpat_strerror says why).
//
//   zpat_cert_t *mine = zpat_cert_load ("client.key_secret");
//   zpat_cert_t *server = zpat_cert_load ("server.key");
//   zpat_options_t opts = { .curve_cert = mine,
//                           .curve_server_key = zpat_cert_public_txt (server)
//                           };
//   zpat_req_t *req = zpat_req_new ("tcp://host:5555", &opts);

typedef struct zpat_cert zpat_cert_t;

// zpat_cert_new makes a certificate with a new key pair; zpat_cert_new_txt
// makes one of keys given as 40-character Z85 text (secret_txt NULL for a
// public key only; given, it must belong to public_txt). They return it, for
// the caller to free with zpat_cert_destroy, or NULL with errno: EINVAL,
// ENOMEM, ENOTSUP.
ZPAT_EXPORT zpat_cert_t *zpat_cert_new (void);
ZPAT_EXPORT zpat_cert_t *zpat_cert_new_txt (const char *public_txt,
                                            const char *secret_txt);

// zpat_cert_load reads the certificate file at path: a NAME.key gives the
// public key only, a NAME.key_secret both (checked to belong together). It
// returns the certificate (the caller frees it), or NULL with errno: ENOENT
// (no such file), EACCES (not readable), EINVAL (NULL, not a certificate:
// truncated, malformed, keys that do not match, larger than 64 KiB, not a
// regular file),
// ENOMEM, ENOTSUP, or another errno of open (2) or read (2).
ZPAT_EXPORT zpat_cert_t *zpat_cert_load (const char *path);

// zpat_cert_save writes path (the public certificate, mode 0644 less the
// umask) and path with "_secret" added (both keys, mode 0600), so
// zpat_cert_save (cert, "keys/alice.key") writes keys/alice.key and
// keys/alice.key_secret. zpat_cert_save_public writes path only. Neither
// ever overwrites: 0, or -1 with errno EEXIST (a file is there already;
// nothing written), EINVAL (NULL; zpat_cert_save on a certificate without
// its secret key), ENOENT, EACCES, ENOSPC and the like (nothing left
// behind).
ZPAT_EXPORT int zpat_cert_save (const zpat_cert_t *self, const char *path);
ZPAT_EXPORT int zpat_cert_save_public (const zpat_cert_t *self,
                                       const char *path);

// zpat_cert_public_txt returns the public key as 40 characters of Z85 text
// (valid while the certificate lives), or NULL with EINVAL. The secret key
// has no getter: it goes to libzmq through the options and to files
// through zpat_cert_save, and nowhere else.
ZPAT_EXPORT const char *zpat_cert_public_txt (const zpat_cert_t *self);
// zpat_cert_has_secret: 1 when the certificate has its secret key, 0 when
// not, -1 with EINVAL.
ZPAT_EXPORT int zpat_cert_has_secret (const zpat_cert_t *self);

// Metadata, saved in the files' "metadata" section (as "name = value"):
// zpat_cert_set_meta sets name to value (copied; value NULL removes it):
// 0, or -1 with EINVAL (NULL self or name; a name not of letters, digits
// and "$-_@.&+/", or more than 64 of them; a value with a line break or a
// double quote) or ENOMEM. zpat_cert_meta returns the value (valid until
// it is set again or the certificate freed), or NULL with ENOENT (not set)
// or EINVAL.
ZPAT_EXPORT int zpat_cert_set_meta (zpat_cert_t *self, const char *name,
                                    const char *value);
ZPAT_EXPORT const char *zpat_cert_meta (const zpat_cert_t *self,
                                        const char *name);

// zpat_cert_destroy wipes the keys from memory, frees the certificate and
// sets *self_p to NULL; NULL does nothing.
ZPAT_EXPORT void zpat_cert_destroy (zpat_cert_t **self_p);

// The authenticator: one per process, in a thread of its own, answering
// libzmq's ZAP requests (RFC 27) for every object of the process. While it
// runs, each peer that connects to a CURVE or PLAIN server is checked:
//   1. its IP address: with any address allowed, only those pass; else
//      those denied are refused (an ipc:// peer has no IP address: an allow
//      list refuses it);
//   2. CURVE: its public key must be in the key directory
//      (zpat_auth_curve_keys), or any key passes (zpat_auth_curve_any);
//      with neither, CURVE clients are refused;
//   3. PLAIN: its name and password must be in the password file.
// A refused peer gets no message through and no message from the server;
// its side records ZPAT_EVENT_HANDSHAKE_FAILED with reason
// ZPAT_HANDSHAKE_AUTH and value 400, and libzmq ends that connection for
// good: it does not try again, and what the client queued waits in it
// (make a new client once its key is allowed). Without an authenticator, a
// CURVE server accepts any client that knows its public key. Plaintext objects
// are never checked (libzmq asks only for those with a ZAP domain).
typedef struct zpat_auth zpat_auth_t;

// zpat_auth_new starts the authenticator, which refuses every CURVE and
// PLAIN peer until told what to allow. Returns it (the caller stops it with
// zpat_auth_destroy), or NULL with errno: EALREADY (one is running in this
// process), EADDRINUSE (another ZAP handler, czmq's zauth say, has the
// context), ZPAT_ETERM, ENOMEM, EMFILE.
ZPAT_EXPORT zpat_auth_t *zpat_auth_new (void);

// zpat_auth_destroy stops it, frees it and sets *self_p to NULL (NULL does
// nothing); from then on CURVE servers accept any client again. After
// fork (), the child's copy is only freed: start a new one there.
ZPAT_EXPORT void zpat_auth_destroy (zpat_auth_t **self_p);

// zpat_auth_allow and zpat_auth_deny add an IPv4 or IPv6 address (as text,
// "192.168.1.7" or "::1"; no names, no ranges) to the allowed or denied
// list. 0, or -1 with errno EINVAL (NULL, not an address), ENOMEM,
// ZPAT_ETERM (zpat_shutdown () stopped it), ZPAT_EFORKED.
ZPAT_EXPORT int zpat_auth_allow (zpat_auth_t *self, const char *address);
ZPAT_EXPORT int zpat_auth_deny (zpat_auth_t *self, const char *address);

// zpat_auth_curve_keys accepts CURVE clients whose public key is in one of
// the certificate files NAME.key in directory (as zpat-keygen, czmq and
// pyzmq write them; other files, and files that do not read as
// certificates, are ignored). The directory is looked at again for every
// connection, so keys added or removed count from the next connection on
// (a connection made stays). NULL stops accepting CURVE clients.
// zpat_auth_curve_any accepts any CURVE client (encryption without
// authentication of clients). Each replaces the other. 0, or -1 with errno
// ENOENT, ENOTDIR, EACCES (directory), EINVAL, ENOMEM, ENOTSUP,
// ZPAT_ETERM, ZPAT_EFORKED.
ZPAT_EXPORT int zpat_auth_curve_keys (zpat_auth_t *self, const char *directory);
ZPAT_EXPORT int zpat_auth_curve_any (zpat_auth_t *self);

// zpat_auth_plain accepts PLAIN clients by the password file at path: lines
// "name=password" (czmq's zauth format; lines starting with "#" and blank
// lines skipped). Read again when it changes. NULL stops accepting PLAIN
// clients. 0, or -1 with errno ENOENT, EACCES, EINVAL (a line without
// "="), ENOMEM, ZPAT_ETERM, ZPAT_EFORKED.
ZPAT_EXPORT int zpat_auth_plain (zpat_auth_t *self, const char *path);

// ---------------------------------------------------------------------------
// Counters: always on, read with one call. A multipart message counts once,
// with the bytes of all its frames (a REP's routing envelope not counted).

typedef struct zpat_stats {
    uint64_t msgs_sent;      // messages sent (queued with libzmq)
    uint64_t bytes_sent;     // their bytes
    uint64_t msgs_received;  // messages the caller took (or discarded)
    uint64_t bytes_received; // their bytes
    // Messages zpat dropped itself: over max_msg_bytes on inproc:// (libzmq
    // drops them on tcp:// and ipc://, uncounted), and at a REP, requests
    // without a well-formed envelope.
    uint64_t msgs_dropped;
    // Sends that failed with EAGAIN: their timeout ran out, or (with
    // ZPAT_WAIT_NONE) the message could not be queued at once.
    uint64_t send_timeouts;
    // tcp:// and ipc:// connections up now, made or accepted (libzmq
    // reports no inproc:// peers), and connections made again to an
    // endpoint after one to it was lost. Kept up to date from libzmq's
    // socket monitor, which zpat runs for every object attached to a
    // tcp:// or ipc:// endpoint: a peer's arrival or departure shows here
    // once libzmq has handled it, usually within a millisecond. The monitor
    // costs such an object two more libzmq sockets, so about 340 of them
    // fit in libzmq's default limit of 1,023 sockets per context.
    uint64_t peers;
    uint64_t reconnects;
} zpat_stats_t;

// zpat_socket_stats_sized copies the counters into *stats (stats_size bytes
// of it, sizeof (zpat_stats_t) through the zpat_stats macro; fields this
// library lacks are zeroed). Returns 0, or -1 with EINVAL (NULL, a size
// below this first layout's), ZPAT_EFORKED. Works after zpat_shutdown () too.
// zpat_socket_stats_reset sets every count to zero (peers, a state, stays):
// 0, or -1 with EINVAL or ZPAT_EFORKED.
ZPAT_EXPORT int zpat_socket_stats_sized (zpat_socket_t *self,
                                         zpat_stats_t *stats,
                                         size_t stats_size);
ZPAT_EXPORT int zpat_socket_stats_reset (zpat_socket_t *self);

// ---------------------------------------------------------------------------
// Connection events (opt-in per object, on libzmq's socket monitor): peers
// coming and going on tcp:// and ipc:// endpoints (libzmq reports none for
// inproc://).

typedef enum {
    ZPAT_EVENT_CONNECTED = 1,   // a connection to a peer is made (connecting)
    ZPAT_EVENT_CONNECT_RETRIED, // a connect failed; value: ms to the retry
    ZPAT_EVENT_ACCEPTED,        // a peer connected to a bound endpoint
    ZPAT_EVENT_DISCONNECTED,    // a connection ended (the peer left or died)
    ZPAT_EVENT_BIND_FAILED,     // value: the errno of the failed bind
    ZPAT_EVENT_CLOSED,          // a listener or connection was closed
    ZPAT_EVENT_HANDSHAKE_SUCCEEDED, // the ZMTP handshake with a peer is done
    ZPAT_EVENT_HANDSHAKE_FAILED,    // see reason and value
} zpat_event_type_t;

// Why a handshake failed: a protocol error (value: libzmq's
// ZMQ_PROTOCOL_ERROR_* code), an authentication failure (value: the ZAP
// status code, 300, 400 or 500), or no detail (value: an errno).
typedef enum {
    ZPAT_HANDSHAKE_OTHER = 0,
    ZPAT_HANDSHAKE_PROTOCOL,
    ZPAT_HANDSHAKE_AUTH,
} zpat_handshake_reason_t;

typedef struct zpat_event {
    int type;   // a zpat_event_type_t
    int reason; // ZPAT_EVENT_HANDSHAKE_FAILED: a zpat_handshake_reason_t
    int value;  // what libzmq gives with it (see the types above)
    // The endpoint it concerns: what was connected to, or the bound
    // endpoint a peer reached.
    char endpoint[256];
    // The peer's address ("127.0.0.1:50312") for an accepted tcp://
    // connection, as the system tells it for the descriptor libzmq named
    // when zpat read the event (at once while you wait for events; a
    // descriptor closed and reused meanwhile would name another
    // connection); for a connection made, the endpoint's host and port;
    // else "".
    char peer[64];
} zpat_event_t;

// zpat_socket_events_on starts recording self's connection events (from
// now on), and zpat_socket_events_off stops it and forgets those not yet
// received. Events wait, in order, until received, up to 10,000 (the oldest
// are then dropped). Returns 0, or -1 with EINVAL, ZPAT_EFORKED, ZPAT_ETERM
// or ENOMEM. Turning on events that are on (or off those that are off)
// does nothing. Events come only once the object is attached to a tcp://
// or ipc:// endpoint.
ZPAT_EXPORT int zpat_socket_events_on (zpat_socket_t *self);
ZPAT_EXPORT int zpat_socket_events_off (zpat_socket_t *self);

// zpat_socket_recv_event moves the oldest recorded event into *event,
// waiting up to timeout_ms (ZPAT_WAIT_FOREVER, ZPAT_WAIT_NONE or 0 for no
// wait, or a count) for one. Returns 0, or -1 with EAGAIN (none in time),
// EINTR, ZPAT_ETERM, EINVAL (NULL, a bad timeout, events not on),
// ZPAT_EFORKED. A poller wakes for recorded events with ZPAT_POLLEVENT.
ZPAT_EXPORT int zpat_socket_recv_event (zpat_socket_t *self,
                                        zpat_event_t *event, int timeout_ms);

// zpat_event_name returns a static name for an event type
// ("CONNECTED"), or "UNKNOWN"; never NULL.
ZPAT_EXPORT const char *zpat_event_name (int type);

// ---------------------------------------------------------------------------
// Poller: waits on several objects and plain file descriptors at once.

typedef struct zpat_poller zpat_poller_t;

// What to wait for, and what was found.
#define ZPAT_POLLIN 1    // a receive (or a read of a descriptor) would not wait
#define ZPAT_POLLOUT 2   // a send (or a write) would not wait
#define ZPAT_POLLEVENT 4 // a connection event is recorded (events on)
#define ZPAT_POLLERR 8   // found only: a descriptor in error or closed

// One ready item, as zpat_poller_wait fills them in.
typedef struct zpat_ready {
    void *arg;             // what was given when the item was added
    zpat_socket_t *socket; // the object, or NULL for a descriptor
    int fd;                // the descriptor, or -1 for an object
    int events;            // what it is ready for (ZPAT_POLL* bits)
} zpat_ready_t;

// zpat_poller_new returns a new, empty poller (NULL/ENOMEM), which belongs
// to one thread at a time, like an object; zpat_poller_destroy frees it
// (the objects in it are left as they are) and sets *self_p to NULL.
ZPAT_EXPORT zpat_poller_t *zpat_poller_new (void);
ZPAT_EXPORT void zpat_poller_destroy (zpat_poller_t **self_p);

// zpat_poller_add_socket adds an object, to wake when it is ready for any
// of events: ZPAT_POLLIN (roles that receive), ZPAT_POLLOUT (roles that
// send), ZPAT_POLLEVENT (with events on). arg is handed back (borrowed,
// never touched). Use the generic zpat_poller_add (poller, obj, events,
// arg). Returns 0, or -1 with EINVAL (NULL, events 0 or not for this role),
// EEXIST (already in this poller), ZPAT_EFORKED, ENOMEM. An object may be
// in several pollers. Destroying an object removes it from every poller it
// is in: their next waits go on without it.
// zpat_poller_remove_socket takes it out: 0, or -1 with EINVAL or ENOENT
// (not in this poller).
ZPAT_EXPORT int zpat_poller_add_socket (zpat_poller_t *self,
                                        zpat_socket_t *socket, int events,
                                        void *arg);
ZPAT_EXPORT int zpat_poller_remove_socket (zpat_poller_t *self,
                                           zpat_socket_t *socket);

// zpat_poller_add_fd adds a plain file descriptor (stdin, a pipe, a socket
// of another library), for ZPAT_POLLIN and/or ZPAT_POLLOUT: level-
// triggered, as poll (2) sees it; one whose other end hung up is readable
// (a read gives its end). Returns 0, or -1 with EINVAL, EBADF (not an open
// descriptor), EEXIST, ENOMEM. A descriptor closed while in the poller is
// reported with ZPAT_POLLERR until removed.
// zpat_poller_remove_fd: 0, or -1 with EINVAL or ENOENT.
ZPAT_EXPORT int zpat_poller_add_fd (zpat_poller_t *self, int fd, int events,
                                    void *arg);
ZPAT_EXPORT int zpat_poller_remove_fd (zpat_poller_t *self, int fd);

// zpat_poller_wait waits up to timeout_ms (ZPAT_WAIT_FOREVER, ZPAT_WAIT_NONE
// or 0 for no wait, or a count) until at least one item is ready, and fills
// ready[0..max) with ready items. Returns how many (1 to max), or -1 with
// EAGAIN when the time ran out, EINTR when SIGINT or SIGTERM arrived (after
// zpat_catch_signals), ZPAT_ETERM after zpat_shutdown (), EINVAL (NULL, max
// 0, a bad timeout, an empty poller asked to wait forever), ZPAT_EFORKED.
// Fair: when more items are ready than max, the next wait starts after the
// last one returned, so every ready item is served in turn. A ready object
// stays ready until its message is received (level-triggered), so a wait
// after a receive that left messages queued returns at once. A REP is ready
// to receive only when it owes no reply, and to send only when it does;
// it may receive a request to tell (dropping a malformed one and keeping a
// good one for the next receive), so its ZPAT_POLLIN means a receive will
// not wait. One exception: a message over max_msg_bytes on inproc:// makes
// an object ready, and the receive drops it and waits on (give it a
// timeout if that can happen). Allocates nothing once its items are added.
ZPAT_EXPORT int zpat_poller_wait (zpat_poller_t *self, int timeout_ms,
                                  zpat_ready_t *ready, size_t max);

// ---------------------------------------------------------------------------
// Other event loops (poll (2), epoll, libuv): zpat_socket_fd returns a
// descriptor that becomes readable when self's readiness may have changed
// (a message arrived, room to send appeared), and zpat_socket_ready says
// what self is ready for now (ZPAT_POLLIN, ZPAT_POLLOUT bits; 0 for
// nothing), or -1 with EINVAL, ZPAT_EFORKED, ZPAT_ETERM.
//
// The trap (libzmq's descriptor is edge-triggered): the descriptor signals
// a change, not a level, and it does not stay readable while messages wait.
// After it wakes the loop, call zpat_socket_ready and receive until it no
// longer says ZPAT_POLLIN (or a receive with ZPAT_WAIT_NONE fails with
// EAGAIN), and call zpat_socket_ready before going back to sleep: a message
// that came while the loop was busy raises no new edge. Also check after
// every send on the same object, which can consume the edge. Never read
// from or write to the descriptor. zpat_socket_ready counts as the poller
// does (see zpat_poller_wait). -1 with EINVAL, ZPAT_EFORKED, ZPAT_ETERM.
ZPAT_EXPORT int zpat_socket_fd (zpat_socket_t *self);
ZPAT_EXPORT int zpat_socket_ready (zpat_socket_t *self);

// ---------------------------------------------------------------------------
// Generic verbs. Each accepts only the roles listed, so for example
// zpat_send_str (sub, "x") or zpat_recv_str (push) is a compile error.

// clang-format off
#ifndef __cplusplus

// zpat_socket (s) turns a pointer to any role into a zpat_socket_t *.
#define zpat_socket(s) _Generic ((s),                                          \
    zpat_req_t *: (zpat_socket_t *) (s),                                       \
    zpat_rep_t *: (zpat_socket_t *) (s),                                       \
    zpat_pub_t *: (zpat_socket_t *) (s),                                       \
    zpat_sub_t *: (zpat_socket_t *) (s),                                       \
    zpat_push_t *: (zpat_socket_t *) (s),                                      \
    zpat_pull_t *: (zpat_socket_t *) (s),                                      \
    zpat_dealer_t *: (zpat_socket_t *) (s),                                    \
    zpat_router_t *: (zpat_socket_t *) (s))

// ZPAT_SENDER (s) accepts the roles that send without naming a peer: REQ,
// REP, PUB, PUSH, DEALER (a ROUTER has zpat_router_send*).
#define ZPAT_SENDER(s) _Generic ((s),                                          \
    zpat_req_t *: (zpat_socket_t *) (s),                                       \
    zpat_rep_t *: (zpat_socket_t *) (s),                                       \
    zpat_pub_t *: (zpat_socket_t *) (s),                                       \
    zpat_push_t *: (zpat_socket_t *) (s),                                      \
    zpat_dealer_t *: (zpat_socket_t *) (s))

// ZPAT_RECEIVER (s) accepts the roles that receive without a peer: REQ, REP,
// SUB, PULL, DEALER (a ROUTER has zpat_router_recv*).
#define ZPAT_RECEIVER(s) _Generic ((s),                                        \
    zpat_req_t *: (zpat_socket_t *) (s),                                       \
    zpat_rep_t *: (zpat_socket_t *) (s),                                       \
    zpat_sub_t *: (zpat_socket_t *) (s),                                       \
    zpat_pull_t *: (zpat_socket_t *) (s),                                      \
    zpat_dealer_t *: (zpat_socket_t *) (s))

// ZPAT_SEND_OPTIONS (s) and ZPAT_RECV_OPTIONS (s) accept the roles with
// send (receive) options: the senders (receivers) and the ROUTER.
#define ZPAT_SEND_OPTIONS(s) _Generic ((s),                                    \
    zpat_req_t *: (zpat_socket_t *) (s),                                       \
    zpat_rep_t *: (zpat_socket_t *) (s),                                       \
    zpat_pub_t *: (zpat_socket_t *) (s),                                       \
    zpat_push_t *: (zpat_socket_t *) (s),                                      \
    zpat_dealer_t *: (zpat_socket_t *) (s),                                    \
    zpat_router_t *: (zpat_socket_t *) (s))
#define ZPAT_RECV_OPTIONS(s) _Generic ((s),                                    \
    zpat_req_t *: (zpat_socket_t *) (s),                                       \
    zpat_rep_t *: (zpat_socket_t *) (s),                                       \
    zpat_sub_t *: (zpat_socket_t *) (s),                                       \
    zpat_pull_t *: (zpat_socket_t *) (s),                                      \
    zpat_dealer_t *: (zpat_socket_t *) (s),                                    \
    zpat_router_t *: (zpat_socket_t *) (s))

// ZPAT_ONLY (type, s) accepts s only if it has that type.
#define ZPAT_ONLY(type, s) _Generic ((s), type: (s))

// zpat_destroy (&obj) destroys an object of any role.
#define zpat_destroy(self_p) _Generic ((self_p),                               \
    zpat_req_t **: zpat_req_destroy,                                           \
    zpat_rep_t **: zpat_rep_destroy,                                           \
    zpat_pub_t **: zpat_pub_destroy,                                           \
    zpat_sub_t **: zpat_sub_destroy,                                           \
    zpat_push_t **: zpat_push_destroy,                                         \
    zpat_pull_t **: zpat_pull_destroy,                                         \
    zpat_dealer_t **: zpat_dealer_destroy,                                     \
    zpat_router_t **: zpat_router_destroy) (self_p)

#define zpat_bind(s, endpoint)  zpat_socket_bind (zpat_socket (s), endpoint)
#define zpat_stats_reset(s)     zpat_socket_stats_reset (zpat_socket (s))
#define zpat_events_on(s)       zpat_socket_events_on (zpat_socket (s))
#define zpat_events_off(s)      zpat_socket_events_off (zpat_socket (s))
#define zpat_recv_event(s, event, timeout_ms) \
    zpat_socket_recv_event (zpat_socket (s), event, timeout_ms)
#define zpat_poller_add(p, s, events, arg) \
    zpat_poller_add_socket (p, zpat_socket (s), events, arg)
#define zpat_poller_remove(p, s) zpat_poller_remove_socket (p, zpat_socket (s))
#define zpat_fd(s)              zpat_socket_fd (zpat_socket (s))
#define zpat_ready(s)           zpat_socket_ready (zpat_socket (s))
#define zpat_connect(s, endpoint) zpat_socket_connect (zpat_socket (s), endpoint)
#define zpat_endpoint(s)        zpat_socket_endpoint (zpat_socket (s))
#define zpat_handle(s)          zpat_socket_handle (zpat_socket (s))
#define zpat_get_options(s, o) \
    zpat_socket_get_options_sized (zpat_socket (s), o, sizeof (zpat_options_t))

#define zpat_set_send_timeout_ms(s, ms) \
    zpat_socket_set_send_timeout_ms (ZPAT_SEND_OPTIONS (s), ms)
#define zpat_set_recv_timeout_ms(s, ms) \
    zpat_socket_set_recv_timeout_ms (ZPAT_RECV_OPTIONS (s), ms)
#define zpat_set_send_hwm(s, n) \
    zpat_socket_set_send_hwm (ZPAT_SEND_OPTIONS (s), n)
#define zpat_set_recv_hwm(s, n) \
    zpat_socket_set_recv_hwm (ZPAT_RECV_OPTIONS (s), n)
#define zpat_set_linger_ms(s, ms) \
    zpat_socket_set_linger_ms (zpat_socket (s), ms)
#define zpat_set_max_msg_bytes(s, n) \
    zpat_socket_set_max_msg_bytes (zpat_socket (s), n)
#define zpat_set_reconnect_ivl_ms(s, ms) \
    zpat_socket_set_reconnect_ivl_ms (zpat_socket (s), ms)
#define zpat_set_ipv6(s, on)    zpat_socket_set_ipv6 (zpat_socket (s), on)

#define zpat_send(s, data, size) zpat_socket_send (ZPAT_SENDER (s), data, size)
#define zpat_send_str(s, string) zpat_socket_send_str (ZPAT_SENDER (s), string)
#define zpat_sendf(s, ...)      zpat_socket_sendf (ZPAT_SENDER (s), __VA_ARGS__)
#define zpat_send_frames(s, frames, count) \
    zpat_socket_send_frames (ZPAT_SENDER (s), frames, count)
#define zpat_send_msg(s, msg)   zpat_socket_send_msg (ZPAT_SENDER (s), msg)

#define zpat_recv(s, buf, size) zpat_socket_recv (ZPAT_RECEIVER (s), buf, size)
#define zpat_recv_str(s)        zpat_socket_recv_str (ZPAT_RECEIVER (s))
#define zpat_recv_msg(s, msg)   zpat_socket_recv_msg (ZPAT_RECEIVER (s), msg)
#define zpat_recv_lend(s, data) zpat_socket_recv_lend (ZPAT_RECEIVER (s), data)
#define zpat_discard(s)         zpat_socket_discard (ZPAT_RECEIVER (s))
#endif // __cplusplus

// The role-specific functions, guarded the same way: a pointer to another
// role is a compile error, not just a warning. To reach a function itself
// (a function pointer, a binding), wrap its name in parentheses:
// (zpat_sub_subscribe) (sub, "123").
#ifndef ZPAT_BUILDING
#define zpat_req_new(e, o) zpat_req_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_rep_new(e, o) zpat_rep_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_pub_new(e, o) zpat_pub_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_sub_new(e, p, o) \
    zpat_sub_new_sized (e, p, o, sizeof (zpat_options_t))
#define zpat_push_new(e, o) zpat_push_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_pull_new(e, o) zpat_pull_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_dealer_new(e, o) \
    zpat_dealer_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_router_new(e, o) \
    zpat_router_new_sized (e, o, sizeof (zpat_options_t))
#define zpat_socket_get_options(s, o) \
    zpat_socket_get_options_sized (s, o, sizeof (zpat_options_t))
#define zpat_device_new(type, f, b, o) \
    zpat_device_new_sized (type, f, b, o, sizeof (zpat_device_options_t))
#define zpat_socket_stats(s, st) \
    zpat_socket_stats_sized (s, st, sizeof (zpat_stats_t))
#ifndef __cplusplus // C++ checks these types itself
#define zpat_stats(s, st) zpat_socket_stats (zpat_socket (s), st)
#define zpat_req_destroy(p)  zpat_req_destroy (ZPAT_ONLY (zpat_req_t **, p))
#define zpat_rep_destroy(p)  zpat_rep_destroy (ZPAT_ONLY (zpat_rep_t **, p))
#define zpat_pub_destroy(p)  zpat_pub_destroy (ZPAT_ONLY (zpat_pub_t **, p))
#define zpat_sub_destroy(p)  zpat_sub_destroy (ZPAT_ONLY (zpat_sub_t **, p))
#define zpat_push_destroy(p) zpat_push_destroy (ZPAT_ONLY (zpat_push_t **, p))
#define zpat_pull_destroy(p) zpat_pull_destroy (ZPAT_ONLY (zpat_pull_t **, p))
#define zpat_pull_ack(s) zpat_pull_ack (ZPAT_ONLY (zpat_pull_t *, s))
#define zpat_dealer_destroy(p) \
    zpat_dealer_destroy (ZPAT_ONLY (zpat_dealer_t **, p))
#define zpat_router_destroy(p) \
    zpat_router_destroy (ZPAT_ONLY (zpat_router_t **, p))
#define zpat_router_recv(s, peer, buf, size) \
    zpat_router_recv (ZPAT_ONLY (zpat_router_t *, s), peer, buf, size)
#define zpat_router_recv_str(s, peer) \
    zpat_router_recv_str (ZPAT_ONLY (zpat_router_t *, s), peer)
#define zpat_router_recv_msg(s, peer, msg) \
    zpat_router_recv_msg (ZPAT_ONLY (zpat_router_t *, s), peer, msg)
#define zpat_router_send(s, peer, data, size) \
    zpat_router_send (ZPAT_ONLY (zpat_router_t *, s), peer, data, size)
#define zpat_router_send_str(s, peer, string) \
    zpat_router_send_str (ZPAT_ONLY (zpat_router_t *, s), peer, string)
#define zpat_router_send_msg(s, peer, msg) \
    zpat_router_send_msg (ZPAT_ONLY (zpat_router_t *, s), peer, msg)
#define zpat_pub_send_topic(s, topic, data, size) \
    zpat_pub_send_topic (ZPAT_ONLY (zpat_pub_t *, s), topic, data, size)
#define zpat_pub_subscriptions(s) \
    zpat_pub_subscriptions (ZPAT_ONLY (zpat_pub_t *, s))
#define zpat_pub_wait_subscriptions(s, count, timeout_ms) \
    zpat_pub_wait_subscriptions (ZPAT_ONLY (zpat_pub_t *, s), count, timeout_ms)
#define zpat_sub_subscribe(s, prefix) \
    zpat_sub_subscribe (ZPAT_ONLY (zpat_sub_t *, s), prefix)
#define zpat_sub_unsubscribe(s, prefix) \
    zpat_sub_unsubscribe (ZPAT_ONLY (zpat_sub_t *, s), prefix)
#define zpat_sub_recv_topic(s, topic_p, payload_p) \
    zpat_sub_recv_topic (ZPAT_ONLY (zpat_sub_t *, s), topic_p, payload_p)
#endif // __cplusplus
#endif // ZPAT_BUILDING
// clang-format on

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
// ---------------------------------------------------------------------------
// C++ (C++17 and later): the generic verbs above as inline function
// templates of the same names. Each takes exactly the roles its C macro
// takes, so that zpat_send_str (sub, "x") or zpat_recv (push, buf, n) finds
// no overload and does not compile, and calls the zpat_socket_* function
// the macro calls: noexcept, nothing allocated of their own, nothing to
// link but libzpat. ZPAT_SENDER, ZPAT_RECEIVER, ZPAT_SEND_OPTIONS and
// ZPAT_RECV_OPTIONS are function templates too, ZPAT_ONLY a macro.
// Everything else is the C API: C++ itself refuses a pointer to one role
// where another's is declared (zpat_req_destroy (&rep),
// zpat_sub_subscribe (pub, "x")), and the _sized macros (zpat_req_new,
// zpat_device_new, zpat_socket_stats ...) pass the struct sizes as in C.
// Two differences: no compiler checks zpat_sendf's format against its
// arguments (a template cannot pass the printf attribute on; in C the
// macro can), and an error handler (zpat_set_error_handler) must not throw,
// since no exception can leave the C library or these noexcept functions.

// C++ linkage, even if the program includes zpat.h inside an extern "C"
// block; no standard header needed.
extern "C++" {

// Not for use: what the overloads are chosen by.
namespace zpat_detail {

// std::enable_if_t and std::is_same, without <type_traits>.
template <bool B, typename T> struct enable_if {
};
template <typename T> struct enable_if<true, T> {
    using type = T;
};
template <bool B, typename T>
using enable_if_t = typename enable_if<B, T>::type;
template <typename T, typename U> struct is_same {
    static constexpr bool value = false;
};
template <typename T> struct is_same<T, T> {
    static constexpr bool value = true;
};

// The generic families, as the _Generic lists above give them.
enum family : unsigned {
    in_any_role = 1,     // zpat_socket, and every verb built on it
    in_sender = 2,       // ZPAT_SENDER
    in_receiver = 4,     // ZPAT_RECEIVER
    in_send_options = 8, // ZPAT_SEND_OPTIONS
    in_recv_options = 16 // ZPAT_RECV_OPTIONS
};
constexpr unsigned sends = in_any_role | in_sender | in_send_options;
constexpr unsigned receives = in_any_role | in_receiver | in_recv_options;
// A ROUTER has options both ways, and verbs of its own to send and receive.
constexpr unsigned routes = in_any_role | in_send_options | in_recv_options;

template <unsigned F> struct families {
    static constexpr bool any_role = (F & in_any_role) != 0;
    static constexpr bool sender = (F & in_sender) != 0;
    static constexpr bool receiver = (F & in_receiver) != 0;
    static constexpr bool send_options = (F & in_send_options) != 0;
    static constexpr bool recv_options = (F & in_recv_options) != 0;
};

// role<T>: the families T is in. Anything that is not a role (void,
// zpat_msg_t, zpat_socket_t, a const role) is in none.
// clang-format off
template <typename T> struct role : families<0> {};
// One line per role, as each role has one line in each C family above.
template <> struct role<zpat_req_t> : families<sends | receives> {};
template <> struct role<zpat_rep_t> : families<sends | receives> {};
template <> struct role<zpat_pub_t> : families<sends> {};
template <> struct role<zpat_sub_t> : families<receives> {};
template <> struct role<zpat_push_t> : families<sends> {};
template <> struct role<zpat_pull_t> : families<receives> {};
template <> struct role<zpat_dealer_t> : families<sends | receives> {};
template <> struct role<zpat_router_t> : families<routes> {};
// clang-format on

// if_<family><T>: int when T is in the family, else no type, which takes
// the overload out of the set (SFINAE).
template <typename T> using if_any_role = enable_if_t<role<T>::any_role, int>;
template <typename T> using if_sender = enable_if_t<role<T>::sender, int>;
template <typename T> using if_receiver = enable_if_t<role<T>::receiver, int>;
template <typename T>
using if_send_options = enable_if_t<role<T>::send_options, int>;
template <typename T>
using if_recv_options = enable_if_t<role<T>::recv_options, int>;

// ZPAT_ONLY (type, s): s, which must be of exactly that type.
template <typename T, typename U>
inline T
only (U self) noexcept
{
    static_assert (is_same<T, U>::value, "ZPAT_ONLY: not of this type");
    return self;
}

} // namespace zpat_detail

#define ZPAT_ONLY(type, s) (::zpat_detail::only<type> (s))

// zpat_socket (s) turns a pointer to any role into a zpat_socket_t *; the
// others accept the roles of their C macros.
template <typename T, zpat_detail::if_any_role<T> = 0>
inline zpat_socket_t *
zpat_socket (T *self) noexcept
{
    return reinterpret_cast<zpat_socket_t *> (self);
}
template <typename T, zpat_detail::if_sender<T> = 0>
inline zpat_socket_t *
ZPAT_SENDER (T *self) noexcept
{
    return reinterpret_cast<zpat_socket_t *> (self);
}
template <typename T, zpat_detail::if_receiver<T> = 0>
inline zpat_socket_t *
ZPAT_RECEIVER (T *self) noexcept
{
    return reinterpret_cast<zpat_socket_t *> (self);
}
template <typename T, zpat_detail::if_send_options<T> = 0>
inline zpat_socket_t *
ZPAT_SEND_OPTIONS (T *self) noexcept
{
    return reinterpret_cast<zpat_socket_t *> (self);
}
template <typename T, zpat_detail::if_recv_options<T> = 0>
inline zpat_socket_t *
ZPAT_RECV_OPTIONS (T *self) noexcept
{
    return reinterpret_cast<zpat_socket_t *> (self);
}

// zpat_destroy (&obj) destroys an object of any role.
inline void
zpat_destroy (zpat_req_t **self_p) noexcept
{
    zpat_req_destroy (self_p);
}
inline void
zpat_destroy (zpat_rep_t **self_p) noexcept
{
    zpat_rep_destroy (self_p);
}
inline void
zpat_destroy (zpat_pub_t **self_p) noexcept
{
    zpat_pub_destroy (self_p);
}
inline void
zpat_destroy (zpat_sub_t **self_p) noexcept
{
    zpat_sub_destroy (self_p);
}
inline void
zpat_destroy (zpat_push_t **self_p) noexcept
{
    zpat_push_destroy (self_p);
}
inline void
zpat_destroy (zpat_pull_t **self_p) noexcept
{
    zpat_pull_destroy (self_p);
}
inline void
zpat_destroy (zpat_dealer_t **self_p) noexcept
{
    zpat_dealer_destroy (self_p);
}
inline void
zpat_destroy (zpat_router_t **self_p) noexcept
{
    zpat_router_destroy (self_p);
}

// Any role: attaching, options, counters, events, descriptors.
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_bind (T *self, const char *endpoint) noexcept
{
    return zpat_socket_bind (zpat_socket (self), endpoint);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_connect (T *self, const char *endpoint) noexcept
{
    return zpat_socket_connect (zpat_socket (self), endpoint);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline const char *
zpat_endpoint (T *self) noexcept
{
    return zpat_socket_endpoint (zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline void *
zpat_handle (T *self) noexcept
{
    return zpat_socket_handle (zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_get_options (T *self, zpat_options_t *opts) noexcept
{
    return zpat_socket_get_options_sized (zpat_socket (self), opts,
                                          sizeof (zpat_options_t));
}
template <typename T, zpat_detail::if_send_options<T> = 0>
inline int
zpat_set_send_timeout_ms (T *self, int ms) noexcept
{
    return zpat_socket_set_send_timeout_ms (ZPAT_SEND_OPTIONS (self), ms);
}
template <typename T, zpat_detail::if_recv_options<T> = 0>
inline int
zpat_set_recv_timeout_ms (T *self, int ms) noexcept
{
    return zpat_socket_set_recv_timeout_ms (ZPAT_RECV_OPTIONS (self), ms);
}
template <typename T, zpat_detail::if_send_options<T> = 0>
inline int
zpat_set_send_hwm (T *self, int messages) noexcept
{
    return zpat_socket_set_send_hwm (ZPAT_SEND_OPTIONS (self), messages);
}
template <typename T, zpat_detail::if_recv_options<T> = 0>
inline int
zpat_set_recv_hwm (T *self, int messages) noexcept
{
    return zpat_socket_set_recv_hwm (ZPAT_RECV_OPTIONS (self), messages);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_set_linger_ms (T *self, int ms) noexcept
{
    return zpat_socket_set_linger_ms (zpat_socket (self), ms);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_set_max_msg_bytes (T *self, int64_t bytes) noexcept
{
    return zpat_socket_set_max_msg_bytes (zpat_socket (self), bytes);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_set_reconnect_ivl_ms (T *self, int ms) noexcept
{
    return zpat_socket_set_reconnect_ivl_ms (zpat_socket (self), ms);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_set_ipv6 (T *self, int on) noexcept
{
    return zpat_socket_set_ipv6 (zpat_socket (self), on);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_stats (T *self, zpat_stats_t *stats) noexcept
{
    return zpat_socket_stats_sized (zpat_socket (self), stats,
                                    sizeof (zpat_stats_t));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_stats_reset (T *self) noexcept
{
    return zpat_socket_stats_reset (zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_events_on (T *self) noexcept
{
    return zpat_socket_events_on (zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_events_off (T *self) noexcept
{
    return zpat_socket_events_off (zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_recv_event (T *self, zpat_event_t *event, int timeout_ms) noexcept
{
    return zpat_socket_recv_event (zpat_socket (self), event, timeout_ms);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_poller_add (zpat_poller_t *poller, T *self, int events, void *arg) noexcept
{
    return zpat_poller_add_socket (poller, zpat_socket (self), events, arg);
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_poller_remove (zpat_poller_t *poller, T *self) noexcept
{
    return zpat_poller_remove_socket (poller, zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_fd (T *self) noexcept
{
    return zpat_socket_fd (zpat_socket (self));
}
template <typename T, zpat_detail::if_any_role<T> = 0>
inline int
zpat_ready (T *self) noexcept
{
    return zpat_socket_ready (zpat_socket (self));
}

// Sending: REQ, REP, PUB, PUSH, DEALER.
template <typename T, zpat_detail::if_sender<T> = 0>
inline int
zpat_send (T *self, const void *data, size_t size) noexcept
{
    return zpat_socket_send (ZPAT_SENDER (self), data, size);
}
template <typename T, zpat_detail::if_sender<T> = 0>
inline int
zpat_send_str (T *self, const char *string) noexcept
{
    return zpat_socket_send_str (ZPAT_SENDER (self), string);
}
// Through a pointer, which carries no format attribute: a format that is
// a parameter here cannot be checked, and would only raise
// -Wformat-security and -Wformat-nonliteral in the caller's build.
template <typename T, typename... A, zpat_detail::if_sender<T> = 0>
inline int
zpat_sendf (T *self, const char *format, A... args) noexcept
{
    int (*const sendf) (zpat_socket_t *, const char *, ...) = zpat_socket_sendf;
    return sendf (ZPAT_SENDER (self), format, args...);
}
template <typename T, zpat_detail::if_sender<T> = 0>
inline int
zpat_send_frames (T *self, const zpat_frame_t *frames, size_t count) noexcept
{
    return zpat_socket_send_frames (ZPAT_SENDER (self), frames, count);
}
template <typename T, zpat_detail::if_sender<T> = 0>
inline int
zpat_send_msg (T *self, zpat_msg_t *msg) noexcept
{
    return zpat_socket_send_msg (ZPAT_SENDER (self), msg);
}

// Receiving: REQ, REP, SUB, PULL, DEALER.
template <typename T, zpat_detail::if_receiver<T> = 0>
inline int
zpat_recv (T *self, void *buf, size_t size) noexcept
{
    return zpat_socket_recv (ZPAT_RECEIVER (self), buf, size);
}
template <typename T, zpat_detail::if_receiver<T> = 0>
inline char *
zpat_recv_str (T *self) noexcept
{
    return zpat_socket_recv_str (ZPAT_RECEIVER (self));
}
template <typename T, zpat_detail::if_receiver<T> = 0>
inline int
zpat_recv_msg (T *self, zpat_msg_t *msg) noexcept
{
    return zpat_socket_recv_msg (ZPAT_RECEIVER (self), msg);
}
template <typename T, zpat_detail::if_receiver<T> = 0>
inline int
zpat_recv_lend (T *self, const void **data) noexcept
{
    return zpat_socket_recv_lend (ZPAT_RECEIVER (self), data);
}
template <typename T, zpat_detail::if_receiver<T> = 0>
inline int
zpat_discard (T *self) noexcept
{
    return zpat_socket_discard (ZPAT_RECEIVER (self));
}

} // extern "C++"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#endif // __cplusplus

#endif // ZPAT_H
