"""The request flows of protocol v1 against the real binary."""

import unittest

from harness import (Sluice, config_with, connect, error, final, is_accepted, progress, recv_json,
                     send_json, send_request, until_final)


class TextFrameFlow(unittest.IsolatedAsyncioTestCase):
    async def test_embedded_default_config_answers_text_frame(self):
        with Sluice() as server:  # no --config: the embedded default (1 s interval)
            ws, welcome = await connect(server)
            self.assertEqual(welcome["routes"], ["uppercase"])
            self.assertEqual(welcome["default_route"], "uppercase")
            self.assertEqual(welcome["protocol"], 1)
            await send_json(ws, {"text": "hello world"})
            frames = [await recv_json(ws) for _ in range(5)]
            self.assertTrue(is_accepted(frames.pop(0), "auto-1"))
            self.assertEqual(frames, [
                progress("auto-1", 1, 3), progress("auto-1", 2, 3), progress("auto-1", 3, 3),
                final("auto-1", "HELLO WORLD")])
            await ws.close()

    async def test_each_text_frame_gets_its_own_id(self):
        with Sluice(config_with(steps=1, interval="0")) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"text": "a"})
            self.assertEqual(await until_final(ws, "auto-1"),
                             [progress("auto-1", 1, 1), final("auto-1", "A")])
            await send_json(ws, {"text": "b", "id": "mine"})
            self.assertEqual(await until_final(ws, "mine"),
                             [progress("mine", 1, 1), final("mine", "B")])
            await send_json(ws, {"text": "c"})
            self.assertEqual((await until_final(ws, "auto-2"))[-1], final("auto-2", "C"))
            await ws.close()


