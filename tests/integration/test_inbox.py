"""Per-client inboxes: request streams that survive a reconnect, every connection of a client
getting them, and backends publishing to one client over HTTP."""

import asyncio
import unittest

from harness import Sluice, config_with, connect, post_json, recv_json, send_json

STEPS = 6
CONFIG = config_with(steps=STEPS, interval="150ms")


class Inbox(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = Sluice(CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_request_stream_survives_a_reconnect(self):
        ws, welcome = await connect(self.server, query="client_id=alice")
        self.assertEqual(welcome["inbox"], "inbox.alice")
        ack = await recv_json(ws)
        self.assertEqual((ack["type"], ack["topic"]), ("subscribed", "inbox.alice"))
        await send_json(ws, {"type": "request", "id": "r1", "payload": {"text": "resume me"}})
        first = await recv_json(ws)
        self.assertEqual((first["type"], first["id"], first["step"], first["topic"]),
                         ("progress", "r1", 1, "inbox.alice"))
        # The client drops without a close handshake (a phone changing networks).
        ws.transport.abort()
        await asyncio.sleep(0.4)  # the request goes on meanwhile; not needed for correctness
        again, _ = await connect(self.server,
                                 query=f"client_id=alice&since={first['offset']}&epoch={ack['epoch']}")
        resumed = await recv_json(again)
        self.assertEqual(resumed["type"], "subscribed")
        rest = []
        while not rest or rest[-1]["type"] != "final":
            rest.append(await recv_json(again))
        self.assertEqual([(f["type"], f.get("step")) for f in rest],
                         [("progress", s) for s in range(2, STEPS + 1)] + [("final", None)])
        self.assertEqual(rest[-1]["result"], "RESUME ME")
        self.assertEqual([f["offset"] for f in rest],
                         list(range(first["offset"] + 1, first["offset"] + STEPS + 1)))
        metrics = self.server.metrics()
        self.assertEqual(metrics['sluice_requests_total{route="uppercase",outcome="ok"}'], 1)
        await again.close()

    async def test_every_connection_of_a_client_sees_its_streams(self):
        phone, _ = await connect(self.server, query="client_id=bob")
        laptop, _ = await connect(self.server, query="client_id=bob")
        await recv_json(phone)
        await recv_json(laptop)
        await send_json(phone, {"type": "request", "id": "q", "payload": {"text": "both"}})
        for ws in (phone, laptop):
            frames = []
            while not frames or frames[-1]["type"] != "final":
                frames.append(await recv_json(ws))
            self.assertEqual(frames[-1]["result"], "BOTH")
            self.assertEqual(len(frames), STEPS + 1)
        await phone.close()
        await laptop.close()

    async def test_backend_publishes_to_one_client(self):
        ws, _ = await connect(self.server, query="client_id=erin")
        await recv_json(ws)
        status, body = post_json(self.server, "/api/publish",
                                 {"topic": "inbox.erin", "data": {"note": "your report is ready"}})
        self.assertEqual((status, body["offset"]), (200, 1))
        event = await recv_json(ws)
        self.assertEqual((event["type"], event["topic"], event["offset"], event["data"]),
                         ("event", "inbox.erin", 1, {"note": "your report is ready"}))
        await ws.close()

    async def test_anonymous_clients_keep_direct_streams_and_cancel_works(self):
        ws, welcome = await connect(self.server)
        self.assertNotIn("inbox", welcome)
        await send_json(ws, {"type": "request", "id": 1, "payload": {"text": "x"}})
        self.assertNotIn("offset", await recv_json(ws))
        await send_json(ws, {"type": "cancel", "id": 1})
        self.assertEqual((await recv_json(ws))["code"], "cancelled")
        await ws.close()

    async def test_resuming_past_the_inbox_end_still_delivers_new_streams(self):
        # E.g. the server restarted without storage and the client kept its old offset.
        ws, _ = await connect(self.server, query="client_id=frank&since=999")
        refused = await recv_json(ws)
        self.assertEqual(refused["code"], "invalid_offset")
        self.assertEqual((await recv_json(ws))["type"], "subscribed")
        await send_json(ws, {"type": "request", "id": "n", "payload": {"text": "still here"}})
        frames = []
        while not frames or frames[-1]["type"] != "final":
            frames.append(await recv_json(ws))
        self.assertEqual(frames[-1]["result"], "STILL HERE")
        await ws.close()

    async def test_the_inbox_cannot_be_unsubscribed(self):
        ws, _ = await connect(self.server, query="client_id=gina")
        await recv_json(ws)
        await send_json(ws, {"type": "unsubscribe", "topic": "inbox.gina", "id": 1})
        answer = await recv_json(ws)
        self.assertEqual((answer["code"], answer["id"]), ("topic_forbidden", 1))
        await ws.close()

    async def test_bad_client_id_is_refused_at_the_upgrade(self):
        for query in ["client_id=a/b", "client_id=alice&since=x", "since=3"]:
            with self.assertRaises(Exception) as caught:
                await connect(self.server, query=query)
            self.assertIn("400", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
