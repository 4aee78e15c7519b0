"""Starts the real sluice binary on a free port and talks to it with real clients."""

import asyncio
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import websockets

REPO = os.environ.get("SLUICE_REPO", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
SLUICE_BIN = os.environ.get("SLUICE_BIN", os.path.join(REPO, "build", "release", "bin", "sluice"))
PATIENCE = 30  # seconds; only to avoid hanging, never a pass/fail criterion


def config_with(steps=3, interval="50ms", timeout="30s", extra="", server=""):
    """A configuration with one `uppercase` route and optional extra sections."""
    return (
        "server:\n  host: 127.0.0.1\n  port: 0\n  drain_timeout: 10s\n" + server +
        "routes:\n  uppercase:\n    kind: uppercase\n"
        f"    steps: {steps}\n    interval: {interval}\n    timeout: {timeout}\n" + extra)


class Sluice:
    """One sluice process. Use as a context manager."""

    def __init__(self, config=None, args=(), env=None, open_files=None):
        """`open_files`: the process's RLIMIT_NOFILE (soft and hard), when given."""
        self.config = config
        self.open_files = open_files
        self.args = list(args)
        self.env = env
        self.port = None
        self.proc = None
        self.log = []
        self._listening = threading.Event()
        self._config_file = None
        self.killed = False
        self.allow_caf_io_cycle = False  # see caf_io_cycle_only()

    def __enter__(self):
        cmd = [SLUICE_BIN, "--port", "0", *self.args]
        if self.config is not None:
            self._config_file = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
            self._config_file.write(self.config)
            self._config_file.close()
            cmd += ["--config", self._config_file.name]
        env = dict(os.environ, **self.env) if self.env else None
        limit = self.open_files

        def limit_open_files():
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                     env=env, preexec_fn=limit_open_files)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._listening.wait(PATIENCE):
            self.proc.kill()
            raise RuntimeError("sluice did not start:\n" + "\n".join(self.log))
        return self

    def __exit__(self, *exc):
        # Every server ends with a graceful shutdown, so a sanitizer build reports
        # leaks and errors of every test here.
        hung = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                hung = True
                self.proc.kill()
                self.proc.wait()
        self._reader.join(PATIENCE)
        self.proc.stderr.close()
        if self._config_file:
            os.unlink(self._config_file.name)
        if self.caf_io_cycle_only():
            return
        sanitizer = [l for l in self.log if "Sanitizer" in l or "runtime error:" in l]
        if sanitizer or (self.proc.returncode != 0 and not self.killed):
            # The cause first: a long log may be cut short where test output is shown.
            headline = f"sluice exited with {self.proc.returncode}"
            if hung:
                headline += f" (killed: still running {PATIENCE} s after SIGTERM)"
            reports = [l for l in self.log if re.search(r"ERROR: \w+Sanitizer|SUMMARY:|runtime error:", l)]
            raise AssertionError("\n".join([headline, *reports[:6], "-- its log:", *self.log]))

    def caf_io_cycle_only(self):
        """True when the only sanitizer report is CAF 0.17's middleman (libcaf_io) left in a
        reference cycle at exit, which cluster nodes may show when a peer connection is
        mid-handshake at shutdown: after a clean stop, indirect leaks only, rooted in
        caf::io::basp. Any direct leak, any other report, or another exit still fails."""
        report = "\n".join(self.log)
        return (self.allow_caf_io_cycle and self.proc.returncode in (1, 23)
                and "event=stopped" in report and "ERROR: LeakSanitizer" in report and "Direct leak" not in report
                and "caf::io::basp" in report and "ERROR: AddressSanitizer" not in report
                and "runtime error:" not in report)

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))
            m = (re.search(r"event=listening .*port=(\d+)", line) or
                 re.search(r'"event":"listening".*"port":"(\d+)"', line))
            if m:
                self.port = int(m.group(1))
                self._listening.set()
        self._listening.set()

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL: no shutdown at all, as in a crash or an OOM kill."""
        self.killed = True
        self.proc.kill()
        self.proc.wait(PATIENCE)

    def http_client(self):
        """A kept-alive HTTP connection (TCP_NODELAY: a request's head and body in one go) for
        tests that make many requests."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PATIENCE)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def rss(self):
        """The process's resident memory in bytes."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def open_descriptors(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def wait_exit(self):
        return self.proc.wait(PATIENCE)

    def http(self, method, path, body=None, headers=None):
        """Returns (status, headers dict, body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PATIENCE)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        result = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
        conn.close()
        return result

    async def writes_settled(self):
        """Waits until sluice stops writing frames (sluice_frames_out_total holds still for
        half a second), as when every client stream is paused; returns the count."""
        previous, stable = -1, 0
        while stable < 5:
            written = self.metrics()["sluice_frames_out_total"]
            stable = stable + 1 if written == previous else 0
            previous = written
            await asyncio.sleep(0.1)
        return previous

    def children(self):
        """PIDs of the processes sluice started that still exist."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:  # field 4: the parent's pid
                    pids.append(int(entry))
        return pids

    def process_fds(self):
        """Descriptors of the kinds a child process uses: its pipes and its pidfd."""
        fd_dir = f"/proc/{self.proc.pid}/fd"
        kinds = []
        for fd in os.listdir(fd_dir):
            try:
                kinds.append(os.readlink(f"{fd_dir}/{fd}"))
            except OSError:
                continue
        return sum(1 for k in kinds if k.startswith("pipe:") or k == "anon_inode:[pidfd]")

    async def process_fds_reach(self, count):
        """Waits until process_fds() is `count`; returns the last count seen. A process's pipes
        close when their reads end, a moment after the process is reaped (its own children,
        killed with its group, may still hold the write ends)."""
        deadline = time.monotonic() + PATIENCE
        while self.process_fds() != count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.process_fds()

    async def no_children_left(self):
        """Waits until sluice has no child process; returns the ones still there."""
        deadline = time.monotonic() + PATIENCE
        while self.children() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.children()

    def metrics(self):
        """The /metrics samples as {'name{labels}': value}. While every connection slot is taken
        (server.max_connections counts this request too) it asks again."""
        deadline = time.monotonic() + PATIENCE
        while True:
            status, _, text = self.http("GET", "/metrics")
            if status != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        return samples

    async def metric_reaches(self, name, value):
        """Polls /metrics until `name` equals `value`; returns the last value seen. Yields to
        the event loop between polls so that the test's own connections make progress."""
        deadline = time.monotonic() + PATIENCE
        seen = None
        while time.monotonic() < deadline:
            seen = self.metrics().get(name)
            if seen == value:
                break
            await asyncio.sleep(0.02)
        return seen


def logs_on_failure(case, **nodes):
    """When `case` fails, its output ends with the last lines each named Sluice node logged (debug
    lines left out), so a failure seen only in CI can be read."""

    def show():
        result = getattr(getattr(case, "_outcome", None), "result", None)
        failed = [t for t, _ in getattr(result, "errors", []) + getattr(result, "failures", [])]
        if not any(t is case for t in failed):
            return
        for name, node in nodes.items():
            lines = [l for l in node.log if "level=debug" not in l][-80:]
            print(f"\n-- last lines of node {name}'s log:", *lines, sep="\n", file=sys.stderr)

    case.addCleanup(show)


async def recv_json(ws, patience=PATIENCE):
    return json.loads(await asyncio.wait_for(ws.recv(), patience))


async def connect(server, query="", **kwargs):
    """Connects (with `query` after '?', if any) and consumes the welcome frame; returns
    (ws, welcome)."""
    url = server.ws_url + ("?" + query if query else "")
    ws = await asyncio.wait_for(websockets.connect(url, **kwargs), PATIENCE)
    welcome = await recv_json(ws)
    assert welcome["type"] == "welcome", welcome
    return ws, welcome


async def send_json(ws, obj):
    await ws.send(json.dumps(obj))


def post_json(server, path, obj, headers=None):
    """POSTs `obj` as JSON; returns (status, parsed body)."""
    status, _, body = server.http("POST", path, json.dumps(obj),
                                  {"Content-Type": "application/json", **(headers or {})})
    return status, json.loads(body)


def get_json(server, path, headers=None):
    status, _, body = server.http("GET", path, headers=headers)
    return status, json.loads(body)


def masked_frame(payload, opcode=0x1, fin=True):
    """One client frame (RFC 6455 5.2) carrying the bytes `payload`, masked as a client must."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def send_together(ws, frames):
    """Writes `frames` (objects, sent as JSON text frames) to the socket in one write, framed and
    masked here, so that the server reads them at once, as from a client that buffers its
    writes. Answers are read with the client as usual."""
    ws.transport.write(b"".join(masked_frame(json.dumps(f).encode()) for f in frames))


def is_accepted(frame, request_id=None, queued=0):
    """Whether `frame` is the `accepted` answer to a request (with `queued` as given, None: any)."""
    return (frame.get("type") == "accepted" and
            (request_id is None or frame.get("id") == request_id) and
            isinstance(frame.get("request"), str) and frame["request"].startswith("r-") and
            len(frame["request"]) == 34 and (queued is None or frame.get("queued") == queued))


async def until_final(ws, request_id, queued=0, mid_stream=False):
    """Frames for `request_id` up to and including its final or error frame, after its
    `accepted` frame (which must come first unless the request was refused at once: then its
    only frame is the error or the route's fallback). `mid_stream`: the caller has read the
    stream's first frames already."""
    frames = []
    while True:
        f = await recv_json(ws)
        if f.get("id") == request_id:
            frames.append(f)
            if f["type"] in ("final", "error"):
                break
    if mid_stream or (len(frames) == 1 and (frames[0]["type"] == "error" or
                                            frames[0].get("fallback"))):
        return frames
    assert is_accepted(frames[0], request_id, queued), frames[0]
    return frames[1:]


async def send_request(ws, frame, queued=0):
    """Sends a request frame and reads its `accepted` answer (which comes at once, before any
    other frame of it); returns that answer."""
    await send_json(ws, frame)
    accepted = await recv_json(ws)
    assert is_accepted(accepted, frame.get("id"), queued), accepted
    return accepted


async def wait_closed(ws):
    """Reads until the server closes; returns (code, reason)."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), PATIENCE)
    except websockets.ConnectionClosed as closed:
        return closed.code, closed.reason


def raw_http(port, request_bytes, until_closed=False):
    """Sends raw bytes, returns the raw response (for requests http.client will not make):
    the first complete response, or everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:
        s.sendall(request_bytes)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
            if not until_closed and b"\r\n\r\n" in b"".join(chunks):
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
        return b"".join(chunks).decode()


def progress(request_id, step, steps):
    return {"type": "progress", "id": request_id, "step": step, "steps": steps}


def final(request_id, result):
    return {"type": "final", "id": request_id, "result": result}


def error(code, message, request_id=None):
    frame = {"type": "error", "code": code, "message": message}
    if request_id is not None:
        frame["id"] = request_id
    return frame


def upgrade(server, target="/ws", headers=None):
    """A WebSocket upgrade request by hand, to see a refusal's status and JSON body; returns
    (status, headers dict, parsed body or None)."""
    request = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    request.update(headers or {})
    status, got, body = server.http("GET", target, headers=request)
    return status, got, json.loads(body) if body else None


WSCAT = os.path.join(REPO, "node_modules", ".bin", "wscat")


def wscat(url, message, wait_seconds):
    """Runs `wscat -c URL -x MESSAGE -w SECONDS` with stdin held open (wscat exits at EOF)."""
    stdin_read, stdin_write = os.pipe()
    try:
        proc = subprocess.Popen([WSCAT, "-c", url, "-x", message, "-w", str(wait_seconds)],
                                stdin=stdin_read, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        out, err = proc.communicate(timeout=PATIENCE)
    finally:
        os.close(stdin_read)
        os.close(stdin_write)
    return proc.returncode, out, err


def process_alive(pid):
    """Whether `pid` runs (a zombie nobody reaped has ended too)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def freeze(pid):
    """SIGSTOP to `pid`; returns once every thread of it has stopped (the signal stops a
    process's threads one by one, not before kill() returns), so that what is sent to it from
    here on waits for SIGCONT."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        states = []
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                continue
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not stop")


def assert_config_errors(case, cases):
    """For each (configuration text, regex) in `cases`: --check-config on the text in a file
    exits 2 and reports `FILE:LINE:COLUMN: ` followed by the regex."""
    for text, expected in cases:
        with case.subTest(config=text):
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(text)
            case.addCleanup(os.unlink, f.name)
            r = subprocess.run([SLUICE_BIN, "--check-config", "--config", f.name],
                               capture_output=True, text=True, timeout=PATIENCE)
            case.assertEqual(r.returncode, 2, r.stderr)
            case.assertRegex(r.stderr, re.escape(f.name) + r":\d+:\d+: " + expected)
