"""Fallbacks that cover every failure: a route's `fallback` (any JSON) answers on each trigger its
`fallback_on` names (retries exhausted, the route's timeout, the upstream's own error answer),
and `attempt_timeout` gives up an attempt the upstream does not answer, well before the route's
timeout. Against the real FastAPI example and a real TCP server that accepts and never answers."""

import socket
import threading
import unittest

from harness import Sluice, connect, recv_json, send_request
from upstreams import FastApi, WithFastApi, free_port

FALLBACK = '{text: "busy, try again", retry_after: 5}'


def config(url, fallback_on, retries=0, timeout="30s", attempt_timeout=None):
    attempt = f"    attempt_timeout: {attempt_timeout}\n" if attempt_timeout else ""
    return ("server: {host: 127.0.0.1, port: 0}\n"
            f"upstreams:\n  llm:\n    kind: sse\n    url: {url}\n    retries: {retries}\n"
            "    failure_threshold: 100\n    backoff: {base: 10ms, max: 50ms}\n"
            f"routes:\n  gen:\n    upstream: llm\n    timeout: {timeout}\n"
            f"    fallback: {FALLBACK}\n    fallback_on: {fallback_on}\n" + attempt)


class SilentServer:
    """Accepts connections, reads what comes, never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.held = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


async def answer(server, request_id="r"):
    ws, _ = await connect(server)
    await send_request(ws, {"type": "request", "id": request_id, "payload": "x"})
    frame = await recv_json(ws)
    await ws.close()
    return frame


def fallback(request_id="r"):
    return {"type": "final", "id": request_id, "fallback": True,
            "result": {"text": "busy, try again", "retry_after": 5}}


class Fallbacks(WithFastApi):
    async def test_retries_exhausted_answers_with_the_json_fallback(self):
        url = f"http://127.0.0.1:{free_port()}/x"  # nothing listens
        with Sluice(config(url, "[retries_exhausted]", retries=2)) as server:
            self.assertEqual(await answer(server), fallback())
            metrics = server.metrics()
            self.assertEqual(metrics['sluice_upstream_retries_total{upstream="llm"}'], 2)
            self.assertEqual(
                metrics['sluice_fallbacks_total{upstream="llm",trigger="retries_exhausted"}'], 1)

    async def test_without_the_trigger_the_error_stands(self):
        url = f"http://127.0.0.1:{free_port()}/x"
        with Sluice(config(url, "[timeout]")) as server:
            frame = await answer(server)
            self.assertEqual((frame["type"], frame["code"]), ("error", "upstream_unavailable"))

    async def test_an_upstream_error_answer_falls_back(self):
        self.app = FastApi()
        url = f"http://127.0.0.1:{self.app.port}/no/such/endpoint"  # 404: the upstream's answer
        with Sluice(config(url, "[upstream_error]")) as server:
            self.assertEqual(await answer(server), fallback())
            self.assertEqual(server.metrics()[
                'sluice_fallbacks_total{upstream="llm",trigger="upstream_error"}'], 1)

    async def test_the_routes_timeout_falls_back(self):
        silent = SilentServer()
        self.addCleanup(silent.close)
        with Sluice(config(f"http://127.0.0.1:{silent.port}/x", "[timeout]",
                           timeout="300ms")) as server:
            self.assertEqual(await answer(server), fallback())

    async def test_an_unanswered_attempt_is_given_up_and_retried_before_the_routes_timeout(self):
        silent = SilentServer()
        self.addCleanup(silent.close)
        with Sluice(config(f"http://127.0.0.1:{silent.port}/x", "[timeout]", retries=1,
                           attempt_timeout="200ms")) as server:
            frame = await answer(server)  # the route's timeout is 30 s
            self.assertEqual((frame["type"], frame["code"]), ("error", "upstream_unavailable"))
            self.assertIn("attempt_timeout (200 ms)", frame["message"])
            self.assertEqual(silent.accepted, 2)  # the first attempt and its retry
            self.assertEqual(await server.metric_reaches("sluice_upstream_sse_requests_open", 0), 0)


if __name__ == "__main__":
    unittest.main()
