// demo.c - runs the tutorial's three patterns, and a queue device between
// two clients and two workers, in one process over inproc:// and prints what
// flows through each. Run: ./build/examples/demo
// SPDX-License-Identifier: MPL-2.0

#include <zpat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fatal (const char *what)
{
    fprintf (stderr, "demo: %s: %s\n", what, zpat_strerror (errno));
    exit (1);
}

static void
request_reply (void)
{
    zpat_rep_t *server = zpat_rep_new ("inproc://demo-reqrep", NULL);
    zpat_req_t *client = zpat_req_new ("inproc://demo-reqrep", NULL);
    if (!server || !client)
        fatal ("request-reply set-up");
    const char *lines[] = {"hello", "你好, 世界", "b"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (zpat_send_str (client, lines[i]) == -1)
            fatal ("request");
        char *request = zpat_recv_str (server);
        if (!request || zpat_send_str (server, request) == -1)
            fatal ("serve");
        printf ("[req/rep]  server got \"%s\", echoed it\n", request);
        zpat_str_free (&request);
        char *reply = zpat_recv_str (client);
        if (!reply)
            fatal ("reply");
        printf ("[req/rep]  client got reply \"%s\"\n", reply);
        zpat_str_free (&reply);
    }
    zpat_destroy (&client);
    zpat_destroy (&server);
}

static void
publish_subscribe (void)
{
    zpat_pub_t *pub = zpat_pub_new ("inproc://demo-pubsub", NULL);
    zpat_sub_t *all = zpat_sub_new ("inproc://demo-pubsub", "", NULL);
    zpat_sub_t *only = zpat_sub_new ("inproc://demo-pubsub", "123", NULL);
    if (!pub || !all || !only)
        fatal ("publish-subscribe set-up");
    // Wait for both subscriptions rather than sleeping: nothing is lost.
    if (zpat_pub_wait_subscriptions (pub, 2, 2000) == -1)
        fatal ("waiting for subscribers");
    const char *news[] = {"123 first", "456 second", "123 third"};
    for (size_t i = 0; i < 3; i++) {
        if (zpat_send_str (pub, news[i]) == -1)
            fatal ("publish");
        printf ("[pub/sub]  published \"%s\"\n", news[i]);
    }
    zpat_set_recv_timeout_ms (all, 1000);
    zpat_set_recv_timeout_ms (only, 1000);
    for (int i = 0; i < 3; i++) {
        char *text = zpat_recv_str (all);
        if (!text)
            fatal ("subscriber 1");
        printf ("[pub/sub]  subscriber 1 (all)   got \"%s\"\n", text);
        zpat_str_free (&text);
    }
    for (int i = 0; i < 2; i++) {
        char *text = zpat_recv_str (only);
        if (!text)
            fatal ("subscriber 2");
        printf ("[pub/sub]  subscriber 2 (\"123\") got \"%s\"\n", text);
        zpat_str_free (&text);
    }
    zpat_destroy (&only);
    zpat_destroy (&all);
    zpat_destroy (&pub);
}

static void
pipeline (void)
{
    zpat_push_t *server = zpat_push_new ("@inproc://demo-work", NULL);
    zpat_pull_t *client = zpat_pull_new ("@inproc://demo-results", NULL);
    zpat_pull_t *work_in = zpat_pull_new (">inproc://demo-work", NULL);
    zpat_push_t *work_out = zpat_push_new (">inproc://demo-results", NULL);
    if (!server || !client || !work_in || !work_out)
        fatal ("pipeline set-up");
    for (int i = 1; i <= 3; i++) {
        if (zpat_sendf (server, "task %d", i) == -1)
            fatal ("push");
        printf ("[pipeline] server sent \"task %d\"\n", i);
        char *task = zpat_recv_str (work_in);
        if (!task || zpat_send_str (work_out, task) == -1)
            fatal ("worker");
        printf ("[pipeline] worker forwarding \"%s\"\n", task);
        zpat_str_free (&task);
        char *result = zpat_recv_str (client);
        if (!result)
            fatal ("sink");
        printf ("[pipeline] client got \"%s\"\n", result);
        zpat_str_free (&result);
    }
    zpat_destroy (&work_out);
    zpat_destroy (&work_in);
    zpat_destroy (&client);
    zpat_destroy (&server);
}

// n:m: two REQ clients -> a queue device -> two REP workers, which connect
// to the device as the tutorial's workers do. One thread plays every part,
// so a poller says which worker the queue handed each request to.
static void
queue (void)
{
    zpat_device_t *device = zpat_device_new (ZPAT_QUEUE, "inproc://demo-front",
                                             "inproc://demo-back", NULL);
    if (!device)
        fatal ("queue device");
    zpat_rep_t *workers[2];
    zpat_req_t *clients[2];
    zpat_poller_t *poller = zpat_poller_new ();
    static const char *names[] = {"worker 1", "worker 2"};
    for (int i = 0; i < 2; i++) {
        workers[i] = zpat_rep_new (">inproc://demo-back", NULL);
        clients[i] = zpat_req_new ("inproc://demo-front", NULL);
        if (!workers[i] || !clients[i] || !poller ||
            zpat_poller_add (poller, workers[i], ZPAT_POLLIN,
                             (void *)names[i]) == -1)
            fatal ("queue set-up");
    }
    for (int round = 1; round <= 2; round++) {
        for (int c = 0; c < 2; c++)
            if (zpat_sendf (clients[c], "job %d of client %d", round, c + 1) ==
                -1)
                fatal ("request");
        for (int served = 0; served < 2;) {
            zpat_ready_t ready[2];
            int count = zpat_poller_wait (poller, 5000, ready, 2);
            if (count == -1)
                fatal ("wait for the workers");
            for (int r = 0; r < count; r++, served++) {
                zpat_rep_t *worker = (zpat_rep_t *)ready[r].socket;
                char *job = zpat_recv_str (worker);
                if (!job || zpat_sendf (worker, "%s, done by %s", job,
                                        (const char *)ready[r].arg) == -1)
                    fatal ("work");
                printf ("[queue]    %s got \"%s\"\n",
                        (const char *)ready[r].arg, job);
                zpat_str_free (&job);
            }
        }
        for (int c = 0; c < 2; c++) {
            char *reply = zpat_recv_str (clients[c]);
            if (!reply)
                fatal ("reply");
            printf ("[queue]    client %d got \"%s\"\n", c + 1, reply);
            zpat_str_free (&reply);
        }
    }
    zpat_poller_destroy (&poller);
    for (int i = 0; i < 2; i++) {
        zpat_destroy (&clients[i]);
        zpat_destroy (&workers[i]);
    }
    zpat_device_destroy (&device);
}

int
main (int argc, char **argv)
{
    if (argc > 1) { // -h, --help, or a mistake: the demo takes no arguments
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: demo  (runs the three patterns and a queue device in "
               "one process)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    request_reply ();
    publish_subscribe ();
    pipeline ();
    queue ();
    zpat_shutdown ();
    return 0;
}
