"""Routes served by a `websocket` upstream, against the real example FastAPI service
(examples/upstream/app.py) and, for malformed output, a real python3-websockets server."""

import subprocess
import unittest

from harness import Sluice, connect, error, recv_json, send_json, send_request, until_final
from upstreams import FastApi, WithFastApi, free_port, wait_for_port


def config(url, timeout="30s", extra=""):
    return ("server:\n  host: 127.0.0.1\n  port: 0\n"
            f"upstreams:\n  py:\n    kind: websocket\n    url: {url}\n    connect_timeout: 2s\n" + extra +
            f"routes:\n  ask:\n    upstream: py\n    timeout: {timeout}\n")


def progress(request_id, step):
    return {"type": "progress", "id": request_id, "data": {"type": "progress", "step": step}}


class WebSocketUpstream(WithFastApi):
    async def test_request_streams_through_the_fastapi_service(self):
        self.app = FastApi()
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws")) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"text": "hello world"})
            self.assertEqual(await until_final(ws, "auto-1"), [
                progress("auto-1", 1), progress("auto-1", 2), progress("auto-1", 3),
                {"type": "final", "id": "auto-1",
                 "data": {"type": "final", "result": "HELLO WORLD"}}])
            # The client kept up: every progress frame went from the upstream's thread to its
            # connection (the final one goes through the job).
            self.assertEqual(server.metrics()["sluice_reply_shortcut_frames_total"], 3)
            self.assertEqual(await server.metric_reaches("sluice_upstream_websockets_open", 0), 0)
            await ws.close()

    async def test_refused_connection_is_upstream_unavailable(self):
        with Sluice(config(f"ws://127.0.0.1:{free_port()}/ws")) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": 1, "payload": {"text": "x"}})
            frame = await recv_json(ws)
            self.assertEqual((frame["type"], frame["id"], frame["code"]),
                             ("error", 1, "upstream_unavailable"))
            self.assertIn("cannot connect to 127.0.0.1:", frame["message"])
            await ws.close()

    async def assert_upstream_closed_when(self, end_request, timeout="30s"):
        self.app = FastApi(interval_ms=60000)
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws", timeout)) as server:
            bystander, _ = await connect(server)
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "long", "payload": {"text": "x"}})
            self.assertEqual(await recv_json(ws), progress("long", 1))
            self.assertEqual(server.metrics()["sluice_upstream_websockets_open"], 1)
            self.assertEqual(server.metrics()["sluice_timers_pending"], 1)  # the deadline
            await end_request(ws)
            self.assertEqual(await server.metric_reaches("sluice_upstream_websockets_open", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_timers_pending", 0), 0)
            await send_json(bystander, {"type": "ping"})
            self.assertEqual(await recv_json(bystander), {"type": "pong"})
            await bystander.close()

    async def test_cancel_closes_the_upstream_connection(self):
        async def cancel(ws):
            await send_json(ws, {"type": "cancel", "id": "long"})
            self.assertEqual(await recv_json(ws), error("cancelled", "cancelled by the client", "long"))
        await self.assert_upstream_closed_when(cancel)

    async def test_client_disconnect_closes_the_upstream_connection(self):
        async def vanish(ws):
            ws.transport.abort()
        await self.assert_upstream_closed_when(vanish)

    async def test_deadline_closes_the_upstream_connection(self):
        async def wait_for_deadline(ws):
            self.assertEqual(await recv_json(ws), error(
                "deadline_exceeded", "the request exceeded its route's timeout", "long"))
        await self.assert_upstream_closed_when(wait_for_deadline, timeout="500ms")

    async def test_upstream_killed_mid_stream(self):
        self.app = FastApi(interval_ms=60000)
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws")) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "k", "payload": {"text": "x"}})
            self.assertEqual(await recv_json(ws), progress("k", 1))
            self.app.stop()  # SIGKILL
            frame = await recv_json(ws)
            self.assertEqual((frame["type"], frame["id"], frame["code"]), ("error", "k", "upstream_failed"))
            self.assertTrue(frame["message"].endswith("before its final message"), frame)
            await ws.close()

    async def test_malformed_upstream_message(self):
        port = free_port()
        script = ("import asyncio, websockets\n"
                  "async def h(ws, path):\n    await ws.recv()\n    await ws.send('not json')\n"
                  "    await asyncio.sleep(60)\n"
                  "async def main():\n"
                  f"    async with websockets.serve(h, '127.0.0.1', {port}):\n"
                  "        await asyncio.Future()\n"
                  "asyncio.run(main())\n")
        bad = subprocess.Popen(["/usr/bin/python3", "-c", script])
        try:
            wait_for_port(port)
            with Sluice(config(f"ws://127.0.0.1:{port}/")) as server:
                ws, _ = await connect(server)
                await send_request(ws, {"type": "request", "id": 2, "payload": {}})
                self.assertEqual(await recv_json(ws), error(
                    "upstream_protocol_error", "the upstream sent a message that is not a JSON object", 2))
                self.assertEqual(await server.metric_reaches("sluice_upstream_websockets_open", 0), 0)
                await ws.close()
        finally:
            bad.kill()
            bad.wait()


# Answers every message with what it received (as a token) and a final, naming their kind in
# `kind` rather than `type`.
ECHO = """
import asyncio, json, sys, websockets
async def handle(ws, path):
    async for text in ws:
        await ws.send(json.dumps({"kind": "token", "got": json.loads(text)}))
        await ws.send(json.dumps({"kind": "final", "type": "not this field"}))
async def main():
    async with websockets.serve(handle, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()
asyncio.run(main())
"""


class MessageMapping(unittest.IsolatedAsyncioTestCase):
    async def test_message_template_and_type_field(self):
        port = free_port()
        proc = subprocess.Popen(["/usr/bin/python3", "-c", ECHO, str(port)])
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        wait_for_port(port)
        mapping = "    message: '{\"prompt\": {{text}}, \"raw\": {{payload}}}'\n    type_field: kind\n"
        with Sluice(config(f"ws://127.0.0.1:{port}/", extra=mapping)) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"text": "hi there"})
            self.assertEqual(await until_final(ws, "auto-1"), [
                {"type": "token", "id": "auto-1",
                 "data": {"kind": "token", "got": {"prompt": "hi there", "raw": {"text": "hi there"}}}},
                {"type": "final", "id": "auto-1", "data": {"kind": "final", "type": "not this field"}}])
            await ws.close()


