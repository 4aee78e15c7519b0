"""The JavaScript client library (clients/js) against the real server: the scenarios of
js/scenarios.mjs under Node (node.test.mjs, with a TCP proxy that plays a network going down)."""

import hashlib
import os
import subprocess
import tempfile
import unittest

from harness import PATIENCE, REPO, Sluice

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "js-client-key"


def client_config(work):
    """Routes, topics, an API key, a service and a watched file: all the scenarios use."""
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    return f"""server: {{host: 127.0.0.1, port: 0, drain_timeout: 5s}}
routes:
  up: {{kind: uppercase, steps: 3, interval: 10ms}}
  slow: {{kind: uppercase, steps: 20, interval: 100ms}}
auth:
  anonymous: true
  api_keys:
    tester: {{sha256: {digest}, sub: tester}}
topics:
  patterns:
    "js.*": {{history: {{size: 100}}}}
    "services.*": {{history: {{size: 100}}}}
    "files.*": {{retain_last: true}}
watch:
  - {{path: {work}/data.json, topic: files.data}}
services:
  allow: true
  ticker:
    command: /bin/sh
    args: ["-c", "for i in 1 2 3; do echo tick $i; sleep 0.05; done"]
    log_topic: services.ticker.log
    events_topic: services.ticker.events
"""


def run_node(args, env, cwd=REPO):
    return subprocess.run(["node", *args], cwd=cwd, env=dict(os.environ, **env), capture_output=True,
                          text=True, timeout=PATIENCE * 4)


class JsClientUnderNode(unittest.TestCase):
    def test_every_scenario_passes_under_node(self):
        with tempfile.TemporaryDirectory() as work, Sluice(client_config(work)) as server:
            done = run_node(["--test", "--test-force-exit", "--test-reporter=spec", os.path.join(HERE, "js", "node.test.mjs")],
                            {"SLUICE_PORT": str(server.port)})
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertRegex(done.stdout, r"\n\S+ pass 10\n")
            self.assertRegex(done.stdout, r"\n\S+ fail 0\n")


if __name__ == "__main__":
    unittest.main()
