# interop.py - runs zpat's tutorial ports (examples/*.c) against pyzmq peers.
# SPDX-License-Identifier: MPL-2.0
#
# Usage: interop.py CASE [--raw] --reqrep_server PATH --reqrep_client PATH ...
# CASE is one of reqrep, pubsub, pipeline, frames, subscriptions, signals,
# storm, leaks, errors, console, routing, devices, security.
# Each program's path comes from meson (tests/interop/meson.build), so the
# same checks also run against the raw-libzmq versions in tests/interop/raw/
# (--raw; frames and subscriptions need tests/interop/frames_peer.c, which
# is zpat only).
# Run it with /usr/bin/python3 (Debian's python3-zmq); without pyzmq it
# exits 77, which meson reports as a skip.
#
# Every wait is bounded. pyzmq peers bind port 0 and pass the port on. A C
# program that binds gets a port free when picked (free_port); a test running
# in parallel may take it before the program binds it, so start_bound starts
# the program again on a new port when it fails with "Address already in
# use". A program that only connects to a server that is not there gets a
# port this run keeps bound and never listens on (refused_endpoint). The only
# fixed waits are the fallbacks in Program.wait_blocked and
# Program.wait_listening, used when /proc cannot tell.

import argparse
import os
import platform
import random
import shlex
import shutil
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

TUTORIAL = ["reqrep_server", "reqrep_client", "pubsub_server",
            "pubsub_client1", "pubsub_client2", "pipeline_server",
            "pipeline_worker", "pipeline_client"]
PROGRAMS = TUTORIAL + ["frames_peer", "routing_peer", "console_server",
                       "queue_device", "forwarder_device",
                       "streamer_device", "secure_reqrep_server",
                       "secure_reqrep_client", "zpat_keygen"]
WAIT = 5.0         # seconds: the bound on every wait for a message or line
EXIT_AFTER_SIGNAL = 1.0  # seconds: the brief's "ends within a second"
PROMPT_REQ = b"please enter text: "
PROMPT_PUB = b"enter the message to publish: "

# System call numbers, to tell from /proc/PID/syscall what a program is
# blocked in: read(2) is not interrupted by a signal that came before it.
SYSCALLS = {
    "x86_64": {"read stdin": (0,), "poll": (7, 271)},
    "aarch64": {"read stdin": (63,), "poll": (73,)},
}.get(platform.machine(), {})


# Set by --raw: the raw-libzmq versions check their signal flag before each
# blocking call, so a signal that lands between the check and the call is
# noticed only at the next message (zpat's ports have no such window). For
# them the tests wait until the program is blocked before signalling it.
RAW = False


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)
    print(f"ok - {what}")


def s_ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Ports handed out by this run, so that two threads never get the same one.
_given_ports = set()
_given_lock = threading.Lock()


def free_port():
    """A TCP port free now on 127.0.0.1, for a C program to bind: use it
    through start_bound, as nothing stops another process from taking it
    before the program binds it.

    It is picked below the kernel's ephemeral range: a port the kernel hands
    out for bind(0) may, once closed, be taken by any outgoing connection
    (a client retrying to connect autobinds one) before the C program binds
    it, which made the storm case fail with EADDRINUSE on a busy machine.
    Ports below the range are only ever taken by an explicit bind."""
    low = max(1024, s_ephemeral_low() - 12000)
    high = s_ephemeral_low()
    rng = random.Random()
    with _given_lock:
        for _ in range(1000):
            port = rng.randrange(low, high)
            if port in _given_ports:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _given_ports.add(port)
            return port
    raise Failure(f"no free TCP port between {low} and {high}")


# Sockets holding the ports of refused_endpoint (), closed at the end.
_refusing = []


def refused_endpoint():
    """An endpoint on 127.0.0.1 that refuses connections for the whole run:
    its port is bound by this process and never listened on, so no other
    process can bind it meanwhile (for "a server that is not there")."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    _refusing.append(holder)
    return f"tcp://127.0.0.1:{holder.getsockname()[1]}"


def socket_links(pid):
    """The sockets process pid has open, as /proc shows them ("socket:[N]");
    None if /proc cannot tell."""
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return None
    links = set()
    for fd in fds:
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            links.add(link)
    return links


def listening(pid, port):
    """True if process pid has a TCP socket listening on port, False if not,
    None if /proc cannot tell. Reading /proc/net/tcp takes milliseconds
    (the kernel walks its whole table), so it is read only once the process
    has a socket open: the programs open none before they bind."""
    sockets = socket_links(pid)
    if not sockets:
        return sockets
    readable = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)  # the column names
                for line in f:
                    fields = line.split()
                    # local address as hex IP:port; state 0A is LISTEN
                    if (fields[3] == "0A" and
                            int(fields[1].rsplit(":", 1)[1], 16) == port and
                            f"socket:[{fields[9]}]" in sockets):
                        return True
            readable = True
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return False if readable else None


ENDPOINT = object()  # in start_bound's argv: the endpoint to bind
BIND_TRIES = 5


def start_bound(argv, timeout=WAIT, name=None):
    """Starts argv, with ENDPOINT replaced by tcp://127.0.0.1:PORT on a free
    port, and waits until the program listens there. Returns the program and
    its endpoint. If the port was taken before the program could bind it
    (status > 0, "Address already in use"), starts it again on a new port,
    up to BIND_TRIES times; any other early end is a failure."""
    for attempt in range(1, BIND_TRIES + 1):
        port = free_port()
        endpoint = f"tcp://127.0.0.1:{port}"
        program = Program([endpoint if arg is ENDPOINT else arg
                           for arg in argv], name)
        if program.wait_listening(port, timeout):
            return program, endpoint
        rc = program.wait_exit(timeout)
        if rc <= 0 or b"Address already in use" not in program.err:
            raise Failure(f"{program.name} ended before it listened on "
                          f"{endpoint}: status {rc}, stdout "
                          f"{bytes(program.out)!r}, stderr "
                          f"{bytes(program.err)!r}")
        print(f"# {program.name}: {endpoint} was taken before it could bind "
              f"it (try {attempt} of {BIND_TRIES})")
    raise Failure(f"{program.name}: {BIND_TRIES} ports in a row taken before "
                  "it could bind them")


class Program:
    """A program under test, its stdin, stdout and stderr on pipes."""

    running = []

    def __init__(self, argv, name=None):
        self.name = name or os.path.basename(argv[0])
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
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

    def _pump(self, stream, buf):
        while True:
            chunk = os.read(stream.fileno(), 65536)
            with self.cond:
                buf += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def wait_output(self, needle, count=1, timeout=WAIT):
        """Waits until stdout holds needle count times."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.out.count(needle) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"{self.name}: no {count} x {needle!r} "
                                  f"within {timeout} s; stdout "
                                  f"{bytes(self.out)!r}, stderr "
                                  f"{bytes(self.err)!r}")
                self.cond.wait(left)

    def write(self, text):
        self.proc.stdin.write(text.encode("utf-8"))
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def wait_blocked(self, kind):
        """Waits until the program's main thread is blocked in read(2) on
        stdin ("read stdin") or in poll(2) ("poll"), so that a signal tests
        that wait and not the set-up before it."""
        wanted = SYSCALLS.get(kind)
        if kind == "read stdin" and not RAW and wanted:
            # zpat's ports read stdin with zpat_input, which polls stdin and
            # the signal pipe together before it reads.
            wanted = wanted + SYSCALLS["poll"]
        path = f"/proc/{self.proc.pid}/syscall"
        deadline = time.monotonic() + WAIT
        while wanted:
            try:
                with open(path) as f:
                    fields = f.read().split()
            except OSError:
                break  # no /proc/PID/syscall here: fall back below
            if (fields and fields[0] != "running" and int(fields[0]) in wanted
                    and (kind != "read stdin" or int(fields[0]) not in
                         SYSCALLS["read stdin"] or int(fields[1], 16) == 0)):
                return
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} ended early: {bytes(self.err)!r}")
            if time.monotonic() > deadline:
                raise Failure(f"{self.name} not blocked in {kind} in {WAIT} s")
            time.sleep(0.002)  # polling /proc: there is nothing to await
        time.sleep(0.2)  # fallback: /proc cannot tell, give it time

    def wait_listening(self, port, timeout=WAIT):
        """Waits until the program listens on TCP port (True) or has ended
        (False)."""
        deadline = time.monotonic() + timeout
        while True:
            state = listening(self.proc.pid, port)
            if state:
                return True
            if self.proc.poll() is not None:
                return False
            if state is None:
                # fallback: /proc cannot tell; a failed bind ends it at once
                try:
                    self.proc.wait(0.2)
                    return False
                except subprocess.TimeoutExpired:
                    return True
            if time.monotonic() > deadline:
                raise Failure(f"{self.name} not listening on port {port} "
                              f"within {timeout} s; stdout "
                              f"{bytes(self.out)!r}, stderr "
                              f"{bytes(self.err)!r}")
            time.sleep(0.002)  # polling /proc: there is nothing to await

    def threads(self):
        """What each thread is blocked in, for a failure report."""
        report = []
        task_dir = f"/proc/{self.proc.pid}/task"
        try:
            for tid in sorted(os.listdir(task_dir)):
                with open(f"{task_dir}/{tid}/comm") as f:
                    name = f.read().strip()
                with open(f"{task_dir}/{tid}/syscall") as f:
                    call = " ".join(f.read().split()[:3])
                with open(f"{task_dir}/{tid}/status") as f:
                    masks = [line.split()[1] for line in f if line.startswith(
                        ("SigPnd", "ShdPnd", "SigBlk", "SigCgt"))]
                report.append(f"{tid} {name}: syscall {call}, pending/"
                              f"shared/blocked/caught {'/'.join(masks)}")
        except OSError as error:
            report.append(str(error))
        return "threads: " + "; ".join(report)

    def wait_exit(self, timeout=WAIT):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name} still running after {timeout} s; "
                          f"stdout {bytes(self.out)!r}, stderr "
                          f"{bytes(self.err)!r}; {self.threads()}")
        for pump in self.pumps:
            pump.join(WAIT)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()
        return self.proc.returncode

    def stop_with(self, signum, state, settled=False):
        """Sends signum and checks the program ends within a second, with
        status 0 and nothing on stderr. settled: the caller has waited until
        the program is blocked; otherwise the signal may come at any point
        after the program's last output (see RAW)."""
        if RAW and not settled:
            self.wait_blocked("poll")
        start = time.monotonic()
        self.proc.send_signal(signum)
        rc = self.wait_exit(EXIT_AFTER_SIGNAL + WAIT)
        took = time.monotonic() - start
        name = signal.Signals(signum).name
        check(took <= EXIT_AFTER_SIGNAL,
              f"{self.name} {state}: {name} ends it in {took:.3f} s")
        check(rc == 0,
              f"{self.name} {state}: {name} gives status 0 (got {rc})")
        check(self.err == b"", f"{self.name} {state}: nothing on stderr "
              f"(got {bytes(self.err)!r})")

    @classmethod
    def kill_all(cls):
        for program in cls.running:
            if program.proc.poll() is None:
                program.proc.kill()
                program.proc.wait()


