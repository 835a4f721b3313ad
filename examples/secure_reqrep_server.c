// secure_reqrep_server.c - reqrep_server.c (the tutorial's reqrep_server.py)
// over CURVE, with zpat: encrypted, and only for the clients it knows.
// SPDX-License-Identifier: MPL-2.0
//
// A REP server that prints each request and echoes its bytes back, as
// reqrep_server does. It proves itself with its certificate and lets in only
// clients whose public certificate (NAME.key) is in CLIENT_KEYS_DIR. Make the
// keys, then run it, then a client:
//   mkdir keys clients
//   zpat-keygen server keys && zpat-keygen alice keys
//   cp keys/alice.key clients/
//   ./secure_reqrep_server keys/server.key_secret clients [endpoint]
//                                          (default tcp://*:5555)
//   ./secure_reqrep_client keys/alice.key_secret keys/server.key
// pyzmq's zmq.auth.create_certificates writes the same files.

#include <zpat.h>

#include <stdio.h>
#include <string.h>

// s_load_secret loads the certificate at path, which must hold the secret
// key. On failure it says why, naming the file, and returns NULL.
static zpat_cert_t *
s_load_secret (const char *path)
{
    zpat_cert_t *cert = zpat_cert_load (path);
    if (!cert)
        fprintf (stderr, "secure_reqrep_server: %s: %s\n", path,
                 zpat_strerror (errno));
    else if (zpat_cert_has_secret (cert) != 1) {
        fprintf (stderr,
                 "secure_reqrep_server: %s: no secret key in it (give the "
                 "NAME.key_secret file)\n",
                 path);
        zpat_cert_destroy (&cert);
    }
    return cert;
}

int
main (int argc, char **argv)
{
    int help =
        argc > 1 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"));
    if (help || argc < 3 || argc > 4 || argv[1][0] == '-') {
        fputs ("usage: secure_reqrep_server SERVER_SECRET_FILE "
               "CLIENT_KEYS_DIR [endpoint]  (default tcp://*:5555)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *endpoint = argc > 3 ? argv[3] : "tcp://*:5555";
    zpat_cert_t *cert = s_load_secret (argv[1]);
    if (!cert)
        return 1;
    // The authenticator starts before the server binds, so that no client
    // gets in unchecked in between.
    zpat_auth_t *auth = zpat_auth_new ();
    if (!auth || zpat_auth_curve_keys (auth, argv[2]) == -1) {
        fprintf (stderr, "secure_reqrep_server: %s: %s\n",
                 auth ? argv[2] : "authenticator", zpat_strerror (errno));
        zpat_auth_destroy (&auth);
        zpat_cert_destroy (&cert);
        return 1;
    }
    zpat_options_t opts = {.curve_cert = cert};
    int rc = zpat_catch_signals ();
    zpat_rep_t *rep = rc == 0 ? zpat_rep_new (endpoint, &opts) : NULL;
    zpat_msg_t *msg = rep ? zpat_msg_new () : NULL;
    if (!msg) {
        fprintf (stderr, "secure_reqrep_server: %s: %s\n", endpoint,
                 zpat_strerror (errno));
        zpat_rep_destroy (&rep);
        zpat_auth_destroy (&auth);
        zpat_cert_destroy (&cert);
        return 1;
    }
    setvbuf (stdout, NULL, _IONBF, 0); // a pipe sees each line at once
    while (rc != -1) {
        printf ("wait for client ...\n");
        rc = zpat_recv_msg (rep, msg);
        if (rc == -1)
            break;
        printf ("message from client: %.*s\n", (int)zpat_msg_size (msg, 0),
                (const char *)zpat_msg_data (msg, 0));
        rc = zpat_send_msg (rep, msg); // the same bytes back, every frame
    }
    if (!zpat_interrupted ()) // Ctrl-C and SIGTERM end it cleanly
        fprintf (stderr, "secure_reqrep_server: %s\n", zpat_strerror (errno));
    zpat_msg_destroy (&msg);
    zpat_rep_destroy (&rep); // before the authenticator: nobody gets in
    zpat_auth_destroy (&auth);
    zpat_cert_destroy (&cert); // wipes the secret key
    return !zpat_interrupted ();
}
