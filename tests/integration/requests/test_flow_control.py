"""Request streams are flow-controlled end to end: a fast stream reaches a client that reads,
and a client that stops reading pauses its job instead of growing server memory or losing
frames."""

import asyncio
import json
import socket
import unittest


from harness import PATIENCE, Sluice, config_with, connect, final, is_accepted, send_json
from upstreams import FastApi, WithFastApi


def config(steps, outbound_messages=1024):
    return config_with(steps=steps, interval="0", timeout="10m",
                       extra=f"limits:\n  outbound_messages: {outbound_messages}\n")


async def read_stream(ws, request_id, steps):
    """Reads the whole reply stream, checks it is complete and in order, returns its last frame.
    One timeout covers the whole stream (a timeout per frame would dominate the test's time)."""
    async def read():
        accepted = json.loads(await ws.recv())
        assert is_accepted(accepted, request_id), accepted
        for step in range(1, steps + 1):
            frame = json.loads(await ws.recv())
            assert frame == {"type": "progress", "id": request_id, "step": step,
                             "steps": steps}, frame
        return json.loads(await ws.recv())
    return await asyncio.wait_for(read(), PATIENCE * 4)


class FlowControl(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # unittest runs the loop in debug mode, which slows these 60k-frame streams ~20x.
        asyncio.get_running_loop().set_debug(False)

    async def test_fast_stream_to_a_reading_client_is_complete(self):
        steps = 20000  # far more frames than the outbound queue holds
        with Sluice(config(steps)) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": 1, "payload": "burst"})
            self.assertEqual(await read_stream(ws, 1, steps), final(1, "BURST"))
            metrics = server.metrics()
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)
            self.assertLessEqual(metrics["sluice_outbound_queue_high_water"], 1024)
            await ws.close()

    async def test_client_that_stops_reading_pauses_its_job(self):
        steps = 60000
        request_id = "x" * 128  # ~190-byte frames: ~11 MB, more than the socket buffers hold
        with Sluice(config(steps, outbound_messages=256)) as server:
            # A small receive buffer and a one-message client queue: once the client stops
            # calling recv(), TCP backpressure reaches the server quickly.
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            ws, _ = await connect(server, sock=sock, max_queue=1)
            await send_json(ws, {"type": "request", "id": request_id, "payload": "x"})

            await server.writes_settled()  # the job is paused, not finished
            metrics = server.metrics()
            self.assertLess(metrics["sluice_frames_out_total"], steps)
            self.assertEqual(metrics["sluice_jobs_active"], 1)
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)
            self.assertLessEqual(metrics["sluice_outbound_queue_high_water"], 256)

            # Reading again resumes the stream where it stopped: nothing lost, nothing repeated.
            self.assertEqual(await read_stream(ws, request_id, steps), final(request_id, "X"))
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            await ws.close()


class ProcessBackpressure(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)  # as above: high-volume stream

    async def test_client_that_stops_reading_blocks_the_process(self):
        lines = 150000  # ~11 MB of frames: more than the socket buffers hold
        config = ("server:\n  host: 127.0.0.1\n  port: 0\n"
                  "upstreams:\n  counter:\n    kind: process\n    command: /usr/bin/seq\n"
                  f"    args: [\"{lines}\"]\n"
                  "routes:\n  count: {upstream: counter, timeout: 10m}\n"
                  "limits:\n  outbound_messages: 256\n")
        with Sluice(config) as server:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            ws, _ = await connect(server, sock=sock, max_queue=1)
            await send_json(ws, {"type": "request", "id": 1})

            await server.writes_settled()
            # seq is still alive, blocked writing to its stdout pipe; nothing was dropped.
            self.assertEqual(len(server.children()), 1)
            metrics = server.metrics()
            self.assertLess(metrics["sluice_frames_out_total"], lines)
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)

            async def read_all():
                accepted = json.loads(await ws.recv())
                assert is_accepted(accepted, 1), accepted
                for n in range(1, lines + 1):
                    frame = json.loads(await ws.recv())
                    assert frame == {"type": "progress", "id": 1, "stream": "stdout",
                                     "line": str(n)}, frame
                return json.loads(await ws.recv())
            self.assertEqual(await asyncio.wait_for(read_all(), PATIENCE * 4),
                             {"type": "final", "id": 1, "exit_code": 0})
            self.assertEqual(await server.no_children_left(), [])
            await ws.close()


def websocket_config(port, outbound_messages=1024):
    return ("server:\n  host: 127.0.0.1\n  port: 0\n"
            f"upstreams:\n  py:\n    kind: websocket\n    url: ws://127.0.0.1:{port}/ws\n"
            "    connections: pooled\n"
            "routes:\n  ask: {upstream: py, timeout: 10m}\n"
            f"limits:\n  outbound_messages: {outbound_messages}\n")


async def read_upstream_stream(ws, request_id, steps, text):
    """The example service's whole reply, checked complete and in order; one timeout for all."""
    async def read():
        accepted = json.loads(await ws.recv())
        assert is_accepted(accepted, request_id), accepted
        for step in range(1, steps + 1):
            frame = json.loads(await ws.recv())
            assert frame == {"type": "progress", "id": request_id,
                             "data": {"type": "progress", "step": step}}, frame
        frame = json.loads(await ws.recv())
        assert frame == {"type": "final", "id": request_id,
                         "data": {"type": "final", "result": text.upper()}}, frame
    await asyncio.wait_for(read(), PATIENCE * 4)


class WebSocketUpstreamBackpressure(WithFastApi):
    """Progress frames of a WebSocket upstream go from the upstream's thread straight to the
    client's connection while it keeps up (sluice_reply_shortcut_frames_total), and through the
    job's credit window once it does not: either way complete, in order, and bounded."""

    async def asyncSetUp(self):
        await super().asyncSetUp()
        asyncio.get_running_loop().set_debug(False)  # high-volume streams, as above

    async def test_fast_stream_to_a_reading_client_is_complete(self):
        steps = 20000
        self.app = FastApi(steps=steps)
        with Sluice(websocket_config(self.app.port)) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": 1, "payload": {"text": "fast"}})
            await read_upstream_stream(ws, 1, steps, "fast")
            metrics = server.metrics()
            self.assertGreater(metrics["sluice_reply_shortcut_frames_total"], 0)
            self.assertLessEqual(metrics["sluice_reply_shortcut_frames_total"], steps)
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)
            self.assertLessEqual(metrics["sluice_outbound_queue_high_water"], 1024)
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            await ws.close()

    async def test_client_that_stops_reading_pauses_the_upstream(self):
        steps = 60000
        request_id = "x" * 128  # ~200-byte frames: ~12 MB, more than the socket buffers hold
        self.app = FastApi(steps=steps)
        with Sluice(websocket_config(self.app.port, outbound_messages=256)) as server:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            ws, _ = await connect(server, sock=sock, max_queue=1)
            await send_json(ws, {"type": "request", "id": request_id, "payload": {"text": "x"}})

            await server.writes_settled()  # the upstream is held back, the job goes on
            metrics = server.metrics()
            self.assertLess(metrics["sluice_frames_out_total"], steps)
            self.assertEqual(metrics["sluice_jobs_active"], 1)
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)
            self.assertLessEqual(metrics["sluice_outbound_queue_high_water"], 256)

            # Reading again resumes the stream where it stopped: nothing lost, nothing repeated.
            await read_upstream_stream(ws, request_id, steps, "x")
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            await ws.close()


if __name__ == "__main__":
    unittest.main()
