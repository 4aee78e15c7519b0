"""Dial-in workers at /workers: the reference worker (examples/worker.py) serves requests end to
end; jobs go to the least-loaded worker; a worker that dies mid-job gives `worker_lost`, one that
dies before streaming has its job retried elsewhere; bad worker input gets a typed error."""

import asyncio
import hashlib
import json
import os
import socket
import subprocess
import unittest

import websockets

from harness import (PATIENCE, REPO, Sluice, connect, is_accepted, recv_json, send_json,
                     send_request, until_final)

WORKER = os.path.join(REPO, "examples", "worker.py")


def config(heartbeat="15s", retries=2, limits="", ask_priorities="{}"):
    return ("server:\n  host: 127.0.0.1\n  port: 0\n" + limits +
            "upstreams:\n  pool:\n    kind: workers\n    token: s3cret\n"
            f"    heartbeat_timeout: {heartbeat}\n    retries: {retries}\n"
            "    backoff: {base: 10ms, max: 100ms}\n"
            f"routes:\n  ask: {{upstream: pool, timeout: 30s, priorities: {ask_priorities}}}\n"
            "  other: {kind: uppercase, interval: 0ms}\n")


class WorkerCase(unittest.IsolatedAsyncioTestCase):
    def start_worker(self, server, name, capacity=4, interval=0.05, steps=3, pad=0):
        proc = subprocess.Popen(["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{server.port}/workers",
                                 "--token", "s3cret", "--routes", "ask", "--name", name,
                                 "--capacity", str(capacity), "--interval", str(interval),
                                 "--steps", str(steps), "--pad", str(pad)], stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        return proc

    async def workers_connected(self, server, n):
        return await server.metric_reaches('sluice_workers_connected{upstream="pool"}', n)

    async def raw_worker(self, server, **register):
        ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/workers")
        msg = {"type": "register", "token": "s3cret", "routes": ["ask"], "capacity": 1}
        msg.update(register)
        await send_json(ws, msg)
        return ws, await recv_json(ws)


class Workers(WorkerCase):
    async def test_reference_worker_streams_a_request_end_to_end(self):
        with Sluice(config()) as server:
            self.start_worker(server, "w1")
            self.assertEqual(await self.workers_connected(server, 1), 1)
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": "a", "route": "ask", "payload": {"text": "hello world"}})
            self.assertEqual(await until_final(ws, "a"), [
                {"type": "progress", "id": "a", "data": {"step": 1, "steps": 3}},
                {"type": "progress", "id": "a", "data": {"step": 2, "steps": 3}},
                {"type": "progress", "id": "a", "data": {"step": 3, "steps": 3}},
                {"type": "final", "id": "a", "data": {"result": "HELLO WORLD", "worker": "w1"}}])
            _, _, body = server.http("GET", "/readyz")
            self.assertEqual(json.loads(body)["upstreams"]["pool"],
                             {"kind": "workers", "circuit": "closed", "workers": 1, "capacity": 4,
                              "busy": 0, "queued": 0})
            await ws.close()

    async def test_jobs_go_to_the_least_loaded_worker_and_queue_when_all_are_busy(self):
        with Sluice(config()) as server:
            self.start_worker(server, "w1", capacity=1, interval=0.3)
            self.start_worker(server, "w2", capacity=1, interval=0.3)
            self.assertEqual(await self.workers_connected(server, 2), 2)
            ws, _ = await connect(server)
            for i in range(3):
                await send_json(ws, {"type": "request", "id": i, "route": "ask", "payload": {"text": "x"}})
            self.assertEqual(await server.metric_reaches('sluice_worker_jobs_queued{upstream="pool"}', 1), 1)
            finals, places = {}, {}
            while len(finals) < 3:
                f = await recv_json(ws)
                if f["type"] == "accepted":
                    places[f["id"]] = f["queued"]
                if f["type"] == "final":
                    finals[f["id"]] = f["data"]["worker"]
            # Two ran at once; the one whose job reached the pool last waited, first in line.
            self.assertEqual(sorted(places.values()), [0, 0, 1])
            self.assertEqual(sorted(finals), [0, 1, 2])
            self.assertEqual(set(finals.values()), {"w1", "w2"})  # the first two ran side by side
            await ws.close()

    async def test_waiting_requests_run_by_priority(self):
        with Sluice(config(ask_priorities="{high: true, critical: true}")) as server:
            self.start_worker(server, "w1", capacity=1, interval=0.2, steps=1)
            self.assertEqual(await self.workers_connected(server, 1), 1)
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "first", "route": "ask",
                                    "payload": {"text": "x"}})
            self.assertEqual((await recv_json(ws))["type"], "progress")  # the worker is busy
            # Where a route's `priorities` do not list it, critical is open to no one.
            await send_json(ws, {"type": "request", "id": "c0", "route": "other",
                                 "priority": "critical"})
            self.assertEqual((await recv_json(ws))["code"], "forbidden")
            waiting = [("low1", "low", 1), ("normal1", "normal", 1), ("high1", "high", 1),
                       ("crit1", "critical", 1), ("low2", "low", 5), ("normal2", "normal", 4)]
            for request_id, level, place in waiting:
                await send_request(ws, {"type": "request", "id": request_id, "route": "ask",
                                        "payload": {"text": "x"}, "priority": level}, queued=place)
            order = []
            while len(order) < 7:
                frame = await recv_json(ws)
                if frame["type"] == "final":
                    order.append(frame["id"])
            self.assertEqual(order,
                             ["first", "crit1", "high1", "normal1", "normal2", "low1", "low2"])
            waited = {level: server.metrics().get(
                f'sluice_upstream_queue_wait_seconds_count{{upstream="pool",priority="{level}"}}')
                for level in ("low", "normal", "high", "critical")}
            self.assertEqual(waited, {"low": 2, "normal": 2, "high": 1, "critical": 1})
            await ws.close()

    async def test_no_worker_fails_fast(self):
        with Sluice(config()) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": 1, "route": "ask", "payload": {}})
            self.assertEqual(await recv_json(ws), {
                "type": "error", "id": 1, "code": "upstream_unavailable",
                "message": "no worker is connected to the upstream \"pool\""})
            await ws.close()

    async def test_worker_killed_mid_job_is_worker_lost(self):
        with Sluice(config()) as server:
            proc = self.start_worker(server, "w1", interval=60)
            self.assertEqual(await self.workers_connected(server, 1), 1)
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "k", "route": "ask", "payload": {"text": "x"}})
            self.assertEqual((await recv_json(ws))["type"], "progress")
            proc.kill()
            frame = await recv_json(ws)
            self.assertEqual((frame["type"], frame["id"], frame["code"]), ("error", "k", "worker_lost"))
            self.assertEqual(await self.workers_connected(server, 0), 0)
            self.assertEqual(server.metrics()['sluice_workers_lost_total{upstream="pool"}'], 1)
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            self.assertEqual(await server.metric_reaches("sluice_timers_pending", 0), 0)
            await ws.close()

    async def test_queued_job_of_a_lost_worker_is_not_sent_to_it(self):
        with Sluice(config()) as server:
            proc = self.start_worker(server, "w1", capacity=1, interval=60)
            self.assertEqual(await self.workers_connected(server, 1), 1)
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "a", "route": "ask", "payload": {}})
            self.assertEqual((await recv_json(ws))["type"], "progress")
            await send_request(ws, {"type": "request", "id": "b", "route": "ask", "payload": {}},
                               queued=1)
            self.assertEqual(await server.metric_reaches('sluice_worker_jobs_queued{upstream="pool"}', 1), 1)
            proc.kill()
            ends = {}
            while len(ends) < 2:
                frame = await recv_json(ws)
                ends[frame["id"]] = frame["code"]
            # The queued request fails at once rather than waiting for its deadline.
            self.assertEqual(ends, {"a": "worker_lost", "b": "upstream_unavailable"})
            await ws.close()

    async def test_worker_gone_before_streaming_has_its_job_retried_elsewhere(self):
        with Sluice(config()) as server:
            raw, registered = await self.raw_worker(server)
            self.assertEqual(registered["type"], "registered")
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": "r", "route": "ask", "payload": {"text": "again"}})
            job = await recv_json(raw)
            self.assertEqual((job["type"], job["route"], job["payload"]), ("job", "ask", {"text": "again"}))
            self.start_worker(server, "w2")
            self.assertEqual(await self.workers_connected(server, 2), 2)
            await raw.close()  # gone without a word about the job
            frames = await until_final(ws, "r")
            self.assertEqual(frames[-1], {"type": "final", "id": "r",
                                          "data": {"result": "AGAIN", "worker": "w2"}})
            self.assertEqual(len(frames), 4)  # three progress frames, no duplicate
            self.assertEqual(server.metrics()['sluice_upstream_retries_total{upstream="pool"}'], 1)
            await ws.close()

    async def test_cancel_reaches_the_worker(self):
        with Sluice(config()) as server:
            raw, _ = await self.raw_worker(server)
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "c", "route": "ask", "payload": {}})
            job = await recv_json(raw)
            await send_json(raw, {"type": "progress", "job": job["job"], "data": {"step": 1}})
            self.assertEqual(await recv_json(ws), {"type": "progress", "id": "c", "data": {"step": 1}})
            await send_json(ws, {"type": "cancel", "id": "c"})
            self.assertEqual((await recv_json(ws))["code"], "cancelled")
            self.assertEqual(await recv_json(raw), {"type": "cancel", "job": job["job"]})
            _, _, body = server.http("GET", "/readyz")
            self.assertEqual(json.loads(body)["upstreams"]["pool"]["busy"], 0)
            await raw.close()
            await ws.close()


