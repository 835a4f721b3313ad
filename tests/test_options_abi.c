// test_options_abi.c - zpat_options_t can grow: a program built against the
// 0.1 header (its eight-field struct, its entry points without _sized) keeps
// working, and the library never reads or writes past the struct the caller
// has. The 0.1 struct is placed at the very end of a page whose next page is
// inaccessible, so a read or write beyond it crashes the test.
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include "testutil.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// zpat_options_t as zpat 0.1's header declared it. Never change this copy:
// it stands for programs already built.
typedef struct {
    int send_timeout_ms;
    int recv_timeout_ms;
    int send_hwm;
    int recv_hwm;
    int linger_ms;
    int64_t max_msg_bytes;
    int reconnect_ivl_ms;
    int ipv6;
} options_v0_t;

// The 0.1 entry points, as such a program calls them (the parentheses get
// past the macros that today's header puts over these names).
#define OLD_REQ_NEW(e, o) (zpat_req_new) (e, (const zpat_options_t *)(o))
#define OLD_SUB_NEW(e, p, o) (zpat_sub_new) (e, p, (const zpat_options_t *)(o))
#define OLD_GET(s, o) (zpat_socket_get_options) (s, (zpat_options_t *)(o))

static void *s_pages;
static size_t s_page;

// Returns room for size bytes that ends exactly where an inaccessible page
// begins.
static void *
s_at_edge (size_t size)
{
    s_page = (size_t)sysconf (_SC_PAGESIZE);
    s_pages = mmap (NULL, 2 * s_page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne (s_pages, MAP_FAILED);
    ck_assert_int_eq (mprotect ((char *)s_pages + s_page, s_page, PROT_NONE),
                      0);
    return (char *)s_pages + s_page - size;
}

static void
s_edge_free (void)
{
    munmap (s_pages, 2 * s_page);
}

START_TEST (old_layout_is_read_and_written_within_bounds)
{
    ck_assert_uint_eq (sizeof (options_v0_t), 40);
    options_v0_t *old = s_at_edge (sizeof *old);
    memset (old, 0, sizeof *old);
    old->recv_timeout_ms = 1234;
    old->send_hwm = 77;
    old->max_msg_bytes = 4096;
    old->ipv6 = 1;

    zpat_req_t *req = OLD_REQ_NEW (NULL, old);
    ck_assert_ptr_nonnull (req);
    memset (old, 0xff, sizeof *old);
    ck_assert_int_eq (OLD_GET (zpat_socket (req), old), 0);
    ck_assert_int_eq (old->recv_timeout_ms, 1234);
    ck_assert_int_eq (old->send_hwm, 77);
    ck_assert_int_eq (old->max_msg_bytes, 4096);
    ck_assert_int_eq (old->ipv6, 1);
    ck_assert_int_eq (old->linger_ms, ZPAT_DEFAULT_LINGER_MS);
    ck_assert_int_eq (old->reconnect_ivl_ms, 100);
    zpat_req_destroy (&req);

    // The subscriber's constructor has a prefix before the options.
    memset (old, 0, sizeof *old);
    old->recv_hwm = 5;
    zpat_sub_t *sub = OLD_SUB_NEW (NULL, "123", old);
    ck_assert_ptr_nonnull (sub);
    ck_assert_int_eq (OLD_GET (zpat_socket (sub), old), 0);
    ck_assert_int_eq (old->recv_hwm, 5);
    zpat_sub_destroy (&sub);
    s_edge_free ();
}
END_TEST

// zpat_device_options_t as zpat 0.1 declared it: two 0.1 option structs
// and the capture endpoint. zpat 0.2's option fields moved capture, so the
// library must read this layout by its size.
typedef struct {
    options_v0_t frontend;
    options_v0_t backend;
    const char *capture;
} device_options_v0_t;

START_TEST (old_device_layout_is_read_within_bounds)
{
    ck_assert_uint_eq (sizeof (device_options_v0_t), 88);
    device_options_v0_t *old = s_at_edge (sizeof *old);
    memset (old, 0, sizeof *old);
    old->frontend.recv_timeout_ms = 100; // must not be taken as a pointer
    char capture[64];
    snprintf (capture, sizeof capture, "inproc://abi-capture-%d", getpid ());
    old->capture = capture;
    char front[64], back[64];
    snprintf (front, sizeof front, "inproc://abi-front-%d", getpid ());
    snprintf (back, sizeof back, "inproc://abi-back-%d", getpid ());
    zpat_device_t *device =
        zpat_device_new_sized (ZPAT_STREAMER, front, back,
                               (const zpat_device_options_t *)old, sizeof *old);
    ck_assert_msg (device, "zpat_device_new_sized: %s", zpat_strerror (errno));
    // The capture endpoint was read where 0.1 put it: it is bound.
    NULL_WITH (EADDRINUSE, zpat_pub_new (capture, &tu_opts));
    zpat_push_t *push = zpat_push_new (front, &tu_opts);
    zpat_pull_t *pull = zpat_pull_new (NULL, &tu_opts);
    ck_assert_ptr_nonnull (pull);
    ck_assert_int_eq (zpat_connect (pull, back), 0);
    ck_assert_int_eq (zpat_send_str (push, "through"), 0);
    char *got = zpat_recv_str (pull);
    ck_assert_str_eq (got, "through");
    zpat_str_free (&got);
    zpat_push_destroy (&push);
    zpat_pull_destroy (&pull);
    zpat_device_destroy (&device);
    s_edge_free ();
}
END_TEST

START_TEST (todays_struct_through_the_macros)
{
    zpat_options_t *opts = s_at_edge (sizeof *opts);
    memset (opts, 0, sizeof *opts);
    opts->send_timeout_ms = 250;
    zpat_push_t *push = zpat_push_new (NULL, opts);
    ck_assert_ptr_nonnull (push);
    memset (opts, 0, sizeof *opts);
    ck_assert_int_eq (zpat_get_options (push, opts), 0);
    ck_assert_int_eq (opts->send_timeout_ms, 250);
    zpat_push_destroy (&push);
    s_edge_free ();
}
END_TEST

// A program built against a later zpat passes a larger struct: accepted
// while the fields this library lacks are zero (their defaults), refused
// with EINVAL otherwise; getting options zeroes them.
START_TEST (a_later_layout)
{
    struct {
        zpat_options_t known;
        int later_field;
    } later;
    memset (&later, 0, sizeof later);
    later.known.recv_timeout_ms = 42;
    zpat_pull_t *pull = zpat_pull_new_sized (NULL, &later.known, sizeof later);
    ck_assert_ptr_nonnull (pull);
    later.later_field = 9;
    ck_assert_int_eq (zpat_socket_get_options_sized (
                          zpat_socket (pull), &later.known, sizeof later),
                      0);
    ck_assert_int_eq (later.known.recv_timeout_ms, 42);
    ck_assert_int_eq (later.later_field, 0);
    zpat_pull_destroy (&pull);

    later.later_field = 1;
    errno = 0;
    ck_assert_ptr_null (zpat_pull_new_sized (NULL, &later.known, sizeof later));
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

START_TEST (sizes_too_small_are_refused)
{
    zpat_options_t opts = {.recv_timeout_ms = 1};
    errno = 0;
    ck_assert_ptr_null (zpat_rep_new_sized (NULL, &opts, 8));
    ck_assert_int_eq (errno, EINVAL);
    // NULL options take the defaults whatever the size.
    zpat_rep_t *rep = zpat_rep_new_sized (NULL, NULL, 0);
    ck_assert_ptr_nonnull (rep);
    errno = 0;
    ck_assert_int_eq (
        zpat_socket_get_options_sized (zpat_socket (rep), &opts, 8), -1);
    ck_assert_int_eq (errno, EINVAL);
    zpat_rep_destroy (&rep);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("options_abi");
    TCase *tc = tcase_create ("layouts");
    tcase_add_test (tc, old_layout_is_read_and_written_within_bounds);
    tcase_add_test (tc, old_device_layout_is_read_within_bounds);
    tcase_add_test (tc, todays_struct_through_the_macros);
    tcase_add_test (tc, a_later_layout);
    tcase_add_test (tc, sizes_too_small_are_refused);
    suite_add_tcase (suite, tc);
    return tu_run_suite (suite, CK_FORK_GETENV);
}
