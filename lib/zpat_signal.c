// zpat_signal.c - opt-in SIGINT/SIGTERM handling that wakes blocked calls.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t s_interrupted;
static int s_pipe[2] = {-1, -1};

// The read end, for every blocking wait to poll (zpat_internal.h).
int zpat__signal_read_fd = -1;
// Held while SIGINT/SIGTERM dispositions change, here and while the context
// starts (zpat_ctx.c), so neither undoes the other.
pthread_mutex_t zpat__signal_lock = PTHREAD_MUTEX_INITIALIZER;

// The handler may run in any thread, so besides setting the flag it writes
// to a pipe that every blocking wait polls: a call blocked in another thread
// wakes too, not only the one the kernel picked.
static void
s_handler (int signum)
{
    (void)signum;
    int saved = errno;
    s_interrupted = 1;
    // Lock-free on every platform zpat builds on, so safe in a handler: the
    // fast paths see it in the one word they read anyway.
    atomic_fetch_or (&zpat__slow, ZPAT__SLOW_INTERRUPTED);
    if (write (s_pipe[1], "!", 1) < 0) {
        // The pipe is full of earlier signals: the flag says it all.
    }
    errno = saved;
}

static int
s_nonblocking (int fd)
{
    int flags = fcntl (fd, F_GETFL);
    if (flags == -1 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) == -1)
        return -1;
    return fcntl (fd, F_SETFD, FD_CLOEXEC);
}

static int
s_catch_signals (void)
{
    pthread_mutex_lock (&zpat__signal_lock);
    int rc = 0;
    if (s_pipe[0] == -1) {
        int fds[2];
        rc = pipe (fds);
        if (rc == 0 && (s_nonblocking (fds[0]) || s_nonblocking (fds[1]))) {
            int saved = errno;
            close (fds[0]);
            close (fds[1]);
            errno = saved;
            rc = -1;
        }
        if (rc == 0) {
            s_pipe[0] = fds[0];
            s_pipe[1] = fds[1];
            zpat__signal_read_fd = fds[0];
            atomic_fetch_or (&zpat__slow, ZPAT__SLOW_SIGNALS);
        }
    }
    if (rc == 0) {
        // No SA_RESTART: a signal must end a blocking wait, not resume it.
        struct sigaction action;
        memset (&action, 0, sizeof action);
        action.sa_handler = s_handler;
        sigemptyset (&action.sa_mask);
        rc = sigaction (SIGINT, &action, NULL);
        if (rc == 0)
            rc = sigaction (SIGTERM, &action, NULL);
    }
    pthread_mutex_unlock (&zpat__signal_lock);
    return rc;
}

int
zpat_catch_signals (void)
{
    return zpat__api_int (s_catch_signals (), "zpat_catch_signals", NULL, NULL);
}

int
zpat_interrupted (void)
{
    return s_interrupted != 0;
}

void
zpat_clear_interrupt (void)
{
    pthread_mutex_lock (&zpat__signal_lock);
    // Flags first, then the pipe: a signal that lands in between sets the
    // flags again after they were cleared, so it is not lost, and a wait
    // that sees it set ends at once even though its byte was drained.
    s_interrupted = 0;
    atomic_fetch_and (&zpat__slow, ~ZPAT__SLOW_INTERRUPTED);
    if (s_pipe[0] != -1) {
        char drain[64];
        while (read (s_pipe[0], drain, sizeof drain) > 0) {
        }
        // A signal that came between the two steps set the flags again but
        // lost its byte: put one back, for waits already asleep on the pipe.
        if (s_interrupted && write (s_pipe[1], "!", 1) < 0) {
            // The pipe is full: it wakes them anyway.
        }
    }
    pthread_mutex_unlock (&zpat__signal_lock);
}

// In a child after fork (): the pipe is shared with the parent, so a signal
// to either would wake the other's waits. Give the child a pipe of its own
// (pipe () and fcntl () are safe here; only this thread runs). Without one,
// the child's waits just stop watching for signals; the flag still works.
void
zpat__signal_after_fork (void)
{
    if (s_pipe[0] == -1)
        return;
    int fds[2];
    int old_read = s_pipe[0], old_write = s_pipe[1];
    s_pipe[0] = s_pipe[1] = -1;
    if (pipe (fds) == 0) {
        if (s_nonblocking (fds[0]) == 0 && s_nonblocking (fds[1]) == 0) {
            s_pipe[0] = fds[0];
            s_pipe[1] = fds[1];
        } else {
            close (fds[0]);
            close (fds[1]);
        }
    }
    zpat__signal_read_fd = s_pipe[0];
    close (old_read);
    close (old_write);
    if (s_pipe[0] == -1)
        atomic_fetch_and (&zpat__slow, ~ZPAT__SLOW_SIGNALS);
}