PAD = 50_000  # bytes per progress message: 16 of them are more than the socket buffers hold
LIMITS = "limits:\n  outbound_messages: 64\n"


async def paused_client(server):
    """A client whose socket buffers are tiny and that does not read until told."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    ws, _ = await connect(server, sock=sock, max_queue=1, max_size=None)
    return ws


class WorkerFlowControl(WorkerCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)  # debug mode slows 10 MB streams ~20x

    async def test_client_that_stops_reading_pauses_the_worker(self):
        steps = 200  # 10 MB of progress
        with Sluice(config(limits=LIMITS)) as server:
            self.start_worker(server, "w1", interval=0, steps=steps, pad=PAD)
            self.assertEqual(await self.workers_connected(server, 1), 1)
            ws = await paused_client(server)
            await send_json(ws, {"type": "request", "id": "f", "route": "ask", "payload": {"text": "x"}})
            await server.writes_settled()  # the worker waits for credit; the job stays alive
            metrics = server.metrics()
            self.assertLess(metrics["sluice_frames_out_total"], steps)
            self.assertEqual(metrics["sluice_jobs_active"], 1)
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)
            # Reading again resumes the stream: complete and in order.
            self.assertTrue(is_accepted(await recv_json(ws), "f"))
            for step in range(1, steps + 1):
                frame = await recv_json(ws)
                self.assertEqual((frame["type"], frame["data"]["step"]), ("progress", step))
            self.assertEqual((await recv_json(ws))["data"]["result"], "X")
            await ws.close()

    async def test_worker_that_ignores_its_window_is_stopped(self):
        with Sluice(config(limits=LIMITS)) as server:
            raw, _ = await self.raw_worker(server)
            ws = await paused_client(server)
            await send_json(ws, {"type": "request", "id": "g", "route": "ask", "payload": {}})
            job = await recv_json(raw)
            self.assertEqual(job["window"], 16)
            pad = "x" * PAD
            for step in range(200):  # never waits for credit
                await send_json(raw, {"type": "progress", "job": job["job"], "data": {"pad": pad}})
            granted = 0
            while (msg := await recv_json(raw))["type"] == "credit":  # credit until the client fell behind
                granted += msg["n"]
            self.assertEqual(msg, {"type": "cancel", "job": job["job"]})
            self.assertLess(granted, 200 - 16)
            frames = []
            while not frames or frames[-1]["type"] != "error":
                frames.append(await recv_json(ws))
            self.assertEqual((frames[-1]["code"], frames[-1]["message"]), (
                "upstream_protocol_error", "the worker sent more than its window of 16 frames without credit"))
            self.assertEqual(server.metrics()["sluice_slow_consumer_closes_total"], 0)
            await raw.close()
            await ws.close()


class BadWorkerInput(WorkerCase):
    async def test_wrong_token_is_refused(self):
        with Sluice(config()) as server:
            raw, reply = await self.raw_worker(server, token="guess")
            self.assertEqual(reply, {"type": "error", "code": "unauthorized",
                                     "message": "wrong or missing token"})
            with self.assertRaises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(raw.recv(), PATIENCE)
            self.assertEqual(closed.exception.code, 1008)
            self.assertEqual(server.metrics()['sluice_workers_connected{upstream="pool"}'], 0)

    async def test_hashed_token_admits_the_token_and_nothing_else(self):
        hashed = config().replace("token: s3cret", "token_sha256: " +
                                  hashlib.sha256(b"s3cret").hexdigest())
        with Sluice(hashed) as server:
            raw, reply = await self.raw_worker(server, token="guess")
            self.assertEqual(reply["code"], "unauthorized")
            await raw.close()
            raw, reply = await self.raw_worker(server)
            self.assertEqual(reply["type"], "registered")
            await raw.close()

    async def test_route_not_served_by_workers_is_refused(self):
        with Sluice(config()) as server:
            raw, reply = await self.raw_worker(server, routes=["other"])
            self.assertEqual((reply["type"], reply["code"]), ("error", "unauthorized"))
            self.assertIn('route "other" is not served by workers', reply["message"])

    async def test_result_for_a_job_it_does_not_own(self):
        with Sluice(config()) as server:
            raw, _ = await self.raw_worker(server)
            await send_json(raw, {"type": "final", "job": "j-999", "data": {"result": "forged"}})
            self.assertEqual(await recv_json(raw), {
                "type": "error", "code": "unknown_job", "job": "j-999",
                "message": "this worker holds no job with this id"})
            for bad, code in [("not json", "invalid_json"), ('{"type":"final"}', "invalid_frame"),
                              ('{"type":"dance"}', "unknown_type")]:
                await raw.send(bad)
                self.assertEqual((await recv_json(raw))["code"], code)
            # Still registered and serving.
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": 1, "route": "ask", "payload": {}})
            job = await recv_json(raw)
            await send_json(raw, {"type": "final", "job": job["job"], "data": {"ok": True}})
            self.assertEqual(await recv_json(ws), {"type": "final", "id": 1, "data": {"ok": True}})
            await raw.close()
            await ws.close()

    async def test_job_frame_before_registering(self):
        with Sluice(config()) as server:
            raw = await websockets.connect(f"ws://127.0.0.1:{server.port}/workers")
            await send_json(raw, {"type": "progress", "job": "j-1", "data": {}})
            self.assertEqual((await recv_json(raw))["code"], "not_registered")
            await raw.close()

    async def test_silent_worker_misses_its_heartbeat(self):
        with Sluice(config(heartbeat="600ms", retries=0)) as server:
            raw, registered = await self.raw_worker(server)
            self.assertEqual(registered["heartbeat_interval_ms"], 200)
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "h", "route": "ask", "payload": {}})
            await recv_json(raw)  # the job; then silence
            frame = await recv_json(ws)
            self.assertEqual((frame["code"], frame["id"]), ("worker_lost", "h"))
            self.assertIn("missed its heartbeat", frame["message"])
            with self.assertRaises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(raw.recv(), PATIENCE)
            self.assertEqual(closed.exception.code, 1008)


if __name__ == "__main__":
    unittest.main()
