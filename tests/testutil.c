// testutil.c - helpers shared by the Check suites.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const tu_transports[TU_TRANSPORTS] = {"inproc", "ipc", "tcp"};

const zpat_options_t tu_opts = {
    .send_timeout_ms = 5000,
    .recv_timeout_ms = 5000,
    .linger_ms = 100,
};

char *
tu_endpoint (char *buf, size_t size, const char *transport)
{
    static unsigned counter;
    counter++;
    if (strcmp (transport, "tcp") == 0)
        snprintf (buf, size, "tcp://127.0.0.1:*");
    else if (strcmp (transport, "ipc") == 0)
        snprintf (buf, size, "ipc:///tmp/zpat-test-%ld-%u", (long)getpid (),
                  counter);
    else
        snprintf (buf, size, "inproc://zpat-test-%ld-%u", (long)getpid (),
                  counter);
    return buf;
}

void
tu_bound_endpoint (zpat_socket_t *sock, const char *what, const char *wanted,
                   char *out)
{
    ck_assert_msg (sock, "%s (%s): %s", what, wanted, zpat_strerror (errno));
    const char *bound = zpat_socket_endpoint (sock);
    ck_assert_ptr_nonnull (bound);
    snprintf (out, TU_ENDPOINT_SIZE, "%s", bound);
}

long long
tu_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int
tu_time_factor (void)
{
    const char *text = getenv ("ZPAT_TEST_TIME_FACTOR");
    int factor = text ? atoi (text) : 1;
    return factor > 0 ? factor : 1;
}

int
tu_thread_sleeps (long tid)
{
    char path[64], stat[512];
    snprintf (path, sizeof path, "/proc/self/task/%ld/stat", tid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    size_t size = fread (stat, 1, sizeof stat - 1, file);
    fclose (file);
    stat[size] = 0;
    const char *end = strrchr (stat, ')');
    return end && end[1] == ' ' && end[2] == 'S';
}

int
tu_run_suite (Suite *suite, enum fork_status mode)
{
    SRunner *runner = srunner_create (suite);
    srunner_set_fork_status (runner, mode);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
