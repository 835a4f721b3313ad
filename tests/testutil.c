// testutil.c - helpers shared by the Check suites.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
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

// The directory the ipc:// endpoints go in, and the process that made it
// and removes it. libzmq 4.3.4 leaves the file of an ipc:// path it bound
// (it removes only those of ipc://* endpoints), so the files are gathered
// here and removed together. tu_run_suite makes it before the tests run,
// so that Check's per-test children share it, and removes it once they are
// all done, whether they passed, failed or crashed. A program that asks for
// an ipc:// endpoint outside tu_run_suite gets one made then, removed when
// it exits. A fork () child uses its parent's and leaves it alone.
static char s_ipc_dir[64];
static pid_t s_ipc_owner;

// Longest $TMPDIR used: the callers' endpoint buffers hold 64 bytes, and an
// endpoint is "ipc://" + $TMPDIR + "/zpat-test-XXXXXX/" + pid + "-" + counter.
#define TU_TMPDIR_MAX 20

static bool
s_ipc_dir_make (const char *parent)
{
    int size =
        snprintf (s_ipc_dir, sizeof s_ipc_dir, "%s/zpat-test-XXXXXX", parent);
    if (size < 0 || (size_t)size >= sizeof s_ipc_dir || !mkdtemp (s_ipc_dir)) {
        s_ipc_dir[0] = 0;
        return false;
    }
    s_ipc_owner = getpid ();
    return true;
}

// Makes the directory, under $TMPDIR when it is set and short enough, else
// under /tmp. False if neither could be made.
static bool
s_ipc_dir_open (void)
{
    const char *tmpdir = getenv ("TMPDIR");
    if (tmpdir && *tmpdir && strlen (tmpdir) <= TU_TMPDIR_MAX &&
        s_ipc_dir_make (tmpdir))
        return true;
    return s_ipc_dir_make ("/tmp");
}

// Removes the directory and every file in it, in the process that made it.
static void
s_ipc_dir_remove (void)
{
    if (!s_ipc_dir[0] || s_ipc_owner != getpid ())
        return;
    DIR *dir = opendir (s_ipc_dir);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir (dir)) != NULL)
            if (strcmp (entry->d_name, ".") != 0 &&
                strcmp (entry->d_name, "..") != 0)
                unlinkat (dirfd (dir), entry->d_name, 0);
        closedir (dir);
    }
    rmdir (s_ipc_dir);
    s_ipc_dir[0] = 0;
}

char *
tu_endpoint (char *buf, size_t size, const char *transport)
{
    static unsigned counter;
    counter++;
    int length;
    if (strcmp (transport, "tcp") == 0)
        length = snprintf (buf, size, "tcp://127.0.0.1:*");
    else if (strcmp (transport, "ipc") == 0) {
        if (!s_ipc_dir[0]) {
            ck_assert_msg (s_ipc_dir_open (),
                           "no directory for ipc:// endpoints");
            atexit (s_ipc_dir_remove);
        }
        // The pid keeps the names of a process and of the children it
        // forks apart: they share the directory and each counts from the
        // same number.
        length = snprintf (buf, size, "ipc://%s/%ld-%u", s_ipc_dir,
                           (long)getpid (), counter);
    } else
        length = snprintf (buf, size, "inproc://zpat-test-%ld-%u",
                           (long)getpid (), counter);
    ck_assert_msg (length > 0 && (size_t)length < size,
                   "endpoint too long for its buffer of %zu bytes", size);
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
    // Made here, before Check forks the tests, so that the runner, which
    // outlives them all, removes it (a test that fails leaves with _exit ()).
    // Without it, tu_endpoint makes one when first asked.
    bool have_dir = s_ipc_dir[0] || s_ipc_dir_open ();
    SRunner *runner = srunner_create (suite);
    srunner_set_fork_status (runner, mode);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    if (have_dir)
        s_ipc_dir_remove ();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
