# cli.py - runs the zpat command-line tool (tools/zpat.c) against pyzmq peers
# and the C examples.
# SPDX-License-Identifier: MPL-2.0
#
# Usage: cli.py --zpat PATH --reqrep_server PATH --pubsub_server PATH [CASE...]
# With no CASE, runs them all (see CASES at the end). The paths come from
# meson (tests/interop/meson.build, test interop-cli). Run it with
# /usr/bin/python3 (Debian's python3-zmq); without pyzmq it exits 77, which
# meson reports as a skip. Prints "ok - ..." for each check, "FAIL: ..." and
# status 1 on the first failure.
#
# Every wait is bounded. pyzmq peers bind port 0 (bind_to_random_port) and
# zpat connects to them; zpat and the C examples bind tcp://127.0.0.1:* and
# tell their port (zpat with --verbose on stderr, the examples through
# /proc, which lists the port they listen on). A peer that is not there is
# a port this run keeps bound and never listens on (refused_endpoint). The
# only sleeps are the 2 ms steps of polling /proc.

import argparse
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    import zmq
except ImportError as error:
    print(f"SKIP: {sys.executable} cannot import zmq ({error}); "
          "install python3-zmq and run with /usr/bin/python3")
    sys.exit(77)

WAIT = 5.0  # seconds: the bound on every wait for a message, line or exit
EXIT_AFTER_SIGNAL = 1.0  # seconds: SIGINT/SIGTERM ends zpat within this

# poll (2) and ppoll (2), to tell from /proc/PID/syscall that zpat waits.
POLL_SYSCALLS = {"x86_64": (7, 271), "aarch64": (73,)}.get(
    platform.machine(), ())


class Failure(Exception):
    pass


def check(condition, what, detail=""):
    """Prints "ok - what", or fails with what and detail (what was seen)."""
    if not condition:
        raise Failure(f"{what} ({detail})" if detail else what)
    print(f"ok - {what}")


class Program:
    """A program under test, its stdin, stdout and stderr on pipes."""

    running = []

    def __init__(self, argv, stdin_data=None):
        self.argv = [str(a) for a in argv]
        self.name = " ".join([os.path.basename(self.argv[0])] +
                             [repr(a) if not a.isprintable() or " " in a
                              or not a else a for a in self.argv[1:]])
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = bytearray()
        self.err = bytearray()
        self.cond = threading.Condition()
        self.pumps = [threading.Thread(target=self._pump, args=(f, buf),
                                       daemon=True)
                      for f, buf in ((self.proc.stdout, self.out),
                                     (self.proc.stderr, self.err))]
        for pump in self.pumps:
            pump.start()
        Program.running.append(self)
        if stdin_data is not None:
            self.write(stdin_data)
            self.close_stdin()

    def _pump(self, stream, buf):
        while True:
            chunk = os.read(stream.fileno(), 65536)
            with self.cond:
                buf += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def _wait_for(self, buf, needle, count, timeout, where):
        deadline = time.monotonic() + timeout
        with self.cond:
            while buf.count(needle) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"{self.name}: no {count} x {needle!r} on "
                                  f"{where} within {timeout} s; {self}")
                self.cond.wait(left)

    def wait_output(self, needle, count=1, timeout=WAIT):
        self._wait_for(self.out, needle, count, timeout, "stdout")

    def wait_error(self, needle, count=1, timeout=WAIT):
        self._wait_for(self.err, needle, count, timeout, "stderr")

    def bound_endpoint(self):
        """The endpoint zpat --verbose says it bound."""
        self.wait_error(b"\n")
        match = re.match(rb"zpat: bound to (tcp://[0-9.]+:[0-9]+)\n",
                         bytes(self.err))
        if not match:
            raise Failure(f"{self.name}: no 'bound to' line; {self}")
        return match.group(1).decode()

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def wait_exit(self, timeout=WAIT):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name} still running after {timeout} s; "
                          f"{self}")
        for pump in self.pumps:
            pump.join(WAIT)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()
        self.took = time.monotonic() - self.started
        return self.proc.returncode

    def __str__(self):
        return f"stdout {bytes(self.out)!r}, stderr {bytes(self.err)!r}"

    @classmethod
    def kill_all(cls):
        for program in cls.running:
            if program.proc.poll() is None:
                program.proc.kill()
                program.proc.wait()


def run(argv, stdin_data=b"", timeout=WAIT):
    """Runs argv to its end; returns the program (rc in .rc)."""
    program = Program(argv, stdin_data)
    program.rc = program.wait_exit(timeout)
    return program


