"""Managed services with real processes: the example scraper is started over HTTP, its lines reach
its log topic (JSON lines as JSON), its exit is an `exited` event and starts the next step of its
pipeline, whose output file appears; a second start is 409; a service that keeps failing restarts
with backoff and then is `failed`; a command that cannot start is 500 with the reason; a process that
ignores SIGTERM is killed after kill_grace; over-long lines are cut and marked; WebSocket clients
control services when services.allow admits them; neither Sluice's shutdown nor its SIGKILL leaves a
service running."""

import asyncio
import hashlib
import json
import os
import signal
import tempfile
import threading
import time
import unittest

from harness import (PATIENCE, REPO, Sluice, assert_config_errors, connect, get_json,
                     process_alive, recv_json, send_json)

SCRAPER = os.path.join(REPO, "examples", "services", "scraper.py")
SUMMARIZE = os.path.join(REPO, "examples", "services", "summarize.py")
OPS_KEY = "services-test-ops-key"


def config(work, extra=""):
    digest = hashlib.sha256(OPS_KEY.encode()).hexdigest()
    return f"""server: {{host: 127.0.0.1, port: 0, drain_timeout: 5s}}
routes: {{up: {{kind: uppercase}}}}
auth:
  anonymous: true
  api_keys:
    ops: {{sha256: {digest}, sub: ops, roles: [ops]}}
topics:
  patterns:
    "services.*": {{history: {{size: 1000}}}}
services:
  allow: ["role:ops"]
  scraper:
    command: /usr/bin/python3
    args: [{SCRAPER}, --pages, "3", --delay, "0.05"]
    cwd: {work}
    log_topic: services.scraper.log
    events_topic: services.scraper.events
    on_exit: {{success: [summarize]}}
  summarize:
    command: /usr/bin/python3
    args: [{SUMMARIZE}]
    cwd: {work}
    events_topic: services.summarize.events
  flaky:
    command: /bin/sh
    args: ["-c", "echo trying; exit 3"]
    restart: on_failure
    restart_limit: 2
    backoff: {{base: 50ms, max: 1s}}
    events_topic: services.flaky.events
  stubborn:
    command: /bin/sh
    args: ["-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"]
    kill_grace: 300ms
    log_topic: services.stubborn.log
    events_topic: services.stubborn.events
  chatty:
    command: /usr/bin/python3
    args: ["-c", "print('x' * 200); print('short')"]
    max_line_bytes: 64
    log_topic: services.chatty.log
  broken:
    command: /nonexistent/command
    events_topic: services.broken.events
{extra}"""


def post(server, path):
    status, _, body = server.http("POST", path, "")
    return status, json.loads(body)


def history(server, topic):
    status, body = get_json(server, f"/api/topics/{topic}/history")
    return [m["data"] for m in body.get("messages", [])] if status == 200 else []


async def until(check, what):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


alive = process_alive