def recv_bounded(sock, multipart=False):
    if not sock.poll(int(WAIT * 1000)):
        raise Failure(f"no message within {WAIT} s")
    return sock.recv_multipart() if multipart else sock.recv()


def nothing_more(sock, what):
    check(not sock.poll(200), f"{what}: nothing more arrives")


class Context:
    """A pyzmq context whose sockets never linger."""

    def __init__(self):
        self.ctx = zmq.Context()

    def socket(self, kind):
        sock = self.ctx.socket(kind)
        sock.linger = 0
        return sock

    def close(self):
        self.ctx.destroy(linger=0)


# ---------------------------------------------------------------------------
# request-reply

def case_reqrep(bins, ctx):
    # The C server answers a pyzmq REQ with the very bytes it sent.
    server, endpoint = start_bound([bins.reqrep_server, ENDPOINT])
    server.wait_output(b"wait for client ...\n")
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    requests = [b"hello", "你好，世界".encode(), b"\x00bin\x00ary\xff\x00",
                b"", os.urandom(100000)]
    for request in requests:
        req.send(request)
        check(recv_bounded(req) == request,
              f"C reqrep_server echoes {len(request)} bytes byte for byte")
    server.wait_output(b"wait for client ...\n", len(requests) + 1)
    for text in ["hello", "你好，世界", ""]:
        line = f"message from client: {text}\n".encode()
        check(line in server.out, f"C reqrep_server prints {line!r}")
    server.stop_with(signal.SIGINT, "idle")

    # The C client against a pyzmq REP that answers "回复:" + request.
    rep = ctx.socket(zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    got = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            if rep.poll(50):
                request = rep.recv()
                got.append(request)
                rep.send("回复:".encode() + request)

    server_thread = threading.Thread(target=serve)
    server_thread.start()
    try:
        client = Program([bins.reqrep_client, f"tcp://127.0.0.1:{port}"])
        client.write("hello\n  你好，世界 \t\n\n  b  \nnever sent\n")
        check(client.wait_exit() == 0, "C reqrep_client: 'b' quits, status 0")
        check(got == [b"hello", "你好，世界".encode(), b""],
              "C reqrep_client sends each stripped line as UTF-8, "
              f"stops at 'b' (got {got!r})")
        expected = (b"connecting to server...\n" +
                    PROMPT_REQ + "received reply: 回复:hello\n".encode() +
                    PROMPT_REQ + "received reply: 回复:你好，世界\n".encode() +
                    PROMPT_REQ + "received reply: 回复:\n".encode() +
                    PROMPT_REQ)
        check(client.out == expected, "C reqrep_client prints each reply "
              f"(got {bytes(client.out)!r})")
        check(client.err == b"", "C reqrep_client: nothing on stderr")

        got.clear()
        client = Program([bins.reqrep_client, f"tcp://127.0.0.1:{port}"])
        client.write("one\n")
        client.close_stdin()
        check(client.wait_exit() == 0, "C reqrep_client: end of input, "
              "status 0")
        check(got == [b"one"] and client.out.endswith(
            "received reply: 回复:one\n".encode() + PROMPT_REQ),
              "C reqrep_client: the line before end of input is answered")
    finally:
        stop.set()
        server_thread.join()


# ---------------------------------------------------------------------------
# publish-subscribe

def case_pubsub(bins, ctx):
    # The C publisher, waiting for two subscriptions, with pyzmq subscribers.
    server, endpoint = start_bound([bins.pubsub_server, "-w", "2", ENDPOINT])
    server.write("123 first\n456 second\n  123 第三  \nb\n123 after b\n")
    sub_all = ctx.socket(zmq.SUB)
    sub_all.setsockopt(zmq.SUBSCRIBE, b"")
    sub_all.connect(endpoint)
    sub_123 = ctx.socket(zmq.SUB)
    sub_123.setsockopt(zmq.SUBSCRIBE, "123".encode("utf-8"))
    sub_123.connect(endpoint)
    everything = [b"123 first", b"456 second", "123 第三".encode()]
    check([recv_bounded(sub_all) for _ in everything] == everything,
          "pyzmq SUB '' gets every line from C pubsub_server -w 2, in order")
    check([recv_bounded(sub_123) for _ in range(2)] ==
          [b"123 first", "123 第三".encode()],
          "pyzmq SUB '123' gets only the lines starting with 123")
    check(server.wait_exit() == 0, "C pubsub_server: 'b' quits, status 0")
    check(server.out == PROMPT_PUB * 4, "C pubsub_server prompts once a line")
    nothing_more(sub_all, "after 'b'")
    nothing_more(sub_123, "after 'b'")

    # Without -w it publishes at once, even with nobody listening.
    server, _ = start_bound([bins.pubsub_server, ENDPOINT])
    server.write("lost\nlost too\n")
    server.close_stdin()
    check(server.wait_exit() == 0,
          "C pubsub_server without -w: end of input, status 0")
    check(server.out == PROMPT_PUB * 3, "C pubsub_server prompts once a line")

    # A pyzmq XPUB waits for the C subscribers, then publishes.
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
    port = xpub.bind_to_random_port("tcp://127.0.0.1")
    endpoint = f"tcp://127.0.0.1:{port}"
    client1 = Program([bins.pubsub_client1, endpoint])
    client2 = Program([bins.pubsub_client2, endpoint])
    subscriptions = {recv_bounded(xpub), recv_bounded(xpub)}
    check(subscriptions == {b"\x01", b"\x01123"},
          "C subscribers send the subscriptions pyzmq expects: '' and '123'")
    news = ["123 first", "456 second", "123 第三", "12 almost", "1234"]
    for line in news:
        xpub.send(line.encode("utf-8"))
    only_123 = [line for line in news if line.startswith("123")]
    client1.wait_output(b"\n", len(news))
    client2.wait_output(b"\n", len(only_123))
    check(client1.out == "".join(f"response: {n}\n" for n in news).encode(),
          "C pubsub_client1 prints every message, in order")
    check(client2.out == "".join(f"response: {n}\n"
                                 for n in only_123).encode(),
          "C pubsub_client2 prints only the messages starting with 123")
    client1.stop_with(signal.SIGINT, "after messages")
    client2.stop_with(signal.SIGTERM, "after messages")


# ---------------------------------------------------------------------------
# pipeline

def case_pipeline(bins, ctx):
    # pyzmq PUSH -> C pipeline_worker -> pyzmq PULL: bytes and frames as sent.
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = int(WAIT * 1000)
    push_port = push.bind_to_random_port("tcp://127.0.0.1")
    pull = ctx.socket(zmq.PULL)
    pull_port = pull.bind_to_random_port("tcp://127.0.0.1")
    worker = Program([bins.pipeline_worker, f"tcp://127.0.0.1:{push_port}",
                      f"tcp://127.0.0.1:{pull_port}"])
    messages = []
    for i in range(50):
        messages.append([f"task {i}".encode()])
    messages[7] = ["任务 七".encode("utf-8")]
    messages[8] = [b"\x00nul\x00bytes\xff"]
    messages[9] = [b""]
    messages[10] = [b"frame one", b"", b"\x00three"]
    messages[11] = [os.urandom(70000)]
    for message in messages:
        push.send_multipart(message)
    received = [recv_bounded(pull, multipart=True) for _ in messages]
    check(received == messages, "pyzmq PUSH -> C worker -> pyzmq PULL: all "
          f"{len(messages)} messages, each once, in order, byte-identical, "
          "frames kept")
    nothing_more(pull, "C worker")
    worker.wait_output(b"forwarding...\n", len(messages))
    check(worker.out == b"forwarding...\n" * len(messages),
          "C pipeline_worker prints 'forwarding...' once a message")
    worker.stop_with(signal.SIGINT, "idle")

    # C pipeline_server -> pyzmq worker -> C pipeline_client.
    client, sink = start_bound([bins.pipeline_client, ENDPOINT])
    server, tasks = start_bound([bins.pipeline_server, ENDPOINT])
    stop = threading.Event()
    forwarded = []

    def python_worker():
        receive = ctx.socket(zmq.PULL)
        receive.connect(tasks)
        sender = ctx.socket(zmq.PUSH)
        sender.connect(sink)
        while not stop.is_set():
            if receive.poll(50):
                data = receive.recv()
                forwarded.append(data)
                sender.send(data)
        receive.close()
        sender.close()

    worker_thread = threading.Thread(target=python_worker)
    worker_thread.start()
    try:
        lines = [f"line {i}" for i in range(50)]
        lines[3] = "b"  # only pubsub_server and reqrep_client quit on b
        lines[4] = "第四行 fourth"
        typed = [f"  {line}\t" if i % 5 == 0 else line
                 for i, line in enumerate(lines)]
        server.write("".join(line + "\n" for line in typed))
        server.close_stdin()
        check(server.wait_exit() == 0,
              "C pipeline_server: end of input, status 0")
        check(server.out == (PROMPT_PUB + b"sent\n") * len(lines) + PROMPT_PUB,
              "C pipeline_server prints 'sent' once a line")
        client.wait_output(b"\n", len(lines))
        expected = "".join(f"response: {line}\n" for line in lines).encode()
        check(client.out == expected, "C server -> pyzmq worker -> C client:"
              " every line once, in order, stripped, UTF-8 intact")
        check(forwarded == [line.encode() for line in lines],
              "the pyzmq worker saw each line once")
        client.stop_with(signal.SIGTERM, "idle")
    finally:
        stop.set()
        worker_thread.join()


# ---------------------------------------------------------------------------
# multipart and topic frames (tests/interop/frames_peer.c)

def to_hex(frames):
    return ",".join(frame.hex() for frame in frames)


def case_frames(bins, ctx):
    messages = [[b"hello"], ["你好，世界".encode()], [b"\x00\x01\x00\xff\x00"],
                [b""], [b"a", b"", b"\x00c\x00"],
                ["主题".encode(), b"\x00payload\x00"], [os.urandom(60000)],
                [bytes([i]) for i in range(40)]]

    # zpat_send_frames -> pyzmq recv_multipart
    pull = ctx.socket(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    peer = Program([bins.frames_peer, "send", f"tcp://127.0.0.1:{port}"])
    peer.write("".join(to_hex(m) + "\n" for m in messages))
    peer.close_stdin()
    got = [recv_bounded(pull, multipart=True) for _ in messages]
    check(peer.wait_exit() == 0, f"frames_peer send: status 0 {peer.err!r}")
    check(got == messages, "zpat_send_frames -> pyzmq recv_multipart: "
          "frames identical (UTF-8, NUL bytes, empty frames, 60 kB, 40 "
          "frames)")

    # pyzmq send_multipart -> zpat_recv_msg
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = int(WAIT * 1000)
    port = push.bind_to_random_port("tcp://127.0.0.1")
    peer = Program([bins.frames_peer, "recv", f"tcp://127.0.0.1:{port}",
                    str(len(messages))])
    for message in messages:
        push.send_multipart(message)
    check(peer.wait_exit() == 0, f"frames_peer recv: status 0 {peer.err!r}")
    check(peer.out.decode().splitlines() == [to_hex(m) for m in messages],
          "pyzmq send_multipart -> zpat_recv_msg: frames identical")

    # zpat_pub_send_topic -> pyzmq SUB recv_multipart
    topics = [("news", b"plain"), ("news.中文", "内容".encode()),
              ("other", b"filtered out"), ("news.bin", b"\x00\xff\x00"),
              ("news", b"")]
    peer = Program([bins.frames_peer, "pub", "tcp://127.0.0.1:*"])
    peer.wait_output(b"\n")
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"news")
    sub.connect(peer.out.decode().strip())
    peer.write("".join(to_hex([t.encode(), p]) + "\n" for t, p in topics))
    peer.close_stdin()
    wanted = [[t.encode(), p] for t, p in topics if t.startswith("news")]
    got = [recv_bounded(sub, multipart=True) for _ in wanted]
    check(peer.wait_exit() == 0, f"frames_peer pub: status 0 {peer.err!r}")
    check(got == wanted, "zpat_pub_send_topic -> pyzmq recv_multipart: "
          "[topic, payload] identical, prefix filter applied")
    nothing_more(sub, "topic 'other'")

    # pyzmq send_multipart([topic, payload]) -> zpat_sub_recv_topic
    xpub = ctx.socket(zmq.XPUB)
    port = xpub.bind_to_random_port("tcp://127.0.0.1")
    peer = Program([bins.frames_peer, "sub", f"tcp://127.0.0.1:{port}",
                    "news", str(len(wanted) + 1)])
    check(recv_bounded(xpub) == b"\x01news",
          "zpat_sub_new (.., \"news\", ..) subscribes as pyzmq does")
    for topic, payload in topics:
        xpub.send_multipart([topic.encode(), payload])
    xpub.send(b"news-single")  # one frame: the topic, an empty payload
    check(peer.wait_exit() == 0, f"frames_peer sub: status 0 {peer.err!r}")
    check(peer.out.decode().splitlines() ==
          [to_hex(m) for m in wanted + [[b"news-single", b""]]],
          "pyzmq send_multipart -> zpat_sub_recv_topic: topic and payload "
          "identical, NUL bytes kept")


# ---------------------------------------------------------------------------
# subscription counts (tests/interop/frames_peer.c subs): what
# zpat_pub_subscriptions reports for pyzmq subscribers, exactly as zpat.h
# documents it. A subscriber of another library that subscribes the same
# prefix n times counts n times, and n - 1 times after it leaves: libzmq
# hands the publisher every subscribe, but one unsubscribe per peer and
# prefix when the peer goes.

DUPLICATES = 3


def case_subscriptions(bins, ctx):
    peer = Program([bins.frames_peer, "subs", "tcp://127.0.0.1:*"])
    peer.wait_output(b"\n")
    endpoint = peer.out.decode().strip()
    lines = 1

    def count_once(wanted):
        """Has the peer wait (up to its bound) until zpat_pub_subscriptions
        is wanted; returns the count it last saw."""
        nonlocal lines
        peer.write(f"{wanted}\n")
        lines += 1
        peer.wait_output(b"\n", lines)
        return int(peer.out.decode().splitlines()[-1])

    n = DUPLICATES
    # Connected first, so that every subscribe goes out as it is made: a SUB
    # that connects later sends what it holds once per prefix.
    sub = ctx.socket(zmq.SUB)
    sub.connect(endpoint)
    for _ in range(n):
        sub.setsockopt(zmq.SUBSCRIBE, b"dup")
    sub.setsockopt(zmq.SUBSCRIBE, b"once")
    seen = count_once(n + 1)
    check(seen == n + 1, f"a pyzmq SUB that subscribes 'dup' {n} times and "
          f"'once' once counts {n + 1} (got {seen})")

    # It leaves: one unsubscribe for 'dup', one for 'once'.
    sub.close()
    seen = count_once(n - 1)
    check(seen == n - 1, f"after it leaves, its {n} 'dup' subscriptions "
          f"still count {n - 1} and 'once' counts no more (got {seen})")

    # What is left stays: a later subscriber counts on top of it, and only
    # its own subscription goes when it leaves.
    late = ctx.socket(zmq.SUB)
    late.connect(endpoint)
    late.setsockopt(zmq.SUBSCRIBE, b"late")
    seen = count_once(n)
    check(seen == n, f"a later pyzmq SUB subscribing once counts on top: "
          f"{n} (got {seen})")
    late.close()
    seen = count_once(n - 1)
    check(seen == n - 1, f"when it leaves, the count is back to {n - 1} "
          f"(got {seen})")

    peer.close_stdin()
    check(peer.wait_exit() == 0, f"frames_peer subs: status 0 {peer.err!r}")


# ---------------------------------------------------------------------------
# routing: a zpat ROUTER serving pyzmq DEALERs and REQs, and a zpat DEALER
# talking to a pyzmq ROUTER (tests/interop/routing_peer.c)

ROUTING_ROUNDS = 10


def case_routing(bins, ctx):
    # The zpat ROUTER answers each message to its sender: the same frames,
    # " ok" appended to the last one. Two DEALERs send all their messages
    # before reading any; two REQs ask in turn.
    dealer_messages = {
        name: [[name.encode(), b"", f"msg {i}".encode()] if i % 2 else
               [name.encode() + b"\x00\xff", f"消息 {i}".encode()]
               for i in range(ROUTING_ROUNDS)]
        for name in ("d0", "d1")}
    total = 2 * ROUTING_ROUNDS + 2 * ROUTING_ROUNDS
    server, endpoint = start_bound([bins.routing_peer, "router", ENDPOINT,
                                    str(total)])
    dealers = {}
    for name in dealer_messages:
        dealer = ctx.socket(zmq.DEALER)
        dealer.sndtimeo = int(WAIT * 1000)
        dealer.connect(endpoint)
        dealers[name] = dealer
    reqs = {}
    for name in ("r0", "r1"):
        req = ctx.socket(zmq.REQ)
        req.sndtimeo = int(WAIT * 1000)
        req.connect(endpoint)
        reqs[name] = req
    for name, messages in dealer_messages.items():
        for message in messages:
            dealers[name].send_multipart(message)
    req_answers = {name: [] for name in reqs}
    for i in range(ROUTING_ROUNDS):
        for name, req in reqs.items():
            req.send(f"{name} asks {i}".encode())
        for name, req in reqs.items():
            req_answers[name].append(recv_bounded(req))
    for name, req in reqs.items():
        wanted = [f"{name} asks {i} ok".encode()
                  for i in range(ROUTING_ROUNDS)]
        check(req_answers[name] == wanted,
              f"zpat ROUTER answers pyzmq REQ {name} with its own answers "
              f"(got {req_answers[name]!r})")
    for name, messages in dealer_messages.items():
        got = [recv_bounded(dealers[name], multipart=True) for _ in messages]
        wanted = [m[:-1] + [m[-1] + b" ok"] for m in messages]
        check(got == wanted,
              f"zpat ROUTER answers pyzmq DEALER {name} with its own "
              "answers, in order, frames kept (empty, NUL, UTF-8)")
    check(server.wait_exit() == 0,
          f"routing_peer router: {total} answered, status 0 "
          f"{bytes(server.err)!r}")
    for name, sock in list(dealers.items()) + list(reqs.items()):
        nothing_more(sock, f"pyzmq {name}")

    # The zpat DEALER sends every job before any reply; the pyzmq ROUTER
    # reads them all first, then answers each to its sender, last first.
    jobs = 20
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.sndtimeo = int(WAIT * 1000)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    client = Program([bins.routing_peer, "dealer", f"tcp://127.0.0.1:{port}",
                      str(jobs)])
    requests = [recv_bounded(router, multipart=True) for _ in range(jobs)]
    peers = {request[0] for request in requests}
    check(len(peers) == 1 and
          sorted(request[1:] for request in requests) ==
          sorted([b"", f"job {i}".encode()] for i in range(jobs)),
          f"zpat DEALER: {jobs} jobs ['', 'job i'] in flight at once, "
          "from one peer")
    for request in reversed(requests):
        router.send_multipart(request[:2] + [request[2] + b" done"])
    check(client.wait_exit() == 0 and client.out == b"dealer ok\n",
          "zpat DEALER gets ['', 'job i done'] for every job "
          f"(status {client.proc.returncode}, stdout {bytes(client.out)!r}, "
          f"stderr {bytes(client.err)!r})")
    nothing_more(router, "zpat DEALER")


# ---------------------------------------------------------------------------
# signals: every example ends within a second, status 0, whatever it waits on

def case_signals(bins, ctx):
    for signum in (signal.SIGINT, signal.SIGTERM):
        server, _ = start_bound([bins.reqrep_server, ENDPOINT])
        server.wait_output(b"wait for client ...\n")
        server.wait_blocked("poll")
        server.stop_with(signum, "waiting for a request", settled=True)

        client = Program([bins.reqrep_client, refused_endpoint()])
        client.wait_output(PROMPT_REQ)
        client.wait_blocked("read stdin")
        client.stop_with(signum, "waiting for input", settled=True)
        check(client.out.endswith(PROMPT_REQ + b"\n"),
              f"C reqrep_client: {signal.Signals(signum).name} at the prompt "
              f"ends its line (got {bytes(client.out)!r})")

        # A request the pyzmq REP takes but never answers.
        rep = ctx.socket(zmq.REP)
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        client = Program([bins.reqrep_client, f"tcp://127.0.0.1:{port}"])
        client.write("unanswered\n")
        check(recv_bounded(rep) == b"unanswered", "the request arrived")
        client.wait_blocked("poll")
        client.stop_with(signum, "waiting for a reply", settled=True)
        rep.close()

        # A request to a server that is not there: it stays queued.
        client = Program([bins.reqrep_client, refused_endpoint()])
        client.write("nobody there\n")
        client.wait_output(PROMPT_REQ)
        client.wait_blocked("poll")
        client.stop_with(signum, "waiting for a server that is not there",
                         settled=True)

        server, _ = start_bound([bins.pubsub_server, "-w", "1", ENDPOINT])
        server.wait_blocked("poll")
        server.stop_with(signum, "waiting for subscriptions (-w 1)",
                         settled=True)
        check(server.out == b"", "C pubsub_server: no prompt, no newline "
              f"before the subscriptions (got {bytes(server.out)!r})")

        server, _ = start_bound([bins.pubsub_server, ENDPOINT])
        server.wait_output(PROMPT_PUB)
        server.wait_blocked("read stdin")
        server.stop_with(signum, "waiting for input", settled=True)
        check(server.out == PROMPT_PUB + b"\n",
              f"C pubsub_server: {signal.Signals(signum).name} at the prompt "
              f"ends its line (got {bytes(server.out)!r})")

        xpub = ctx.socket(zmq.XPUB)
        port = xpub.bind_to_random_port("tcp://127.0.0.1")
        clients = [Program([bins.pubsub_client1, f"tcp://127.0.0.1:{port}"]),
                   Program([bins.pubsub_client2, f"tcp://127.0.0.1:{port}"])]
        xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
        recv_bounded(xpub)
        recv_bounded(xpub)
        for client in clients:
            client.wait_blocked("poll")
            client.stop_with(signum, "waiting for a message", settled=True)
        xpub.close()

        server, _ = start_bound([bins.pipeline_server, ENDPOINT])
        server.wait_output(PROMPT_PUB)
        server.wait_blocked("read stdin")
        server.stop_with(signum, "waiting for input", settled=True)
        check(server.out == PROMPT_PUB + b"\n",
              f"C pipeline_server: {signal.Signals(signum).name} at the "
              f"prompt ends its line (got {bytes(server.out)!r})")

        server, _ = start_bound([bins.pipeline_server, ENDPOINT])
        server.write("no worker takes this\n")
        server.wait_blocked("poll")
        server.stop_with(signum, "waiting for a worker to send to",
                         settled=True)

        push = ctx.socket(zmq.PUSH)
        push_port = push.bind_to_random_port("tcp://127.0.0.1")
        pull = ctx.socket(zmq.PULL)
        pull_port = pull.bind_to_random_port("tcp://127.0.0.1")
        worker = Program([bins.pipeline_worker, f"tcp://127.0.0.1:{push_port}",
                          f"tcp://127.0.0.1:{pull_port}"])
        push.send(b"one")
        check(recv_bounded(pull) == b"one", "the worker forwarded a message")
        worker.wait_blocked("poll")
        worker.stop_with(signum, "waiting for a message", settled=True)
        pull.close()
        push.close()

        # A worker holding a result for a client that is not there. (A fresh
        # PUSH: the old one might still send to the worker that just ended.)
        push = ctx.socket(zmq.PUSH)
        push_port = push.bind_to_random_port("tcp://127.0.0.1")
        worker = Program([bins.pipeline_worker, f"tcp://127.0.0.1:{push_port}",
                          refused_endpoint()])
        push.send(b"for nobody")
        worker.wait_output(b"forwarding...\n")
        worker.wait_blocked("poll")
        worker.stop_with(signum, "holding a result nobody takes",
                         settled=True)
        push.close()

        client, endpoint = start_bound([bins.pipeline_client, ENDPOINT])
        push = ctx.socket(zmq.PUSH)
        push.connect(endpoint)
        push.send(b"one")
        client.wait_output(b"response: one\n")
        client.wait_blocked("poll")
        client.stop_with(signum, "waiting for a message", settled=True)
        push.close()


def case_storm(bins, ctx):
    """Programs signalled as soon as they wait for input, four at a time:
    on a busy machine a signal sent right after start-up can land in a
    libzmq thread that has not yet blocked signals, and then read(2) on
    stdin is never interrupted (see /work/notes/bugs.md, H3)."""
    kinds = [(bins.reqrep_client, PROMPT_REQ, False),
             (bins.pubsub_server, PROMPT_PUB, True),
             (bins.pipeline_server, PROMPT_PUB, True)]
    rounds = 40
    problems = []

    def run(first):
        for i in range(rounds):
            exe, prompt, binds = kinds[(first + i) % len(kinds)]
            program = None
            try:
                if binds:
                    program, _ = start_bound([exe, ENDPOINT])
                else:
                    program = Program([exe, refused_endpoint()])
                program.wait_output(prompt)
                program.wait_blocked("read stdin")
                program.proc.send_signal(signal.SIGINT)
                rc = program.wait_exit(EXIT_AFTER_SIGNAL)
                if rc != 0:
                    problems.append(f"{program.name}: status {rc}")
            except Failure as failure:
                problems.append(str(failure))
                if program:
                    program.proc.kill()

    runners = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    check(not problems, f"{4 * rounds} programs signalled as soon as they "
          f"wait for input all end within a second, status 0 {problems}")


# ---------------------------------------------------------------------------
# leaks: each example under valgrind, stopped by SIGINT after one exchange

def case_leaks(bins, ctx):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        print("SKIP: valgrind is not installed")
        sys.exit(77)
    with open(bins.reqrep_server, "rb") as f:
        if b"__asan_init" in f.read():
            print("SKIP: the programs are built with AddressSanitizer, which "
                  "checks leaks itself and cannot run under valgrind")
            sys.exit(77)
    supp = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "valgrind.supp")
    wrap = [valgrind, "-q", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", f"--suppressions={supp}"]
    slow = 30.0  # seconds: valgrind is slow to start and to stop

    def stop(program, kind):
        program.wait_blocked(kind)
        program.proc.send_signal(signal.SIGINT)
        rc = program.wait_exit(slow)
        check(rc == 0, f"{program.name} under valgrind: SIGINT after one "
              f"exchange, status 0, nothing definitely lost (got {rc}; "
              f"{bytes(program.err)!r})")

    def start(name, *args):
        return Program(wrap + [getattr(bins, name)] + list(args), name)

    def start_binding(name, *args):
        return start_bound(wrap + [getattr(bins, name)] + list(args), slow,
                           name)

    def recv_slow(sock):
        check(sock.poll(int(slow * 1000)), "a message within 30 s")
        return sock.recv()

    server, endpoint = start_binding("reqrep_server", ENDPOINT)
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    req.send(b"x")
    recv_slow(req)
    stop(server, "poll")

    rep = ctx.socket(zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    client = start("reqrep_client", f"tcp://127.0.0.1:{port}")
    client.write("x\n")
    recv_slow(rep)
    rep.send(b"y")
    client.wait_output(PROMPT_REQ, 2, slow)
    stop(client, "read stdin")

    server, endpoint = start_binding("pubsub_server", "-w", "1", ENDPOINT)
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    server.write("x\n")
    recv_slow(sub)
    server.wait_output(PROMPT_PUB, 2, slow)
    stop(server, "read stdin")

    xpub = ctx.socket(zmq.XPUB)
    port = xpub.bind_to_random_port("tcp://127.0.0.1")
    for name, subscription in (("pubsub_client1", b"\x01"),
                               ("pubsub_client2", b"\x01123")):
        client = start(name, f"tcp://127.0.0.1:{port}")
        while recv_slow(xpub) != subscription:
            pass  # the previous client's unsubscription
        xpub.send(b"123 x")
        client.wait_output(b"response: 123 x\n", 1, slow)
        stop(client, "poll")

    server, endpoint = start_binding("pipeline_server", ENDPOINT)
    pull = ctx.socket(zmq.PULL)
    pull.connect(endpoint)
    server.write("x\n")
    recv_slow(pull)
    server.wait_output(PROMPT_PUB, 2, slow)
    stop(server, "read stdin")

    push = ctx.socket(zmq.PUSH)
    push_port = push.bind_to_random_port("tcp://127.0.0.1")
    pull = ctx.socket(zmq.PULL)
    pull_port = pull.bind_to_random_port("tcp://127.0.0.1")
    worker = start("pipeline_worker", f"tcp://127.0.0.1:{push_port}",
                   f"tcp://127.0.0.1:{pull_port}")
    push.send(b"x")
    recv_slow(pull)
    stop(worker, "poll")

    client, endpoint = start_binding("pipeline_client", ENDPOINT)
    push = ctx.socket(zmq.PUSH)
    push.connect(endpoint)
    push.send(b"x")
    client.wait_output(b"response: x\n", 1, slow)
    stop(client, "poll")


# ---------------------------------------------------------------------------
# errors: a bad endpoint or a port in use gives one clear line, status > 0;
# a bad option gives the usage, status 2

def fails_clearly(argv, endpoint, reason):
    program = Program(argv)
    rc = program.wait_exit()
    words = " ".join(os.path.basename(a) for a in argv)
    check(rc > 0, f"{words}: exits with status > 0 (got {rc})")
    err = program.err.decode("utf-8", "replace")
    check(err.count("\n") == 1 and err.endswith("\n") and endpoint in err
          and reason in err,
          f"{words}: one line naming {endpoint} and '{reason}' (got {err!r})")


def case_errors(bins, ctx):
    bad = "tcp://*:notaport"
    good = refused_endpoint()
    for argv in ([bins.reqrep_server, bad], [bins.reqrep_client, bad],
                 [bins.pubsub_server, bad], [bins.pubsub_server, "-w", "1",
                                             bad],
                 [bins.pubsub_client1, bad], [bins.pubsub_client2, bad],
                 [bins.pipeline_server, bad], [bins.pipeline_client, bad],
                 [bins.pipeline_worker, bad], [bins.pipeline_worker, good,
                                               bad]):
        fails_clearly(argv, bad, "Invalid argument")
    taken = ctx.socket(zmq.PULL)
    port = taken.bind_to_random_port("tcp://127.0.0.1")
    in_use = f"tcp://127.0.0.1:{port}"
    for name in ("reqrep_server", "pubsub_server", "pipeline_server",
                 "pipeline_client"):
        fails_clearly([getattr(bins, name), in_use], in_use,
                      "Address already in use")
    taken.close()

    # -h and --help print the usage on stdout, status 0; an option a program
    # does not know, or a bad -w value, prints it on stderr, status 2.
    for name in TUTORIAL:
        for args in (["--help"], ["-h"]):
            usage_is(bins, name, args, 0)
        usage_is(bins, name, ["--no-such-option"], 2)
    usage_is(bins, "pubsub_server", ["-w", "1", "--help"], 0)
    for value in (["abc"], ["-1"], ["2x"], [" 2"], [""], ["1234567890"], []):
        usage_is(bins, "pubsub_server", ["-w"] + value, 2)


def usage_is(bins, name, args, status):
    """Runs the program with args; checks it prints one usage line, on
    stdout for status 0, on stderr otherwise, and exits with status."""
    program = Program([getattr(bins, name)] + args)
    rc = program.wait_exit()
    words = shlex.join([name] + args)
    check(rc == status, f"{words}: exits with status {status} (got {rc})")
    shown, other = ((program.out, program.err) if status == 0 else
                    (program.err, program.out))
    where = "stdout" if status == 0 else "stderr"
    check(shown.startswith(f"usage: {name} ".encode()) and
          shown.count(b"\n") == 1 and shown.endswith(b"\n") and other == b"",
          f"{words}: one usage line on {where} and nothing else (got stdout "
          f"{bytes(program.out)!r}, stderr {bytes(program.err)!r})")


def case_console(bins, ctx):
    # The README's poller example: requests from a pyzmq REQ and commands on
    # stdin at once. Two commands written at once must both be seen: the
    # second is already in zpat_input's buffer when the first is handled,
    # where poll (2) alone would never report it.
    server, endpoint = start_bound([bins.console_server, ENDPOINT])
    server.wait_output(b"type stats or quit\n")
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    for n in range(1, 4):
        req.send(f"hello {n}".encode())
        check(recv_bounded(req) == f"hello {n} #{n}".encode(),
              f"console_server answers request {n}")
    server.write("stats\nbogus\nstats\n")
    server.wait_output(b"3 requests in, 3 replies out, 1 peers connected\n",
                       2)
    server.wait_output(b"unknown command: bogus\n")
    req.send(b"more")
    check(recv_bounded(req) == b"more #4", "it serves after the commands")
    server.write("quit\n")
    check(server.wait_exit() == 0, "quit ends console_server with status 0")
    check(b"served 4 requests\n" in server.out, "it says how many it served")
    # End of input ends it too.
    server, endpoint = start_bound([bins.console_server, ENDPOINT])
    server.wait_output(b"type stats or quit\n")
    server.close_stdin()
    check(server.wait_exit() == 0, "end of input ends console_server")


# ---------------------------------------------------------------------------
# devices: the zpat queue, forwarder and streamer (examples/*_device.c)
# between pyzmq peers, and zpat REQ/REP through pyzmq's own queue device

def start_device(path):
    """Starts a device example on two free ports; returns it and the
    frontend and backend endpoints once it has said it started and
    listens on both."""
    for attempt in range(BIND_TRIES):
        front, back = free_port(), free_port()
        program = Program([path, f"tcp://127.0.0.1:{front}",
                           f"tcp://127.0.0.1:{back}"])
        if (program.wait_listening(front) and program.wait_listening(back)):
            program.wait_output(b"\n")
            return (program, f"tcp://127.0.0.1:{front}",
                    f"tcp://127.0.0.1:{back}")
        program.wait_exit()
    raise Failure(f"{os.path.basename(path)} never listened")


def case_devices(bins, ctx):
    # pyzmq REQ clients and REP workers through the zpat queue: 3 clients x
    # 100 requests, 2 workers, every reply to the client that asked.
    device, front, back = start_device(bins.queue_device)
    stop = threading.Event()
    served = [0, 0]

    def work(n):
        rep = ctx.socket(zmq.REP)
        rep.connect(back)
        while not stop.is_set():
            if rep.poll(50):
                request = rep.recv()
                served[n] += 1
                rep.send(b"w%d:" % n + request)
        rep.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for worker in workers:
        worker.start()
    wrong = []
    try:
        time.sleep(0.2)  # both workers connected
        clients = [ctx.socket(zmq.REQ) for _ in range(3)]
        for client in clients:
            client.connect(front)
        for i in range(100):
            for c, client in enumerate(clients):
                client.send(b"c%d-%d" % (c, i))
            for c, client in enumerate(clients):
                reply = recv_bounded(client)
                if reply[3:] != b"c%d-%d" % (c, i):
                    wrong.append(reply)
        for client in clients:
            client.close()
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    check(not wrong, f"zpat queue: every reply to the client that asked "
          f"(wrong: {wrong[:3]!r})")
    check(sum(served) == 300 and min(served) > 0,
          f"zpat queue: both pyzmq workers used (served {served})")
    device.stop_with(signal.SIGTERM, "idle")

    # zpat REQ/REP (the C ports) through pyzmq's own queue device.
    from zmq.devices import ThreadDevice
    queue = ThreadDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    front_port, back_port = free_port(), free_port()
    queue.bind_in(f"tcp://127.0.0.1:{front_port}")
    queue.bind_out(f"tcp://127.0.0.1:{back_port}")
    queue.start()
    servers = [Program([bins.reqrep_server, f">tcp://127.0.0.1:{back_port}"],
                       name=f"reqrep_server {n}") for n in range(2)]
    for server in servers:
        server.wait_output(b"wait for client ...\n")
    time.sleep(0.2)  # both connected to the device
    lines = [f"line {i}" for i in range(20)]
    client = Program([bins.reqrep_client, f"tcp://127.0.0.1:{front_port}"])
    client.write("".join(line + "\n" for line in lines))
    client.close_stdin()
    check(client.wait_exit() == 0, "C reqrep_client through pyzmq's queue: "
          "status 0")
    expected = b"".join(b"received reply: " + line.encode() + b"\n"
                        for line in lines)
    got = bytes(client.out).replace(PROMPT_REQ, b"").replace(
        b"connecting to server...\n", b"")
    check(got == expected, "C client -> pyzmq queue -> C servers: every "
          f"reply, in order (got {got[:200]!r})")
    counts = [server.out.count(b"message from client: ") for server in servers]
    check(sum(counts) == len(lines) and min(counts) > 0,
          f"both C reqrep_servers used through pyzmq's queue ({counts})")
    for server in servers:
        server.stop_with(signal.SIGINT, "idle")

    # pyzmq PUB -> zpat forwarder -> pyzmq SUBs with different prefixes.
    device, front, back = start_device(bins.forwarder_device)
    pub = ctx.socket(zmq.XPUB)  # sees the subscriptions cross the device
    pub.connect(front)
    subs = {}
    for prefix in (b"", b"123", b"9"):
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, prefix)
        sub.connect(back)
        subs[prefix] = sub
    seen = set()
    deadline = time.monotonic() + WAIT
    while len(seen) < 3 and time.monotonic() < deadline:
        if pub.poll(100):
            seen.add(pub.recv()[1:])
    check(seen == {b"", b"123", b"9"}, "zpat forwarder: the subscriptions "
          f"reach the pyzmq publisher ({seen!r})")
    messages = [(b"123", b"9", b"5", b"12")[i % 4] + b"-%d" % i
                for i in range(200)]
    for message in messages:
        pub.send(message)
    for prefix, sub in subs.items():
        want = [m for m in messages if m.startswith(prefix)]
        got = [recv_bounded(sub) for _ in want]
        check(got == want, f"zpat forwarder: SUB {prefix!r} gets its "
              f"{len(want)} messages in order (got {len(got)})")
        nothing_more(sub, f"SUB {prefix!r}")
    device.stop_with(signal.SIGTERM, "idle")

    # pyzmq PUSH -> zpat streamer -> pyzmq PULLs.
    device, front, back = start_device(bins.streamer_device)
    pulls = [ctx.socket(zmq.PULL) for _ in range(2)]
    for pull in pulls:
        pull.connect(back)
    time.sleep(0.2)  # both connected
    push = ctx.socket(zmq.PUSH)
    push.connect(front)
    sent = [b"task %d" % i for i in range(300)]
    for message in sent:
        push.send(message)
    got = [[], []]
    deadline = time.monotonic() + WAIT
    while sum(map(len, got)) < len(sent) and time.monotonic() < deadline:
        for n, pull in enumerate(pulls):
            if pull.poll(10):
                got[n].append(pull.recv())
    check(sorted(got[0] + got[1]) == sorted(sent),
          "zpat streamer: every message once")
    check(all(got), f"zpat streamer: both pullers used "
          f"({len(got[0])}, {len(got[1])})")
    device.stop_with(signal.SIGTERM, "idle")


# ---------------------------------------------------------------------------
# security: the CURVE ports (examples/secure_reqrep_*.c) and zpat-keygen
# with pyzmq's CURVE sockets, its certificates (zmq.auth) and its
# authenticator (zmq.auth.thread.ThreadAuthenticator)

REFUSED_WAIT = 1.0  # seconds a refused peer is given to (not) get a reply
HANDSHAKE_EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED |
                    zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL |
                    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


def keygen(bins, name, directory):
    """Runs zpat-keygen NAME DIR; returns the public key it printed."""
    program = Program([bins.zpat_keygen, name, directory])
    rc = program.wait_exit()
    check(rc == 0 and program.err == b"",
          f"zpat-keygen {name} DIR: status 0, nothing on stderr (got {rc}, "
          f"{bytes(program.err)!r})")
    return bytes(program.out).split(b"\n", 1)[0]


def wait_handshake(monitor, wanted):
    """Reads monitor events until one of type wanted; returns its value."""
    from zmq.utils.monitor import recv_monitor_message
    deadline = time.monotonic() + WAIT
    seen = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not monitor.poll(int(left * 1000)):
            raise Failure(f"no handshake event {wanted} within {WAIT} s "
                          f"(saw {seen!r})")
        event = recv_monitor_message(monitor)
        if event["event"] == wanted:
            return event["value"]
        seen.append((event["event"], event["value"]))


def curve_req(ctx, endpoint, keys, server_public):
    """A pyzmq CURVE REQ with keys (public, secret), connected to the
    server whose public key is server_public; and a monitor of its
    handshakes, made before it connects."""
    req = ctx.socket(zmq.REQ)
    req.curve_publickey, req.curve_secretkey = keys
    req.curve_serverkey = server_public
    monitor = req.get_monitor_socket(HANDSHAKE_EVENTS)
    req.connect(endpoint)
    return req, monitor


def fails_with_status_1(argv, named, reason):
    """Checks argv ends with status 1 and one line on stderr naming
    named and saying reason."""
    program = Program(argv)
    rc = program.wait_exit()
    words = " ".join(os.path.basename(a) for a in argv)
    err = program.err.decode("utf-8", "replace")
    check(rc == 1 and err.count("\n") == 1 and err.endswith("\n") and
          named in err and reason in err and program.out == b"",
          f"{words}: status 1, one line naming {os.path.basename(named)} "
          f"and '{reason}' (got {rc}, {err!r})")


def case_security(bins, ctx):
    if not zmq.has("curve"):
        print("SKIP: this libzmq has no CURVE")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="zpat-interop-security-") as tmp:
        security_checks(bins, ctx, tmp)


