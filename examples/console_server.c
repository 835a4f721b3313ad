// console_server.c - a REP server that also reads commands from stdin, with
// one zpat_poller_t: the README's poller example.
// SPDX-License-Identifier: MPL-2.0
//
// It answers every request with "<request> #<n>" and reads lines typed on
// its standard input at the same time: "stats" prints its counters, "quit"
// (or end of input, or Ctrl-C) ends it.
//   ./console_server [endpoint]     (default tcp://*:5555)
//   python3 reqrep_client.py        (or ./reqrep_client) in another window

#include <zpat.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') { // -h, --help, or a mistake
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: console_server [endpoint]  (default tcp://*:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5555";
    zpat_catch_signals ();
    zpat_rep_t *rep = zpat_rep_new (endpoint, NULL);
    zpat_poller_t *poller = rep ? zpat_poller_new () : NULL;
    if (!poller || zpat_poller_add (poller, rep, ZPAT_POLLIN, "rep") == -1 ||
        zpat_poller_add_fd (poller, STDIN_FILENO, ZPAT_POLLIN, "stdin") == -1) {
        fprintf (stderr, "console_server: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        zpat_poller_destroy (&poller);
        zpat_rep_destroy (&rep);
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    printf ("serving %s; type stats or quit\n", endpoint);
    unsigned long served = 0;
    int done = 0;
    while (!done) {
        zpat_ready_t ready[2];
        int count = zpat_poller_wait (poller, ZPAT_WAIT_FOREVER, ready, 2);
        if (count == -1)
            break; // EINTR (Ctrl-C) or ZPAT_ETERM
        for (int i = 0; i < count && !done; i++) {
            if (ready[i].socket) { // the REP: a request is waiting
                char *request = zpat_recv_str (rep);
                if (request) {
                    zpat_sendf (rep, "%s #%lu", request, ++served);
                    zpat_str_free (&request);
                }
                continue;
            }
            char *line = zpat_input (NULL); // stdin: a line is waiting
            if (!line || !strcmp (line, "quit"))
                done = 1; // end of input, or "quit"
            else if (!strcmp (line, "stats")) {
                zpat_stats_t stats;
                zpat_stats (rep, &stats);
                printf ("%" PRIu64 " requests in, %" PRIu64
                        " replies out, %" PRIu64 " peers connected\n",
                        stats.msgs_received, stats.msgs_sent, stats.peers);
            } else if (*line)
                printf ("unknown command: %s\n", line);
            zpat_str_free (&line);
        }
    }
    printf ("served %lu requests\n", served);
    zpat_poller_destroy (&poller);
    zpat_rep_destroy (&rep);
    return 0;
}
