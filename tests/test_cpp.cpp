// test_cpp.cpp - zpat.h from C++17: the generic verbs as overloads, over
// inproc:// exchanges of each pattern, and the roles each verb takes.
// SPDX-License-Identifier: MPL-2.0
//
// A plain program (no Check): it prints each failed check and exits 1.
// Built with -fno-exceptions and -fno-rtti (tests/meson.build), so the
// header is shown to need neither.

#include <zpat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

namespace {

int failures = 0;

void
check (bool ok, const char *what, int line)
{
    if (!ok) {
        std::fprintf (stderr, "test_cpp.cpp:%d: failed: %s (errno %d: %s)\n",
                      line, what, errno, zpat_strerror (errno));
        failures++;
    }
}
#define CHECK(cond) check ((cond), #cond, __LINE__)

bool
equal (const char *text, const char *expected)
{
    return text && std::strcmp (text, expected) == 0;
}

// Receives wait at most this long, so that a lost message fails the test
// rather than hanging it.
zpat_options_t
bounded ()
{
    zpat_options_t opts = {};
    opts.recv_timeout_ms = 5000;
    opts.send_timeout_ms = 5000;
    return opts;
}

void
test_reqrep ()
{
    zpat_options_t opts = bounded ();
    zpat_rep_t *rep = zpat_rep_new ("inproc://cpp-reqrep", &opts);
    zpat_req_t *req = zpat_req_new ("inproc://cpp-reqrep", &opts);
    CHECK (rep && req);
    if (!rep || !req) {
        zpat_destroy (&req);
        zpat_destroy (&rep);
        return;
    }

    CHECK (zpat_send_str (req, "hello") == 0);
    char *text = zpat_recv_str (rep);
    CHECK (equal (text, "hello"));
    zpat_str_free (&text);

    CHECK (zpat_sendf (rep, "world %d %s", 42, "!") == 0);
    char buf[32];
    int size = zpat_recv (req, buf, sizeof buf);
    CHECK (size == 10 && std::memcmp (buf, "world 42 !", 10) == 0);

    // A format without arguments is still formatted.
    CHECK (zpat_sendf (req, "100%%") == 0);
    text = zpat_recv_str (rep);
    CHECK (equal (text, "100%"));
    zpat_str_free (&text);

    // Several frames one way, zero-copy the other.
    const zpat_frame_t frames[] = {{"a", 1}, {"bc", 2}};
    CHECK (zpat_send_frames (rep, frames, 2) == 0);
    zpat_msg_t *msg = zpat_msg_new ();
    CHECK (msg != nullptr);
    CHECK (zpat_recv_msg (req, msg) == 2);
    CHECK (zpat_msg_size (msg, 0) == 1 && zpat_msg_size (msg, 1) == 2);
    zpat_msg_reset (msg);
    CHECK (zpat_msg_add_str (msg, "again") == 0);
    CHECK (zpat_send_msg (req, msg) == 0);
    CHECK (zpat_msg_count (msg) == 0);
    CHECK (zpat_recv_msg (rep, msg) == 1);
    CHECK (zpat_send (rep, "ok", 2) == 0);
    CHECK (zpat_recv (req, buf, sizeof buf) == 2);
    zpat_msg_destroy (&msg);

    // Options: the sized macro and the overloads.
    zpat_options_t got = {};
    CHECK (zpat_get_options (req, &got) == 0 && got.recv_timeout_ms == 5000);
    CHECK (zpat_socket_get_options (zpat_socket (req), &got) == 0);
    CHECK (zpat_set_send_timeout_ms (req, 100) == 0);
    CHECK (zpat_set_recv_timeout_ms (req, 200) == 0);
    CHECK (zpat_set_send_hwm (req, 10) == 0);
    CHECK (zpat_set_recv_hwm (req, 20) == 0);
    CHECK (zpat_set_linger_ms (req, 0) == 0);
    CHECK (zpat_set_max_msg_bytes (req, 1024) == 0);
    CHECK (zpat_set_reconnect_ivl_ms (req, 50) == 0);
    CHECK (zpat_set_ipv6 (req, 1) == 0);
    CHECK (zpat_get_options (req, &got) == 0);
    CHECK (got.send_timeout_ms == 100 && got.recv_timeout_ms == 200);
    CHECK (got.send_hwm == 10 && got.recv_hwm == 20 && got.ipv6 == 1);
    CHECK (got.max_msg_bytes == 1024 && got.reconnect_ivl_ms == 50);

    // Counters, through the overload and through the C macro.
    zpat_stats_t stats = {};
    CHECK (zpat_stats (req, &stats) == 0);
    CHECK (stats.msgs_sent == 3 && stats.msgs_received == 3);
    CHECK (zpat_socket_stats (zpat_socket (rep), &stats) == 0);
    CHECK (stats.msgs_sent == 3 && stats.msgs_received == 3);
    CHECK (zpat_stats_reset (req) == 0);
    CHECK (zpat_stats (req, &stats) == 0 && stats.msgs_sent == 0);

    CHECK (equal (zpat_endpoint (rep), "inproc://cpp-reqrep"));
    CHECK (zpat_handle (req) != nullptr);
    zpat_destroy (&req);
    zpat_destroy (&rep);
    CHECK (req == nullptr && rep == nullptr);
    zpat_destroy (&req); // already NULL: nothing
}

void
test_pubsub ()
{
    zpat_options_t opts = bounded ();
    zpat_pub_t *pub = zpat_pub_new ("inproc://cpp-pubsub", nullptr);
    zpat_sub_t *sub = zpat_sub_new ("inproc://cpp-pubsub", "weather", &opts);
    CHECK (pub && sub);
    if (!pub || !sub) {
        zpat_destroy (&sub);
        zpat_destroy (&pub);
        return;
    }
    CHECK (zpat_pub_wait_subscriptions (pub, 1, 5000) == 1);
    CHECK (zpat_send_str (pub, "sports 1") == 0); // filtered out
    CHECK (zpat_sendf (pub, "weather %d", 20) == 0);
    char *text = zpat_recv_str (sub);
    CHECK (equal (text, "weather 20"));
    zpat_str_free (&text);

    CHECK (zpat_pub_send_topic (pub, "weather", "21", 2) == 0);
    char *topic = nullptr;
    char *payload = nullptr;
    CHECK (zpat_sub_recv_topic (sub, &topic, &payload) == 2);
    CHECK (equal (topic, "weather") && equal (payload, "21"));
    zpat_str_free (&topic);
    zpat_str_free (&payload);

    CHECK (zpat_sub_subscribe (sub, "news") == 0);
    CHECK (zpat_sub_unsubscribe (sub, "news") == 0);
    zpat_destroy (&sub);
    zpat_destroy (&pub);
}

void
test_pipeline ()
{
    zpat_options_t opts = bounded ();
    zpat_pull_t *pull = zpat_pull_new (nullptr, &opts);
    zpat_push_t *push = zpat_push_new (nullptr, &opts);
    zpat_poller_t *poller = zpat_poller_new ();
    CHECK (pull && push && poller);
    if (!pull || !push || !poller) {
        zpat_destroy (&push);
        zpat_destroy (&pull);
        zpat_poller_destroy (&poller);
        return;
    }
    CHECK (zpat_bind (pull, "inproc://cpp-pipeline") == 0);
    CHECK (zpat_connect (push, "inproc://cpp-pipeline") == 0);
    CHECK (zpat_poller_add (poller, pull, ZPAT_POLLIN, pull) == 0);
    CHECK (zpat_fd (pull) >= 0);

    CHECK (zpat_send (push, "task", 4) == 0);
    zpat_ready_t ready[2];
    CHECK (zpat_poller_wait (poller, 5000, ready, 2) == 1);
    CHECK (ready[0].arg == pull && ready[0].socket == zpat_socket (pull));
    CHECK ((zpat_ready (pull) & ZPAT_POLLIN) != 0);
    char buf[8];
    CHECK (zpat_recv (pull, buf, sizeof buf) == 4);
    CHECK (std::memcmp (buf, "task", 4) == 0);
    CHECK (zpat_poller_remove (poller, pull) == 0);

    // Too large for the buffer: kept, then discarded.
    CHECK (zpat_send_str (push, "a longer task") == 0);
    CHECK (zpat_recv (pull, buf, sizeof buf) == -1 && errno == EMSGSIZE);
    CHECK (zpat_discard (pull) == 1);

    CHECK (zpat_events_on (push) == 0);
    zpat_event_t event;
    CHECK (zpat_recv_event (push, &event, ZPAT_WAIT_NONE) == -1);
    CHECK (errno == EAGAIN);
    CHECK (zpat_events_off (push) == 0);

    zpat_poller_destroy (&poller);
    zpat_destroy (&push);
    zpat_destroy (&pull);
}

void
test_dealer_router ()
{
    zpat_options_t opts = bounded ();
    zpat_router_t *router = zpat_router_new ("inproc://cpp-router", &opts);
    zpat_dealer_t *dealer = zpat_dealer_new ("inproc://cpp-router", &opts);
    CHECK (router && dealer);
    if (!router || !dealer) {
        zpat_destroy (&dealer);
        zpat_destroy (&router);
        return;
    }
    CHECK (zpat_set_send_hwm (router, 100) == 0);
    CHECK (zpat_set_recv_hwm (router, 100) == 0);
    CHECK (zpat_send_str (dealer, "hi") == 0);
    zpat_peer_t peer;
    char *text = zpat_router_recv_str (router, &peer);
    CHECK (equal (text, "hi"));
    zpat_str_free (&text);
    CHECK (zpat_router_send_str (router, &peer, "ho") == 0);
    text = zpat_recv_str (dealer);
    CHECK (equal (text, "ho"));
    zpat_str_free (&text);
    zpat_destroy (&dealer);
    zpat_destroy (&router);
}

void
test_device ()
{
    // The sized macro, as in C.
    zpat_device_t *device =
        zpat_device_new (ZPAT_STREAMER, "inproc://cpp-device-in",
                         "inproc://cpp-device-out", nullptr);
    CHECK (device != nullptr);
    zpat_device_destroy (&device);
    CHECK (device == nullptr);
}

// Which roles each verb takes, found by asking the compiler whether the
// call has an overload (an expression that does not compile is "no", not
// an error, so this also proves the overloads drop out rather than fail
// inside). The answers are compared with the role sets of the C macros.
#define TEST_VERB(name, call)                                                  \
    template <typename T, typename = void> struct name : std::false_type {     \
    };                                                                         \
    template <typename T>                                                      \
    struct name<T, std::void_t<decltype (call)>> : std::true_type {            \
    };

// A T * for the calls below, which are never made.
template <typename T>
T *
none ()
{
    return nullptr;
}

TEST_VERB (has_socket, zpat_socket (none<T> ()))
TEST_VERB (has_bind, zpat_bind (none<T> (), ""))
TEST_VERB (has_connect, zpat_connect (none<T> (), ""))
TEST_VERB (has_endpoint, zpat_endpoint (none<T> ()))
TEST_VERB (has_handle, zpat_handle (none<T> ()))
TEST_VERB (has_get_options,
           zpat_get_options (none<T> (), none<zpat_options_t> ()))
TEST_VERB (has_set_linger_ms, zpat_set_linger_ms (none<T> (), 0))
TEST_VERB (has_set_max_msg_bytes, zpat_set_max_msg_bytes (none<T> (), 0))
TEST_VERB (has_set_reconnect_ivl_ms, zpat_set_reconnect_ivl_ms (none<T> (), 0))
TEST_VERB (has_set_ipv6, zpat_set_ipv6 (none<T> (), 0))
TEST_VERB (has_stats, zpat_stats (none<T> (), none<zpat_stats_t> ()))
TEST_VERB (has_stats_reset, zpat_stats_reset (none<T> ()))
TEST_VERB (has_events_on, zpat_events_on (none<T> ()))
TEST_VERB (has_events_off, zpat_events_off (none<T> ()))
TEST_VERB (has_recv_event,
           zpat_recv_event (none<T> (), none<zpat_event_t> (), 0))
TEST_VERB (has_poller_add,
           zpat_poller_add (none<zpat_poller_t> (), none<T> (), 0, nullptr))
TEST_VERB (has_poller_remove,
           zpat_poller_remove (none<zpat_poller_t> (), none<T> ()))
TEST_VERB (has_fd, zpat_fd (none<T> ()))
TEST_VERB (has_ready, zpat_ready (none<T> ()))
TEST_VERB (has_destroy, zpat_destroy (std::declval<T **> ()))

TEST_VERB (has_sender, ZPAT_SENDER (none<T> ()))
TEST_VERB (has_send, zpat_send (none<T> (), "", 0))
TEST_VERB (has_send_str, zpat_send_str (none<T> (), ""))
TEST_VERB (has_sendf, zpat_sendf (none<T> (), "%d", 1))
TEST_VERB (has_sendf_bare, zpat_sendf (none<T> (), ""))
TEST_VERB (has_send_frames,
           zpat_send_frames (none<T> (), none<zpat_frame_t> (), 0))
TEST_VERB (has_send_msg, zpat_send_msg (none<T> (), none<zpat_msg_t> ()))

TEST_VERB (has_receiver, ZPAT_RECEIVER (none<T> ()))
TEST_VERB (has_recv, zpat_recv (none<T> (), nullptr, 0))
TEST_VERB (has_recv_str, zpat_recv_str (none<T> ()))
TEST_VERB (has_recv_msg, zpat_recv_msg (none<T> (), none<zpat_msg_t> ()))
TEST_VERB (has_discard, zpat_discard (none<T> ()))

TEST_VERB (has_send_options, ZPAT_SEND_OPTIONS (none<T> ()))
TEST_VERB (has_set_send_timeout_ms, zpat_set_send_timeout_ms (none<T> (), 0))
TEST_VERB (has_set_send_hwm, zpat_set_send_hwm (none<T> (), 0))

TEST_VERB (has_recv_options, ZPAT_RECV_OPTIONS (none<T> ()))
TEST_VERB (has_set_recv_timeout_ms, zpat_set_recv_timeout_ms (none<T> (), 0))
TEST_VERB (has_set_recv_hwm, zpat_set_recv_hwm (none<T> (), 0))

// The families of the C macros, by hand from their _Generic lists.
enum { ANY = 1, SENDER = 2, RECEIVER = 4, SEND_OPTIONS = 8, RECV_OPTIONS = 16 };

struct verb {
    const char *name;
    int family;
    bool taken;
};

template <typename T>
void
check_roles (const char *type, int expected)
{
    const verb verbs[] = {
        {"zpat_socket", ANY, has_socket<T>::value},
        {"zpat_bind", ANY, has_bind<T>::value},
        {"zpat_connect", ANY, has_connect<T>::value},
        {"zpat_endpoint", ANY, has_endpoint<T>::value},
        {"zpat_handle", ANY, has_handle<T>::value},
        {"zpat_get_options", ANY, has_get_options<T>::value},
        {"zpat_set_linger_ms", ANY, has_set_linger_ms<T>::value},
        {"zpat_set_max_msg_bytes", ANY, has_set_max_msg_bytes<T>::value},
        {"zpat_set_reconnect_ivl_ms", ANY, has_set_reconnect_ivl_ms<T>::value},
        {"zpat_set_ipv6", ANY, has_set_ipv6<T>::value},
        {"zpat_stats", ANY, has_stats<T>::value},
        {"zpat_stats_reset", ANY, has_stats_reset<T>::value},
        {"zpat_events_on", ANY, has_events_on<T>::value},
        {"zpat_events_off", ANY, has_events_off<T>::value},
        {"zpat_recv_event", ANY, has_recv_event<T>::value},
        {"zpat_poller_add", ANY, has_poller_add<T>::value},
        {"zpat_poller_remove", ANY, has_poller_remove<T>::value},
        {"zpat_fd", ANY, has_fd<T>::value},
        {"zpat_ready", ANY, has_ready<T>::value},
        {"zpat_destroy", ANY, has_destroy<T>::value},
        {"ZPAT_SENDER", SENDER, has_sender<T>::value},
        {"zpat_send", SENDER, has_send<T>::value},
        {"zpat_send_str", SENDER, has_send_str<T>::value},
        {"zpat_sendf", SENDER, has_sendf<T>::value},
        {"zpat_sendf (no arguments)", SENDER, has_sendf_bare<T>::value},
        {"zpat_send_frames", SENDER, has_send_frames<T>::value},
        {"zpat_send_msg", SENDER, has_send_msg<T>::value},
        {"ZPAT_RECEIVER", RECEIVER, has_receiver<T>::value},
        {"zpat_recv", RECEIVER, has_recv<T>::value},
        {"zpat_recv_str", RECEIVER, has_recv_str<T>::value},
        {"zpat_recv_msg", RECEIVER, has_recv_msg<T>::value},
        {"zpat_discard", RECEIVER, has_discard<T>::value},
        {"ZPAT_SEND_OPTIONS", SEND_OPTIONS, has_send_options<T>::value},
        {"zpat_set_send_timeout_ms", SEND_OPTIONS,
         has_set_send_timeout_ms<T>::value},
        {"zpat_set_send_hwm", SEND_OPTIONS, has_set_send_hwm<T>::value},
        {"ZPAT_RECV_OPTIONS", RECV_OPTIONS, has_recv_options<T>::value},
        {"zpat_set_recv_timeout_ms", RECV_OPTIONS,
         has_set_recv_timeout_ms<T>::value},
        {"zpat_set_recv_hwm", RECV_OPTIONS, has_set_recv_hwm<T>::value},
    };
    for (const verb &v : verbs) {
        bool should = (expected & v.family) != 0;
        if (v.taken != should) {
            std::fprintf (stderr, "test_cpp.cpp: %s (%s *) %s\n", v.name, type,
                          should ? "has no overload" : "should not compile");
            failures++;
        }
    }
}

void
test_role_sets ()
{
    const int sends = ANY | SENDER | SEND_OPTIONS;
    const int receives = ANY | RECEIVER | RECV_OPTIONS;
    check_roles<zpat_req_t> ("zpat_req_t", sends | receives);
    check_roles<zpat_rep_t> ("zpat_rep_t", sends | receives);
    check_roles<zpat_pub_t> ("zpat_pub_t", sends);
    check_roles<zpat_sub_t> ("zpat_sub_t", receives);
    check_roles<zpat_push_t> ("zpat_push_t", sends);
    check_roles<zpat_pull_t> ("zpat_pull_t", receives);
    check_roles<zpat_dealer_t> ("zpat_dealer_t", sends | receives);
    check_roles<zpat_router_t> ("zpat_router_t",
                                ANY | SEND_OPTIONS | RECV_OPTIONS);
    // Not roles: no generic verb takes them.
    check_roles<void> ("void", 0);
    check_roles<const zpat_req_t> ("const zpat_req_t", 0);
    check_roles<zpat_socket_t> ("zpat_socket_t", 0);
    check_roles<zpat_msg_t> ("zpat_msg_t", 0);
    check_roles<zpat_poller_t> ("zpat_poller_t", 0);
    check_roles<zpat_device_t> ("zpat_device_t", 0);
    check_roles<char> ("char", 0);

    // None throws, and each keeps its C result type.
    zpat_req_t *req = nullptr;
    static_assert (noexcept (zpat_send_str (req, "")), "noexcept");
    static_assert (noexcept (zpat_sendf (req, "%d", 1)), "noexcept");
    static_assert (noexcept (zpat_destroy (&req)), "noexcept");
    static_assert (std::is_same<decltype (zpat_recv_str (req)), char *>::value,
                   "zpat_recv_str returns char *");
    static_assert (
        std::is_same<decltype (zpat_socket (req)), zpat_socket_t *>::value,
        "zpat_socket returns zpat_socket_t *");
    static_assert (
        std::is_same<decltype (zpat_endpoint (req)), const char *>::value,
        "zpat_endpoint returns const char *");
}

} // namespace

int
main ()
{
    test_role_sets ();
    test_reqrep ();
    test_pubsub ();
    test_pipeline ();
    test_dealer_router ();
    test_device ();
    if (failures) {
        std::fprintf (stderr, "test_cpp: %d checks failed\n", failures);
        return 1;
    }
    std::printf ("test_cpp: all checks passed\n");
    return 0;
}
