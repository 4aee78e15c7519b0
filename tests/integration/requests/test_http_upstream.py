"""Routes served by an `http` upstream (one request, one JSON answer), against the real example
FastAPI service: the answer is the final frame's `result`; path, headers and body are templates;
a 5xx is retried, a 4xx or a redirect ends the request with its status; an answer that is not JSON
or is too large is a protocol error."""

from harness import Sluice, connect, recv_json, send_request
from upstreams import FastApi, WithFastApi


def config(port, path, method="POST", extra=""):
    return ("server: {host: 127.0.0.1, port: 0}\n"
            f"upstreams:\n  api:\n    kind: http\n    url: http://127.0.0.1:{port}{path}\n"
            f"    method: {method}\n    retries: 1\n    failure_threshold: 100\n"
            "    backoff: {base: 10ms, max: 50ms}\n"
            "    headers: {X-Route: '{{route}}'}\n"
            "    body: '{\"question\": {{text}}, \"request\": {{request_id}}}'\n" + extra +
            "routes:\n  ask: {upstream: api}\n")


class HttpUpstream(WithFastApi):
    async def asyncSetUp(self):
        self.app = FastApi()

    async def answer(self, path, payload="what is it", **kwargs):
        with Sluice(config(self.app.port, path, **kwargs)) as server:
            ws, _ = await connect(server)
            accepted = await send_request(ws, {"type": "request", "id": 1, "payload": payload})
            frame = await recv_json(ws)
            await ws.close()
            return frame, accepted, server.metrics()

    async def test_the_json_answer_is_the_result(self):
        frame, accepted, metrics = await self.answer("/api/echo/{{route}}")
        self.assertEqual((frame["type"], frame["id"]), ("final", 1))
        echo = frame["result"]
        self.assertEqual(echo["path"], "/ask")
        self.assertEqual(echo["body"], {"question": "what is it", "request": accepted["request"]})
        self.assertEqual((echo["headers"]["x-route"], echo["headers"]["content-type"]),
                         ("ask", "application/json"))
        self.assertEqual(metrics['sluice_upstream_http_requests_total{result="answered"}'], 1)

    async def test_get_sends_no_body(self):
        frame, _, _ = await self.answer("/api/echo", method="GET")
        self.assertEqual(frame["result"]["body"], "")

    async def test_a_5xx_is_retried_then_its_status_told(self):
        frame, _, metrics = await self.answer("/api/status/503")
        self.assertEqual((frame["type"], frame["code"], frame["status"]),
                         ("error", "upstream_failed", 503))
        self.assertEqual(metrics['sluice_upstream_retries_total{upstream="api"}'], 1)

    async def test_a_4xx_and_a_redirect_end_the_request_with_their_status(self):
        for code in (404, 302):
            frame, _, metrics = await self.answer(f"/api/status/{code}")
            self.assertEqual((frame["type"], frame["code"], frame["status"]),
                             ("error", "upstream_failed", code))
            self.assertEqual(metrics.get('sluice_upstream_retries_total{upstream="api"}', 0), 0)
        self.assertIn("redirect: not followed", frame["message"])

    async def test_an_answer_not_json_or_too_large_is_a_protocol_error(self):
        frame, _, _ = await self.answer("/api/text", method="GET")
        self.assertEqual(frame["code"], "upstream_protocol_error")
        frame, _, _ = await self.answer("/api/echo", extra="    max_response_bytes: 64\n")
        self.assertEqual(frame["code"], "upstream_protocol_error")
        self.assertIn("max_response_bytes (64)", frame["message"])