def recv_bounded(sock, multipart=False):
    if not sock.poll(int(WAIT * 1000)):
        raise Failure(f"no message within {WAIT} s")
    return sock.recv_multipart() if multipart else sock.recv()


def nothing_more(sock, what):
    check(not sock.poll(200), f"{what}: nothing more arrives")


def wait_subscription(xpub, prefix):
    """Waits until the XPUB sees a subscription to prefix (it also reports
    the unsubscriptions of subscribers that left: skipped)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if xpub.poll(int((deadline - time.monotonic()) * 1000) + 1):
            if xpub.recv() == b"\x01" + prefix:
                return
    raise Failure(f"no subscription to {prefix!r} within {WAIT} s")


# Sockets holding the ports of refused_endpoint (), closed at the end.
_refusing = []


def refused_endpoint():
    """An endpoint on 127.0.0.1 that refuses connections for the whole run:
    its port is bound by this process and never listened on."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    _refusing.append(holder)
    return f"tcp://127.0.0.1:{holder.getsockname()[1]}"


def listening_port(program):
    """The TCP port program listens on, read from /proc once it has bound
    one (the C examples, given tcp://127.0.0.1:*, do not print it)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        inodes = set()
        try:
            for fd in os.listdir(f"/proc/{program.proc.pid}/fd"):
                try:
                    link = os.readlink(f"/proc/{program.proc.pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
            with open("/proc/net/tcp") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and fields[9] in inodes:
                        return int(fields[1].rsplit(":", 1)[1], 16)
        except OSError as error:
            raise Failure(f"cannot read /proc for {program.name}: {error}")
        if program.proc.poll() is not None:
            raise Failure(f"{program.name} ended before it listened; "
                          f"{program}")
        time.sleep(0.002)  # polling /proc: there is nothing to await
    raise Failure(f"{program.name} not listening within {WAIT} s")


class Context:
    """A pyzmq context whose sockets never linger."""

    def __init__(self):
        self.ctx = zmq.Context()

    def socket(self, kind, **options):
        sock = self.ctx.socket(kind)
        sock.linger = 0
        for name, value in options.items():
            setattr(sock, name, value)
        return sock

    def bound(self, kind, **options):
        """A socket bound to a random port, and the endpoint to reach it."""
        sock = self.socket(kind, **options)
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        return sock, f"tcp://127.0.0.1:{port}"

    def close(self):
        self.ctx.destroy(linger=0)


def ends_with(program, status, what, err=b""):
    """Checks that program (run to its end) gave status and stderr err."""
    check(program.rc == status, f"{what}: status {status}",
          f"got {program.rc}; {program}")
    if err is not None:
        check(program.err == err, f"{what}: stderr {err!r}",
              f"got {bytes(program.err)!r}")


# The formats, as the man page defines them, for the expected output.
def quoted(frame):
    out = '"'
    for byte in frame:
        char = chr(byte)
        escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r",
                   "\t": "\\t"}
        if char in escapes:
            out += escapes[char]
        elif 0x20 <= byte < 0x7f:
            out += char
        else:
            out += f"\\x{byte:02x}"
    return (out + '"').encode()


def shown(frames, fmt, peer=None):
    """What zpat prints for one message of frames in fmt."""
    if fmt == "raw":
        return b"".join(frames)
    show = {"text": lambda f: f, "quoted": quoted,
            "hex": lambda f: f.hex().encode()}[fmt]
    fields = ([peer.hex().encode()] if peer is not None else []) + [
        show(f) for f in frames]
    return b"\t".join(fields) + b"\n"


TRICKY = [b"plain", "caf\u00e9 \u4f60\u597d \U0001f600".encode(),
          b"nul\x00inside", b"two\nlines", b"\xff\xfe\x80", b"",
          b'tab\there "quoted" back\\slash\r', bytes(range(256))]


# ---------------------------------------------------------------------------
# usage and errors

def case_usage(bins, ctx):
    for args in (["--help"], ["-h"], ["sub", "tcp://x:1", "--help"]):
        program = run([bins.zpat] + args)
        ends_with(program, 0, f"zpat {' '.join(args)}")
        check(program.out.startswith(b"usage: zpat ROLE ENDPOINTS") and
              b"--format" in program.out and b"exit status" in program.out,
              f"zpat {' '.join(args)}: the usage on stdout")
    bad = [[], ["sub"], ["nosuchrole", "tcp://x:1"],
           ["sub", "tcp://x:1", "--no-such-option"],
           ["sub", "tcp://x:1", "extra"],
           ["pull", "tcp://x:1", "--count"],
           ["pull", "tcp://x:1", "--count", "0"],
           ["pull", "tcp://x:1", "--count", "-1"],
           ["pull", "tcp://x:1", "--count", "2x"],
           ["pull", "tcp://x:1", "-n", " 2"],
           ["pull", "tcp://x:1", "--timeout", "99999999999"],
           ["pull", "tcp://x:1", "--timeout=abc"],
           ["pull", "tcp://x:1", "--format", "base64"],
           ["pull", "tcp://x:1", "--verbose=yes"],
           ["pub", "tcp://x:1", "--subscribe", "a"],
           ["sub", "tcp://x:1", "--data", "a"],
           ["pull", "tcp://x:1", "--file", "/dev/null"],
           ["sub", "tcp://x:1", "--subscribers", "1"],
           ["rep", "tcp://x:1", "--interval", "10"],
           ["pull", "tcp://x:1", "--delay", "10"],
           ["push", "tcp://x:1", "--format", "hex"]]
    for args in bad:
        program = run([bins.zpat] + args)
        words = " ".join(["zpat"] + args)
        ends_with(program, 2, words, err=None)
        first, _, rest = bytes(program.err).partition(b"\n")
        check(first.startswith(b"zpat: ") and
              rest.startswith(b"usage: zpat ROLE ENDPOINTS") and
              program.out == b"",
              f"{words}: what is wrong, then the usage, on stderr",
              f"got {first!r}")


def case_errors(bins, ctx):
    bad = "tcp://*:notaport"
    for role in ("req", "rep", "pub", "sub", "push", "pull", "dealer",
                 "router"):
        program = run([bins.zpat, role, bad, "--timeout", "1000"])
        ends_with(program, 1, f"zpat {role} {bad}",
                  err=f"zpat: {bad}: Invalid argument\n".encode())
    for endpoints in ("nosuch://x", "tcp://127.0.0.1:*,@bogus"):
        program = run([bins.zpat, "rep", endpoints])
        check(program.rc == 1 and program.err.count(b"\n") == 1 and
              program.err.startswith(f"zpat: {endpoints}: ".encode()),
              f"zpat rep {endpoints}: status 1, one line naming it",
              f"got {program.rc}, {bytes(program.err)!r}")
    taken, in_use = ctx.bound(zmq.PULL)
    for role in ("rep", "pull", "router", "pub"):
        program = run([bins.zpat, role, in_use])
        ends_with(program, 1, f"zpat {role} on a port in use",
                  err=f"zpat: {in_use}: Address already in use\n".encode())
    taken.close()
    missing = "/nonexistent/zpat-cli-test"
    program = run([bins.zpat, "push", refused_endpoint(), "--file", missing])
    ends_with(program, 1, "zpat push --file of a missing file",
              err=f"zpat: {missing}: No such file or directory\n".encode())
    program = run([bins.zpat, "sub", refused_endpoint(), "-s", "x" * 250])
    check(program.rc == 1 and program.err.startswith(b"zpat: --subscribe x")
          and program.err.count(b"\n") == 1,
          f"zpat sub with a prefix libzmq cannot deliver: status 1, one line",
          f"got {program.rc}, {bytes(program.err)!r}")


# ---------------------------------------------------------------------------
# the roles against pyzmq

def case_req(bins, ctx):
    rep, endpoint = ctx.bound(zmq.REP)
    lines = [b"hello", "\u4f60\u597d\uff0c\u4e16\u754c".encode(), b"",
             b"  spaces kept  ", b"last, no newline"]
    program = Program([bins.zpat, "req", endpoint],
                      b"\n".join(lines))
    got = []
    for _ in lines:
        request = recv_bounded(rep)
        got.append(request)
        rep.send(b"re:" + request)
    program.rc = program.wait_exit()
    check(got == lines, "zpat req: each line of stdin is one request, "
          "newline stripped, bytes kept")
    ends_with(program, 0, "zpat req at end of input")
    check(program.out == b"".join(b"re:" + line + b"\n" for line in lines),
          f"zpat req prints each reply on a line", str(program))

    # --data, --count exchanges, a multipart reply, --format hex.
    program = Program([bins.zpat, "req", endpoint, "--data", "ping",
                       "--count", "3", "-F", "hex"])
    for i in range(3):
        check(recv_bounded(rep) == b"ping", f"zpat req --data: request {i}")
        rep.send_multipart([b"pong", bytes([i])])
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat req --count 3")
    check(program.out == b"".join(shown([b"pong", bytes([i])], "hex")
                                  for i in range(3)),
          f"zpat req: a reply of two frames is shown as two fields", str(program))
    nothing_more(rep, "zpat req --count 3")
    rep.close()


def case_rep(bins, ctx):
    # Echo: every frame back, each request printed.
    program = Program([bins.zpat, "rep", "tcp://127.0.0.1:*", "-v",
                       "--count", "3"])
    endpoint = program.bound_endpoint()
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    requests = [[b"ping"], [b"a", b"", b"\xff"], ["\u00e9t\u00e9".encode()]]
    for request in requests:
        req.send_multipart(request)
        check(recv_bounded(req, True) == request,
              f"zpat rep echoes {request!r}")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat rep --count 3",
              err=f"zpat: bound to {endpoint}\n".encode())
    check(program.out == b"".join(shown(r, "text") for r in requests),
          f"zpat rep prints each request, frames tab-separated", str(program))
    req.close()

    # --data (and --file) answer every request with one message.
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"\x00file\xff")
        f.flush()
        program = Program([bins.zpat, "rep", "tcp://127.0.0.1:*", "-v",
                           "-n", "2", "--data", "pong", "--file", f.name,
                           "--format", "quoted"])
        endpoint = program.bound_endpoint()
        req = ctx.socket(zmq.REQ)
        req.connect(endpoint)
        for request in (b"one", b"two\n"):
            req.send(request)
            check(recv_bounded(req, True) == [b"pong", b"\x00file\xff"],
                  f"zpat rep --data pong --file F answers {request!r}")
        program.rc = program.wait_exit()
    ends_with(program, 0, "zpat rep --data --count 2", err=None)
    check(program.out == b'"one"\n"two\\n"\n',
          f"zpat rep --format quoted prints the requests", str(program))
    req.close()


def case_pub(bins, ctx):
    # zpat connects to a pyzmq SUB and waits for its subscription.
    sub, endpoint = ctx.bound(zmq.SUB)
    sub.subscribe(b"")
    program = Program([bins.zpat, "pub", ">" + endpoint, "--subscribers",
                       "1", "--timeout", str(int(WAIT * 1000))],
                      b"first\nsecond\n\xff\xfe\n")
    for line in (b"first", b"second", b"\xff\xfe"):
        check(recv_bounded(sub) == line,
              f"zpat pub (connecting) publishes the line {line!r}")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat pub at end of input")
    check(program.out == b"", "zpat pub prints nothing")
    sub.close()

    # zpat binds, a pyzmq SUB connects; --data --count --interval.
    program = Program([bins.zpat, "pub", "tcp://127.0.0.1:*", "-v",
                       "--subscribers", "1", "--data", "tick", "--data",
                       "tock", "--count", "3", "--interval", "100"])
    endpoint = program.bound_endpoint()
    sub = ctx.socket(zmq.SUB)
    sub.subscribe(b"tick")
    sub.connect(endpoint)
    for i in range(3):
        check(recv_bounded(sub, True) == [b"tick", b"tock"],
              f"zpat pub --data tick --data tock: message {i} of 2 frames")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat pub --count 3", err=None)
    check(program.took >= 0.2,
          f"zpat pub --interval 100: 3 sends take at least 200 ms "
          f"(ran {program.took:.3f} s)")
    nothing_more(sub, "zpat pub --count 3")
    sub.close()

    # --subscribers with nobody there times out: status 3.
    program = run([bins.zpat, "pub", "tcp://127.0.0.1:*", "--subscribers",
                   "1", "--timeout", "200", "--data", "x"])
    ends_with(program, 3, "zpat pub --subscribers 1 alone --timeout 200",
              err=b"zpat: --subscribers: timed out after 200 ms\n")


def case_sub(bins, ctx):
    # An XPUB shows when zpat's subscriptions have arrived.
    xpub, endpoint = ctx.bound(zmq.XPUB)
    program = Program([bins.zpat, "sub", endpoint, "--subscribe", "weather",
                       "-s", "news", "--count", "3"])
    subscriptions = {recv_bounded(xpub), recv_bounded(xpub)}
    check(subscriptions == {b"\x01weather", b"\x01news"},
          f"zpat sub -s weather -s news subscribes to both",
          f"got {subscriptions}")
    xpub.send(b"sports: 1-0")
    xpub.send(b"weather: sunny")
    xpub.send_multipart([b"news", b"flash", b""])
    xpub.send(b"newspaper")
    xpub.send(b"weather: rain")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat sub --count 3")
    check(program.out == b"weather: sunny\nnews\tflash\t\nnewspaper\n",
          f"zpat sub prints only what its prefixes match, multipart as "
          f"fields", str(program))

    # No --subscribe: everything.
    program = Program([bins.zpat, "sub", endpoint, "-n", "2"])
    wait_subscription(xpub, b"")
    print("ok - zpat sub without --subscribe subscribes to everything")
    xpub.send(b"\x00binary")
    xpub.send(b"anything")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat sub -n 2")
    check(program.out == b"\x00binary\nanything\n",
          f"zpat sub prints everything", str(program))
    xpub.close()


def case_push(bins, ctx):
    pull, endpoint = ctx.bound(zmq.PULL)
    lines = [f"task {i}".encode() for i in range(100)]
    program = Program([bins.zpat, "push", endpoint],
                      b"\n".join(lines) + b"\n")
    got = [recv_bounded(pull) for _ in lines]
    program.rc = program.wait_exit()
    check(got == lines, "zpat push: 100 lines of stdin arrive in order")
    ends_with(program, 0, "zpat push at end of input")
    nothing_more(pull, "zpat push")

    # --file: bytes exactly, one message; --file -: stdin whole.
    blob = bytes(range(256)) * 4 + b"\n\n" + os.urandom(100000)
    with tempfile.NamedTemporaryFile() as f:
        f.write(blob)
        f.flush()
        program = run([bins.zpat, "push", endpoint, "--file", f.name])
        check(recv_bounded(pull) == blob,
              f"zpat push --file: {len(blob)} bytes as one message")
        ends_with(program, 0, "zpat push --file")
        program = run([bins.zpat, "push", endpoint, "--data", "",
                       "--file", f.name, "--data", "end", "-n", "2"])
        for i in range(2):
            check(recv_bounded(pull, True) == [b"", blob, b"end"],
                  f"zpat push --data '' --file F --data end: message {i} "
                  "of three frames")
        ends_with(program, 0, "zpat push -n 2")
    program = run([bins.zpat, "push", endpoint, "--file", "-"], blob)
    check(recv_bounded(pull) == blob,
          "zpat push --file -: all of stdin as one message")
    ends_with(program, 0, "zpat push --file -")
    program = run([bins.zpat, "push", endpoint, "--file", "-"], b"")
    check(recv_bounded(pull) == b"",
          "zpat push --file - with empty stdin: one empty message")

    # --delay before the first send.
    program = run([bins.zpat, "push", endpoint, "--delay", "300", "--data",
                   "late"])
    check(recv_bounded(pull) == b"late" and program.took >= 0.3,
          f"zpat push --delay 300 sends after 300 ms "
          f"(ran {program.took:.3f} s)")
    ends_with(program, 0, "zpat push --delay")

    # --count with lines stops early.
    program = run([bins.zpat, "push", endpoint, "--count", "2"],
                  b"a\nb\nc\n")
    got = [recv_bounded(pull) for _ in range(2)]
    check(got == [b"a", b"b"], "zpat push --count 2 sends two lines")
    ends_with(program, 0, "zpat push --count 2")
    nothing_more(pull, "zpat push --count 2")
    pull.close()


def case_pull(bins, ctx):
    program = Program([bins.zpat, "pull", "tcp://127.0.0.1:*", "--verbose",
                       "--count", "3"])
    endpoint = program.bound_endpoint()
    push = ctx.socket(zmq.PUSH)
    push.connect(endpoint)
    for message in (b"one", "tw\u00f6".encode(), [b"th", b"ree"], b"four"):
        if isinstance(message, list):
            push.send_multipart(message)
        else:
            push.send(message)
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat pull --count 3",
              err=f"zpat: bound to {endpoint}\n".encode())
    check(program.out == "one\ntw\u00f6\nth\tree\n".encode(),
          f"zpat pull prints 3 messages and stops", str(program))
    push.close()


def case_formats(bins, ctx):
    messages = [[frame] for frame in TRICKY] + [[b"a", b"", b"\xff\t"],
                                               [b"", b""]]
    for fmt in ("text", "quoted", "hex", "raw"):
        program = Program([bins.zpat, "pull", "tcp://127.0.0.1:*", "-v",
                           "--format", fmt, "-n", str(len(messages))])
        push = ctx.socket(zmq.PUSH)
        push.connect(program.bound_endpoint())
        for message in messages:
            push.send_multipart(message)
        program.rc = program.wait_exit()
        ends_with(program, 0, f"zpat pull --format {fmt}", err=None)
        want = b"".join(shown(m, fmt) for m in messages)
        check(program.out == want,
              f"zpat pull --format {fmt}: UTF-8, NUL, newline, 0xff, "
              f"empty and multipart shown as the man page says",
              f"got {bytes(program.out)[:120]!r}...")
        push.close()
    check(quoted(b'\x00\xff"\\\n') == b'"\\x00\\xff\\"\\\\\\n"' and
          shown([b"a", b"b"], "raw") == b"ab",
          "the expected quoted and raw forms are themselves right")


def case_dealer(bins, ctx):
    # No lockstep: the ROUTER gets all three before it answers any.
    router, endpoint = ctx.bound(zmq.ROUTER)
    program = Program([bins.zpat, "dealer", endpoint], b"a\nb\nc\n")
    got = [recv_bounded(router, True) for _ in range(3)]
    peer = got[0][0]
    check([m[1:] for m in got] == [[b"a"], [b"b"], [b"c"]] and
          all(m[0] == peer for m in got),
          "zpat dealer sends every line before any reply comes")
    router.send_multipart([peer, b"A"])
    router.send_multipart([peer, b"B", b"2"])
    check(program.proc.poll() is None,
          "zpat dealer waits for as many replies as it sent")
    router.send_multipart([peer, b"C"])
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat dealer after its three replies")
    check(program.out == b"A\nB\t2\nC\n",
          f"zpat dealer prints each reply", str(program))

    # --data, --count: replies counted, not requests.
    program = Program([bins.zpat, "dealer", endpoint, "-d", "", "-d", "q",
                       "--count", "2", "-F", "quoted"])
    for i in range(2):
        message = recv_bounded(router, True)
        check(message[1:] == [b"", b"q"],
              f"zpat dealer -d '' -d q: message {i} of two frames")
        router.send_multipart([message[0], b"", b"r\x00"])
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat dealer --count 2")
    check(program.out == b'""\t"r\\x00"\n' * 2,
          f"zpat dealer --format quoted", str(program))

    # A reply that never comes: --timeout, status 3.
    program = Program([bins.zpat, "dealer", endpoint, "-d", "hello?",
                       "--timeout", "300"])
    recv_bounded(router, True)
    program.rc = program.wait_exit()
    ends_with(program, 3, "zpat dealer without a reply, --timeout 300",
              err=b"zpat: receive: timed out after 300 ms\n")
    router.close()


def case_router(bins, ctx):
    program = Program([bins.zpat, "router", "tcp://127.0.0.1:*", "-v",
                       "--count", "3"])
    endpoint = program.bound_endpoint()
    dealer = ctx.socket(zmq.DEALER, routing_id=b"peer1")
    dealer.connect(endpoint)
    dealer.send_multipart([b"x", b"y"])
    check(recv_bounded(dealer, True) == [b"x", b"y"],
          "zpat router echoes a DEALER's two frames back to it")
    req = ctx.socket(zmq.REQ, routing_id=b"\x00\xffr")
    req.connect(endpoint)
    req.send(b"hi")
    check(recv_bounded(req) == b"hi", "zpat router echoes a REQ's request")
    dealer.send(b"\xc3\xa9")
    check(recv_bounded(dealer) == b"\xc3\xa9",
          "zpat router echoes UTF-8 byte for byte")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat router --count 3", err=None)
    check(program.out == b"7065657231\tx\ty\n00ff72\t\thi\n7065657231\t\xc3"
          b"\xa9\n",
          f"zpat router prints the peer's id in hex, then the frames", str(program))

    # --data: a REQ's envelope is kept, so REQs and DEALERs both get it.
    program = Program([bins.zpat, "router", "tcp://127.0.0.1:*", "-v",
                       "-n", "2", "--data", "ok", "--format", "hex"])
    endpoint = program.bound_endpoint()
    req.close()
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    req.send(b"question")
    check(recv_bounded(req) == b"ok", "zpat router --data ok answers a REQ")
    dealer.close()
    dealer = ctx.socket(zmq.DEALER, routing_id=b"D")
    dealer.connect(endpoint)
    dealer.send(b"plain")
    check(recv_bounded(dealer, True) == [b"ok"],
          "zpat router --data ok answers a DEALER with [ok]")
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat router --data --count 2", err=None)
    lines = program.out.split(b"\n")
    check(len(lines) == 3 and lines[0].endswith(b"\t\t" + b"question".hex()
                                                .encode()) and
          lines[1] == b"44\t" + b"plain".hex().encode(),
          f"zpat router --format hex", str(program))
    req.close()
    dealer.close()


# ---------------------------------------------------------------------------
# the C examples, timeouts and signals

def case_examples(bins, ctx):
    server = Program([bins.reqrep_server, "tcp://127.0.0.1:*"])
    endpoint = f"tcp://127.0.0.1:{listening_port(server)}"
    program = run([bins.zpat, "req", endpoint],
                  "hello\n\u4f60\u597d\n".encode())
    ends_with(program, 0, "zpat req against examples/reqrep_server")
    check(program.out == "hello\n\u4f60\u597d\n".encode(),
          f"examples/reqrep_server echoes zpat req's lines", str(program))
    program = run([bins.zpat, "dealer", endpoint, "--data", "", "--data",
                   "via dealer"])
    ends_with(program, 0, "zpat dealer against examples/reqrep_server")
    check(program.out == b"\tvia dealer\n",
          f"zpat dealer -d '' -d TEXT talks to a REP", str(program))
    server.proc.send_signal(signal.SIGINT)
    check(server.wait_exit() == 0, "examples/reqrep_server ends on SIGINT")

    server = Program([bins.pubsub_server, "-w", "1", "tcp://127.0.0.1:*"])
    endpoint = f"tcp://127.0.0.1:{listening_port(server)}"
    program = Program([bins.zpat, "sub", endpoint, "--count", "2"])
    # pubsub_server -w 1 prompts once zpat's subscription is in.
    server.wait_output(b"enter the message to publish: ")
    server.write("first\n\u00e9t\u00e9\n".encode())
    program.rc = program.wait_exit()
    ends_with(program, 0, "zpat sub against examples/pubsub_server")
    check(program.out == "first\n\u00e9t\u00e9\n".encode(),
          f"zpat sub prints what examples/pubsub_server publishes", str(program))
    server.write(b"b\n")
    check(server.wait_exit() == 0, "examples/pubsub_server ends on 'b'")


def case_timeouts(bins, ctx):
    refused = refused_endpoint()
    for argv, what in (
            (["req", refused, "--data", "x"], "receive"),
            (["dealer", refused, "--data", "x"], "receive"),
            (["sub", refused], "receive"),
            (["pull", "tcp://127.0.0.1:*"], "receive"),
            (["rep", "tcp://127.0.0.1:*"], "receive"),
            (["router", "tcp://127.0.0.1:*"], "receive"),
            (["push", "@tcp://127.0.0.1:*", "--data", "x"], "send")):
        program = run([bins.zpat] + argv + ["--timeout", "300"])
        words = " ".join(["zpat"] + argv[:1] + argv[2:])
        ends_with(program, 3, f"{words} --timeout 300",
                  err=f"zpat: {what}: timed out after 300 ms\n".encode())
        check(0.29 <= program.took < 0.3 + EXIT_AFTER_SIGNAL,
              f"{words} --timeout 300: ends after 300 ms, not lingering "
              f"(took {program.took:.3f} s)")
    # A req whose second reply is late: the first is printed, status 3.
    rep, endpoint = ctx.bound(zmq.REP)
    program = Program([bins.zpat, "req", endpoint, "-t", "300", "-n", "2",
                       "-d", "q"])
    recv_bounded(rep)
    rep.send(b"first")
    recv_bounded(rep)
    program.rc = program.wait_exit()
    ends_with(program, 3, "zpat req -n 2 with one reply",
              err=b"zpat: receive: timed out after 300 ms\n")
    check(program.out == b"first\n", "zpat req prints the reply it got")
    rep.close()


def wait_idle(program):
    """Waits until zpat sleeps between sends (--interval): its main thread
    in poll (2) on zpat's signal pipe alone (1 descriptor), which an empty
    zpat poller does in steps of 100 ms. False if /proc cannot tell."""
    deadline = time.monotonic() + WAIT
    while POLL_SYSCALLS:
        try:
            with open(f"/proc/{program.proc.pid}/syscall") as f:
                fields = f.read().split()
        except OSError:
            return False
        if (len(fields) > 3 and fields[0] != "running" and
                int(fields[0]) in POLL_SYSCALLS and int(fields[2], 16) == 1
                and (int(fields[0]) != 7 or int(fields[3], 16) == 100)):
            return True
        if program.proc.poll() is not None:
            raise Failure(f"{program.name} ended early; {program}")
        if time.monotonic() > deadline:
            raise Failure(f"{program.name} not waiting within {WAIT} s")
        time.sleep(0.002)  # polling /proc: there is nothing to await
    return False


def stops_quietly(program, signum, what, err=b""):
    """Sends signum; checks zpat ends within a second, status 0, quietly."""
    start = time.monotonic()
    program.proc.send_signal(signum)
    rc = program.wait_exit(EXIT_AFTER_SIGNAL + WAIT)
    took = time.monotonic() - start
    name = signal.Signals(signum).name
    check(took <= EXIT_AFTER_SIGNAL,
          f"{what}: {name} ends it in {took:.3f} s")
    check(rc == 0, f"{what}: {name} gives status 0",
          f"got {rc}")
    check(program.err == err, f"{what}: {name}: stderr {err!r}",
          f"got {bytes(program.err)!r}")


def case_signals(bins, ctx):
    # sub waiting for a message (its subscription seen by an XPUB).
    xpub, endpoint = ctx.bound(zmq.XPUB)
    for signum in (signal.SIGTERM, signal.SIGINT):
        program = Program([bins.zpat, "sub", endpoint])
        wait_subscription(xpub, b"")
        xpub.send(b"one")
        program.wait_output(b"one\n")
        stops_quietly(program, signum, "zpat sub waiting for a message")
    xpub.close()

    # req waiting for its next line of stdin, after one exchange.
    rep, endpoint = ctx.bound(zmq.REP)
    program = Program([bins.zpat, "req", endpoint])
    program.write(b"q\n")
    rep.send(recv_bounded(rep))
    program.wait_output(b"q\n")
    stops_quietly(program, signal.SIGTERM, "zpat req waiting for stdin")

    # req waiting for a reply.
    program = Program([bins.zpat, "req", endpoint, "-d", "q"])
    recv_bounded(rep)
    stops_quietly(program, signal.SIGINT, "zpat req waiting for a reply")
    rep.close()

    # rep waiting for a request; pull and router too (-v: their only line).
    for role in ("rep", "pull", "router"):
        program = Program([bins.zpat, role, "tcp://127.0.0.1:*", "-v"])
        endpoint = program.bound_endpoint()
        stops_quietly(program, signal.SIGTERM,
                      f"zpat {role} waiting for a message",
                      err=f"zpat: bound to {endpoint}\n".encode())

    # dealer waiting on stdin and its socket at once, a reply due.
    router, endpoint = ctx.bound(zmq.ROUTER)
    program = Program([bins.zpat, "dealer", endpoint])
    program.write(b"x\n")
    recv_bounded(router, True)
    stops_quietly(program, signal.SIGTERM, "zpat dealer waiting")
    router.close()

    # pub waiting between sends (--interval): what it sent still arrives.
    sub, endpoint = ctx.bound(zmq.SUB)
    sub.subscribe(b"")
    program = Program([bins.zpat, "pub", ">" + endpoint, "--subscribers",
                       "1", "-d", "tick", "-n", "1000", "-i", "60000"])
    check(recv_bounded(sub) == b"tick", "zpat pub -i 60000: the first tick")
    stops_quietly(program, signal.SIGINT, "zpat pub waiting --interval")
    sub.close()

    # What was sent before SIGTERM still gets its linger: a push whose
    # peer is not there yet is signalled while it waits --interval, and a
    # PULL that binds the port then still receives the message.
    holder = socket.socket()  # bound, not listening: connections refused
    holder.bind(("127.0.0.1", 0))
    endpoint = f"tcp://127.0.0.1:{holder.getsockname()[1]}"
    program = Program([bins.zpat, "push", endpoint, "-d", "kept", "-n", "2",
                       "-i", "60000"])
    if not wait_idle(program):
        holder.close()
        print("# /proc cannot tell when zpat waits: linger check skipped")
        return
    program.proc.send_signal(signal.SIGTERM)
    holder.close()
    pull = ctx.socket(zmq.PULL)
    pull.bind(endpoint)
    check(recv_bounded(pull) == b"kept",
          "zpat push, SIGTERM while its peer is away: the message queued "
          "before it arrives within the linger")
    rc = program.wait_exit()
    check(rc == 0 and program.err == b"",
          "zpat push after SIGTERM and linger: status 0, quietly",
          f"got {rc}; {program}")
    nothing_more(pull, "zpat push -n 2 stopped after one")
    pull.close()


CASES = {"usage": case_usage, "errors": case_errors, "req": case_req,
         "rep": case_rep, "pub": case_pub, "sub": case_sub,
         "push": case_push, "pull": case_pull, "formats": case_formats,
         "dealer": case_dealer, "router": case_router,
         "examples": case_examples, "timeouts": case_timeouts,
         "signals": case_signals}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=f"one of {', '.join(CASES)} (default: all)")
    for name in ("zpat", "reqrep_server", "pubsub_server"):
        parser.add_argument("--" + name, required=True)
    bins = parser.parse_args()
    unknown = [case for case in bins.cases if case not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}")
    ctx = Context()
    try:
        for name in bins.cases or CASES:
            print(f"# {name}")
            CASES[name](bins, ctx)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    finally:
        Program.kill_all()
        ctx.close()
        for holder in _refusing:
            holder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