class RequestFlow(unittest.IsolatedAsyncioTestCase):
    async def test_request_with_object_and_string_payloads(self):
        with Sluice(config_with(steps=2, interval="0")) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": 1, "route": "uppercase",
                                 "payload": {"text": "héllo"}})
            self.assertEqual(await until_final(ws, 1),
                             [progress(1, 1, 2), progress(1, 2, 2), final(1, "HéLLO")])
            await send_json(ws, {"type": "request", "id": "s", "payload": "plain"})
            self.assertEqual((await until_final(ws, "s"))[-1], final("s", "PLAIN"))
            await ws.close()

    async def test_zero_steps_answers_final_at_once(self):
        with Sluice(config_with(steps=0, interval="0")) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": "z", "payload": "x"})
            self.assertEqual(await until_final(ws, "z"), [final("z", "X")])
            await ws.close()

    async def test_accepted_comes_first_and_a_refused_request_gets_only_its_error(self):
        with Sluice(config_with(steps=1, interval="0")) as server:
            ws, _ = await connect(server)
            refusals = [
                ({"type": "request", "id": "u", "route": "nope"},
                 error("unknown_route", 'no route named "nope"', "u")),
                ({"type": "request", "id": "p", "priority": "urgent"},
                 error("invalid_frame", '`priority` must be "low", "normal", "high" or "critical"',
                       "p")),
                ({"type": "request", "id": "c", "priority": "critical"},
                 error("forbidden", 'this client may not ask for priority "critical" on route '
                       '"uppercase" (see the route\'s `priorities`)', "c")),
            ]
            for frame, answer in refusals:
                await send_json(ws, frame)
                self.assertEqual(await recv_json(ws), answer)
            # Low and normal are open to whoever may use the route.
            for level in ("low", "normal"):
                await send_request(ws, {"type": "request", "id": level, "payload": "x",
                                        "priority": level})
                self.assertEqual(await recv_json(ws), progress(level, 1, 1))
                self.assertEqual(await recv_json(ws), final(level, "X"))
            await send_json(ws, {"type": "ping", "id": "after"})
            self.assertEqual(await recv_json(ws), {"type": "pong", "id": "after"})
            await ws.close()

    async def test_cancel_stops_the_stream(self):
        with Sluice(config_with(steps=3, interval="1h")) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "c1", "payload": "x"})
            self.assertEqual(await recv_json(ws), progress("c1", 1, 3))
            await send_json(ws, {"type": "cancel", "id": "c1"})
            self.assertEqual(await recv_json(ws), error("cancelled", "cancelled by the client", "c1"))
            self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
            # The session lives on and nothing more arrives for c1: the next frame is the pong.
            await send_json(ws, {"type": "ping", "id": "after"})
            self.assertEqual(await recv_json(ws), {"type": "pong", "id": "after"})
            metrics = server.metrics()
            self.assertEqual(metrics['sluice_requests_total{route="uppercase",outcome="cancelled"}'], 1)
            await ws.close()

    async def test_concurrent_requests_on_one_connection(self):
        with Sluice(config_with(steps=3, interval="10ms")) as server:
            ws, _ = await connect(server)
            ids = [f"r{i}" for i in range(8)]
            for i in ids:
                await send_json(ws, {"type": "request", "id": i, "payload": f"text {i}"})
            per_id = {i: [] for i in ids}
            finished = set()
            while finished != set(ids):
                frame = await recv_json(ws)
                per_id[frame["id"]].append(frame)
                if frame["type"] == "final":
                    finished.add(frame["id"])
            server_ids = set()
            for i in ids:
                accepted = per_id[i].pop(0)  # each request's first frame
                self.assertTrue(is_accepted(accepted, i), accepted)
                server_ids.add(accepted["request"])
                self.assertEqual(per_id[i], [progress(i, 1, 3), progress(i, 2, 3), progress(i, 3, 3),
                                             final(i, f"TEXT {i.upper()}")])
            self.assertEqual(len(server_ids), len(ids))  # the gateway's ids are its own, one each
            await ws.close()

    async def test_ping_with_and_without_id(self):
        with Sluice(config_with()) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "ping"})
            self.assertEqual(await recv_json(ws), {"type": "pong"})
            await send_json(ws, {"type": "ping", "id": 5})
            self.assertEqual(await recv_json(ws), {"type": "pong", "id": 5})
            await ws.close()

    async def test_deadline_exceeded(self):
        with Sluice(config_with(steps=3, interval="1h", timeout="100ms")) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": "d", "payload": "x"})
            self.assertEqual(await until_final(ws, "d"), [
                progress("d", 1, 3),
                error("deadline_exceeded", "the request exceeded its route's timeout", "d")])
            await ws.close()

    async def test_metrics_count_the_exchange(self):
        with Sluice(config_with(steps=2, interval="0")) as server:
            before = server.metrics()
            ws, _ = await connect(server)
            await send_json(ws, {"text": "hello"})
            await until_final(ws, "auto-1")
            await ws.send("not json")
            await recv_json(ws)
            await ws.close()
            self.assertEqual(await server.metric_reaches("sluice_connections_open", 0), 0)
            after = server.metrics()
            self.assertEqual(before.get("sluice_connections_total"), 0)
            self.assertEqual(after["sluice_connections_total"], 1)
            self.assertEqual(after["sluice_frames_in_total"], 2)
            # welcome, accepted, 2 progress, final, error
            self.assertEqual(after["sluice_frames_out_total"], 6)
            self.assertEqual(after['sluice_requests_total{route="uppercase",outcome="ok"}'], 1)
            self.assertEqual(after['sluice_request_duration_seconds_count{route="uppercase"}'], 1)
            self.assertEqual(after['sluice_errors_total{code="invalid_json"}'], 1)
            self.assertGreaterEqual(after['sluice_mailbox_depth_high_water{actor="session"}'], 1)
            # The session actor ends after its connection (it learns of the close by message).
            self.assertEqual(await server.metric_reaches("sluice_sessions_active", 0), 0)


if __name__ == "__main__":
    unittest.main()
