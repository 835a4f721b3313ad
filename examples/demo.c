// demo.c - runs the tutorial's three patterns in one process over inproc://
// and prints what flows through each. Run: ./build/examples/demo
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

int
main (int argc, char **argv)
{
    if (argc > 1) { // -h, --help, or a mistake: the demo takes no arguments
        int help = !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help");
        fputs ("usage: demo  (runs the three patterns in one process)\n",
               help ? stdout : stderr);
        return help ? 0 : 2;
    }
    request_reply ();
    publish_subscribe ();
    pipeline ();
    zpat_shutdown ();
    return 0;
}
