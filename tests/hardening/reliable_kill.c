// reliable_kill.c - the lossless pipeline under fire: a pusher sends
// 200,000 messages to 4 worker processes while one worker is killed with
// SIGKILL and replaced every second. Each worker writes the number of each
// message it takes to a pipe to this process before it asks for the next
// (which acknowledges it), so a number written is never lost with the
// worker. Reports what was lost and how many came twice; run in reliable
// mode (default) it fails on any loss, with --plain it reports plain
// PUSH/PULL's loss for comparison (and fails only if nothing arrived).
// Each worker spends --work-us (default 200) on each message, so that the
// run lasts several seconds and several workers die in it.
//   reliable_kill [--plain] [--count N] [--workers N] [--work-us N]
//                 [--transport tcp|ipc]
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS_MAX 16
#define CREDIT 10

static long long
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// A worker: takes messages and writes each one's number to fd.
static int
s_worker (const char *endpoint, bool plain, int fd, long work_us)
{
    struct timespec work = {0, work_us * 1000};
    zpat_options_t opts = {.reliable_credit = plain ? 0 : CREDIT,
                           .recv_timeout_ms = 100};
    zpat_pull_t *pull = zpat_pull_new_sized (endpoint, &opts, sizeof opts);
    if (!pull)
        return 1;
    uint32_t n;
    while (true) {
        int rc = zpat_recv (pull, &n, sizeof n);
        if (rc == -1 && errno == EAGAIN)
            continue;
        if (rc != sizeof n)
            return 1;
        if (work_us)
            nanosleep (&work, NULL);
        if (write (fd, &n, sizeof n) != sizeof n)
            return 1;
    }
}

static pid_t
s_spawn (const char *self, const char *endpoint, bool plain, long work_us,
         int *fd)
{
    int link[2];
    if (pipe (link) == -1)
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        close (link[0]);
        char fdtext[16], worktext[24];
        snprintf (fdtext, sizeof fdtext, "%d", link[1]);
        snprintf (worktext, sizeof worktext, "%ld", work_us);
        execl (self, self, "--worker", endpoint, plain ? "plain" : "reliable",
               fdtext, worktext, (char *)NULL);
        _exit (127);
    }
    close (link[1]);
    *fd = link[0];
    return pid;
}

