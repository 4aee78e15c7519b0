"""Supervision of upstreams: the circuit opens when the real FastAPI service is killed, /readyz
and /metrics show it, and requests come back after the service restarts, without restarting
Sluice. Also retries before anything was streamed, route fallbacks and max_concurrent."""

import asyncio
import json
import subprocess
import time
import unittest

from harness import PATIENCE, Sluice, connect, recv_json, send_json, send_request, until_final
from upstreams import FastApi, WithFastApi, free_port, wait_for_port

BACKOFF_MAX_MS = 1000


def config(url, retries=0, fallback=None, health=None):
    route_extra = f"    fallback: {json.dumps(fallback)}\n" if fallback else ""
    health_line = f"    health: {{url: '{health}', interval: 200ms, timeout: 1s}}\n" if health else ""
    return ("server:\n  host: 127.0.0.1\n  port: 0\n"
            f"upstreams:\n  py:\n    kind: websocket\n    url: {url}\n    connect_timeout: 2s\n"
            f"    retries: {retries}\n    failure_threshold: 2\n"
            f"    backoff: {{base: 100ms, max: {BACKOFF_MAX_MS}ms, multiplier: 2}}\n" + health_line +
            "routes:\n  ask:\n    upstream: py\n    timeout: 30s\n" + route_extra)


def readyz(server):
    status, _, body = server.http("GET", "/readyz")
    return status, json.loads(body)


async def until(predicate):
    """Polls `predicate` until it is true (bounded only to avoid hanging); returns its value."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    return predicate()


async def ask(ws, request_id, text="hello"):
    await send_json(ws, {"type": "request", "id": request_id, "payload": {"text": text}})
    return await until_final(ws, request_id)


class CircuitBreaker(WithFastApi):
    async def test_killed_upstream_opens_the_circuit_and_recovers_after_restart(self):
        self.app = FastApi(interval_ms=100)
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws")) as server:
            self.assertEqual(readyz(server)[1]["upstreams"]["py"]["circuit"], "closed")
            ws, _ = await connect(server)
            self.assertEqual((await ask(ws, "a"))[-1]["data"]["result"], "HELLO")

            # SIGKILL the service in the middle of a stream.
            await send_request(ws, {"type": "request", "id": "mid", "payload": {"text": "x"}})
            self.assertEqual((await recv_json(ws))["type"], "progress")
            self.app.stop()
            frame = await recv_json(ws)
            self.assertEqual((frame["type"], frame["id"], frame["code"]), ("error", "mid", "upstream_failed"))
            codes = []
            for i in range(10):  # refused connections until the circuit opens, then fast fails
                frames = await ask(ws, f"down-{i}")
                codes.append((frames[-1]["type"], frames[-1]["code"]))
                if "circuit" in frames[-1]["message"]:
                    break
            self.assertEqual(set(codes), {("error", "upstream_unavailable")})
            self.assertIn("is unavailable (its circuit is", frames[-1]["message"])
            status, body = readyz(server)
            self.assertEqual((status, body["status"]), (200, "degraded"))
            up = body["upstreams"]["py"]
            self.assertIn(up["circuit"], ("open", "half_open"))
            self.assertGreaterEqual(up["consecutive_failures"], 2)
            self.assertIn("refused", up["last_error"].lower())
            self.assertLessEqual(up.get("next_probe_ms", 0), BACKOFF_MAX_MS)  # the backoff bound
            self.assertEqual(server.http("GET", "/readyz?strict")[0], 503)
            metrics = server.metrics()
            self.assertGreaterEqual(metrics['sluice_upstream_circuit_opens_total{upstream="py"}'], 1)
            self.assertGreaterEqual(metrics['sluice_upstream_rejected_total{upstream="py"}'], 1)

            await until(lambda: server.metrics()['sluice_upstream_restarts_total{upstream="py"}'] >= 2)
            self.app.start()  # the same port again
            closed = await until(lambda: readyz(server)[1]["upstreams"]["py"]["circuit"] == "closed")
            self.assertTrue(closed, readyz(server))
            self.assertEqual(readyz(server), (200, readyz(server)[1]))
            self.assertEqual(readyz(server)[1]["status"], "ready")
            self.assertEqual((await ask(ws, "back"))[-1],
                             {"type": "final", "id": "back",
                              "data": {"type": "final", "result": "HELLO"}})
            metrics = server.metrics()
            self.assertEqual(metrics['sluice_upstream_circuit_state{upstream="py"}'], 0)
            self.assertGreaterEqual(metrics['sluice_upstream_probes_total{upstream="py",result="healthy"}'], 1)
            self.assertGreaterEqual(metrics['sluice_upstream_probes_total{upstream="py",result="unhealthy"}'], 1)
            await ws.close()

    async def test_health_url_opens_the_circuit_without_traffic(self):
        self.app = FastApi(interval_ms=0)
        health = f"http://127.0.0.1:{self.app.port}/health"
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws", health=health)) as server:
            self.assertTrue(await until(lambda: "last_probe" in readyz(server)[1]["upstreams"]["py"]), readyz(server))
            self.assertEqual(readyz(server)[1]["upstreams"]["py"]["last_probe"], "HTTP 200")
            self.app.stop()
            self.assertTrue(await until(
                lambda: readyz(server)[1]["upstreams"]["py"]["circuit"] != "closed"))
            self.app.start()
            self.assertTrue(await until(
                lambda: readyz(server)[1]["upstreams"]["py"]["circuit"] == "closed"))

    async def test_fallback_answers_while_the_circuit_is_open(self):
        url = f"ws://127.0.0.1:{free_port()}/ws"  # nothing listens
        with Sluice(config(url, fallback="busy, try again soon")) as server:
            ws, _ = await connect(server)
            for i in range(2):  # failure_threshold
                self.assertEqual((await ask(ws, i))[-1]["code"], "upstream_unavailable")
            await until(lambda: readyz(server)[1]["upstreams"]["py"]["circuit"] != "closed")
            self.assertEqual(await ask(ws, "f"), [
                {"type": "final", "id": "f", "fallback": True, "result": "busy, try again soon"}])
            await ws.close()


# A WebSocket service that drops every connection whose number (from 1) is in DROP before it
# answers, and serves the others like the FastAPI app.
FLAKY = """
import asyncio, json, sys, websockets
port, drop = int(sys.argv[1]), {int(n) for n in sys.argv[2].split(',') if n}
count = 0
async def handle(ws, path):
    global count
    count += 1
    text = json.loads(await ws.recv()).get('text', '')
    if count in drop:
        await ws.close()
        return
    await ws.send(json.dumps({'type': 'progress', 'step': 1}))
    if 'die' in text:
        await ws.close()
        return
    await ws.send(json.dumps({'type': 'final', 'result': text.upper(), 'connection': count}))
