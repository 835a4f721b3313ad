// secure_reqrep_client.c - reqrep_client.c (the tutorial's reqrep_client.py)
// over CURVE, with zpat: encrypted, to the one server whose key it has.
// SPDX-License-Identifier: MPL-2.0
//
// Sends each line typed to the server and prints its reply; the line "b"
// quits, as reqrep_client does. It proves itself with its own certificate
// and talks only to the server whose public certificate it is given. Run a
// server first (see secure_reqrep_server.c for making the keys):
//   ./secure_reqrep_server keys/server.key_secret clients
//   ./secure_reqrep_client keys/alice.key_secret keys/server.key [endpoint]
//                                          (default tcp://localhost:5555)
// A server that does not know this client's key never answers; the client
// learns of the refusal from its connection's events, says so and exits 1.

#include <zpat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// s_load loads the certificate at path; with secret set, it must hold the
// secret key. On failure it says why, naming the file, and returns NULL.
static zpat_cert_t *
s_load (const char *path, int secret)
{
    zpat_cert_t *cert = zpat_cert_load (path);
    if (!cert)
        fprintf (stderr, "secure_reqrep_client: %s: %s\n", path,
                 zpat_strerror (errno));
    else if (secret && zpat_cert_has_secret (cert) != 1) {
        fprintf (stderr,
                 "secure_reqrep_client: %s: no secret key in it (give the "
                 "NAME.key_secret file)\n",
                 path);
        zpat_cert_destroy (&cert);
    }
    return cert;
}

// s_reply waits for the reply to the request just sent, watching the
// connection's events meanwhile: a server that refuses this client's key
// (or whose key is not the one given) never answers, and that shows only as
// a failed handshake. Returns 0 with the reply, 1 after saying the
// handshake failed, or -1 with errno.
static int
s_reply (zpat_req_t *req, zpat_poller_t *poller, zpat_msg_t *reply)
{
    for (;;) {
        zpat_ready_t ready;
        if (zpat_poller_wait (poller, ZPAT_WAIT_FOREVER, &ready, 1) == -1)
            return -1;
        if (ready.events & ZPAT_POLLIN) // the reply (its frame count)
            return zpat_recv_msg (req, reply) == -1 ? -1 : 0;
        zpat_event_t event;
        while (zpat_recv_event (req, &event, ZPAT_WAIT_NONE) == 0)
            if (event.type == ZPAT_EVENT_HANDSHAKE_FAILED) {
                fprintf (stderr, "secure_reqrep_client: %s: %s\n",
                         event.endpoint,
                         event.reason == ZPAT_HANDSHAKE_AUTH
                             ? "the server refused this client's key"
                             : "the secure handshake failed (is "
                               "SERVER_PUBLIC_FILE this server's key?)");
                return 1;
            }
    }
}

int
main (int argc, char **argv)
{
    int help =
        argc > 1 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"));
    if (help || argc < 3 || argc > 4 || argv[1][0] == '-') {
        fputs ("usage: secure_reqrep_client CLIENT_SECRET_FILE "
               "SERVER_PUBLIC_FILE [endpoint]  (default "
               "tcp://localhost:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 3 ? argv[3] : "tcp://localhost:5555";
    zpat_cert_t *mine = s_load (argv[1], 1);
    zpat_cert_t *server = mine ? s_load (argv[2], 0) : NULL;
    if (!server) {
        zpat_cert_destroy (&mine);
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    printf ("connecting to server...\n");
    // No linger: at exit, a request still unanswered is not worth waiting on.
    zpat_options_t opts = {.linger_ms = ZPAT_WAIT_NONE,
                           .curve_cert = mine,
                           .curve_server_key = zpat_cert_public_txt (server)};
    int rc = zpat_catch_signals ();
    // Events on before connecting, so that no refusal goes unseen.
    zpat_req_t *req = rc == 0 ? zpat_req_new (NULL, &opts) : NULL;
    zpat_poller_t *poller = NULL;
    if (req &&
        (zpat_events_on (req) == -1 || zpat_connect (req, endpoint) == -1 ||
         !(poller = zpat_poller_new ()) ||
         zpat_poller_add (poller, req, ZPAT_POLLIN | ZPAT_POLLEVENT, NULL) ==
             -1))
        zpat_req_destroy (&req);
    zpat_msg_t *reply = req ? zpat_msg_new () : NULL;
    if (!reply) {
        fprintf (stderr, "secure_reqrep_client: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        zpat_poller_destroy (&poller);
        zpat_req_destroy (&req);
        zpat_cert_destroy (&server);
        zpat_cert_destroy (&mine);
        return 1;
    }
    char *text = NULL;
    while (rc == 0 && (text = zpat_input ("please enter text: ")) &&
           strcmp (text, "b") != 0) {
        rc = zpat_send_str (req, text);
        if (rc == 0)
            rc = s_reply (req, poller, reply);
        if (rc == 0)
            printf ("received reply: %.*s\n", (int)zpat_msg_size (reply, 0),
                    (const char *)zpat_msg_data (reply, 0));
        zpat_str_free (&text);
    }
    zpat_str_free (&text);
    if (rc == -1 && !zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "secure_reqrep_client: %s\n", zpat_strerror (errno));
    zpat_msg_destroy (&reply);
    zpat_poller_destroy (&poller);
    zpat_req_destroy (&req);
    zpat_cert_destroy (&server);
    zpat_cert_destroy (&mine); // wipes the secret key
    return rc == 1 || (rc == -1 && !zpat_interrupted ());
}
