# reliable_puller.py - a puller of zpat's reliable pipeline written with
# pyzmq alone, from docs/reliable-pipeline.md, joining the C port of the
# tutorial's server in its reliable mode (examples/pipeline_server -r).
# SPDX-License-Identifier: MPL-2.0
#
# Usage: reliable_puller.py --pipeline_server PATH
# Checks: the Python puller gets each line the server pushes, exactly once;
# credit holds (a second puller gets the rest of a burst); a Python puller
# process killed with SIGKILL while it holds lines loses none of them: they
# reach the other puller within the heartbeat bound. Exits 77 (skip)
# without pyzmq. Every wait is bounded.

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import time

try:
    import zmq
except ImportError as error:
    print(f"SKIP: cannot import zmq ({error})")
    sys.exit(77)

WAIT = 5.0


class ReliablePuller:
    """The puller side of the protocol, as docs/reliable-pipeline.md has
    it: a DEALER that says READY with its credit, takes DATA frames, skips
    pings, and acknowledges each message when it asks for the next."""

    def __init__(self, ctx, endpoint, credit):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 1000
        self.sock.connect(endpoint)
        self.credit = credit
        self.owed = None
        self.recent = []

    def _ready(self):
        self.sock.send(b"R" + struct.pack(">I", self.credit), zmq.NOBLOCK)

    def ack(self):
        if self.owed is None:
            return
        self.recent = ([self.owed] + self.recent)[:16]
        self.owed = None
        frame = b"A" + struct.pack(">I", self.credit)
        frame += b"".join(struct.pack(">Q", seq) for seq in self.recent)
        self.sock.send(frame, zmq.NOBLOCK)

    def recv(self, timeout=WAIT):
        """The next message's frames, or None after timeout seconds."""
        self.ack()
        deadline = time.monotonic() + timeout
        said = 0.0
        while True:
            try:
                frames = self.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                now = time.monotonic()
                if now >= deadline:
                    return None
                if now - said >= 0.25:
                    try:
                        self._ready()
                    except zmq.Again:
                        pass
                    said = now
                self.sock.poll(int(min(0.25, deadline - now) * 1000) + 1)
                continue
            head = frames[0]
            if len(head) == 9 and head[:1] == b"D" and len(frames) > 1:
                self.owed = struct.unpack(">Q", head[1:])[0]
                return frames[1:]
            # "H" (a ping) and anything unknown: skipped

    def close(self):
        self.ack()
        self.sock.close()


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)
    print(f"ok - {what}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child(endpoint):
    """A puller process: takes one line, says which, and waits to be
    killed, holding it and whatever else its credit let in."""
    ctx = zmq.Context()
    puller = ReliablePuller(ctx, endpoint, 5)
    frames = puller.recv()
    print(frames[0].decode() if frames else "-", flush=True)
    time.sleep(60)


def start_server(path):
    for _ in range(5):
        port = free_port()
        server = subprocess.Popen(
            [path, "-r", f"tcp://127.0.0.1:{port}"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.2)
        if server.poll() is None:
            return server, f"tcp://127.0.0.1:{port}"
    raise Failure("pipeline_server -r did not start")


def send_lines(server, lines):
    server.stdin.write("".join(line + "\n" for line in lines).encode())
    server.stdin.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipeline_server")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    ctx = zmq.Context()
    server, endpoint = start_server(args.pipeline_server)
    killed = None
    try:
        # Exactly once, in order, to one Python puller.
        first = ReliablePuller(ctx, endpoint, 2)
        send_lines(server, [f"a{i}" for i in range(20)])
        got = [first.recv() for _ in range(3)]
        check(all(got) and [f[0] for f in got] == [b"a0", b"a1", b"a2"],
              "a pyzmq puller gets a reliable zpat pusher's lines in order")
        # first holds a2 and at most one more: a second takes the rest.
        second = ReliablePuller(ctx, endpoint, 2)
        rest = [second.recv() for _ in range(16)]
        check(all(rest), "credit 2: the second puller gets the other 16")
        more = first.recv(timeout=1.0)
        check(more is not None and first.recv(timeout=0.5) is None,
              "the first held exactly its credit")
        seen = {f[0] for f in got + rest + [more]}
        check(seen == {f"a{i}".encode() for i in range(20)},
              "all 20 lines, none twice")
        first.close()  # acknowledges its last; it holds nothing else

        # A puller killed while it holds lines loses none of them.
        killed = subprocess.Popen(
            [sys.executable, __file__, "--child", endpoint],
            stdout=subprocess.PIPE)
        time.sleep(0.5)  # lets it say READY before the lines
        send_lines(server, [f"b{i}" for i in range(10)])
        line = killed.stdout.readline().strip()
        check(line.startswith(b"b"), f"the child puller got {line!r}")
        killed.send_signal(signal.SIGKILL)
        killed.wait(WAIT)
        started = time.monotonic()
        distinct = set()
        while len(distinct) < 10:
            frames = second.recv()
            if frames is None:
                break
            distinct.add(frames[0])
        took = time.monotonic() - started
        check(len(distinct) == 10,
              f"all 10 lines after SIGKILL ({sorted(distinct)})")
        check(took < 2.5, f"within the heartbeat bound ({took:.2f} s)")
        second.close()
        return 0
    except Failure as failure:
        print(f"not ok - {failure}")
        return 1
    finally:
        if killed and killed.poll() is None:
            killed.kill()
        server.stdin.close()
        try:
            server.wait(WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