int
main (int argc, char **argv)
{
    if (argc == 6 && !strcmp (argv[1], "--worker"))
        return s_worker (argv[2], !strcmp (argv[3], "plain"), atoi (argv[4]),
                         atol (argv[5]));
    bool plain = false;
    // Under valgrind (the CI's valgrind leg runs this suite) the pusher is
    // some 30 times slower: a shorter run checks the same things.
    long count = getenv ("ZPAT_UNDER_VALGRIND") ? 10000 : 200000;
    int workers = 4;
    long work_us = 200;
    const char *transport = "tcp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--plain"))
            plain = true;
        else if (!strcmp (argv[i], "--count") && i + 1 < argc)
            count = atol (argv[++i]);
        else if (!strcmp (argv[i], "--workers") && i + 1 < argc)
            workers = atoi (argv[++i]);
        else if (!strcmp (argv[i], "--work-us") && i + 1 < argc)
            work_us = atol (argv[++i]);
        else if (!strcmp (argv[i], "--transport") && i + 1 < argc)
            transport = argv[++i];
        else {
            fprintf (stderr,
                     "usage: reliable_kill [--plain] [--count N] "
                     "[--workers N] [--work-us N] [--transport tcp|ipc]\n");
            return 2;
        }
    }
    if (workers < 1 || workers > WORKERS_MAX || count < 1 || work_us < 0 ||
        work_us > 999999)
        return 2;
    signal (SIGPIPE, SIG_IGN);
    char wanted[128];
    if (!strcmp (transport, "ipc"))
        snprintf (wanted, sizeof wanted, "@ipc:///tmp/zpat-rkill-%d",
                  (int)getpid ());
    else
        snprintf (wanted, sizeof wanted, "@tcp://127.0.0.1:*");
    zpat_options_t opts = {.reliable_credit = plain ? 0 : CREDIT,
                           .send_timeout_ms = 100,
                           .linger_ms = 5000};
    zpat_push_t *push = zpat_push_new_sized (wanted, &opts, sizeof opts);
    if (!push) {
        fprintf (stderr, "zpat_push_new: %s\n", zpat_strerror (errno));
        return 1;
    }
    char endpoint[300];
    snprintf (endpoint, sizeof endpoint, ">%s", zpat_endpoint (push));
    pid_t pids[WORKERS_MAX];
    int fds[WORKERS_MAX];
    for (int w = 0; w < workers; w++)
        pids[w] = s_spawn (argv[0], endpoint, plain, work_us, &fds[w]);
    uint8_t *seen = calloc ((size_t)count, 1);
    long received = 0, duplicates = 0, kills = 0;
    uint32_t next = 0;
    long long start = s_now_ms ();
    long long next_kill = start + 1000;
    long long last_progress = start;
    int victim = 0;
    while (received < count) {
        // Send while the pusher takes (the send timeout is 100 ms).
        for (int burst = 0; burst < 1000 && next < (uint32_t)count; burst++) {
            if (zpat_send (push, &next, sizeof next) == -1)
                break;
            next++;
        }
        struct pollfd items[WORKERS_MAX];
        for (int w = 0; w < workers; w++)
            items[w] = (struct pollfd){fds[w], POLLIN, 0};
        poll (items, (nfds_t)workers, next < (uint32_t)count ? 0 : 50);
        for (int w = 0; w < workers; w++) {
            if (!(items[w].revents & (POLLIN | POLLHUP)))
                continue;
            uint32_t numbers[1024];
            ssize_t got = read (fds[w], numbers, sizeof numbers);
            for (ssize_t k = 0; k + 4 <= got; k += 4) {
                uint32_t n = numbers[k / 4];
                if (n >= (uint32_t)count)
                    continue;
                if (seen[n]++)
                    duplicates++;
                else {
                    received++;
                    last_progress = s_now_ms ();
                }
            }
        }
        long long now = s_now_ms ();
        if (now >= next_kill) {
            // One worker killed and replaced; its pipe read to the end.
            kill (pids[victim], SIGKILL);
            waitpid (pids[victim], NULL, 0);
            uint32_t numbers[1024];
            ssize_t got;
            while ((got = read (fds[victim], numbers, sizeof numbers)) > 0)
                for (ssize_t k = 0; k + 4 <= got; k += 4) {
                    uint32_t n = numbers[k / 4];
                    if (n < (uint32_t)count && seen[n]++)
                        duplicates++;
                    else if (n < (uint32_t)count)
                        received++;
                }
            close (fds[victim]);
            pids[victim] =
                s_spawn (argv[0], endpoint, plain, work_us, &fds[victim]);
            victim = (victim + 1) % workers;
            kills++;
            next_kill = now + 1000;
        }
        // All sent and nothing new for 5 s: what is missing is lost.
        if (next >= (uint32_t)count && now - last_progress > 5000)
            break;
    }
    long long took = s_now_ms () - start;
    for (int w = 0; w < workers; w++) {
        kill (pids[w], SIGKILL);
        waitpid (pids[w], NULL, 0);
        close (fds[w]);
    }
    zpat_set_linger_ms (push, ZPAT_WAIT_NONE);
    zpat_push_destroy (&push);
    if (!strcmp (transport, "ipc"))
        unlink (wanted + 7); // libzmq leaves the socket file behind
    long lost = count - received;
    printf ("%s: %ld messages, %d workers, %ld killed (one a second), "
            "%lld ms: received %ld, lost %ld (%.3f%%), duplicates %ld\n",
            plain ? "plain" : "reliable", count, workers, kills, took, received,
            lost, 100.0 * (double)lost / (double)count, duplicates);
    free (seen);
    if (plain)
        return received > 0 ? 0 : 1;
    return lost == 0 && kills > 0 ? 0 : 1;
}
