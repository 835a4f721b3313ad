// zpat_wait.c - the socket core's waiting: for a socket to be ready, with
// a timeout, woken by the signals zpat_catch_signals () asked for; and the
// general path of a send or receive of one frame, which waits so.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <poll.h>

int
zpat__wait_handle (void *handle, short events, int timeout_ms, bool fresh)
{
    // The socket's own descriptor, polled with the signal pipe by poll (2)
    // itself: zmq_poll () costs about a thousand instructions more per wait.
    // The descriptor only says "look again" (edge-triggered), so ZMQ_EVENTS
    // is read before every poll (), and reading it is what re-arms it; a
    // send or receive that just failed for want of room or a message (fresh)
    // has done the same.
    int fd;
    size_t fd_size = sizeof fd;
    if (zmq_getsockopt (handle, ZMQ_FD, &fd, &fd_size) == -1)
        return -1;
    int64_t deadline = timeout_ms < 0 ? -1 : zpat__clock_ms () + timeout_ms;
    int ready;
    size_t ready_size = sizeof ready;
    for (;; fresh = false) {
        if (!fresh) {
            if (zmq_getsockopt (handle, ZMQ_EVENTS, &ready, &ready_size) == -1)
                return -1;
            if (ready & events)
                return 1;
        }
        struct pollfd items[2] = {
            {fd, POLLIN, 0},
            {zpat__signal_fd (), POLLIN, 0},
        };
        nfds_t count = items[1].fd == -1 ? 1 : 2;
        if (count == 2 && zpat_interrupted ())
            return zpat__fail (EINTR);
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - zpat__clock_ms ();
            wait = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        }
        int rc = poll (items, count, wait);
        if (rc == -1 && errno == EINTR && !zpat_interrupted ())
            continue; // a signal zpat was not asked to catch
        if (rc == -1)
            return -1;
        if (count == 2 && (items[1].revents || zpat_interrupted ()))
            return zpat__fail (EINTR);
        if (rc == 0 && deadline >= 0 && zpat__clock_ms () >= deadline) {
            // One last look: what woke libzmq may not have woken us.
            if (zmq_getsockopt (handle, ZMQ_EVENTS, &ready, &ready_size) == -1)
                return -1;
            return (ready & events) ? 1 : 0;
        }
    }
}

int
zpat__wait_signal (int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 : zpat__clock_ms () + timeout_ms;
    while (true) {
        if (zpat__signal_fd () != -1 && zpat_interrupted ())
            return zpat__fail (EINTR);
        // Nothing else wakes this wait when the context ends: look every
        // 100 ms.
        if (zpat__ctx_ended ())
            return zpat__fail (ZPAT_ETERM);
        int wait = 100;
        if (deadline >= 0) {
            int64_t left = deadline - zpat__clock_ms ();
            if (left <= 0)
                return 0;
            wait = left > 100 ? 100 : (int)left;
        }
        struct pollfd item = {zpat__signal_fd (), POLLIN, 0};
        int rc = poll (&item, item.fd == -1 ? 0 : 1, wait);
        if (rc == -1 && errno != EINTR)
            return -1;
        if (rc == 1 || (zpat__signal_fd () != -1 && zpat_interrupted ()))
            return zpat__fail (EINTR);
    }
}

// Runs a send or receive of one frame with the caller's timeout: the general
// path behind the inline zpat__socket_transfer, which has tried the common
// case first. Without
// zpat_catch_signals () libzmq blocks by itself, honouring the socket's
// timeout, and a stray EINTR is retried. With it, the call first tries not to
// wait, then polls the socket together with the signal pipe.
//
// Only a message's first frame can wait: libzmq takes (or delivers) the rest
// of a multipart message together with the first, so later frames pass
// first = false and are never cut off by a signal or a timeout half-way.
int
zpat__socket_transfer_wait (zpat_socket_t *self, zmq_msg_t *frame, int flags,
                            bool sending, bool first)
{
    // The inline half (or a fast path, which set self->interrupted) has
    // already made the one blocking call, and a signal zpat was not asked to
    // catch interrupted it; or zpat catches signals.
    self->interrupted = false;
    bool tried = self->tried;
    self->tried = false;
    bool catching = zpat__signal_fd () != -1;
    if (!first) {
        // A later frame is already there: just go again.
        while (true) {
            int rc = sending ? zmq_msg_send (frame, self->handle, flags)
                             : zmq_msg_recv (frame, self->handle, flags);
            if (rc >= 0 || errno != EINTR)
                return rc;
        }
    }
    // A first frame's wait goes on with the timeout counted from here, so
    // that a stray signal starts it over once, not on every signal.
    if (catching && zpat_interrupted ())
        return zpat__fail (EINTR);
    int timeout =
        sending ? self->opts.send_timeout_ms : self->opts.recv_timeout_ms;
    int64_t deadline = timeout < 0 ? -1 : zpat__clock_ms () + timeout;
    for (;; tried = false) {
        if (!tried) {
            int rc =
                sending
                    ? zmq_msg_send (frame, self->handle, flags | ZMQ_DONTWAIT)
                    : zmq_msg_recv (frame, self->handle, flags | ZMQ_DONTWAIT);
            if (rc >= 0 || errno != EAGAIN)
                return rc;
        }
        int left = -1;
        if (deadline >= 0) {
            left = (int)(deadline - zpat__clock_ms ());
            if (left <= 0)
                return zpat__fail (EAGAIN);
        }
        int rc = zpat__socket_poll (self, sending ? ZMQ_POLLOUT : ZMQ_POLLIN,
                                    left, true);
        if (rc == -1)
            return -1;
        if (rc == 0)
            return zpat__fail (EAGAIN);
    }
}

int64_t
zpat__socket_wait_start (zpat_socket_t *self)
{
    int64_t from = self->wait_from;
    if (from) {
        self->wait_from = 0;
        return from;
    }
    return self->opts.recv_timeout_ms >= 0 ? zpat__clock_ms () : 0;
}

int
zpat__socket_wait_rest (zpat_socket_t *self, int64_t start_ms)
{
    int timeout = self->opts.recv_timeout_ms;
    int wait = -1;
    if (timeout > 0) {
        int64_t left = start_ms + timeout - zpat__clock_ms ();
        if (left <= 0)
            return zpat__fail (EAGAIN); // a flood of junk ends here too
        wait = (int)left;
    } else if (timeout == 0)
        wait = 0; // no waiting: only a message already there

    int rc = zpat__socket_poll (self, ZMQ_POLLIN, wait, false);
    if (rc == 0)
        return zpat__fail (EAGAIN);
    return rc == 1 ? 0 : -1;
}
