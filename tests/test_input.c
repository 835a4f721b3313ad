// test_input.c - zpat_input: Python's input (prompt).strip () from standard
// input, ended by end of input or by a caught signal.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// Makes a pipe the process's standard input and returns its write end.
static int
s_stdin_pipe (void)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    ck_assert_int_eq (dup2 (fds[0], 0), 0);
    close (fds[0]);
    return fds[1];
}

// Makes a pipe the process's standard output and returns its read end.
static int
s_stdout_pipe (void)
{
    int fds[2];
    ck_assert_int_eq (pipe (fds), 0);
    fflush (stdout);
    ck_assert_int_eq (dup2 (fds[1], 1), 1);
    close (fds[1]);
    return fds[0];
}

// Closes the pipe s_stdout_pipe made (standard output goes to /dev/null
// again) and returns everything written to it.
static char *
s_stdout_text (int fd)
{
    static char text[256];
    fflush (stdout);
    int null = open ("/dev/null", O_WRONLY);
    ck_assert_int_ne (null, -1);
    ck_assert_int_eq (dup2 (null, 1), 1);
    close (null);
    size_t length = 0;
    ssize_t got = 1;
    while (got > 0) {
        got = read (fd, text + length, sizeof text - 1 - length);
        ck_assert_int_ge (got, 0);
        length += (size_t)got;
    }
    text[length] = 0;
    close (fd);
    return text;
}

static void
s_write (int fd, const char *text)
{
    size_t length = strlen (text);
    ck_assert_int_eq (write (fd, text, length), (ssize_t)length);
}

// Lines come back stripped of white space at both ends, in order; a last
// line without a newline still counts; then end of input is ENODATA.
START_TEST (input_returns_stripped_lines_then_enodata)
{
    int fd = s_stdin_pipe ();
    s_write (fd, "  hello  \n\tb\r\n你好，世界\n\n   \nlast line");
    close (fd);
    const char *wanted[] = {"hello", "b", "你好，世界", "", "", "last line"};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        char *line = zpat_input (NULL);
        ck_assert_ptr_nonnull (line);
        ck_assert_str_eq (line, wanted[i]);
        zpat_str_free (&line);
    }
    errno = 0;
    ck_assert_ptr_null (zpat_input (NULL));
    ck_assert_int_eq (errno, ENODATA);
    ck_assert_ptr_null (zpat_input (NULL));
    ck_assert_int_eq (errno, ENODATA);
}
END_TEST

// A line longer than any internal buffer step arrives whole.
START_TEST (input_returns_long_lines_whole)
{
    int fd = s_stdin_pipe ();
    size_t length = 50000;
    char *text = malloc (length + 2);
    ck_assert_ptr_nonnull (text);
    for (size_t i = 0; i < length; i++)
        text[i] = (char)('a' + i % 26);
    text[length] = '\n';
    text[length + 1] = 0;
    // The pipe holds 64 KiB, so one write fits.
    s_write (fd, text);
    close (fd);
    char *line = zpat_input (NULL);
    ck_assert_ptr_nonnull (line);
    ck_assert_uint_eq (strlen (line), length);
    ck_assert_int_eq (memcmp (line, text, length), 0);
    zpat_str_free (&line);
    free (text);
}
END_TEST

static void *
s_raise_when_waiting (void *unused)
{
    (void)unused;
    // Signal the whole process, as Ctrl-C does; whichever thread takes it,
    // zpat_input wakes through the signal pipe.
    kill (getpid (), SIGINT);
    return NULL;
}

// After zpat_catch_signals, Ctrl-C ends a wait for input with EINTR, and
// later calls return EINTR at once.
START_TEST (input_ends_with_eintr_on_caught_signal)
{
    int fd = s_stdin_pipe ();
    ck_assert_int_eq (zpat_catch_signals (), 0);
    pthread_t thread;
    long long start = tu_now_ms ();
    ck_assert_int_eq (
        pthread_create (&thread, NULL, s_raise_when_waiting, NULL), 0);
    errno = 0;
    ck_assert_ptr_null (zpat_input ("prompt: "));
    ck_assert_int_eq (errno, EINTR);
    ck_assert_int_lt (tu_now_ms () - start, 2000 * tu_time_factor ());
    pthread_join (thread, NULL);
    ck_assert_int_eq (zpat_interrupted (), 1);
    s_write (fd, "too late\n");
    ck_assert_ptr_null (zpat_input (NULL));
    ck_assert_int_eq (errno, EINTR);
    close (fd);
}
END_TEST

