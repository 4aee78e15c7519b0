"""Typed events: an upstream's own name for an event (tool_call, complete, …) reaches the client
as `kind`, and a request's `kinds` picks the stream frames it wants. Through a real
python3-websockets upstream (frames take the reply shortcut), a real process printing JSON lines
(frames go through the job) and a real worker connection."""

import json
import subprocess
import time
import unittest

import websockets

from harness import Sluice, connect, error, recv_json, send_json, send_request, until_final
from test_process_upstream import process_config
from upstreams import free_port, wait_for_port

# What each upstream sends for one request, in order; its last event ends the request.
EVENTS = [{"type": "token", "text": "Hel"}, {"type": "tool_call", "name": "search"},
          {"type": "progress", "step": 1}, {"type": "token", "text": "lo"},
          {"type": "final", "result": "Hello"}]


def frame_of(request_id, event):
    """The frame a streamed event becomes."""
    frame = {"type": "token" if event["type"] == "token" else "progress", "id": request_id,
             "data": event}
    if event["type"] not in ("token", "progress"):
        frame["kind"] = event["type"]
    return frame


def streamed(request_id, kinds=None):
    return [frame_of(request_id, e) for e in EVENTS[:-1]
            if kinds is None or e["type"] in kinds]


def final(request_id):
    return {"type": "final", "id": request_id, "data": EVENTS[-1]}


def serve_events_script(port):
    return ("import asyncio, json, websockets\n"
            f"EVENTS = {json.dumps(EVENTS)}\n"
            "async def h(ws, path):\n"
            "    async for _ in ws:\n"
            "        for e in EVENTS:\n"
            "            await ws.send(json.dumps(e))\n"
            "async def main():\n"
            f"    async with websockets.serve(h, '127.0.0.1', {port}):\n"
            "        await asyncio.Future()\n"
            "asyncio.run(main())\n")


