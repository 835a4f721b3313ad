// test_nocurve.c - zpat on a libzmq built without CURVE: the certificate
// calls, the CURVE options and the authenticator's CURVE calls fail with
// ENOTSUP, zpat_strerror says why, and nothing aborts; plaintext and PLAIN
// go on working. This program stands in for such a libzmq by defining
// zmq_has and zmq_curve_keypair itself (it is linked with its symbols
// exported, so libzpat's calls reach these first); anything else is
// passed to the real libzmq.
// SPDX-License-Identifier: MPL-2.0

#define _GNU_SOURCE // RTLD_NEXT
#include <zpat.h>
#include <zmq.h>

#include "testutil.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
zmq_has (const char *capability)
{
    if (capability && strcmp (capability, "curve") == 0)
        return 0;
    // POSIX's way to take a function from dlsym (ISO C has no cast for it).
    int (*real) (const char *);
    void *found = dlsym (RTLD_NEXT, "zmq_has");
    memcpy (&real, &found, sizeof real);
    return found ? real (capability) : 0;
}

int
zmq_curve_keypair (char *z85_public_key, char *z85_secret_key)
{
    (void)z85_public_key;
    (void)z85_secret_key;
    errno = ENOTSUP;
    return -1;
}

// Keys as text, for the calls that take them (they are refused before
// their text is looked at).
static const char s_public[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
static const char s_secret[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

START_TEST (certificates_refuse_with_enotsup)
{
    NULL_WITH (ENOTSUP, zpat_cert_new ());
    NULL_WITH (ENOTSUP, zpat_cert_new_txt (s_public, s_secret));
    char path[] = "/tmp/zpat-nocurve-XXXXXX";
    int fd = mkstemp (path);
    ck_assert_int_ne (fd, -1);
    dprintf (fd, "curve\n    public-key = \"%s\"\n", s_public);
    close (fd);
    NULL_WITH (ENOTSUP, zpat_cert_load (path));
    unlink (path);
    // The text names the cause.
    ck_assert_ptr_nonnull (strstr (zpat_strerror (ENOTSUP), "CURVE"));
}
END_TEST

START_TEST (curve_options_refuse_with_enotsup)
{
    // No certificate can be had, but a server key alone asks for CURVE.
    zpat_options_t opts = tu_opts;
    opts.curve_server_key = s_public;
    NULL_WITH (ENOTSUP, zpat_req_new ("inproc://nocurve", &opts));
    NULL_WITH (ENOTSUP, zpat_rep_new ("inproc://nocurve", &opts));
}
END_TEST

START_TEST (authenticator_keeps_plain_and_refuses_curve)
{
    zpat_auth_t *auth = zpat_auth_new ();
    ck_assert_msg (auth, "zpat_auth_new: %s", zpat_strerror (errno));
    FAILS_WITH (ENOTSUP, zpat_auth_curve_any (auth));
    FAILS_WITH (ENOTSUP, zpat_auth_curve_keys (auth, "/tmp"));
    char path[] = "/tmp/zpat-nocurve-XXXXXX";
    int fd = mkstemp (path);
    ck_assert_int_ne (fd, -1);
    dprintf (fd, "admin=secret\n");
    close (fd);
    ck_assert_int_eq (zpat_auth_plain (auth, path), 0);
    // PLAIN still works end to end.
    zpat_options_t server_opts = tu_opts;
    server_opts.plain_server = 1;
    zpat_rep_t *rep = zpat_rep_new ("tcp://127.0.0.1:*", &server_opts);
    char endpoint[TU_ENDPOINT_SIZE];
    tu_bound_endpoint (zpat_socket (rep), "zpat_rep_new", "tcp", endpoint);
    zpat_options_t client_opts = tu_opts;
    client_opts.plain_username = "admin";
    client_opts.plain_password = "secret";
    zpat_req_t *req = zpat_req_new (endpoint, &client_opts);
    ck_assert_ptr_nonnull (req);
    ck_assert_int_eq (zpat_send_str (req, "hello"), 0);
    char *got = zpat_recv_str (rep);
    ck_assert_str_eq (got, "hello");
    zpat_str_free (&got);
    zpat_req_destroy (&req);
    zpat_rep_destroy (&rep);
    zpat_auth_destroy (&auth);
    unlink (path);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("nocurve");
    TCase *tc = tcase_create ("without CURVE");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, certificates_refuse_with_enotsup);
    tcase_add_test (tc, curve_options_refuse_with_enotsup);
    tcase_add_test (tc, authenticator_keeps_plain_and_refuses_curve);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (s_suite (), CK_FORK_GETENV);
}
