// zpat_cli_io.c - the zpat tool's input (lines of stdin, whole files) and
// output (text, quoted, hex, raw).
// SPDX-License-Identifier: MPL-2.0

#include "zpat_cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Bytes asked of each read (2), and the least room kept free for it.
#define READ_BYTES 65536

int
cli_reader_init (cli_reader_t *self, int fd)
{
    *self = (cli_reader_t){.fd = fd};
    self->poller = zpat_poller_new ();
    if (!self->poller)
        return -1;
    if (zpat_poller_add_fd (self->poller, fd, ZPAT_POLLIN, NULL) == -1) {
        int saved = errno;
        zpat_poller_destroy (&self->poller);
        errno = saved;
        return -1;
    }
    return 0;
}

void
cli_reader_fini (cli_reader_t *self)
{
    zpat_poller_destroy (&self->poller);
    free (self->data);
    self->data = NULL;
}

int
cli_reader_read (cli_reader_t *self)
{
    // Drop what was taken, so the buffer grows only for a long line.
    if (self->start > 0) {
        memmove (self->data, self->data + self->start,
                 self->length - self->start);
        self->length -= self->start;
        self->start = 0;
    }
    if (self->capacity - self->length < READ_BYTES) {
        size_t capacity = self->capacity ? self->capacity * 2 : 2 * READ_BYTES;
        char *data = realloc (self->data, capacity);
        if (!data)
            return -1;
        self->data = data;
        self->capacity = capacity;
    }
    ssize_t got = read (self->fd, self->data + self->length,
                        self->capacity - self->length);
    if (got == -1) {
        // A signal zpat does not catch interrupts nothing: read again later.
        return errno == EINTR && !zpat_interrupted () ? 0 : -1;
    }
    if (got == 0)
        self->ended = true;
    self->length += (size_t)got;
    return 0;
}

int
cli_reader_line (cli_reader_t *self, const char **line, size_t *size)
{
    char *first = self->data + self->start;
    size_t held = self->length - self->start;
    // Search only what was not searched before: a long line comes in many
    // reads, and searching it whole each time would be quadratic.
    char *newline = held > self->scanned ? memchr (first + self->scanned, '\n',
                                                   held - self->scanned)
                                         : NULL;
    if (!newline) {
        self->scanned = held;
        if (!self->ended || held == 0)
            return 0;
        newline = first + held; // the last line, without its newline
    }
    *line = first;
    *size = (size_t)(newline - first);
    self->start += *size + (newline < first + held);
    self->scanned = 0;
    return 1;
}

int
cli_reader_next_line (cli_reader_t *self, const char **line, size_t *size)
{
    while (!cli_reader_line (self, line, size)) {
        if (self->ended)
            return 0;
        zpat_ready_t ready;
        if (zpat_poller_wait (self->poller, ZPAT_WAIT_FOREVER, &ready, 1) ==
                -1 ||
            cli_reader_read (self) == -1)
            return -1;
    }
    return 1;
}

int
cli_read_all (int fd, char **data, size_t *size)
{
    cli_reader_t reader;
    if (cli_reader_init (&reader, fd) == -1)
        return -1;
    int rc = 0;
    while (rc == 0 && !reader.ended) {
        zpat_ready_t ready;
        rc = zpat_poller_wait (reader.poller, ZPAT_WAIT_FOREVER, &ready, 1);
        if (rc != -1)
            rc = cli_reader_read (&reader);
    }
    if (rc == 0) {
        // Hand the buffer over (an empty file gives an empty buffer).
        *size = reader.length;
        *data = reader.data ? reader.data : malloc (1);
        reader.data = NULL;
        if (!*data)
            rc = -1;
    }
    int saved = errno;
    cli_reader_fini (&reader);
    errno = saved;
    return rc;
}

// Writes size bytes at data as a C string literal would hold them: printable
// ASCII as it is (but \" and \\), \n \r \t, and every other byte as \x and
// two hex digits, as Python's bytes repr shows them.
static void
s_put_quoted (FILE *out, const unsigned char *data, size_t size)
{
    putc ('"', out);
    for (size_t i = 0; i < size; i++) {
        unsigned char byte = data[i];
        const char *escape = byte == '"'    ? "\\\""
                             : byte == '\\' ? "\\\\"
                             : byte == '\n' ? "\\n"
                             : byte == '\r' ? "\\r"
                             : byte == '\t' ? "\\t"
                                            : NULL;
        if (escape)
            fputs (escape, out);
        else if (byte >= 0x20 && byte < 0x7f)
            putc (byte, out);
        else
            fprintf (out, "\\x%02x", byte);
    }
    putc ('"', out);
}

static void
s_put_hex (FILE *out, const unsigned char *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        putc (digits[data[i] >> 4], out);
        putc (digits[data[i] & 15], out);
    }
}

static void
s_put_frame (FILE *out, cli_format_t format, const void *data, size_t size)
{
    if (format == CLI_QUOTED)
        s_put_quoted (out, data, size);
    else if (format == CLI_HEX)
        s_put_hex (out, data, size);
    else if (size > 0)
        fwrite (data, 1, size, out);
}

int
cli_print (FILE *out, cli_format_t format, const zpat_peer_t *peer,
           const zpat_msg_t *msg)
{
    size_t count = zpat_msg_count (msg);
    bool fields = format != CLI_RAW;
    if (peer && fields) {
        s_put_hex (out, peer->id, peer->size);
        if (count > 0)
            putc ('\t', out);
    }
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && fields)
            putc ('\t', out);
        s_put_frame (out, format, zpat_msg_data (msg, i),
                     zpat_msg_size (msg, i));
    }
    if (fields)
        putc ('\n', out);
    return fflush (out) == EOF || ferror (out) ? -1 : 0;
}

int64_t
cli_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