class PooledConnections(WithFastApi):
    async def test_pooled_connection_is_reused_across_requests(self):
        self.app = FastApi()
        pooled = "    connections: pooled\n    pool_size: 2\n    backoff: {base: 10ms, max: 50ms}\n"
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws", extra=pooled)) as server:
            ws, _ = await connect(server)
            for i in range(5):
                await send_json(ws, {"type": "request", "id": i, "payload": {"text": f"n{i}"}})
                self.assertEqual((await until_final(ws, i))[-1]["data"]["result"], f"N{i}")
            metrics = server.metrics()
            self.assertEqual(metrics['sluice_upstream_websocket_connects_total{result="ok"}'], 1)
            self.assertEqual(metrics["sluice_upstream_websocket_reuses_total"], 4)
            self.assertEqual(metrics["sluice_upstream_websockets_idle"], 1)
            # An idle connection whose upstream dies leaves the pool.
            self.app.stop()
            self.assertEqual(await server.metric_reaches("sluice_upstream_websockets_idle", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_upstream_websockets_open", 0), 0)
            self.app.start()
            await send_json(ws, {"type": "request", "id": "after", "payload": {"text": "back"}})
            self.assertEqual((await until_final(ws, "after"))[-1]["data"]["result"], "BACK")
            await ws.close()

    async def test_cancelled_request_does_not_return_its_connection(self):
        self.app = FastApi(interval_ms=60000)
        pooled = "    connections: pooled\n    pool_size: 2\n"
        with Sluice(config(f"ws://127.0.0.1:{self.app.port}/ws", extra=pooled)) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "c", "payload": {"text": "x"}})
            self.assertEqual(await recv_json(ws), progress("c", 1))
            await send_json(ws, {"type": "cancel", "id": "c"})
            self.assertEqual((await recv_json(ws))["code"], "cancelled")
            self.assertEqual(await server.metric_reaches("sluice_upstream_websockets_open", 0), 0)
            self.assertEqual(server.metrics()["sluice_upstream_websockets_idle"], 0)
            await ws.close()


if __name__ == "__main__":
    unittest.main()