def security_checks(bins, ctx, tmp):
    import zmq.auth
    from zmq.auth.thread import ThreadAuthenticator

    # Certificates made by pyzmq, and by zpat-keygen and read by pyzmq.
    py_keys = os.path.join(tmp, "pyzmq-keys")
    zp_keys = os.path.join(tmp, "zpat-keys")
    os.mkdir(py_keys)
    os.mkdir(zp_keys)
    py = {}
    for name in ("pyserver", "pyalice", "pymallory"):
        _, secret_file = zmq.auth.create_certificates(py_keys, name)
        py[name] = zmq.auth.load_certificate(secret_file)
    zp = {}
    for name in ("zserver", "zalice", "zmallory"):
        printed = keygen(bins, name, zp_keys)
        path = os.path.join(zp_keys, name + ".key")
        public, no_secret = zmq.auth.load_certificate(path)
        public2, secret = zmq.auth.load_certificate(path + "_secret")
        check(no_secret is None and public == printed == public2 and
              len(public) == 40 and secret and len(secret) == 40 and
              zmq.curve_public(secret) == public,
              f"pyzmq load_certificate reads zpat-keygen's {name}.key and "
              f"{name}.key_secret: the public key printed, and the secret "
              "key that goes with it")
        mode = os.stat(path + "_secret").st_mode & 0o777
        check(mode & 0o077 == 0,
              f"zpat-keygen's {name}.key_secret is private (mode {mode:o})")
        zp[name] = (public, secret)
    loaded = zmq.auth.load_certificates(zp_keys)
    check(set(loaded) == {keys[0] for keys in zp.values()},
          "pyzmq load_certificates reads the directory zpat-keygen wrote")
    before = open(os.path.join(zp_keys, "zalice.key_secret"), "rb").read()
    again = Program([bins.zpat_keygen, "zalice", zp_keys])
    check(again.wait_exit() != 0 and open(os.path.join(
        zp_keys, "zalice.key_secret"), "rb").read() == before,
          "zpat-keygen does not overwrite a certificate")

    # The clients each server lets in: one pyzmq-made key, one zpat-made.
    # The C server's directory also holds what it must ignore: a file that
    # is no certificate, a malformed NAME.key, and a secret file whose key
    # is not there as NAME.key.
    c_clients = os.path.join(tmp, "c-server-clients")
    py_clients = os.path.join(tmp, "pyzmq-server-clients")
    for directory in (c_clients, py_clients):
        os.mkdir(directory)
        shutil.copy(os.path.join(py_keys, "pyalice.key"), directory)
        shutil.copy(os.path.join(zp_keys, "zalice.key"), directory)
    with open(os.path.join(c_clients, "README"), "w") as f:
        f.write("the clients this server lets in\n")
    with open(os.path.join(c_clients, "junk.key"), "w") as f:
        f.write("curve\n    public-key = \"too short\"\n")
    shutil.copy(os.path.join(zp_keys, "zmallory.key_secret"), c_clients)

    # pyzmq CURVE REQs against the C server, which has pyzmq's certificate.
    server, endpoint = start_bound([
        bins.secure_reqrep_server,
        os.path.join(py_keys, "pyserver.key_secret"), c_clients, ENDPOINT])
    server.wait_output(b"wait for client ...\n")
    requests = [b"hello", "你好，世界".encode(), b"\x00bin\x00ary\xff\x00",
                b"", os.urandom(100000)]
    good = {}
    for name, keys in (("pyalice", py["pyalice"]), ("zalice", zp["zalice"])):
        req, monitor = curve_req(ctx, endpoint, keys, py["pyserver"][0])
        for request in requests:
            req.send(request)
            check(recv_bounded(req) == request,
                  f"C secure_reqrep_server echoes {len(request)} bytes to "
                  f"pyzmq CURVE REQ {name}")
        wait_handshake(monitor, zmq.EVENT_HANDSHAKE_SUCCEEDED)
        good[name] = req
    answered = 2 * len(requests)
    for text in ["hello", "你好，世界", ""]:
        line = f"message from client: {text}\n".encode()
        check(server.out.count(line) >= 2,
              f"C secure_reqrep_server prints {line!r} for each client")

    # Keys the server does not know, in the pyzmq format and in zpat's
    # (zmallory's secret file is in the directory, but no zmallory.key).
    for name, keys in (("pymallory", py["pymallory"]),
                       ("zmallory", zp["zmallory"])):
        req, monitor = curve_req(ctx, endpoint, keys, py["pyserver"][0])
        req.send(b"let me in: " + name.encode())
        value = wait_handshake(monitor, zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        check(value == 400, f"pyzmq CURVE REQ {name}, key not in the "
              f"client directory: handshake refused, ZAP status 400 (got "
              f"{value})")
        check(not req.poll(int(REFUSED_WAIT * 1000)),
              f"pyzmq CURVE REQ {name}: no reply within {REFUSED_WAIT} s")
        req.close()

    # A plaintext client: the CURVE server never talks to it.
    plain = ctx.socket(zmq.REQ)
    monitor = plain.get_monitor_socket(HANDSHAKE_EVENTS)
    plain.connect(endpoint)
    plain.send(b"plaintext hello")
    value = wait_handshake(monitor, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    check(value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
          "plaintext pyzmq REQ against the CURVE server: handshake fails, "
          f"mechanism mismatch (got {value:#x})")
    check(not plain.poll(int(REFUSED_WAIT * 1000)),
          f"plaintext pyzmq REQ: no reply within {REFUSED_WAIT} s")
    plain.close()

    # The server still serves the clients it knows, old and new, and the
    # zpat client too (zpat-made client key, pyzmq-made server key).
    for name, req in good.items():
        req.send(b"still there? " + name.encode())
        check(recv_bounded(req) == b"still there? " + name.encode(),
              f"after the refusals, the server still answers {name}")
    req, _ = curve_req(ctx, endpoint, py["pyalice"], py["pyserver"][0])
    req.send(b"new pyalice")
    check(recv_bounded(req) == b"new pyalice",
          "after the refusals, a new pyalice connection is answered")
    answered += 3

    # The directory is read again for each connection: a key added counts
    # from the next connection on, and one removed too.
    added = os.path.join(c_clients, "pymallory.key")
    shutil.copy(os.path.join(py_keys, "pymallory.key"), added)
    req, _ = curve_req(ctx, endpoint, py["pymallory"], py["pyserver"][0])
    req.send(b"admitted now")
    check(recv_bounded(req) == b"admitted now",
          "pymallory.key added to the client directory: a new connection "
          "with that key is answered")
    req.close()
    answered += 1
    os.remove(added)
    req, monitor = curve_req(ctx, endpoint, py["pymallory"],
                             py["pyserver"][0])
    req.send(b"let me in again")
    value = wait_handshake(monitor, zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    check(value == 400 and not req.poll(int(REFUSED_WAIT * 1000)),
          "pymallory.key removed again: a new connection is refused "
          f"(ZAP status {value}) and gets no reply")
    req.close()

    client = Program([bins.secure_reqrep_client,
                      os.path.join(zp_keys, "zalice.key_secret"),
                      os.path.join(py_keys, "pyserver.key"), endpoint])
    client.write("from zpat\nb\n")
    check(client.wait_exit() == 0 and
          b"received reply: from zpat\n" in client.out and client.err == b"",
          "C secure_reqrep_client <-> C secure_reqrep_server: answered, "
          f"status 0 (got {client.proc.returncode}, {bytes(client.out)!r}, "
          f"{bytes(client.err)!r})")
    answered += 1
    server.wait_output(b"wait for client ...\n", answered + 1)
    check(b"let me in" not in server.out and b"plaintext" not in server.out,
          "C secure_reqrep_server never saw a refused or plaintext request")
    server.stop_with(signal.SIGINT, "after refusals")

    # The C client against a pyzmq CURVE REP (zpat-made server key) whose
    # ThreadAuthenticator lets in the keys of py_clients.
    auth = ThreadAuthenticator(ctx.ctx)
    auth.start()
    stop = threading.Event()
    server_thread = None
    try:
        auth.configure_curve(domain="*", location=py_clients)
        rep = ctx.socket(zmq.REP)
        rep.curve_publickey, rep.curve_secretkey = zp["zserver"]
        rep.curve_server = True
        monitor = rep.get_monitor_socket(HANDSHAKE_EVENTS)
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        endpoint = f"tcp://127.0.0.1:{port}"
        got = []

        def serve():
            while not stop.is_set():
                if rep.poll(50):
                    request = rep.recv()
                    got.append(request)
                    rep.send("回复:".encode() + request)

        server_thread = threading.Thread(target=serve)
        server_thread.start()
        server_public = os.path.join(zp_keys, "zserver.key")
        for name, secret_file in (
                ("zalice", os.path.join(zp_keys, "zalice.key_secret")),
                ("pyalice", os.path.join(py_keys, "pyalice.key_secret"))):
            got.clear()
            client = Program([bins.secure_reqrep_client, secret_file,
                              server_public, endpoint])
            client.write("hello\n  你好，世界 \t\n\n  b  \nnever sent\n")
            check(client.wait_exit() == 0,
                  f"C secure_reqrep_client ({name}) against pyzmq's CURVE "
                  f"REP: 'b' quits, status 0 ({bytes(client.err)!r})")
            check(got == [b"hello", "你好，世界".encode(), b""],
                  f"pyzmq's CURVE REP got each line from {name} (got "
                  f"{got!r})")
            expected = (b"connecting to server...\n" +
                        PROMPT_REQ + "received reply: 回复:hello\n".encode() +
                        PROMPT_REQ +
                        "received reply: 回复:你好，世界\n".encode() +
                        PROMPT_REQ + "received reply: 回复:\n".encode() +
                        PROMPT_REQ)
            check(client.out == expected,
                  f"C secure_reqrep_client ({name}) prints each reply as "
                  f"reqrep_client does (got {bytes(client.out)!r})")
            check(client.err == b"", "nothing on stderr")
            wait_handshake(monitor, zmq.EVENT_HANDSHAKE_SUCCEEDED)

        # A zpat client whose key is not in the authenticator's directory.
        got.clear()
        client = Program([bins.secure_reqrep_client,
                          os.path.join(zp_keys, "zmallory.key_secret"),
                          server_public, endpoint])
        client.write("let me in\n")
        value = wait_handshake(monitor, zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        check(value == 400, "pyzmq's ThreadAuthenticator refuses the C "
              f"client with an unknown key: ZAP status 400 (got {value})")
        # It learns of the refusal from its events, says so and exits 1.
        rc = client.wait_exit()
        check(rc == 1 and b"the server refused this client's key" in
              client.err, "the refused C client says so and exits 1 (got "
              f"{rc}, {bytes(client.err)!r})")
        check(got == [] and b"received reply" not in client.out,
              "the refused C client's request never reached pyzmq's REP, "
              f"and no reply came (got {got!r}, {bytes(client.out)!r})")
    finally:
        stop.set()
        if server_thread:
            server_thread.join()
        auth.stop()

    # Bad arguments: the usage (status 2); a missing or malformed
    # certificate file or client directory: one line naming it (status 1).
    for name in ("secure_reqrep_server", "secure_reqrep_client"):
        for args in (["--help"], ["-h"]):
            usage_is(bins, name, args, 0)
        for args in ([], ["one"], ["one", "two", "three", "four"],
                     ["--no-such-option", "two"]):
            usage_is(bins, name, args, 2)
    missing = os.path.join(tmp, "missing.key_secret")
    malformed = os.path.join(tmp, "malformed.key_secret")
    with open(malformed, "w") as f:
        f.write("this is not a certificate\n")
    truncated = os.path.join(tmp, "truncated.key_secret")
    with open(os.path.join(zp_keys, "zserver.key_secret"), "rb") as f:
        whole = f.read()
    with open(truncated, "wb") as f:
        f.write(whole[:len(whole) - 30])
    public_only = os.path.join(zp_keys, "zserver.key")
    for cert, reason in ((missing, "No such file or directory"),
                         (malformed, "Invalid argument"),
                         (truncated, "Invalid argument"),
                         (public_only, "secret key")):
        fails_with_status_1([bins.secure_reqrep_server, cert, c_clients,
                             refused_endpoint()], cert, reason)
        fails_with_status_1([bins.secure_reqrep_client, cert, public_only,
                             refused_endpoint()], cert, reason)
    for cert, reason in ((missing, "No such file or directory"),
                         (malformed, "Invalid argument")):
        fails_with_status_1([bins.secure_reqrep_client,
                             os.path.join(zp_keys, "zalice.key_secret"), cert,
                             refused_endpoint()], cert, reason)
    no_dir = os.path.join(tmp, "no-such-dir")
    fails_with_status_1([bins.secure_reqrep_server,
                         os.path.join(zp_keys, "zserver.key_secret"), no_dir,
                         refused_endpoint()], no_dir,
                        "No such file or directory")


CASES = {"console": case_console, "reqrep": case_reqrep, "pubsub": case_pubsub,
         "pipeline": case_pipeline, "frames": case_frames,
         "subscriptions": case_subscriptions,
         "signals": case_signals, "storm": case_storm,
         "leaks": case_leaks, "errors": case_errors,
         "routing": case_routing, "devices": case_devices,
         "security": case_security}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--raw", action="store_true",
                        help="the programs are the raw-libzmq versions")
    for name in PROGRAMS:
        parser.add_argument("--" + name)
    bins = parser.parse_args()
    global RAW
    RAW = bins.raw
    ctx = Context()
    try:
        CASES[bins.case](bins, ctx)
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
