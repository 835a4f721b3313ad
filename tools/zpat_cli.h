// zpat_cli.h - the parts of the zpat command-line tool (tools/zpat.c): its
// arguments, its input (lines, files) and its output formats.
// SPDX-License-Identifier: MPL-2.0

#ifndef ZPAT_CLI_H
#define ZPAT_CLI_H

#include <zpat.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

// Exit statuses, as the usage and the man page give them.
enum {
    CLI_DONE = 0,    // count reached, end of input, Ctrl-C or SIGTERM
    CLI_ERROR = 1,   // one line on stderr says what and why
    CLI_USAGE = 2,   // bad usage: the usage on stderr
    CLI_TIMEOUT = 3, // a send or receive waited longer than --timeout
    CLI_GO_ON = -1,  // cli_args_parse: the arguments are good, run
};

typedef enum {
    CLI_REQ,
    CLI_REP,
    CLI_PUB,
    CLI_SUB,
    CLI_PUSH,
    CLI_PULL,
    CLI_DEALER,
    CLI_ROUTER,
} cli_role_t;

typedef enum {
    CLI_TEXT,   // the bytes as they are, then a newline
    CLI_QUOTED, // "C-style", escapes for all but printable ASCII
    CLI_HEX,    // lower-case hex pairs
    CLI_RAW,    // the bytes exactly, nothing added
} cli_format_t;

// One frame of the message given on the command line: --data's text or
// --file's path, borrowed from argv.
typedef struct {
    bool is_file;
    const char *arg;
} cli_part_t;

// The command line, parsed. Pointers are borrowed from argv.
typedef struct {
    cli_role_t role;
    const char *role_name;
    const char *endpoints;
    cli_part_t *parts; // --data and --file, in the order given
    size_t part_count;
    const char **prefixes; // --subscribe, in order
    size_t prefix_count;
    long count;      // --count; 0 when not given
    int timeout_ms;  // --timeout; -1 when not given
    int interval_ms; // --interval; 0 by default
    int delay_ms;    // --delay; 0 by default
    int subscribers; // --subscribers; 0 by default
    cli_format_t format;
    bool verbose;
} cli_args_t;

// cli_args_parse fills in *args from the command line. Returns CLI_GO_ON, or
// the status to exit with: CLI_DONE after --help (usage on stdout),
// CLI_USAGE after a complaint and the usage on stderr, CLI_ERROR when out
// of memory. On CLI_GO_ON the caller releases args with cli_args_free.
int cli_args_parse (cli_args_t *args, int argc, char **argv);
void cli_args_free (cli_args_t *args);

// cli_role_sends: the role sends messages of its own, from stdin or --data
// (req, pub, push, dealer); rep and router only answer.
bool cli_role_sends (cli_role_t role);
// cli_role_receives: the role receives messages (all but pub and push).
bool cli_role_receives (cli_role_t role);

// Input read from a descriptor by read (2), waiting in a zpat poller so
// that SIGINT and SIGTERM end the wait (after zpat_catch_signals). Lines
// are split here rather than by stdio, whose buffer poll (2) cannot see.
typedef struct {
    int fd;
    zpat_poller_t *poller; // fd alone; zpat adds its signal pipe
    char *data;
    size_t start;    // data[0 .. start) is taken
    size_t length;   // data[0 .. length) is held
    size_t capacity; // bytes allocated at data
    size_t scanned;  // data[start .. start + scanned) holds no newline
    bool ended;      // read (2) said end of input
} cli_reader_t;

// cli_reader_init sets self up to read fd (not closed by the reader).
// Returns 0, or -1 with errno (ENOMEM, EBADF).
int cli_reader_init (cli_reader_t *self, int fd);
void cli_reader_fini (cli_reader_t *self);

// cli_reader_read makes one read (2) into the buffer, without waiting first:
// call it when fd is readable. Returns 0 (self->ended set at end of input),
// or -1 with errno (EINTR on SIGINT/SIGTERM, ENOMEM, read's code).
int cli_reader_read (cli_reader_t *self);

// cli_reader_line takes the next line held, without its newline (the last
// line of the input needs none): 1 with *line and *size set (the bytes stay
// valid until the next call on self), or 0 when no whole line is held yet.
int cli_reader_line (cli_reader_t *self, const char **line, size_t *size);

// cli_reader_next_line waits for and takes the next line: 1 as above, 0 at
// end of input, -1 with errno (EINTR, and those of cli_reader_read).
int cli_reader_next_line (cli_reader_t *self, const char **line, size_t *size);

// cli_read_all reads all of fd until its end into a new buffer (*data, to
// free (); not NUL-terminated) of *size bytes. Returns 0, or -1 with errno.
int cli_read_all (int fd, char **data, size_t *size);

// cli_print writes msg to out in format: its frames separated by a tab, the
// peer's id in hex first when peer is given, then a newline; in CLI_RAW, the
// frames' bytes alone. Flushes out. Returns 0, or -1 with errno.
int cli_print (FILE *out, cli_format_t format, const zpat_peer_t *peer,
               const zpat_msg_t *msg);

// cli_now_ms: a monotonic clock, in milliseconds.
int64_t cli_now_ms (void);

#endif // ZPAT_CLI_H
