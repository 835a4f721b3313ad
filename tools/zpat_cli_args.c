// zpat_cli_args.c - the zpat tool's command line: its usage, and the parser
// that checks every option before a socket is made.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: zpat ROLE ENDPOINTS [options]\n"
    "  ROLE       req, rep, pub, sub, push, pull, dealer or router\n"
    "  ENDPOINTS  one or more, separated by commas; @ENDPOINT binds,\n"
    "             >ENDPOINT connects, a bare one does what the role usually\n"
    "             does (rep, pub, pull, router bind; the others connect)\n"
    "req, pub, push and dealer send each line of stdin as a message (no\n"
    "newline), or the message --data/--file give; rep and router echo each\n"
    "request, or answer it with that message. Every message received is\n"
    "printed, one a line, frames separated by tabs (router: the peer's id\n"
    "in hex first).\n"
    "options:\n"
    "  -d, --data TEXT      a frame of the message to send, or of the reply\n"
    "  -f, --file FILE      a frame of FILE's bytes (-: all of stdin); each\n"
    "                       --data and --file adds one frame, in order\n"
    "  -n, --count N        stop after N messages received (req, dealer: N\n"
    "                       replies; pub, push: N sent); --data is sent N\n"
    "                       times (default once)\n"
    "  -t, --timeout MS     a send or receive that waits longer ends zpat\n"
    "                       with status 3\n"
    "  -s, --subscribe PREFIX  sub: receive messages that start with PREFIX\n"
    "                       (repeatable; default: all)\n"
    "  -F, --format FORMAT  text (default), quoted, hex or raw (the bytes\n"
    "                       alone: no tabs, no newlines, no router id)\n"
    "  -i, --interval MS    wait MS between sends\n"
    "      --delay MS       wait MS before the first send\n"
    "      --subscribers N  pub: wait for N subscriptions before the first\n"
    "                       send\n"
    "  -v, --verbose        say on stderr which endpoint was bound\n"
    "  -h, --help           print this and exit\n"
    "exit status: 0 done (count reached, end of input, Ctrl-C, SIGTERM),\n"
    "1 error, 2 bad usage, 3 timed out. See zpat(1).\n";

static const char *const s_roles[] = {
    [CLI_REQ] = "req",       [CLI_REP] = "rep",       [CLI_PUB] = "pub",
    [CLI_SUB] = "sub",       [CLI_PUSH] = "push",     [CLI_PULL] = "pull",
    [CLI_DEALER] = "dealer", [CLI_ROUTER] = "router",
};

static const char *const s_formats[] = {
    [CLI_TEXT] = "text",
    [CLI_QUOTED] = "quoted",
    [CLI_HEX] = "hex",
    [CLI_RAW] = "raw",
};

// The options, by their long and short names, and whether they take a value.
typedef enum {
    OPT_DATA,
    OPT_FILE,
    OPT_COUNT,
    OPT_TIMEOUT,
    OPT_SUBSCRIBE,
    OPT_FORMAT,
    OPT_INTERVAL,
    OPT_DELAY,
    OPT_SUBSCRIBERS,
    OPT_VERBOSE,
    OPT_HELP,
} option_t;

static const struct {
    const char *name;
    char short_name; // 0: none
    bool takes_value;
} s_options[] = {
    [OPT_DATA] = {"data", 'd', true},
    [OPT_FILE] = {"file", 'f', true},
    [OPT_COUNT] = {"count", 'n', true},
    [OPT_TIMEOUT] = {"timeout", 't', true},
    [OPT_SUBSCRIBE] = {"subscribe", 's', true},
    [OPT_FORMAT] = {"format", 'F', true},
    [OPT_INTERVAL] = {"interval", 'i', true},
    [OPT_DELAY] = {"delay", 0, true},
    [OPT_SUBSCRIBERS] = {"subscribers", 0, true},
    [OPT_VERBOSE] = {"verbose", 'v', false},
    [OPT_HELP] = {"help", 'h', false},
};

