"""Real nats-server processes with JetStream for the engine tests: one server, or a cluster of
three (JetStream replicated R3), on free loopback ports, each with its own storage directory."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from harness import PATIENCE

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NatsServer:
    def __init__(self, name, store, routes=(), cluster_port=None):
        self.name = name
        self.store = store
        self.port = free_port()
        self.monitor = free_port()
        self.cluster_port = cluster_port
        self.routes = list(routes)
        self.proc = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        cmd = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor), "-js",
               "-sd", self.store, "-n", self.name]
        if self.cluster_port:
            cmd += ["--cluster_name", "sluice-test", "--cluster", f"nats://127.0.0.1:{self.cluster_port}",
                    "--routes", ",".join(self.routes)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self):
        """SIGKILL: the server is gone at once, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(PATIENCE)

    def healthy(self):
        """JetStream is up on this server and, in a cluster, current with the meta leader."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor}/healthz", timeout=2) as r:
                return json.loads(r.read()).get("status") == "ok"
        except OSError:
            return False


class Nats:
    """`size` servers (1, or 3 as a JetStream cluster). Stopped by the test's cleanup."""

    def __init__(self, case, size=1):
        self.dir = tempfile.mkdtemp(prefix="sluice-nats-")
        case.addCleanup(self.stop)
        cluster_ports = [free_port() for _ in range(size)] if size > 1 else [None]
        self.servers = []
        for i in range(size):
            routes = [f"nats://127.0.0.1:{p}" for j, p in enumerate(cluster_ports) if j != i and p]
            self.servers.append(NatsServer(f"n{i + 1}", os.path.join(self.dir, f"n{i + 1}"), routes,
                                           cluster_ports[i]))
        for s in self.servers:
            s.start()
        self.until_healthy()

    @property
    def urls(self):
        return [s.url for s in self.servers]

    def until_healthy(self, servers=None):
        deadline = time.monotonic() + PATIENCE
        for s in servers or self.servers:
            while not s.healthy():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nats-server {s.name} did not become healthy")
                time.sleep(0.1)

    def restart(self, i):
        self.servers[i].start()
        self.until_healthy([self.servers[i]])

    def stop(self):
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def engine_config(urls, replicas=1, extra="", topics=("room.*",), head=""):
    """A Sluice configuration whose topics `topics` live in the engine at `urls` (local.* stay in
    memory); `head`: more sections before `engine` (e.g. auth)."""
    engine_topics = ", ".join(f'"{t}"' for t in topics)
    servers = ", ".join(f'"{u}"' for u in urls)
    return ("server:\n  host: 127.0.0.1\n  port: 0\n  drain_timeout: 5s\n"
            "routes:\n  uppercase:\n    kind: uppercase\n"
            "topics:\n  patterns:\n    \"room.*\": {history: {size: 10000}}\n    \"local.*\": {}\n" + head +
            f"engine:\n  kind: nats\n  servers: [{servers}]\n  replicas: {replicas}\n"
            f"  topics: [{engine_topics}]\n"
            "  publish_timeout: 3s\n" + extra)
