#!/usr/bin/env python3
"""reliable_reqrep_client (examples/reliable_reqrep_client.c) against pyzmq
servers and the C reqrep_server: a server absent at first, one killed with
SIGKILL and started again mid-stream, one that answers late (the late reply
is discarded), and one that drops every other request. Every line typed is
answered once, with its own reply, or reported failed; the output is
reqrep_client's.

usage: reliable.py --reliable_reqrep_client PATH --reqrep_server PATH"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop import (PROMPT_REQ, WAIT, Failure, Program,  # noqa: E402
                     check, free_port)

import zmq  # noqa: E402  (interop has skipped the run without it)


class Server:
    """A pyzmq server in a thread: a REP answering "re:" + request
    (late_first: the first copy of each request after that many seconds),
    or a ROUTER that echoes the envelope and drops every other request."""

    def __init__(self, ctx, port, late_first=0.0, drop_odd=False):
        self.sock = ctx.socket(zmq.ROUTER if drop_odd else zmq.REP)
        self.sock.linger = 0
        # The last server's listener is closed by libzmq's own thread a
        # moment after close (): until then the port is taken.
        deadline = time.monotonic() + WAIT
        while True:
            try:
                self.sock.bind(f"tcp://127.0.0.1:{port}")
                break
            except zmq.ZMQError as error:
                if (error.errno != zmq.EADDRINUSE
                        or time.monotonic() > deadline):
                    raise
                time.sleep(0.01)
        self.late_first, self.drop_odd = late_first, drop_odd
        self.arrived = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            if not self.sock.poll(20):
                continue
            if self.drop_odd:
                frames = self.sock.recv_multipart()
                self.arrived.append(frames[-1])
                if len(self.arrived) % 2 == 0:
                    continue
                self.sock.send_multipart(frames[:-1] + [b"re:" + frames[-1]])
            else:
                request = self.sock.recv()
                first = request not in self.arrived
                self.arrived.append(request)
                if first and self.late_first:
                    time.sleep(self.late_first)
                self.sock.send(b"re:" + request)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def expect_replies(client, lines, replies, start_count):
    """Writes lines one by one, waiting for each one's reply line."""
    for n, (line, reply) in enumerate(zip(lines, replies)):
        client.write(line + "\n")
        client.wait_output(f"received reply: {reply}\n".encode(),
                           start_count.get(reply, 0) + 1, timeout=3 * WAIT)
        start_count[reply] = start_count.get(reply, 0) + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reliable_reqrep_client", required=True)
    parser.add_argument("--reqrep_server", required=True)
    bins = parser.parse_args()
    ctx = zmq.Context()
    try:
        run(bins, ctx)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    finally:
        for program in Program.running:
            if program.proc.poll() is None:
                program.proc.kill()
        ctx.destroy(linger=0)
    return 0


def run(bins, ctx):
    client_path = bins.reliable_reqrep_client
    usage = subprocess.run([client_path, "--help"], capture_output=True)
    check(usage.returncode == 0 and b"usage: reliable_reqrep_client"
          in usage.stdout, "reliable_reqrep_client --help: usage, status 0")
    bad = subprocess.run([client_path, "tcp://127.0.0.1:1", "0"],
                         capture_output=True)
    check(bad.returncode == 2, "reliable_reqrep_client: a timeout of 0 is a "
          "usage error, status 2")

    # 1. No server at first: the request is reported failed after its tries,
    # and the client carries on; then a server comes and answers.
    port = free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    client = Program([client_path, endpoint, "300", "3"])
    client.write("hello\n")
    deadline = time.monotonic() + WAIT
    while b'no reply to "hello" after 3 tries' not in client.err:
        if time.monotonic() > deadline:
            raise Failure(f"no failure line: {bytes(client.err)!r}")
        time.sleep(0.01)
    check(True, "no server: the request is reported failed after 3 tries")
    client.wait_output(PROMPT_REQ, 2)
    check(True, "... and the client asks for the next line")
    server = Server(ctx, port)
    seen = {}
    expect_replies(client, ["world", "again"], ["re:world", "re:again"], seen)
    check(True, "a server started late answers the next requests")
    server.close()

    # 2. A server answering the first copy of each request late: the retry
    # is answered, the late reply never shows.
    server = Server(ctx, port, late_first=0.4)
    lines = [f"late-{i}" for i in range(4)]
    expect_replies(client, lines, ["re:" + s for s in lines], seen)
    check(all(server.arrived.count(s.encode()) >= 2 for s in lines),
          "a late server: each request was sent again")
    server.close()

    # 3. A ROUTER that drops every other request (pyzmq, echoing libzmq's
    # request ids): every line is answered.
    server = Server(ctx, port, drop_odd=True)
    lines = [f"drop-{i}" for i in range(6)]
    expect_replies(client, lines, ["re:" + s for s in lines], seen)
    check(len(server.arrived) > len(lines),
          f"a server dropping every other request: {len(server.arrived)} "
          f"sent for {len(lines)} lines, each answered")
    server.close()

    # 4. The C reqrep_server, killed with SIGKILL and started again between
    # requests: the client's retries find the new one.
    for round_ in range(3):
        c_server = Program([bins.reqrep_server, f"tcp://127.0.0.1:{port}"])
        c_server.wait_output(b"wait for client ...\n")
        lines = [f"kill-{round_}-{i}" for i in range(3)]
        expect_replies(client, lines, lines, seen)
        c_server.proc.send_signal(signal.SIGKILL)
        c_server.proc.wait()
    check(True, "the C reqrep_server killed and started again 3 times: "
          "every request answered")

    client.write("b\n")
    check(client.proc.wait(WAIT) == 0, "'b' quits, status 0")
    out = bytes(client.out)
    # Each reply once, and nothing but prompts and replies on stdout.
    replies = [line for line in out.split(b"\n") if b"received reply" in line]
    check(len(replies) == len(set(replies)) == sum(seen.values()),
          f"{len(replies)} replies, none twice, none stale")
    check(out.startswith(b"connecting to server...\n" + PROMPT_REQ) and
          out.count(PROMPT_REQ) == len(replies) + 2,
          "stdout is reqrep_client's: a prompt before each line")


if __name__ == "__main__":
    sys.exit(main())
