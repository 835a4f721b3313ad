// hardening_util.c - a raw ZMTP 3.0 peer on BSD sockets and small helpers
// for the hardening tests.
// SPDX-License-Identifier: MPL-2.0

#include "hardening_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint32_t
hu_fnv1a (const void *data, size_t size)
{
    const unsigned char *bytes = data;
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < size; i++) {
        hash ^= bytes[i];
        hash *= 16777619u;
    }
    return hash;
}

double
hu_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

long
hu_rss_kb (pid_t pid)
{
    char path[64];
    if (pid == 0)
        snprintf (path, sizeof path, "/proc/self/status");
    else
        snprintf (path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets (line, sizeof line, file)) {
        if (strncmp (line, "VmRSS:", 6) == 0) {
            kb = strtol (line + 6, NULL, 10);
            break;
        }
    }
    fclose (file);
    return kb;
}

int
hu_tcp_port (const char *endpoint)
{
    const char *colon = endpoint ? strrchr (endpoint, ':') : NULL;
    if (!colon || strncmp (endpoint, "tcp://", 6) != 0)
        return -1;
    return atoi (colon + 1);
}

int
hu_raw_connect (int port, int timeout_ms)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int on = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t)port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *)&addr, sizeof addr) == -1) {
        int saved = errno;
        close (fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int
hu_send_all (int fd, const void *data, size_t size)
{
    const char *at = data;
    while (size > 0) {
        // MSG_NOSIGNAL: a peer that hung up gives EPIPE, not SIGPIPE.
        ssize_t sent = send (fd, at, size, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        at += sent;
        size -= (size_t)sent;
    }
    return 0;
}

int
hu_recv_all (int fd, void *data, size_t size)
{
    char *at = data;
    while (size > 0) {
        ssize_t got = recv (fd, at, size, 0);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        at += got;
        size -= (size_t)got;
    }
    return 0;
}

void
hu_greeting (unsigned char out[HU_GREETING_SIZE])
{
    memset (out, 0, HU_GREETING_SIZE);
    out[0] = 0xFF;
    out[9] = 0x7F;
    out[10] = 3; // version 3.0
    out[11] = 0;
    memcpy (out + 12, "NULL", 4);
}

size_t
hu_ready (unsigned char *out, const char *socket_type)
{
    size_t type_size = strlen (socket_type);
    unsigned char *body = out + 2;
    size_t n = 0;
    body[n++] = 5;
    memcpy (body + n, "READY", 5);
    n += 5;
    body[n++] = 11;
    memcpy (body + n, "Socket-Type", 11);
    n += 11;
    body[n++] = 0;
    body[n++] = 0;
    body[n++] = 0;
    body[n++] = (unsigned char)type_size;
    memcpy (body + n, socket_type, type_size);
    n += type_size;
    out[0] = HU_COMMAND;
    out[1] = (unsigned char)n;
    return n + 2;
}

size_t
hu_frame_header (unsigned char *out, uint64_t size, int flags)
{
    if (size <= 255 && !(flags & HU_LONG)) {
        out[0] = (unsigned char)flags;
        out[1] = (unsigned char)size;
        return 2;
    }
    out[0] = (unsigned char)(flags | HU_LONG);
    for (int i = 0; i < 8; i++)
        out[1 + i] = (unsigned char)(size >> (56 - 8 * i));
    return 9;
}

// Reads one frame header; stores the flags and the size.
static int
s_recv_header (int fd, int *flags, uint64_t *size)
{
    unsigned char head[9];
    if (hu_recv_all (fd, head, 2) == -1)
        return -1;
    *flags = head[0];
    if (!(head[0] & HU_LONG)) {
        *size = head[1];
        return 0;
    }
    if (hu_recv_all (fd, head + 2, 7) == -1)
        return -1;
    *size = 0;
    for (int i = 1; i < 9; i++)
        *size = (*size << 8) | head[i];
    return 0;
}

int
hu_handshake (int fd, const char *socket_type)
{
    unsigned char greeting[HU_GREETING_SIZE];
    unsigned char ready[64];
    hu_greeting (greeting);
    size_t ready_size = hu_ready (ready, socket_type);
    if (hu_send_all (fd, greeting, sizeof greeting) == -1 ||
        hu_send_all (fd, ready, ready_size) == -1)
        return -1;
    unsigned char theirs[HU_GREETING_SIZE];
    if (hu_recv_all (fd, theirs, sizeof theirs) == -1)
        return -1;
    if (theirs[0] != 0xFF || theirs[9] != 0x7F || theirs[10] < 3)
        return -1;
    int flags;
    uint64_t size;
    if (s_recv_header (fd, &flags, &size) == -1 || !(flags & HU_COMMAND) ||
        size > 4096)
        return -1;
    unsigned char body[4096];
    if (hu_recv_all (fd, body, (size_t)size) == -1)
        return -1;
    return size >= 6 && memcmp (body, "\005READY", 6) == 0 ? 0 : -1;
}

int
hu_send_frame (int fd, const void *data, size_t size, int flags)
{
    unsigned char head[9];
    size_t head_size = hu_frame_header (head, size, flags);
    if (hu_send_all (fd, head, head_size) == -1)
        return -1;
    return size ? hu_send_all (fd, data, size) : 0;
}

int
hu_recv_frame (int fd, void *buf, size_t capacity, size_t *size, int *flags)
{
    while (true) {
        uint64_t length;
        if (s_recv_header (fd, flags, &length) == -1 || length > capacity)
            return -1;
        if (length && hu_recv_all (fd, buf, (size_t)length) == -1)
            return -1;
        if (!(*flags & HU_COMMAND)) {
            *size = (size_t)length;
            return 0;
        }
    }
}

double
hu_wait_closed (int fd, int timeout_ms)
{
    double start = hu_now_ms ();
    char sink[4096];
    while (true) {
        double left = timeout_ms - (hu_now_ms () - start);
        if (left <= 0)
            return -1;
        struct pollfd item = {fd, POLLIN, 0};
        int rc = poll (&item, 1, (int)left + 1);
        if (rc == -1 && errno == EINTR)
            continue;
        if (rc <= 0)
            continue;
        ssize_t got = recv (fd, sink, sizeof sink, MSG_DONTWAIT);
        if (got == 0 || (got == -1 && errno != EAGAIN && errno != EINTR))
            return hu_now_ms () - start;
    }
}

int
hu_thread_blocked (pid_t tid, int timeout_ms)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/self/task/%ld/stat", (long)tid);
    double deadline = hu_now_ms () + timeout_ms;
    while (hu_now_ms () < deadline) {
        FILE *file = fopen (path, "r");
        char line[512] = "";
        if (file) {
            if (!fgets (line, sizeof line, file))
                line[0] = 0;
            fclose (file);
        }
        // The state follows the command name, which is in parentheses.
        const char *paren = strrchr (line, ')');
        if (paren && paren[1] == ' ' && paren[2] == 'S')
            return 1;
        struct timespec pause = {0, 1000000};
        nanosleep (&pause, NULL);
    }
    return 0;
}

pid_t
hu_gettid (void)
{
    return (pid_t)syscall (SYS_gettid);
}

// The checksum covers everything but the worker id byte.
static uint32_t
s_job_sum (const unsigned char *job)
{
    return hu_fnv1a (job, 4) ^
           hu_fnv1a (job + HU_JOB_WORKER + 1, HU_JOB_SIZE - HU_JOB_WORKER - 1);
}

void
hu_job_make (unsigned char *out, uint32_t seq)
{
    memset (out, 0, HU_JOB_SIZE);
    memcpy (out, &seq, 4);
    uint64_t state = UINT64_C (0x9E3779B97F4A7C15) ^ seq;
    for (int i = HU_JOB_WORKER + 1; i < HU_JOB_SIZE; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out[i] = (unsigned char)state;
    }
    uint32_t sum = s_job_sum (out);
    memcpy (out + 4, &sum, 4);
}

int
hu_job_check (const unsigned char *data, size_t size, uint32_t *seq,
              int *worker)
{
    if (size != HU_JOB_SIZE)
        return 0;
    uint32_t sum;
    memcpy (seq, data, 4);
    memcpy (&sum, data + 4, 4);
    *worker = data[HU_JOB_WORKER];
    return sum == s_job_sum (data);
}

long
hu_rss_limit_kb (void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1L << 30;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1L << 30;
#endif
#endif
    return hu_under_valgrind () ? 1L << 30 : 5L * 1024;
}

bool
hu_under_valgrind (void)
{
    return getenv ("ZPAT_UNDER_VALGRIND") != NULL;
}

int
hu_time_factor (void)
{
    const char *text = getenv ("ZPAT_TEST_TIME_FACTOR");
    int factor = text ? atoi (text) : 1;
    return factor > 0 ? factor : 1;
}