#define COUNT_OF(array) (sizeof (array) / sizeof (array)[0])

bool
cli_role_sends (cli_role_t role)
{
    return role == CLI_REQ || role == CLI_PUB || role == CLI_PUSH ||
           role == CLI_DEALER;
}

bool
cli_role_receives (cli_role_t role)
{
    return role != CLI_PUB && role != CLI_PUSH;
}

// Says what is wrong, then the usage, on stderr; returns CLI_USAGE.
static int
s_bad_usage (const char *what, const char *detail)
{
    fprintf (stderr, "zpat: %s%s%s\n", what, detail ? ": " : "",
             detail ? detail : "");
    fputs (s_usage, stderr);
    return CLI_USAGE;
}

// A whole number from minimum to INT_MAX in decimal digits alone (no sign,
// no spaces, no suffix): 0, or -1 when text is not one.
static int
s_number (const char *text, int minimum, long *value)
{
    size_t digits = strspn (text, "0123456789");
    if (digits == 0 || digits > 10 || text[digits])
        return -1;
    long number = strtol (text, NULL, 10);
    if (number < minimum || number > INT_MAX)
        return -1;
    *value = number;
    return 0;
}

// Finds the option arg names ("--name", "--name=value", "-x", "-xVALUE").
// Returns its index, or -1; *inline_value is the value given in the same
// argument, or NULL.
static int
s_find_option (const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *equals = strchr (name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen (name);
        for (size_t i = 0; i < COUNT_OF (s_options); i++)
            if (strlen (s_options[i].name) == length &&
                strncmp (s_options[i].name, name, length) == 0) {
                *inline_value = equals ? equals + 1 : NULL;
                return (int)i;
            }
        return -1;
    }
    for (size_t i = 0; i < COUNT_OF (s_options); i++)
        if (s_options[i].short_name && s_options[i].short_name == arg[1]) {
            *inline_value = arg[2] ? arg + 2 : NULL;
            return (int)i;
        }
    return -1;
}

// Applies option (with value, NULL for a flag) to args. Returns CLI_GO_ON or
// the status to exit with.
static int
s_apply (cli_args_t *args, option_t option, const char *value)
{
    long number = 0;
    switch (option) {
    case OPT_DATA:
    case OPT_FILE:
        args->parts[args->part_count].is_file = option == OPT_FILE;
        args->parts[args->part_count].arg = value;
        args->part_count++;
        return CLI_GO_ON;
    case OPT_SUBSCRIBE:
        args->prefixes[args->prefix_count++] = value;
        return CLI_GO_ON;
    case OPT_FORMAT:
        for (size_t i = 0; i < COUNT_OF (s_formats); i++)
            if (strcmp (value, s_formats[i]) == 0) {
                args->format = (cli_format_t)i;
                return CLI_GO_ON;
            }
        return s_bad_usage ("--format takes text, quoted, hex or raw, not",
                            value);
    case OPT_VERBOSE:
        args->verbose = true;
        return CLI_GO_ON;
    case OPT_HELP:
        fputs (s_usage, stdout);
        return CLI_DONE;
    default:
        break;
    }
    // The numbers: a count of at least 1, the others 0 or more.
    if (s_number (value, option == OPT_COUNT ? 1 : 0, &number) == -1) {
        char what[64];
        snprintf (what, sizeof what, "--%s takes a whole number %s, not",
                  s_options[option].name,
                  option == OPT_COUNT ? "from 1" : "from 0");
        return s_bad_usage (what, value);
    }
    if (option == OPT_COUNT)
        args->count = number;
    else if (option == OPT_TIMEOUT)
        args->timeout_ms = (int)number;
    else if (option == OPT_INTERVAL)
        args->interval_ms = (int)number;
    else if (option == OPT_DELAY)
        args->delay_ms = (int)number;
    else
        args->subscribers = (int)number;
    return CLI_GO_ON;
}

