"""In Debian's Chromium, driven by playwright-core: the client library's scenarios in a page that
Sluice serves itself (server.static, importing the library from the dashboard), and the dashboard
(server.dashboard) with the example's pipeline: start the scraper, see its log lines, see the
pipeline's data appear, stop it. Screenshots go to build/screenshots/."""

import json
import os
import subprocess
import tempfile
import unittest

from harness import PATIENCE, REPO, Sluice
from test_js_client import KEY, client_config

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(HERE, "js", "browser.mjs")
SHOTS = os.path.join(REPO, "build", "screenshots")
SCRAPER = os.path.join(REPO, "examples", "services", "scraper.py")
SUMMARIZE = os.path.join(REPO, "examples", "services", "summarize.py")


def drive(*args):
    done = subprocess.run(["node", BROWSER, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=PATIENCE * 6)
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"error": done.stderr}
    return done.returncode, result, done.stderr


def dashboard_config(work):
    """config/examples/services.yaml's pipeline, faster, in `work`."""
    return f"""server: {{host: 127.0.0.1, port: 0, drain_timeout: 5s, dashboard: true}}
routes: {{uppercase: {{kind: uppercase}}}}
topics:
  patterns:
    "services.summary": {{retain_last: true}}
    "services.*": {{history: {{size: 1000}}}}
watch:
  - path: {work}/summary.json
    topic: services.summary
services:
  allow: true
  scraper:
    command: /usr/bin/python3
    args: [{SCRAPER}, --pages, "4", --delay, "0.4", --out, {work}/data.json]
    kill_grace: 2s
    log_topic: services.scraper.log
    events_topic: services.scraper.events
    on_exit: {{success: [summarize]}}
  summarize:
    command: /usr/bin/python3
    args: [{SUMMARIZE}, --in, {work}/data.json, --out, {work}/summary.json]
    log_topic: services.summarize.log
    events_topic: services.summarize.events
"""


class InChromium(unittest.TestCase):
    def test_the_client_library_scenarios_pass_in_chromium(self):
        js = os.path.join(HERE, "js")
        with tempfile.TemporaryDirectory() as work:
            config = client_config(work).replace(
                "drain_timeout: 5s}", f"drain_timeout: 5s, dashboard: true, static: {{path: {js}, prefix: /tests}}}}")
            with Sluice(config) as server:
                code, result, stderr = drive("scenarios", f"http://127.0.0.1:{server.port}/tests/browser.html")
        self.assertNotIn("error", result, stderr)
        failed = [r for r in result["scenarios"] if not r["ok"]]
        self.assertEqual(failed, [])
        self.assertEqual(len(result["scenarios"]), 10)
        self.assertEqual(result["pageErrors"], [])
        self.assertEqual(code, 0, stderr)

    def test_behind_auth_the_dashboard_asks_for_a_token_and_connects_with_it(self):
        with tempfile.TemporaryDirectory() as work:
            config = client_config(work).replace("anonymous: true", "anonymous: false").replace(
                "drain_timeout: 5s}", "drain_timeout: 5s, dashboard: true}")
            with Sluice(config) as server:
                code, result, stderr = drive("auth", f"http://127.0.0.1:{server.port}/dashboard/", KEY)
        self.assertNotIn("error", result, stderr)
        self.assertEqual(dict(result["steps"]), {
            "before": "The server refused the connection: it may need a token.",
            "after": "open", "notice hidden": True})
        self.assertEqual(code, 0, stderr)

    def test_the_dashboard_starts_a_service_shows_its_log_and_the_pipelines_data_and_stops_it(self):
        os.makedirs(SHOTS, exist_ok=True)
        with tempfile.TemporaryDirectory() as work, Sluice(dashboard_config(work)) as server:
            code, result, stderr = drive("dashboard", f"http://127.0.0.1:{server.port}/dashboard", SHOTS)
        self.assertNotIn("error", result, f"{result}\n{stderr}\nscreenshot: {SHOTS}/dashboard-failure.png")
        self.assertEqual(dict(result["steps"]), {
            "connected": "open", "scraper before": "stopped", "log line": True, "pipeline data": True,
            "stopped": "stopped", "topics listed": True})
        self.assertEqual(result["pageErrors"], [])
        self.assertEqual(code, 0, stderr)
        self.assertTrue(os.path.getsize(os.path.join(SHOTS, "dashboard-pipeline.png")) > 10_000)


if __name__ == "__main__":
    unittest.main()
