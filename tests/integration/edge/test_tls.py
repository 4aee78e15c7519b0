"""wss:// and https:// on the server's port, with a certificate from a test CA made here."""

import http.client
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

import websockets
import websockets.exceptions

from harness import PATIENCE, SLUICE_BIN, Sluice, config_with, connect, recv_json, send_json


def make_ca_and_server_cert(directory):
    """A CA, and a certificate for 127.0.0.1 and localhost that it signed; returns the paths
    (ca, cert, key)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return tuple(os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key"))


class Tls(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.ca, cls.cert, cls.key = make_ca_and_server_cert(cls.dir)
        cls.client_ctx = ssl.create_default_context(cafile=cls.ca)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def config(self, require=False):
        return config_with(server=f"""  tls:
    cert_file: {self.cert}
    key_file: {self.key}
    require: {"true" if require else "false"}
""")

    async def test_wss_and_https_on_the_same_port_as_plain(self):
        with Sluice(self.config()) as server:
            url = f"wss://127.0.0.1:{server.port}/ws"
            async with websockets.connect(url, ssl=self.client_ctx, open_timeout=PATIENCE) as ws:
                self.assertEqual((await recv_json(ws))["type"], "welcome")
                await send_json(ws, {"type": "request", "id": "t", "route": "uppercase",
                                     "payload": {"text": "secure"}})
                frames = [await recv_json(ws)]
                while frames[-1]["type"] not in ("final", "error"):
                    frames.append(await recv_json(ws))
                self.assertEqual(frames[-1], {"type": "final", "id": "t", "result": "SECURE"})
            conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=self.client_ctx,
                                               timeout=PATIENCE)
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
            plain, _ = await connect(server)  # ws:// on the same port
            await plain.close()
            # A client that does not trust the certificate fails its handshake.
            with self.assertRaises(ssl.SSLCertVerificationError):
                await websockets.connect(url, ssl=ssl.create_default_context(),
                                         open_timeout=PATIENCE)
            metrics = server.metrics()
            self.assertGreaterEqual(metrics['sluice_tls_handshakes_total{result="ok"}'], 2)
            self.assertGreaterEqual(metrics['sluice_tls_handshakes_total{result="failed"}'], 1)

    async def test_require_refuses_plain_connections(self):
        with Sluice(self.config(require=True)) as server:
            with self.assertRaises((websockets.exceptions.InvalidHandshake, OSError, EOFError)):
                await websockets.connect(server.ws_url, open_timeout=PATIENCE)
            async with websockets.connect(f"wss://localhost:{server.port}/ws", ssl=self.client_ctx,
                                          open_timeout=PATIENCE) as ws:
                self.assertEqual((await recv_json(ws))["type"], "welcome")

    def test_unreadable_certificate_is_a_config_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(config_with(server="  tls:\n    cert_file: /nonexistent.pem\n"
                                       f"    key_file: {self.key}\n"))
        try:
            r = subprocess.run([SLUICE_BIN,
                                "--check-config", "--config", f.name],
                               capture_output=True, text=True, timeout=PATIENCE)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 2)
        self.assertIn("server.tls.cert_file /nonexistent.pem", r.stderr)


if __name__ == "__main__":
    unittest.main()