// Checks that the options given make sense for the role.
static int
s_check_role (const cli_args_t *args, const bool *given)
{
    cli_role_t role = args->role;
    if (given[OPT_SUBSCRIBE] && role != CLI_SUB)
        return s_bad_usage ("--subscribe is for sub only", NULL);
    if (given[OPT_SUBSCRIBERS] && role != CLI_PUB)
        return s_bad_usage ("--subscribers is for pub only", NULL);
    if ((given[OPT_DATA] || given[OPT_FILE]) &&
        (role == CLI_SUB || role == CLI_PULL))
        return s_bad_usage (given[OPT_DATA] ? "--data" : "--file",
                            "sub and pull send nothing");
    if ((given[OPT_INTERVAL] || given[OPT_DELAY]) && !cli_role_sends (role))
        return s_bad_usage (given[OPT_INTERVAL] ? "--interval" : "--delay",
                            "only req, pub, push and dealer send first");
    if (given[OPT_FORMAT] && !cli_role_receives (role))
        return s_bad_usage ("--format", "pub and push print nothing");
    return CLI_GO_ON;
}

int
cli_args_parse (cli_args_t *args, int argc, char **argv)
{
    *args = (cli_args_t){.timeout_ms = -1, .format = CLI_TEXT};
    size_t slots = argc > 0 ? (size_t)argc : 1;
    args->parts = calloc (slots, sizeof *args->parts);
    args->prefixes = calloc (slots, sizeof *args->prefixes);
    if (!args->parts || !args->prefixes) {
        fprintf (stderr, "zpat: %s\n", zpat_strerror (ENOMEM));
        cli_args_free (args);
        return CLI_ERROR;
    }
    bool given[COUNT_OF (s_options)] = {false};
    const char *positional[2] = {NULL, NULL};
    size_t positional_count = 0;
    bool options_ended = false;
    int status = CLI_GO_ON;
    for (int i = 1; i < argc && status == CLI_GO_ON; i++) {
        const char *arg = argv[i];
        if (!options_ended && strcmp (arg, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (options_ended || arg[0] != '-' || arg[1] == 0) {
            if (positional_count == 2)
                status = s_bad_usage ("one ROLE and one ENDPOINTS argument; "
                                      "separate endpoints with commas, not",
                                      arg);
            else
                positional[positional_count++] = arg;
            continue;
        }
        const char *value;
        int option = s_find_option (arg, &value);
        if (option == -1) {
            status = s_bad_usage ("unknown option", arg);
            continue;
        }
        if (!s_options[option].takes_value && value) {
            status = s_bad_usage ("this option takes no value", arg);
            continue;
        }
        if (s_options[option].takes_value && !value) {
            if (i + 1 == argc) {
                status = s_bad_usage ("this option needs a value", arg);
                continue;
            }
            value = argv[++i];
        }
        given[option] = true;
        status = s_apply (args, (option_t)option, value);
    }
    if (status == CLI_GO_ON && positional_count == 0)
        status = s_bad_usage ("no ROLE given", NULL);
    if (status == CLI_GO_ON) {
        args->role_name = positional[0];
        size_t role = 0;
        while (role < COUNT_OF (s_roles) &&
               strcmp (s_roles[role], positional[0]))
            role++;
        if (role == COUNT_OF (s_roles))
            status = s_bad_usage ("unknown role", positional[0]);
        args->role = (cli_role_t)role;
    }
    if (status == CLI_GO_ON && positional_count < 2)
        status = s_bad_usage ("no ENDPOINTS given", NULL);
    if (status == CLI_GO_ON) {
        args->endpoints = positional[1];
        status = s_check_role (args, given);
    }
    if (status != CLI_GO_ON)
        cli_args_free (args);
    return status;
}

void
cli_args_free (cli_args_t *args)
{
    free (args->parts);
    args->parts = NULL;
    free (args->prefixes);
    args->prefixes = NULL;
}
