"""The command line: --check-config, --version, --help, and failures to start."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import unittest

from harness import PATIENCE, REPO, SLUICE_BIN


def run(*args):
    return subprocess.run([SLUICE_BIN, *args], capture_output=True, text=True, timeout=PATIENCE)


class CommandLine(unittest.TestCase):
    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^sluice \d+\.\d+\.\d+ ")

    def test_help(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--config", "--port", "--check-config", "--version", "--help"):
            self.assertIn(flag, r.stdout)

    def test_unknown_option_is_a_usage_error(self):
        r = run("--frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn('sluice: unknown option "--frobnicate"', r.stderr)
        self.assertIn("Usage: sluice", r.stderr)

    def test_check_embedded_default(self):
        r = run("--check-config")
        self.assertEqual((r.returncode, r.stdout),
                         (0, "<embedded default>: configuration is valid (1 route)\n"))

    def test_check_example_config(self):
        path = os.path.join(REPO, "config", "sluice.yaml")
        r = run("--check-config", "--config", path)
        self.assertEqual((r.returncode, r.stdout), (0, f"{path}: configuration is valid (1 route)\n"))

    def test_check_config_lists_every_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("server:\n  port: 99999\n  colour: blue\nroutes:\n  up:\n    kind: uppercase\n"
                    "    interval: fast\nlog:\n  level: chatty\n")
        try:
            r = run("--check-config", "--config", f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.splitlines(), [
            f"{f.name}:3:3: server.colour: unknown key (expected one of: host, port, node_name, "
            "max_frame_bytes, max_connections, idle_timeout, drain_timeout, io_threads, actor_threads, "
            "request_timeout, max_header_bytes, max_connections_per_ip, allowed_origins, "
            "frame_timestamps, tls, dashboard, static)",
            f"{f.name}:2:9: server.port: must be between 0 and 65535, got 99999",
            f"{f.name}:7:15: routes.up.interval: expected a duration such as 250ms, 1s, 5m or 0, "
            'got "fast"',
            f'{f.name}:9:10: log.level: expected one of debug, info, warn, error, got "chatty"',
            "sluice: 4 configuration errors",
        ])

    def test_keys_and_certificates_that_do_not_load_are_listed_with_the_yaml_errors(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("server:\n  colour: blue\n  tls:\n    cert_file: /nonexistent/cert.pem\n"
                    "    key_file: /nonexistent/key.pem\nauth:\n  anonymous: false\n  jwt:\n"
                    "    keys:\n      - algorithm: RS256\n        public_key_file: /nonexistent/rs.pem\n"
                    "routes:\n  up:\n    kind: uppercase\n")
        try:
            r = run("--check-config", "--config", f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.splitlines()
        self.assertTrue(lines[0].startswith(f"{f.name}:2:3: server.colour: unknown key"), lines)
        self.assertEqual(lines[1:], [
            f"{f.name}:10:9: auth.jwt.keys[0]: cannot read public_key_file /nonexistent/rs.pem",
            f"{f.name}:4:5: server.tls.cert_file /nonexistent/cert.pem: No such file or directory",
            "sluice: 3 configuration errors",
        ])

    def test_auth_example_checks_with_its_secret_from_the_environment(self):
        example = os.path.join(REPO, "config/examples/auth.yaml")
        env = {k: v for k, v in os.environ.items() if k != "SLUICE_JWT_SECRET"}
        r = subprocess.run([SLUICE_BIN, "--check-config", "--config", example],
                           capture_output=True, text=True, env=env, timeout=PATIENCE)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{example}:32:17: auth.jwt.keys[0].secret: environment variable "
                      "SLUICE_JWT_SECRET is not set", r.stderr)
        env["SLUICE_JWT_SECRET"] = "a-production-secret-of-more-than-32-bytes"
        r = subprocess.run([SLUICE_BIN, "--check-config", "--config", example],
                           capture_output=True, text=True, env=env, timeout=PATIENCE)
        self.assertEqual((r.returncode, r.stdout.strip()),
                         (0, f"{example}: configuration is valid (2 routes)"))
        self.assertNotIn("a-production-secret", r.stdout + r.stderr)

    def test_bad_config_refuses_to_start(self):
        r = run("--config", "/nonexistent.yaml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent.yaml: cannot read the file", r.stderr)

    def test_json_log_format(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("server: {host: 127.0.0.1, port: 0}\nroutes: {up: {kind: uppercase}}\n"
                    "log: {format: json}\n")
        try:
            proc = subprocess.Popen([SLUICE_BIN, "--config", f.name], stderr=subprocess.PIPE,
                                    text=True)
            first = json.loads(proc.stderr.readline())
            proc.send_signal(signal.SIGTERM)
            rest = [json.loads(line) for line in proc.stderr]
            self.assertEqual(proc.wait(PATIENCE), 0)
        finally:
            os.unlink(f.name)
            proc.stderr.close()
        self.assertEqual((first["level"], first["component"], first["event"], first["routes"]),
                         ("info", "main", "listening", "up"))
        self.assertRegex(first["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual([line["event"] for line in rest], ["draining", "stopped"])

    def test_port_in_use_exits_1(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(f"server: {{host: 127.0.0.1, port: {port}}}\nroutes: {{up: {{kind: uppercase}}}}\n")
            try:
                r = run("--config", f.name)
            finally:
                os.unlink(f.name)
        self.assertEqual(r.returncode, 1)
        self.assertIn("event=listen_failed", r.stderr)
        self.assertIn(f"port={port}", r.stderr)


if __name__ == "__main__":
    unittest.main()
