"""Bad input never crashes the server or disturbs other sessions; each gets its exact error."""

import asyncio
import socket
import unittest

import websockets

from harness import (PATIENCE, Sluice, config_with, connect, error, final, is_accepted, progress,
                     raw_http, recv_json, send_json, send_request, until_final, wait_closed)

SLOW = config_with(steps=2, interval="300ms",
                   extra="limits:\n  max_requests_in_flight: 2\n",
                   server="  max_frame_bytes: 1KiB\n  max_connections: 4\n")


class BadFrames(unittest.IsolatedAsyncioTestCase):
    """Each bad frame gets an `error` frame and the session carries on."""

    async def asyncSetUp(self):
        self.server = Sluice(SLOW).__enter__()
        self.ws, _ = await connect(self.server)

    async def asyncTearDown(self):
        await self.ws.close()
        self.server.__exit__(None, None, None)

    async def assert_answer(self, frame, expected):
        await self.ws.send(frame)
        self.assertEqual(await recv_json(self.ws), expected)
        # The session is still alive and in order.
        await send_json(self.ws, {"type": "ping", "id": "alive"})
        self.assertEqual(await recv_json(self.ws), {"type": "pong", "id": "alive"})

    async def test_invalid_json(self):
        await self.assert_answer("{not json", error(
            "invalid_json", "frame is not valid JSON: The JSON document has an improper structure: "
            "missing or superfluous commas, braces, missing keys, etc."))

    async def test_nesting_limit_is_that_of_the_http_api(self):
        # 63 levels inside the frame object pass, 64 do not (test_http checks the API alike).
        for depth, ok in ((63, True), (64, False)):
            data = "[" * depth + "]" * depth
            await self.ws.send('{"type":"publish","topic":"deep","id":1,"data":' + data + "}")
            reply = await recv_json(self.ws)
            if ok:
                self.assertNotEqual(reply.get("code"), "invalid_json", reply)
            else:
                self.assertEqual(reply["code"], "invalid_json", reply)

    async def test_json_too_deep(self):
        await self.assert_answer("[" * 100 + "]" * 100,
                                 error("invalid_json", "JSON nested deeper than 64 levels"))

    async def test_wrong_shape(self):
        await self.assert_answer("[1, 2]", error("invalid_frame", "a frame must be a JSON object"))
        await self.assert_answer('{"hello": 1}', error(
            "invalid_frame", "missing `type` (or `text` for the default route)"))
        await self.assert_answer('{"type": "request"}', error(
            "invalid_frame", "`request` needs an `id`"))
        await self.assert_answer('{"type": "request", "id": [1]}', error(
            "invalid_frame", "`id` must be a non-empty string of at most 128 bytes or an integer"))
        await self.assert_answer('{"text": 42}', error("invalid_frame", "`text` must be a string"))

    async def test_unknown_type(self):
        await self.assert_answer('{"type": "launch", "id": "x"}', error(
            "unknown_type", 'unknown message type "launch"', "x"))

    async def test_unknown_route(self):
        await self.assert_answer('{"type": "request", "id": 3, "route": "nope", "payload": "x"}',
                                 error("unknown_route", 'no route named "nope"', 3))

    async def test_invalid_payload(self):
        # The route's driver reads the payload: the request was accepted, then it fails.
        await send_request(self.ws, {"type": "request", "id": 4, "payload": {"txt": "x"}})
        self.assertEqual(await recv_json(self.ws), error(
            "invalid_payload",
            'the uppercase route takes {"text": "..."} or a string as payload', 4))

    async def test_binary_frame(self):
        await self.assert_answer(b"\x00\x01binary", error(
            "binary_unsupported", "binary frames are not supported; send JSON text frames"))

    async def test_cancel_of_unknown_request(self):
        await self.assert_answer('{"type": "cancel", "id": "ghost"}', error(
            "unknown_request", "no request with this id is in flight", "ghost"))

    async def test_duplicate_id(self):
        await send_request(self.ws, {"type": "request", "id": "d", "payload": "x"})
        self.assertEqual(await recv_json(self.ws), progress("d", 1, 2))
        await self.assert_answer('{"type": "request", "id": "d", "payload": "y"}', error(
            "duplicate_id", "a request with this id is already in flight", "d"))
        self.assertEqual(await recv_json(self.ws), progress("d", 2, 2))
        self.assertEqual(await recv_json(self.ws), final("d", "X"))

    async def test_too_many_requests_in_flight(self):
        for i in (1, 2):
            await send_json(self.ws, {"type": "request", "id": i, "payload": "x"})
        await send_json(self.ws, {"type": "request", "id": 3, "payload": "x"})
        # Its only frame is the refusal, among the frames of the two running requests.
        self.assertEqual(await until_final(self.ws, 3), [
            error("too_many_requests", "at most 2 requests may be in flight on one connection", 3)])
        # The session survives, and once a request ends a new one is accepted.
        await send_json(self.ws, {"type": "cancel", "id": 1})
        self.assertEqual((await until_final(self.ws, 1, mid_stream=True))[-1],
                         error("cancelled", "cancelled by the client", 1))
        await send_json(self.ws, {"type": "request", "id": 4, "payload": "again"})
        self.assertEqual((await until_final(self.ws, 4))[-1], final(4, "AGAIN"))


