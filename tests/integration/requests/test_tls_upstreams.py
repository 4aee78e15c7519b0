"""Upstreams over TLS: the example FastAPI service serves HTTPS with a certificate made here with
`openssl` (a test CA, a server certificate for 127.0.0.1 and localhost). `http` and `sse` routes
over https:// and `websocket` ones over wss:// (pooled too) answer and stream when Sluice trusts
the CA; a certificate from another CA, or one
naming another host, is refused with the reason in the error, the log and /readyz."""

import asyncio
import json
import os
import subprocess
import tempfile
import time
import unittest

from harness import PATIENCE, Sluice, connect, recv_json, send_request, until_final
from upstreams import FastApi, WithFastApi


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", cwd=directory)
    return os.path.join(directory, f"{name}.pem")


def make_server_cert(directory, ca, name, alt_names):
    with open(os.path.join(directory, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName={alt_names}\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
            cwd=directory)
    return os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")


def config(port, ca_file, kind="http", path="/api/echo", extra=""):
    if kind == "sse":
        extra += "    body: '{\"prompt\": {{text}}}'\n"
    scheme = "wss" if kind == "websocket" else "https"
    return ("server: {host: 127.0.0.1, port: 0}\n"
            f"upstreams:\n  secure:\n    kind: {kind}\n    url: {scheme}://127.0.0.1:{port}{path}\n"
            f"    tls: {{ca_file: {ca_file}}}\n    failure_threshold: 100\n" + extra +
            "routes:\n  ask: {upstream: secure}\n")


class TlsUpstreams(WithFastApi):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        cls.ca = make_ca(d, "test-ca")
        cls.other_ca = make_ca(d, "other-ca")
        cls.server = make_server_cert(d, "test-ca", "server", "DNS:localhost,IP:127.0.0.1")
        cls.elsewhere = make_server_cert(d, "test-ca", "elsewhere", "DNS:example.org")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    async def final_of(self, cfg, payload="tell me a story"):
        with Sluice(cfg) as sluice:
            ws, _ = await connect(sluice)
            await send_request(ws, {"type": "request", "id": 1, "payload": payload})
            frames = await until_final(ws, 1, mid_stream=True)
            await ws.close()
            _, _, ready = sluice.http("GET", "/readyz")
            return frames, json.loads(ready), sluice.log

    async def test_http_and_sse_over_https_with_the_trusted_ca(self):
        self.app = FastApi(tls=self.server)
        frames, _, _ = await self.final_of(config(self.app.port, self.ca))
        self.assertEqual(frames[-1]["result"]["body"], "tell me a story")
        frames, _, _ = await self.final_of(
            config(self.app.port, self.ca, kind="sse", path="/api/generate-stream"))
        self.assertEqual([f["data"].get("token") for f in frames[:-1]],
                         ["tell", "me", "a", "story"])
        self.assertEqual(frames[-1]["type"], "final")

    async def test_websocket_over_wss_per_request_and_pooled(self):
        self.app = FastApi(tls=self.server)
        for mode in ("per_request", "pooled"):
            cfg = config(self.app.port, self.ca, kind="websocket", path="/ws",
                         extra=f"    connections: {mode}\n")
            with Sluice(cfg) as sluice:
                ws, _ = await connect(sluice)
                for n in range(2):  # pooled: the second request reuses the connection
                    await send_request(ws, {"type": "request", "id": n, "payload": {"text": "hi"}})
                    frames = await until_final(ws, n, mid_stream=True)
                    self.assertEqual(frames[-1]["data"]["result"], "HI", mode)
                reused = sluice.metrics()["sluice_upstream_websocket_reuses_total"]
                self.assertEqual(reused, 1 if mode == "pooled" else 0)
                await ws.close()

    async def test_a_certificate_from_another_ca_is_refused_with_its_reason(self):
        self.app = FastApi(tls=self.server)
        frames, ready, log = await self.final_of(config(self.app.port, self.other_ca))
        self.assertEqual((frames[-1]["type"], frames[-1]["code"]), ("error", "upstream_unavailable"))
        self.assertIn("the certificate was refused", frames[-1]["message"])
        self.assertIn("certificate", ready["upstreams"]["secure"]["last_error"])
        self.assertTrue(any("certificate was refused" in line for line in log))

    async def test_a_certificate_for_another_host_is_refused(self):
        self.app = FastApi(tls=self.elsewhere)
        for kind, path in (("http", "/api/echo"), ("websocket", "/ws")):
            frames, _, _ = await self.final_of(config(self.app.port, self.ca, kind, path))
            self.assertEqual(frames[-1]["code"], "upstream_unavailable", kind)
            self.assertIn("the certificate was refused", frames[-1]["message"])

    async def test_an_https_health_url_is_probed_over_tls(self):
        self.app = FastApi(tls=self.server)
        for ca, seen in ((self.ca, "HTTP 200"), (self.other_ca, "the certificate was refused")):
            health = (f"    health: {{url: 'https://127.0.0.1:{self.app.port}/health', "
                      "interval: 100ms, timeout: 2s}\n")
            with Sluice(config(self.app.port, ca, extra=health)) as sluice:
                deadline = time.monotonic() + PATIENCE
                probe = ""
                while seen not in probe and time.monotonic() < deadline:
                    _, _, ready = sluice.http("GET", "/readyz")
                    probe = json.loads(ready)["upstreams"]["secure"].get("last_probe") or ""
                    await asyncio.sleep(0.05)
                self.assertIn(seen, probe)

    async def test_a_ca_file_that_does_not_load_is_a_configuration_error(self):
        result = subprocess.run(
            [os.environ["SLUICE_BIN"], "--check-config", "--config", "/dev/stdin"],
            input=config(1, "/nonexistent/ca.pem"), capture_output=True, text=True)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("upstreams.secure.tls.ca_file /nonexistent/ca.pem", result.stderr)
