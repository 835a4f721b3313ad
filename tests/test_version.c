// test_version.c - the version macros, the run-time version and the build's
// project version agree, and ZPAT_MAKE_VERSION orders versions.
// SPDX-License-Identifier: MPL-2.0

#include "testutil.h"

#include <zpat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ZPAT_PROJECT_VERSION
#error "meson passes ZPAT_PROJECT_VERSION, the project () version"
#endif

START_TEST (version_macros_equal_runtime_version)
{
    int major = -1, minor = -1, patch = -1;
    zpat_version (&major, &minor, &patch);
    ck_assert_int_eq (major, ZPAT_VERSION_MAJOR);
    ck_assert_int_eq (minor, ZPAT_VERSION_MINOR);
    ck_assert_int_eq (patch, ZPAT_VERSION_PATCH);
    ck_assert_int_eq (ZPAT_MAKE_VERSION (major, minor, patch), ZPAT_VERSION);
}
END_TEST

START_TEST (version_macros_equal_project_version)
{
    // The header and meson.build each hold the version: they must not drift.
    char text[64];
    snprintf (text, sizeof text, "%d.%d.%d", ZPAT_VERSION_MAJOR,
              ZPAT_VERSION_MINOR, ZPAT_VERSION_PATCH);
    ck_assert_str_eq (text, ZPAT_PROJECT_VERSION);

    int major = -1, minor = -1, patch = -1;
    char rest = 0;
    ck_assert_int_eq (sscanf (ZPAT_PROJECT_VERSION, "%d.%d.%d%c", &major,
                              &minor, &patch, &rest),
                      3);
    ck_assert_int_eq (ZPAT_MAKE_VERSION (major, minor, patch), ZPAT_VERSION);
}
END_TEST

START_TEST (version_accepts_null_pointers)
{
    // Any of the pointers may be NULL: only the others are written.
    int minor = -1;
    zpat_version (NULL, NULL, NULL);
    zpat_version (NULL, &minor, NULL);
    ck_assert_int_eq (minor, ZPAT_VERSION_MINOR);
}
END_TEST

START_TEST (make_version_orders_versions)
{
    ck_assert_int_lt (ZPAT_MAKE_VERSION (0, 1, 0), ZPAT_MAKE_VERSION (0, 1, 1));
    ck_assert_int_lt (ZPAT_MAKE_VERSION (0, 1, 9), ZPAT_MAKE_VERSION (0, 2, 0));
    ck_assert_int_lt (ZPAT_MAKE_VERSION (0, 99, 99),
                      ZPAT_MAKE_VERSION (1, 0, 0));
    ck_assert_int_lt (ZPAT_MAKE_VERSION (1, 2, 3), ZPAT_MAKE_VERSION (2, 0, 0));
    ck_assert_int_eq (ZPAT_MAKE_VERSION (1, 2, 3), ZPAT_MAKE_VERSION (1, 2, 3));
    // The macro parenthesises its arguments, so expressions work.
    ck_assert_int_eq (ZPAT_MAKE_VERSION (0 + 1, 1 + 1, 2 + 1),
                      ZPAT_MAKE_VERSION (1, 2, 3));
    // The compile-time check users write against the current release.
#if ZPAT_VERSION < ZPAT_MAKE_VERSION(0, 1, 0)
    ck_abort_msg ("ZPAT_VERSION is older than the first release");
#endif
    ck_assert_int_ge (ZPAT_VERSION, ZPAT_MAKE_VERSION (0, 1, 0));
    ck_assert_int_lt (ZPAT_VERSION,
                      ZPAT_MAKE_VERSION (ZPAT_VERSION_MAJOR, ZPAT_VERSION_MINOR,
                                         ZPAT_VERSION_PATCH + 1));
}
END_TEST

static Suite *
version_suite (void)
{
    Suite *suite = suite_create ("version");
    TCase *tc = tcase_create ("version");
    tcase_add_test (tc, version_macros_equal_runtime_version);
    tcase_add_test (tc, version_macros_equal_project_version);
    tcase_add_test (tc, version_accepts_null_pointers);
    tcase_add_test (tc, make_version_orders_versions);
    suite_add_tcase (suite, tc);
    return suite;
}

int
main (void)
{
    return tu_run_suite (version_suite (), CK_FORK_GETENV);
}
