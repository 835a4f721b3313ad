// zpat-keygen.c - makes a CURVE certificate: NAME.key (the public key, to
// hand to peers) and NAME.key_secret (both keys, mode 0600, kept private),
// in the format czmq's zmakecert and pyzmq's zmq.auth write and read.
// SPDX-License-Identifier: MPL-2.0
//
//   zpat-keygen server            ./server.key, ./server.key_secret
//   zpat-keygen alice keys/       keys/alice.key, keys/alice.key_secret

#include <zpat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: zpat-keygen NAME [DIR]\n"
    "  writes DIR/NAME.key (public) and DIR/NAME.key_secret (secret, mode\n"
    "  0600), DIR defaulting to the current directory; never overwrites.\n"
    "  Prints the public key.\n";

int
main (int argc, char **argv)
{
    if (argc > 1 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        fputs (s_usage, stdout);
        return 0;
    }
    if (argc < 2 || argc > 3 || !argv[1][0] || argv[1][0] == '-' ||
        strchr (argv[1], '/')) {
        fputs (s_usage, stderr);
        return 2;
    }
    const char *dir = argc > 2 ? argv[2] : ".";
    size_t size = strlen (dir) + strlen (argv[1]) + sizeof "/.key";
    char *path = malloc (size);
    if (!path) {
        fprintf (stderr, "zpat-keygen: %s\n", zpat_strerror (ENOMEM));
        return 1;
    }
    snprintf (path, size, "%s/%s.key", dir, argv[1]);
    zpat_cert_t *cert = zpat_cert_new ();
    int rc = cert ? zpat_cert_set_meta (cert, "name", argv[1]) : -1;
    if (rc == 0)
        rc = zpat_cert_save (cert, path);
    if (rc == -1)
        fprintf (stderr, "zpat-keygen: %s: %s\n", path,
                 errno == EEXIST ? "a certificate of that name is there "
                                   "already (not overwritten)"
                                 : zpat_strerror (errno));
    else
        printf ("%s\nwrote %s and %s_secret\n", zpat_cert_public_txt (cert),
                path, path);
    zpat_cert_destroy (&cert);
    free (path);
    return rc == -1;
}