class TypedEvents(unittest.IsolatedAsyncioTestCase):
    async def check_kinds(self, server, route):
        ws, _ = await connect(server)
        await send_request(ws, {"type": "request", "id": "all", "route": route, "payload": {}})
        self.assertEqual(await until_final(ws, "all", mid_stream=True),
                         streamed("all") + [final("all")])
        wanted = ["tool_call", "token"]
        await send_request(ws, {"type": "request", "id": "some", "route": route, "payload": {},
                                "kinds": wanted})
        self.assertEqual(await until_final(ws, "some", mid_stream=True),
                         streamed("some", wanted) + [final("some")])
        await ws.close()

    def event_upstream_config(self, server_extra=""):
        """Starts a python3-websockets upstream that sends EVENTS for each request; returns a
        config with route `ask` to it (and the built-in route `up`)."""
        port = free_port()
        upstream = subprocess.Popen(["/usr/bin/python3", "-c", serve_events_script(port)])
        self.addCleanup(lambda: (upstream.kill(), upstream.wait()))
        wait_for_port(port)
        return ("server:\n  host: 127.0.0.1\n  port: 0\n" + server_extra +
                f"upstreams:\n  py:\n    kind: websocket\n    url: ws://127.0.0.1:{port}/\n"
                "routes:\n  ask: {upstream: py}\n  up: {kind: uppercase, interval: 0ms}\n")

    async def test_websocket_upstream_events_keep_their_kind(self):
        with Sluice(self.event_upstream_config()) as server:
            await self.check_kinds(server, "ask")
            # The frames took the shortcut; the one filtered out never reached the client.
            metrics = server.metrics()
            self.assertEqual(metrics["sluice_reply_shortcut_frames_total"], 4 + 3)
            self.assertEqual(metrics["sluice_stream_frames_filtered_total"], 1)

    async def test_process_json_lines_keep_their_kind(self):
        script = f"import json\nfor e in {EVENTS!r}:\n    print(json.dumps(e))\n"
        with Sluice(process_config("/usr/bin/python3", ["-c", script], output="json_lines")) \
                as server:
            ws, _ = await connect(server)
            for request_id, kinds in (("all", None), ("some", ["tool_call", "token"])):
                frame = {"type": "request", "id": request_id, "route": "run"}
                if kinds:
                    frame["kinds"] = kinds
                await send_request(ws, frame)
                frames = await until_final(ws, request_id, mid_stream=True)
                self.assertEqual(frames[:-1], streamed(request_id, kinds))
                # The process's own final object comes with its exit.
                self.assertEqual(frames[-1], {"type": "final", "id": request_id, "exit_code": 0,
                                              "data": EVENTS[-1]})
            self.assertEqual(server.metrics()["sluice_stream_frames_filtered_total"], 1)
            await ws.close()

    async def test_a_worker_names_its_events_with_kind(self):
        config = ("server:\n  host: 127.0.0.1\n  port: 0\n"
                  "upstreams:\n  pool:\n    kind: workers\n    token: s3cret\n"
                  "routes:\n  ask: {upstream: pool}\n")
        with Sluice(config) as server:
            worker = await websockets.connect(f"ws://127.0.0.1:{server.port}/workers")
            await send_json(worker, {"type": "register", "token": "s3cret", "routes": ["ask"]})
            self.assertEqual((await recv_json(worker))["type"], "registered")
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": 1, "route": "ask", "payload": {},
                                    "kinds": ["tool_call"]})
            job = (await recv_json(worker))["job"]
            await send_json(worker, {"type": "progress", "job": job, "kind": "tool_call",
                                     "data": {"name": "search"}})
            await send_json(worker, {"type": "token", "job": job, "data": {"text": "x"}})
            await send_json(worker, {"type": "final", "job": job, "data": {"ok": True}})
            self.assertEqual(await until_final(ws, 1, mid_stream=True), [
                {"type": "progress", "id": 1, "kind": "tool_call", "data": {"name": "search"}},
                {"type": "final", "id": 1, "data": {"ok": True}}])
            # A kind that is not a name is refused, to the worker; its job goes on.
            await send_json(worker, {"type": "progress", "job": job, "kind": 7})
            self.assertEqual((await recv_json(worker))["code"], "invalid_frame")
            await worker.close()
            await ws.close()

    async def test_frame_timestamps_stamp_every_frame_of_a_stream(self):
        with Sluice(self.event_upstream_config("  frame_timestamps: true\n")) as server:
            ws, welcome = await connect(server)
            self.assertNotIn("ts", welcome)
            # Through the reply shortcut (ask) and through the session (up).
            for route in ("ask", "up"):
                before = int(time.time() * 1000)
                await send_json(ws, {"type": "request", "id": route, "route": route,
                                     "payload": "x"})
                frames = await until_final(ws, route, mid_stream=True)
                after = int(time.time() * 1000)
                self.assertEqual(frames[0]["type"], "accepted")
                for frame in frames:
                    self.assertTrue(before <= frame["ts"] <= after, (frame, before, after))
                self.assertEqual([f["ts"] for f in frames], sorted(f["ts"] for f in frames))
            await send_json(ws, {"type": "ping"})
            self.assertEqual(await recv_json(ws), {"type": "pong"})
            await ws.close()

    async def test_bad_kinds_are_refused(self):
        with Sluice("server:\n  host: 127.0.0.1\n  port: 0\nroutes:\n  up: {kind: uppercase}\n") \
                as server:
            ws, _ = await connect(server)
            for bad in ([], "token", [""], [1], ["x"] * 33, ["k" * 65]):
                await send_json(ws, {"type": "request", "id": "b", "kinds": bad})
                self.assertEqual(await recv_json(ws), error(
                    "invalid_frame",
                    "`kinds` must be a list of 1 to 32 event kinds (strings of 1 to 64 bytes)",
                    "b"))
            # The built-in route's frames are progress: asking for other kinds leaves only the end.
            await send_request(ws, {"type": "request", "id": "q", "payload": "x",
                                    "kinds": ["token"]})
            self.assertEqual(await until_final(ws, "q", mid_stream=True),
                             [{"type": "final", "id": "q", "result": "X"}])
            await ws.close()


if __name__ == "__main__":
    unittest.main()
