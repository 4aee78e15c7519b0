"""Routes served by an `sse` upstream, against the real example FastAPI service's
POST /api/generate-stream and, for malformed events, a real Python HTTP server."""

import os
import socket
import subprocess
import time
import unittest

from harness import Sluice, connect, error, recv_json, send_json, send_request, until_final
from upstreams import FastApi, WithFastApi, free_port


def config(url, timeout="30s", body="'{\"prompt\": {{text}}}'"):
    return ("server:\n  host: 127.0.0.1\n  port: 0\n"
            f"upstreams:\n  llm:\n    kind: sse\n    url: {url}\n    body: {body}\n"
            f"routes:\n  gen:\n    upstream: llm\n    timeout: {timeout}\n")


def token(request_id, word):
    return {"type": "token", "id": request_id, "data": {"token": word}}


class SseUpstream(WithFastApi):
    def url(self, path="/api/generate-stream"):
        return f"http://127.0.0.1:{self.app.port}{path}"

    async def test_tokens_stream_then_final(self):
        self.app = FastApi()
        with Sluice(config(self.url())) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"text": "tell me a story"})
            self.assertEqual(await until_final(ws, "auto-1"), [
                token("auto-1", "tell"), token("auto-1", "me"), token("auto-1", "a"),
                token("auto-1", "story"),
                {"type": "final", "id": "auto-1", "data": {"done": True, "tool_calls": []}}])
            # The client kept up: every token went from the upstream's thread to its connection.
            self.assertEqual(server.metrics()["sluice_reply_shortcut_frames_total"], 4)
            self.assertEqual(await server.metric_reaches("sluice_upstream_sse_requests_open", 0), 0)
            await ws.close()

    async def test_http_error_status_is_upstream_failed(self):
        self.app = FastApi()
        with Sluice(config(self.url("/no/such/endpoint"))) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": 1, "payload": "x"})
            self.assertEqual(await recv_json(ws),
                             error("upstream_failed", "the upstream answered HTTP 404", 1))
            await ws.close()

    async def test_refused_connection_is_upstream_unavailable(self):
        with Sluice(config(f"http://127.0.0.1:{free_port()}/x")) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": 1, "payload": "x"})
            frame = await recv_json(ws)
            self.assertEqual((frame["code"], frame["id"]), ("upstream_unavailable", 1))
            self.assertIn("cannot connect to 127.0.0.1:", frame["message"])
            await ws.close()

    async def test_cancel_aborts_the_http_request(self):
        self.app = SlowFastApi()
        with Sluice(config(self.url())) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "c", "payload": "one two three"})
            self.assertEqual(await recv_json(ws), token("c", "one"))
            self.assertEqual(server.metrics()["sluice_upstream_sse_requests_open"], 1)
            await send_json(ws, {"type": "cancel", "id": "c"})
            self.assertEqual(await recv_json(ws), error("cancelled", "cancelled by the client", "c"))
            self.assertEqual(await server.metric_reaches("sluice_upstream_sse_requests_open", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_timers_pending", 0), 0)
            await ws.close()

    async def test_upstream_killed_mid_stream(self):
        self.app = SlowFastApi()
        with Sluice(config(self.url())) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "k", "payload": "one two three"})
            self.assertEqual(await recv_json(ws), token("k", "one"))
            self.app.stop()
            frame = await recv_json(ws)
            self.assertEqual((frame["code"], frame["id"]), ("upstream_failed", "k"))
            self.assertTrue(frame["message"].endswith("before its final event"), frame)
            await ws.close()

    async def test_event_that_is_not_json(self):
        port = free_port()
        script = (
            "import http.server\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_POST(self):\n"
            "        self.send_response(200)\n"
            "        self.send_header('Content-Type', 'text/event-stream')\n"
            "        self.end_headers()\n"
            "        self.wfile.write(b'data: not json\\n\\n')\n"
            "        self.wfile.flush()\n"
            "    def log_message(self, *a): pass\n"
            f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n")
        bad = subprocess.Popen(["/usr/bin/python3", "-c", script])
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            with Sluice(config(f"http://127.0.0.1:{port}/")) as server:
                ws, _ = await connect(server)
                await send_request(ws, {"type": "request", "id": 2, "payload": "x"})
                self.assertEqual(await recv_json(ws), error(
                    "upstream_protocol_error",
                    "the upstream sent an event whose data is not a JSON object", 2))
                await ws.close()
        finally:
            bad.kill()
            bad.wait()


class SlowFastApi(FastApi):
    """The example service with 60 s between tokens."""

    def __init__(self):
        os.environ["TOKEN_INTERVAL_MS"] = "60000"
        try:
            super().__init__()
        finally:
            del os.environ["TOKEN_INTERVAL_MS"]


if __name__ == "__main__":
    unittest.main()