class ConnectionLevel(unittest.IsolatedAsyncioTestCase):
    async def test_oversized_frame_closes_1009_and_others_continue(self):
        with Sluice(SLOW) as server:
            bystander, _ = await connect(server)
            await send_json(bystander, {"type": "request", "id": "b", "payload": "still here"})
            ws, _ = await connect(server, max_size=None)
            await ws.send('{"text": "' + "x" * 2000 + '"}')
            self.assertEqual(await wait_closed(ws), (1009, ""))
            self.assertEqual((await until_final(bystander, "b"))[-1], final("b", "STILL HERE"))
            self.assertEqual(server.metrics()["sluice_oversized_frames_total"], 1)
            await bystander.close()

    async def test_client_vanishing_mid_job_cancels_its_jobs(self):
        with Sluice(config_with(steps=3, interval="1h")) as server:
            bystander, _ = await connect(server)
            ws, _ = await connect(server)
            for i in range(2):
                await send_json(ws, {"type": "request", "id": i, "payload": "x"})
            # Each job sends `accepted` and its first step at once: request 0's step may come
            # before request 1 is accepted.
            accepted = set()
            while len(accepted) < 2:
                frame = await recv_json(ws)
                if is_accepted(frame):
                    accepted.add(frame["id"])
            self.assertEqual(accepted, {0, 1})
            self.assertEqual(server.metrics()["sluice_jobs_active"], 2)
            ws.transport.abort()  # TCP reset, no close frame
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_sessions_active", 1), 1)
            metrics = server.metrics()
            self.assertEqual(
                metrics['sluice_requests_total{route="uppercase",outcome="client_gone"}'], 2)
            await send_json(bystander, {"type": "ping"})
            self.assertEqual(await recv_json(bystander), {"type": "pong"})
            await bystander.close()

    async def test_connections_over_max_are_refused_with_503(self):
        with Sluice(SLOW) as server:
            open_ = [(await connect(server))[0] for _ in range(4)]
            with self.assertRaises(websockets.InvalidStatusCode) as refused:
                await connect(server)
            self.assertEqual(refused.exception.status_code, 503)
            # The refusal carries a JSON body.
            response = raw_http(server.port, (
                "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode())
            self.assertTrue(response.startswith("HTTP/1.1 503"), response)
            self.assertIn('{"error":"too_many_connections","message":"server is at max_connections (4)"}',
                          response)
            # Existing connections are unaffected; a freed slot is usable again.
            await send_json(open_[0], {"type": "ping"})
            self.assertEqual(await recv_json(open_[0]), {"type": "pong"})
            await open_.pop().close()
            self.assertEqual(await server.metric_reaches("sluice_connections_open", 3), 3)
            # The socket of that /metrics request may still hold the freed slot for a moment:
            # then this connection is refused too, and a later attempt gets it.
            late_refusals = 0
            for _ in range(20):
                try:
                    again, _ = await connect(server)
                    break
                except websockets.InvalidStatusCode as refused:
                    self.assertEqual(refused.status_code, 503)
                    late_refusals += 1
                    await asyncio.sleep(0.05)
            else:
                self.fail("the freed slot never became usable")
            for ws in open_ + [again]:
                await ws.close()
            self.assertEqual(
                server.metrics()['sluice_connections_rejected_total{reason="too_many_connections"}'],
                2 + late_refusals)

    async def test_connections_that_never_upgrade_count_against_max_connections(self):
        with Sluice(SLOW) as server:
            idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
            # Three sockets that said nothing yet, and the one asking for /metrics.
            self.assertEqual(await server.metric_reaches("sluice_client_sockets_open", 4), 4)
            # The last slot. The socket of that /metrics request may not be released yet when
            # this one arrives: then this one is refused instead, and the next connection gets
            # the slot; this one is then replaced.
            for _ in range(5):
                idle.append(socket.create_connection(("127.0.0.1", server.port)))
                try:
                    ws, _ = await connect(server)
                except websockets.InvalidStatusCode as refused:
                    self.assertEqual(refused.status_code, 503)
                    break
                await ws.close()
                idle[-1].settimeout(PATIENCE)
                self.assertIn(b"503", idle.pop().recv(4096))  # it was the one refused
            else:
                self.fail("a WebSocket connection got a slot that four sockets held")
            for s in idle:
                s.close()
            self.assertEqual(await server.metric_reaches("sluice_client_sockets_open", 1), 1)
            ws, _ = await connect(server)
            await ws.close()

    async def test_silent_client_is_pinged_then_closed_at_idle_timeout(self):
        config = config_with(server="  idle_timeout: 300ms\n")
        with Sluice(config) as server:
            # A client that completes the handshake and then never answers anything.
            with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as s:
                s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n")
                received = b""
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
                    received += data
            head, _, frames = received.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
            opcodes = []
            while frames:  # server frames are unmasked and, here, under 64 KiB
                opcodes.append(frames[0] & 0x0F)
                length, header = frames[1] & 0x7F, 2
                if length == 126:
                    length, header = int.from_bytes(frames[2:4], "big"), 4
                frames = frames[header + length:]
            # welcome (text), then a keep-alive ping, and the connection is dropped.
            self.assertEqual(opcodes[0], 0x1)
            self.assertIn(0x9, opcodes[1:])
            self.assertEqual(await server.metric_reaches("sluice_connections_open", 0), 0)
            self.assertEqual(await server.metric_reaches(
                'sluice_websocket_disconnects_total{cause="idle_timeout"}', 1), 1)

    async def test_a_quiet_client_that_answers_pings_outlives_the_idle_timeout(self):
        config = config_with(server="  idle_timeout: 300ms\n")
        with Sluice(config) as server:
            quiet, _ = await connect(server)  # its library answers each ping with a pong
            # Several idle timeouts pass without a frame from the client; the pongs keep it.
            await asyncio.sleep(1.5)
            await send_json(quiet, {"type": "ping", "id": "still"})
            self.assertEqual(await recv_json(quiet), {"type": "pong", "id": "still"})
            self.assertEqual(server.metrics()["sluice_connections_open"], 1)
            await quiet.close()

    async def test_garbage_bytes_instead_of_http(self):
        with Sluice(SLOW) as server:
            response = raw_http(server.port, b"\x16\x03\x01 not http at all\r\n\r\n")
            self.assertTrue(response.startswith("HTTP/1.1 400"), response)
            self.assertIn('"error":"bad_request"', response)
            status, _, _ = server.http("GET", "/healthz")
            self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