// When Ctrl-C ends the wait at a prompt, zpat_input ends the prompt's line,
// so that the shell's prompt or a goodbye starts on a fresh line; not when
// there was no prompt or the prompt ended its line itself.
START_TEST (input_ends_the_prompt_line_when_interrupted)
{
    int in = s_stdin_pipe ();
    int out = s_stdout_pipe ();
    ck_assert_int_eq (zpat_catch_signals (), 0);
    pthread_t thread;
    ck_assert_int_eq (
        pthread_create (&thread, NULL, s_raise_when_waiting, NULL), 0);
    ck_assert_ptr_null (zpat_input ("prompt: "));
    ck_assert_int_eq (errno, EINTR);
    pthread_join (thread, NULL);
    // The interrupt stays in force: these calls return EINTR at once.
    ck_assert_ptr_null (zpat_input ("a line of its own:\n"));
    ck_assert_int_eq (errno, EINTR);
    ck_assert_ptr_null (zpat_input (""));
    ck_assert_ptr_null (zpat_input (NULL));
    ck_assert_ptr_null (zpat_input ("again: "));
    ck_assert_int_eq (errno, EINTR);
    ck_assert_str_eq (s_stdout_text (out),
                      "prompt: \na line of its own:\nagain: \n");
    close (in);
}
END_TEST

// A line read, or end of input, adds nothing after the prompt: the user's
// Enter ended the line, and at end of input the output is left as it was.
START_TEST (input_adds_no_newline_without_an_interrupt)
{
    int in = s_stdin_pipe ();
    int out = s_stdout_pipe ();
    s_write (in, "line\n");
    close (in);
    char *line = zpat_input ("prompt: ");
    ck_assert_ptr_nonnull (line);
    ck_assert_str_eq (line, "line");
    zpat_str_free (&line);
    ck_assert_ptr_null (zpat_input ("prompt: "));
    ck_assert_int_eq (errno, ENODATA);
    ck_assert_str_eq (s_stdout_text (out), "prompt: prompt: ");
}
END_TEST

// A line longer than zpat_input takes (64 MiB) is refused with EMSGSIZE
// and skipped: the next call returns the line after it.
START_TEST (input_skips_an_over_long_line)
{
    int fd = s_stdin_pipe ();
    pid_t writer = fork ();
    ck_assert_int_ne (writer, -1);
    if (writer == 0) {
        static char chunk[65536];
        memset (chunk, 'x', sizeof chunk);
        for (int i = 0; i < 1100; i++) // 72 MB without a newline
            if (write (fd, chunk, sizeof chunk) < 0)
                _exit (1);
        if (write (fd, "\nnext\n", 6) < 0)
            _exit (1);
        _exit (0);
    }
    close (fd);
    ck_assert_ptr_null (zpat_input (NULL));
    ck_assert_int_eq (errno, EMSGSIZE);
    char *line = zpat_input (NULL);
    ck_assert_ptr_nonnull (line);
    ck_assert_str_eq (line, "next");
    zpat_str_free (&line);
    int status;
    ck_assert_int_eq (waitpid (writer, &status, 0), writer);
}
END_TEST

static void
s_on_alarm (int signum)
{
    (void)signum;
}

static void *
s_alarm_then_write (void *arg)
{
    int fd = *(int *)arg;
    // SIGUSR1 has a handler without SA_RESTART that zpat did not install:
    // it must not end the wait; the line written after it must arrive.
    kill (getpid (), SIGUSR1);
    s_write (fd, "after the signal\n");
    return NULL;
}

// After zpat_catch_signals, a signal zpat does not catch does not end the
// wait for input.
START_TEST (input_ignores_signals_it_does_not_catch)
{
    int fd = s_stdin_pipe ();
    ck_assert_int_eq (zpat_catch_signals (), 0);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_alarm;
    sigemptyset (&action.sa_mask);
    ck_assert_int_eq (sigaction (SIGUSR1, &action, NULL), 0);
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_alarm_then_write, &fd),
                      0);
    char *line = zpat_input (NULL);
    ck_assert_ptr_nonnull (line);
    ck_assert_str_eq (line, "after the signal");
    zpat_str_free (&line);
    pthread_join (thread, NULL);
    ck_assert_int_eq (zpat_interrupted (), 0);
    close (fd);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("input");
    TCase *lines = tcase_create ("lines");
    tcase_set_timeout (lines, 20 * tu_time_factor ()); // 72 MB under valgrind
    tcase_add_test (lines, input_returns_stripped_lines_then_enodata);
    tcase_add_test (lines, input_returns_long_lines_whole);
    tcase_add_test (lines, input_ends_with_eintr_on_caught_signal);
    tcase_add_test (lines, input_ends_the_prompt_line_when_interrupted);
    tcase_add_test (lines, input_adds_no_newline_without_an_interrupt);
    tcase_add_test (lines, input_skips_an_over_long_line);
    tcase_add_test (lines, input_ignores_signals_it_does_not_catch);
    suite_add_tcase (suite, lines);
    // Each test changes the process's stdin and signal handlers: keep them
    // in their own child even where CK_FORK=no is set (valgrind).
    return tu_run_suite (suite, CK_FORK);
}