class Services(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory()
        self.addCleanup(self.work.cleanup)
        self.server = Sluice(config(self.work.name)).__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    async def test_a_run_streams_its_lines_reports_its_exit_and_starts_the_pipelines_next_step(self):
        ws, _ = await connect(self.server)
        await send_json(ws, {"type": "subscribe", "topic": "services.scraper.log", "id": "s"})
        self.assertEqual((await recv_json(ws))["type"], "subscribed")
        status, started = post(self.server, "/api/services/scraper/start")
        self.assertEqual((status, started["state"]), (200, "running"), started)
        self.assertGreater(started["pid"], 0)
        lines = [(await recv_json(ws))["data"] for _ in range(4)]
        self.assertEqual([l.get("json") for l in lines[:3]],
                         [{"page": p, "of": 3, "found": p} for p in (1, 2, 3)])
        self.assertEqual((lines[3]["stream"], lines[3]["line"]),
                         ("stderr", "scraper: wrote 3 items to data.json"))
        events = await until(lambda: [e for e in history(self.server, "services.scraper.events")
                                      if e["event"] == "exited"], "the exited event")
        self.assertEqual((events[0]["code"], events[0]["signal"], events[0]["stopped"]),
                         (0, None, False))
        summary = os.path.join(self.work.name, "summary.json")
        await until(lambda: os.path.exists(summary), "the pipeline's output")
        with open(summary) as f:
            self.assertEqual(json.load(f)["count"], 3)
        next_events = await until(lambda: history(self.server, "services.summarize.events")[-1:]
                                  if any(e["event"] == "exited" for e in
                                         history(self.server, "services.summarize.events"))
                                  else None, "the next step's exit")
        self.assertEqual(next_events[0]["code"], 0)
        status, body = get_json(self.server, "/api/services/scraper")
        self.assertEqual((body["state"], body["last_exit"]["code"], body["pid"]), ("exited", 0, None))
        metrics = self.server.metrics()
        self.assertEqual(metrics['sluice_service_starts_total{service="summarize"}'], 1)
        self.assertEqual(metrics['sluice_service_log_lines_total{service="scraper",stream="stdout"}'], 3)
        await ws.close()

    async def test_a_second_start_is_409_and_two_starts_at_once_run_one_instance(self):
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(
            post(self.server, "/api/services/stubborn/start"))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(PATIENCE)
        self.assertEqual(sorted(s for s, _ in answers), [200, 409])
        refused = next(b for s, b in answers if s == 409)
        self.assertEqual(refused["error"], "already_running")
        self.assertEqual(post(self.server, "/api/services/stubborn/start")[0], 409)

    async def test_a_process_that_ignores_sigterm_is_killed_after_kill_grace(self):
        status, started = post(self.server, "/api/services/stubborn/start")
        await until(lambda: history(self.server, "services.stubborn.log"), "its first line")
        status, stopped = post(self.server, "/api/services/stubborn/stop")
        self.assertEqual((status, stopped["state"]), (200, "stopped"), stopped)
        self.assertEqual((stopped["last_exit"]["signal"], stopped["last_exit"]["stopped"]),
                         (signal.SIGKILL, True))
        self.assertFalse(alive(started["pid"]))
        status, body = post(self.server, "/api/services/stubborn/stop")
        self.assertEqual((status, body["error"]), (409, "not_running"))

    async def test_a_failing_service_restarts_with_backoff_then_is_failed(self):
        post(self.server, "/api/services/flaky/start")
        events = await until(lambda: [e["event"] for e in history(self.server, "services.flaky.events")]
                             if any(e["event"] == "failed" for e in
                                    history(self.server, "services.flaky.events")) else None,
                             "the failed event")
        self.assertEqual(events, ["started", "exited", "restarting", "started", "exited",
                                  "restarting", "started", "exited", "failed"])
        waits = [e["in_ms"] for e in history(self.server, "services.flaky.events")
                 if e["event"] == "restarting"]
        self.assertEqual(waits, [50, 100])
        status, body = get_json(self.server, "/api/services/flaky")
        self.assertEqual((body["state"], body["restarts"], body["last_exit"]["code"]), ("failed", 2, 3))
        self.assertIn("restart_limit is 2", body["last_error"])
        self.assertEqual(self.server.metrics()['sluice_service_restarts_total{service="flaky"}'], 2)

    async def test_a_command_that_cannot_start_is_500_with_the_reason(self):
        status, body = post(self.server, "/api/services/broken/start")
        self.assertEqual((status, body["error"]), (500, "start_failed"))
        self.assertIn("/nonexistent/command", body["message"])
        events = history(self.server, "services.broken.events")
        self.assertEqual(events[-1]["event"], "failed")
        status, body = get_json(self.server, "/api/services/broken")
        self.assertEqual(body["state"], "failed")

    async def test_over_long_lines_are_cut_and_marked(self):
        post(self.server, "/api/services/chatty/start")
        lines = await until(lambda: history(self.server, "services.chatty.log")[1:] and
                            history(self.server, "services.chatty.log"), "both lines")
        self.assertEqual((lines[0]["line"], lines[0]["cut"]), ("x" * 64, True))
        self.assertEqual(lines[1]["line"], "short")
        self.assertNotIn("cut", lines[1])

    async def test_bad_calls_get_json_errors(self):
        self.assertEqual(post(self.server, "/api/services/nope/start"),
                         (404, {"error": "unknown_service", "message": 'no service named "nope"'}))
        status, _, body = self.server.http("GET", "/api/services/scraper/start")
        self.assertEqual(status, 405, body)
        status, _, body = self.server.http("POST", "/api/services/scraper/pause", "")
        self.assertEqual(status, 404, body)
        status, body = get_json(self.server, "/api/services")
        self.assertEqual([s["name"] for s in body["services"]],
                         ["scraper", "summarize", "flaky", "stubborn", "chatty", "broken"])

    async def test_websocket_clients_control_services_when_services_allow_admits_them(self):
        anonymous, _ = await connect(self.server)
        await send_json(anonymous, {"type": "service_start", "name": "stubborn", "id": 1})
        refused = await recv_json(anonymous)
        self.assertEqual((refused["code"], refused["id"]), ("forbidden", 1))
        ops, _ = await connect(self.server, extra_headers={"Authorization": "Bearer " + OPS_KEY})
        await send_json(ops, {"type": "service_start", "name": "stubborn", "id": 2})
        answer = await recv_json(ops)
        self.assertEqual((answer["type"], answer["id"], answer["service"]["state"]),
                         ("service", 2, "running"))
        await send_json(ops, {"type": "service_start", "name": "stubborn", "id": 3})
        self.assertEqual((await recv_json(ops))["code"], "already_running")
        await send_json(ops, {"type": "service_status", "name": "nope", "id": 4})
        self.assertEqual((await recv_json(ops))["code"], "unknown_service")
        await send_json(ops, {"type": "service_stop", "id": 5})
        self.assertEqual((await recv_json(ops))["code"], "invalid_frame")
        await send_json(ops, {"type": "service_stop", "name": "stubborn", "id": 6})
        answer = await recv_json(ops)
        self.assertEqual((answer["type"], answer["service"]["state"]), ("service", "stopped"))
        await send_json(ops, {"type": "service_list", "id": 7})
        listed = await recv_json(ops)
        self.assertEqual((listed["type"], listed["id"]), ("services", 7))
        self.assertEqual([(s["name"], s["state"]) for s in listed["services"]][3], ("stubborn", "stopped"))
        self.assertEqual(len(listed["services"]), 6)
        self.assertEqual(listed["watches"], [])
        await send_json(anonymous, {"type": "service_list", "id": 8})
        self.assertEqual((await recv_json(anonymous))["code"], "forbidden")
        await anonymous.close()
        await ops.close()


class ServicesAndSluicesEnd(unittest.IsolatedAsyncioTestCase):
    async def start_long_service(self, server):
        status, body = post(server, "/api/services/stubborn/start")
        self.assertEqual(status, 200, body)
        return body["pid"]

    async def test_shutdown_stops_services_and_start_on_boot_starts_them(self):
        with tempfile.TemporaryDirectory() as work:
            extra = ("  sleeper:\n    command: /bin/sleep\n    args: [\"300\"]\n"
                     "    start_on_boot: true\n")
            server = Sluice(config(work, extra)).__enter__()
            try:
                status, body = await until(
                    lambda: (lambda r: r if r[1]["state"] == "running" else None)(
                        get_json(server, "/api/services/sleeper")), "sleeper to run")
                pids = [body["pid"], await self.start_long_service(server)]
                server.signal(signal.SIGTERM)
                self.assertEqual(server.wait_exit(), 0)
            finally:
                server.__exit__(None, None, None)
            for pid in pids:
                self.assertFalse(alive(pid), pid)

    async def test_sluice_killed_leaves_no_service_running(self):
        with tempfile.TemporaryDirectory() as work:
            server = Sluice(config(work)).__enter__()
            try:
                pid = await self.start_long_service(server)
                server.kill()
            finally:
                server.__exit__(None, None, None)
            await until(lambda: not alive(pid), "the service to die with Sluice")


class ServicesConfig(unittest.TestCase):
    def test_mistakes_are_configuration_errors_with_their_place(self):
        head = 'routes: {up: {kind: uppercase}}\ntopics: {patterns: {"logs.*": {}}}\nservices:\n'
        assert_config_errors(self, [(head + services, expected) for services, expected in [
            ("  a: {args: [x]}\n", r"services\.a\.command: missing"),
            ("  a: {command: /bin/true, on_exit: {success: [b]}}\n",
             r'services\.a\.on_exit\.success\[0\]: no service named "b"'),
            ("  a: {command: /bin/true, log_topic: other.log}\n",
             r'services\.a\.log_topic: no pattern under topics\.patterns allows the topic "other\.log"'),
            ("  a: {command: /bin/true, events_topic: inbox.x}\n",
             r"services\.a\.events_topic: a service's topic is a topic name"),
            ("  a: {command: /bin/true, restart: sometimes}\n",
             r"services\.a\.restart: expected one of never, on_failure, always"),
            ("  a: {command: /bin/true, backoff: {base: 2s, max: 1s}}\n",
             r"services\.a\.backoff: `max` is less than `base`"),
            ("  a:\n", r"services\.a: expected a mapping with `command`"),
            ("  a b: {command: /bin/true}\n", r"services\.a b: service names are"),
            ("  allow: maybe\n", r"services\.allow: "),
        ]])


if __name__ == "__main__":
    unittest.main()