async def main():
    async with websockets.serve(handle, '127.0.0.1', port):
        await asyncio.Future()
asyncio.run(main())
"""


class Retries(unittest.IsolatedAsyncioTestCase):
    def start_flaky(self, drop):
        port = free_port()
        proc = subprocess.Popen(["/usr/bin/python3", "-c", FLAKY, str(port), drop])
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        wait_for_port(port)
        return f"ws://127.0.0.1:{port}/"

    async def test_failure_before_anything_streamed_is_retried(self):
        url = self.start_flaky("1,2")
        with Sluice(config(url, retries=2)) as server:
            ws, _ = await connect(server)
            frames = await ask(ws, "r", "again")
            self.assertEqual(frames, [
                {"type": "progress", "id": "r", "data": {"type": "progress", "step": 1}},
                {"type": "final", "id": "r",
                 "data": {"type": "final", "result": "AGAIN", "connection": 3}}])
            self.assertEqual(server.metrics()['sluice_upstream_retries_total{upstream="py"}'], 2)
            await ws.close()

    async def test_retries_are_bounded_then_one_error(self):
        url = self.start_flaky("1,2,3,4")
        with Sluice(config(url, retries=1)) as server:
            ws, _ = await connect(server)
            frames = await ask(ws, "r")
            self.assertEqual(len(frames), 1)
            self.assertEqual((frames[0]["code"], frames[0]["message"]),
                             ("upstream_failed", "the upstream closed the connection before its "
                              "final message"))
            self.assertEqual(server.metrics()['sluice_upstream_retries_total{upstream="py"}'], 1)
            await ws.close()

    async def test_failure_after_streaming_is_not_retried(self):
        url = self.start_flaky("")
        with Sluice(config(url, retries=3)) as server:
            ws, _ = await connect(server)
            frames = await ask(ws, "d", "die")
            self.assertEqual([f["type"] for f in frames], ["progress", "error"])
            self.assertEqual(frames[-1]["code"], "upstream_failed")
            self.assertEqual(server.metrics().get('sluice_upstream_retries_total{upstream="py"}', 0), 0)
            await ws.close()


SLEEPER = "import sys, time\nprint('started', flush=True)\ntime.sleep(float(sys.argv[1]))\nprint('done')\n"


class MaxConcurrent(unittest.IsolatedAsyncioTestCase):
    async def test_requests_beyond_max_concurrent_wait_for_a_slot(self):
        cfg = ("server:\n  host: 127.0.0.1\n  port: 0\n"
               "upstreams:\n  run:\n    kind: process\n    command: /usr/bin/python3\n"
               f"    args: ['-u', '-c', {json.dumps(SLEEPER)}, '0.5']\n    max_concurrent: 1\n"
               "routes:\n  job: {upstream: run, timeout: 60s}\n")
        with Sluice(cfg) as server:
            ws, _ = await connect(server)
            for i in range(3):
                await send_json(ws, {"type": "request", "id": i, "payload": {}})
            self.assertEqual(await server.metric_reaches('sluice_upstream_waiting{upstream="run"}', 2), 2)
            self.assertEqual(len(server.children()), 1)
            self.assertEqual(readyz(server)[1]["upstreams"]["run"]["running"], 1)
            # Cancelling a waiting request gives its place up; the others still finish.
            await send_json(ws, {"type": "cancel", "id": 2})
            ends, places, most_children = {}, [], 0
            while len(ends) < 3:
                frame = await recv_json(ws)
                kids = server.children()
                most_children = max(most_children, len(kids))
                if frame["type"] == "accepted":
                    places.append(frame["queued"])
                if frame["type"] in ("final", "error"):
                    ends[frame["id"]] = frame.get("code", frame["type"])
            self.assertEqual(ends, {0: "final", 1: "final", 2: "cancelled"})
            self.assertEqual(sorted(places), [0, 1, 2])  # one ran, two waited in line
            self.assertLessEqual(most_children, 1)
            self.assertEqual(await server.metric_reaches('sluice_upstream_running{upstream="run"}', 0), 0)
            self.assertEqual(server.metrics()['sluice_upstream_waiting{upstream="run"}'], 0)
            await ws.close()


if __name__ == "__main__":
    unittest.main()
