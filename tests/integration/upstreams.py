"""Real upstream services for integration tests: the example FastAPI app on a free port."""

import os
import socket
import subprocess
import time
import unittest
import urllib.request

from harness import PATIENCE, REPO

APP = os.path.join(REPO, "examples", "upstream", "app.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class FastApi:
    """The example FastAPI service on a free port (or `port`)."""

    def __init__(self, interval_ms=0, steps=3, port=None, tls=None):
        """`tls`: (certificate file, key file) to serve HTTPS instead of HTTP."""
        self.port = port or free_port()
        self.env = dict(os.environ, PORT=str(self.port), PROGRESS_INTERVAL_MS=str(interval_ms),
                        PROGRESS_STEPS=str(steps))
        if tls:
            self.env.update(SSL_CERTFILE=tls[0], SSL_KEYFILE=tls[1])
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", APP], env=self.env)
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            if "SSL_CERTFILE" in self.env:
                try:  # the handshake is what tells it is up; the certificate is the test's
                    wait_for_port(self.port)
                    return
                except RuntimeError:
                    break
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the FastAPI app did not start")

    def stop(self):
        """SIGKILL: the service dies as in a crash."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class WithFastApi(unittest.IsolatedAsyncioTestCase):
    """A test case that may start the FastAPI service as self.app; it is stopped after."""

    async def asyncSetUp(self):
        self.app = None

    async def asyncTearDown(self):
        if self.app:
            self.app.stop()
