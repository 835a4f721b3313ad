// reqrep_client.cpp - the tutorial's reqrep_client.py in C++, with zpat:
// examples/reqrep_client.c, line for line, through zpat.h's C++ overloads.
// SPDX-License-Identifier: MPL-2.0
//
// Sends each line typed to the server and prints its reply; the line "b"
// (or end of input, or Ctrl-C) quits. Run a server first, then the client:
//   ./reqrep_server                (or: python3 reqrep_server.py)
//   ./reqrep_client_cpp [endpoint] (default tcp://localhost:5555)
// Built from the installed package alone:
//   c++ -std=c++17 reqrep_client.cpp $(pkg-config --cflags --libs zpat)

#include <zpat.h>
#include <cstdio>
#include <cstring>

int
main (int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    if (endpoint[0] == '-') { // -h or --help (status 0), or a mistake (2)
        bool help =
            !std::strcmp (endpoint, "-h") || !std::strcmp (endpoint, "--help");
        std::fputs ("usage: reqrep_client [endpoint]\n",
                    help ? stdout : stderr);
        return help ? 0 : 2;
    }
    zpat_exit_on_error (); // a failing call prints why and exits
    std::printf ("connecting to server...\n");
    // No linger: at exit, a request still unanswered is not worth waiting on.
    zpat_options_t opts = {};
    opts.linger_ms = ZPAT_WAIT_NONE;
    zpat_req_t *req = zpat_req_new (endpoint, &opts);
    char *text = zpat_input ("please enter text: "); // flushes stdout
    while (std::strcmp (text, "b") != 0) {
        zpat_send_str (req, text);
        char *reply = zpat_recv_str (req);
        std::printf ("received reply: %s\n", reply);
        zpat_str_free (&reply);
        zpat_str_free (&text);
        text = zpat_input ("please enter text: ");
    }
    zpat_str_free (&text);
}
