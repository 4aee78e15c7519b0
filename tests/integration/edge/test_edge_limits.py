"""Limits at the edge: rate limits with rate_limited and retry_after, 1008 on abuse, new
connections per address, connections per address, the Origin allow-list, request heads that
never complete (slowloris), oversized headers."""

import asyncio
import unittest

import websockets
import websockets.exceptions

from harness import PATIENCE, Sluice, config_with, connect, recv_json, send_json, upgrade

RATE_CONFIG = config_with(extra="""rate_limits:
  session_messages: {points: 5, per: 1m, block_for: 1m}
  close_after: 10
""")


class RateLimits(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = Sluice(RATE_CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_over_the_limit_a_client_gets_rate_limited_and_others_are_served(self):
        noisy, _ = await connect(self.server)
        quiet, _ = await connect(self.server)
        for i in range(8):
            await send_json(noisy, {"type": "ping", "id": i})
        answers = [await recv_json(noisy) for _ in range(8)]
        self.assertEqual([a["type"] for a in answers[:5]], ["pong"] * 5)
        for refused, i in zip(answers[5:], range(5, 8)):
            self.assertEqual((refused["type"], refused["code"], refused["id"]),
                             ("error", "rate_limited", i))
            self.assertGreater(refused["retry_after"], 0)
        # Another client (same address, its own session bucket) is served meanwhile.
        await send_json(quiet, {"type": "request", "id": "r", "route": "uppercase",
                                "payload": {"text": "ok"}})
        frames = [await recv_json(quiet)]
        while frames[-1]["type"] not in ("final", "error"):
            frames.append(await recv_json(quiet))
        self.assertEqual(frames[-1]["type"], "final")
        metrics = self.server.metrics()
        self.assertEqual(metrics['sluice_rate_limited_total{limit="session_messages"}'], 3)
        await noisy.close()
        await quiet.close()

    async def test_repeated_abuse_closes_with_1008(self):
        noisy, _ = await connect(self.server)
        # One frame at a time, so that every answer arrives before the close can overtake it.
        codes = []
        with self.assertRaises(websockets.exceptions.ConnectionClosed) as closed:
            for i in range(40):
                await send_json(noisy, {"type": "ping", "id": i})
                codes.append((await recv_json(noisy)).get("code"))
        self.assertEqual(closed.exception.code, 1008)
        self.assertEqual(closed.exception.reason, "rate limit exceeded")
        # 5 pongs, then 9 refusals; the 10th refusal in a row closes.
        self.assertEqual(codes, [None] * 5 + ["rate_limited"] * 9)
        self.assertEqual(self.server.metrics()["sluice_rate_limit_closes_total"], 1)
        fresh, _ = await connect(self.server)
        await send_json(fresh, {"type": "ping", "id": "after"})
        self.assertEqual(await recv_json(fresh), {"type": "pong", "id": "after"})
        await fresh.close()


class ConnectionLimits(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = Sluice(config_with(server="""  max_connections_per_ip: 2
  request_timeout: 1s
  max_header_bytes: 2KiB
  allowed_origins: ["https://app.example"]
""", extra="""rate_limits:
  ip_connections: {points: 4, per: 1m}
""")).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_origin_allow_list(self):
        status, _, body = upgrade(self.server, headers={"Origin": "https://evil.example"})
        self.assertEqual((status, body["error"]), (403, "forbidden"))
        ws, _ = await connect(self.server, origin="https://app.example")
        await ws.close()
        self.assertEqual(
            self.server.metrics()['sluice_connections_rejected_total{reason="forbidden_origin"}'], 1)

    async def test_connections_per_address_and_new_connection_rate(self):
        first, _ = await connect(self.server)
        second, _ = await connect(self.server)
        status, _, body = upgrade(self.server)
        self.assertEqual((status, body["error"]), (503, "too_many_connections"))
        await first.close()
        await first.wait_closed()
        await self.server.metric_reaches("sluice_connections_open", 1)
        third, _ = await connect(self.server)  # the 4th new connection: the last allowed
        status, headers, body = upgrade(self.server)
        self.assertEqual((status, body["error"]), (429, "rate_limited"))
        self.assertGreater(int(headers["retry-after"]), 0)
        await second.close()
        await third.close()

    async def test_a_request_head_that_never_completes_is_cut_off(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
        await writer.drain()
        # The server closes the connection once request_timeout passes.
        self.assertEqual(await asyncio.wait_for(reader.read(), PATIENCE), b"")
        writer.close()
        status, _, _ = self.server.http("GET", "/healthz")
        self.assertEqual(status, 200)

    async def test_oversized_headers_get_431(self):
        status, _, body = self.server.http("GET", "/healthz", headers={"X-Big": "a" * 4096})
        self.assertEqual(status, 431)


if __name__ == "__main__":
    unittest.main()
