// zpat_input.c - Python's input (prompt).strip () for the tutorial ports:
// a line from standard input that Ctrl-C can interrupt.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <ctype.h>
#include <poll.h>
#include <unistd.h>

// Longest line accepted, in bytes: the default maximum message size.
#define LINE_MAX_BYTES ZPAT_DEFAULT_MAX_MSG_BYTES

// What has been read from descriptor 0 and not yet returned. zpat reads the
// descriptor itself, rather than through stdio's stdin, so that it can wait
// for input and for the signal pipe at once: stdio may hold lines in its
// buffer that poll () would never report.
static struct {
    char *data;
    size_t length, capacity;
    size_t scanned; // bytes at the start known to hold no newline
    bool ended;
    bool skipping; // the rest of an over-long line is being thrown away
} s_in;

// Returns a new string holding bytes [start, end) without surrounding white
// space.
static char *
s_stripped (const char *start, const char *end)
{
    while (start < end && isspace ((unsigned char)*start))
        start++;
    while (end > start && isspace ((unsigned char)end[-1]))
        end--;
    size_t length = (size_t)(end - start);
    char *line = malloc (length + 1);
    if (!line)
        return zpat__fail_null (ENOMEM);
    memcpy (line, start, length);
    line[length] = 0;
    return line;
}

// Takes the first line (up to a newline, or everything at end of input) out
// of the buffer; NULL when there is none yet.
static char *
s_take_line (bool *taken)
{
    // Search only the bytes not searched before: a long line arrives in
    // many reads, and scanning it whole each time would be quadratic.
    char *newline = s_in.length > s_in.scanned
                        ? memchr (s_in.data + s_in.scanned, '\n',
                                  s_in.length - s_in.scanned)
                        : NULL;
    s_in.scanned = s_in.length;
    if (s_in.skipping) {
        // Throw away the rest of a line that was refused as too long.
        size_t used = newline ? (size_t)(newline - s_in.data) + 1 : s_in.length;
        memmove (s_in.data, s_in.data + used, s_in.length - used);
        s_in.length -= used;
        s_in.skipping = !newline;
        newline = s_in.length ? memchr (s_in.data, '\n', s_in.length) : NULL;
        s_in.scanned = s_in.length;
        if (s_in.skipping) {
            *taken = false;
            return NULL;
        }
    }
    *taken = newline || (s_in.ended && s_in.length);
    if (!*taken)
        return NULL;
    size_t used = newline ? (size_t)(newline - s_in.data) + 1 : s_in.length;
    char *line = s_stripped (s_in.data, s_in.data + used);
    if (line) {
        memmove (s_in.data, s_in.data + used, s_in.length - used);
        s_in.length -= used;
        s_in.scanned = 0; // the rest has not been searched as a line yet
    }
    return line;
}

bool
zpat__input_ready (void)
{
    return s_in.ended ||
           (s_in.length && memchr (s_in.data, '\n', s_in.length) != NULL);
}

// Waits for input (or a signal zpat catches) and appends what read () gives.
static int
s_fill (void)
{
    if (s_in.length >= LINE_MAX_BYTES) {
        // No newline in all that: refuse the line, and skip the rest of it
        // so that the next call reads the line after it.
        s_in.length = 0;
        s_in.scanned = 0;
        s_in.skipping = true;
        return zpat__fail (EMSGSIZE);
    }
    if (s_in.capacity - s_in.length < 4096) {
        size_t capacity = s_in.capacity ? s_in.capacity * 2 : 8192;
        char *data = realloc (s_in.data, capacity);
        if (!data)
            return zpat__fail (ENOMEM);
        s_in.data = data;
        s_in.capacity = capacity;
    }
    struct pollfd fds[2] = {{0, POLLIN, 0}, {zpat__signal_fd (), POLLIN, 0}};
    nfds_t count = fds[1].fd == -1 ? 1 : 2;
    if (count == 2 && zpat_interrupted ())
        return zpat__fail (EINTR);
    int rc = poll (fds, count, -1);
    if (rc == -1 && errno == EINTR && !zpat_interrupted ())
        return 0; // a signal zpat does not catch: wait again
    if (rc == -1)
        return -1;
    if (count == 2 && fds[1].revents)
        return zpat__fail (EINTR);
    ssize_t got =
        read (0, s_in.data + s_in.length, s_in.capacity - s_in.length);
    if (got == -1)
        return -1;
    if (got == 0)
        s_in.ended = true;
    s_in.length += (size_t)got;
    return 0;
}

// Ends the prompt's line after Ctrl-C, so that what is printed next (the
// shell's prompt, the program's goodbye) starts on a line of its own rather
// than after "prompt: ^C". Nothing when no prompt was printed or the prompt
// ended its own line. Keeps errno.
static void
s_end_prompt_line (const char *prompt)
{
    size_t length = prompt ? strlen (prompt) : 0;
    if (length == 0 || prompt[length - 1] == '\n')
        return;
    int saved = errno;
    fputc ('\n', stdout);
    fflush (stdout);
    errno = saved;
}

static char *
s_input (const char *prompt)
{
    if (prompt) {
        fputs (prompt, stdout);
        fflush (stdout);
    }
    while (true) {
        bool taken;
        char *line = s_take_line (&taken);
        if (taken)
            return line;
        if (s_in.ended)
            return zpat__fail_null (ENODATA);
        if (s_fill () == -1) {
            if (errno == EINTR)
                s_end_prompt_line (prompt);
            return NULL;
        }
    }
}

char *
zpat_input (const char *prompt)
{
    return zpat__api_ptr (s_input (prompt), "zpat_input", NULL, NULL);
}
