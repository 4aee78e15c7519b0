"""Per-client inboxes: request streams that survive a reconnect, every connection of a client
getting them, and backends publishing to one client over HTTP."""

import asyncio
import hashlib
import time
import unittest

import websockets

from harness import (PATIENCE, Sluice, config_with, connect, get_json, is_accepted, post_json,
                     recv_json, send_json, send_request, wait_closed)

STEPS = 6
API_KEY = "inbox-test-api-key-0123456789"
API_KEY_SHA256 = hashlib.sha256(API_KEY.encode()).hexdigest()
CONFIG = config_with(steps=STEPS, interval="150ms")


class Inbox(unittest.IsolatedAsyncioTestCase):
    """Inboxes under the embedded defaults (expire_after 10m)."""
    async def asyncSetUp(self):
        self.server = Sluice(CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_request_stream_survives_a_reconnect(self):
        ws, welcome = await connect(self.server, query="client_id=alice")
        self.assertEqual(welcome["inbox"], "inbox.alice")
        resume = welcome["resume"]  # the credential that makes client_id=alice this client's
        ack = await recv_json(ws)
        self.assertEqual((ack["type"], ack["topic"]), ("subscribed", "inbox.alice"))
        await send_json(ws, {"type": "request", "id": "r1", "payload": {"text": "resume me"}})
        accepted = await recv_json(ws)  # kept in the inbox like every frame of the stream
        self.assertTrue(is_accepted(accepted, "r1"), accepted)
        self.assertEqual(accepted["topic"], "inbox.alice")
        first = await recv_json(ws)
        self.assertEqual((first["type"], first["id"], first["step"], first["topic"]),
                         ("progress", "r1", 1, "inbox.alice"))
        # The client drops without a close handshake (a phone changing networks).
        ws.transport.abort()
        await asyncio.sleep(0.4)  # the request goes on meanwhile; not needed for correctness
        again, _ = await connect(self.server,
                                 query=f"client_id=alice&since={first['offset']}&epoch={ack['epoch']}"
                                       f"&resume={resume}")
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
        phone, welcome = await connect(self.server, query="client_id=bob")
        laptop, _ = await connect(self.server, query="client_id=bob&resume=" + welcome["resume"])
        await recv_json(phone)
        await recv_json(laptop)
        await send_json(phone, {"type": "request", "id": "q", "payload": {"text": "both"}})
        for ws in (phone, laptop):
            frames = []
            while not frames or frames[-1]["type"] != "final":
                frames.append(await recv_json(ws))
            self.assertEqual(frames[-1]["result"], "BOTH")
            self.assertTrue(is_accepted(frames[0], "q"), frames[0])  # the laptop learns of it too
            self.assertEqual(len(frames), STEPS + 2)
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

    async def test_anonymous_clients_have_a_session_inbox_and_direct_streams(self):
        ws, welcome = await connect(self.server)
        self.assertEqual(welcome["inbox"], "inbox." + welcome["session"])
        # A backend reaches this one connection through it.
        status, _ = post_json(self.server, "/api/publish",
                              {"topic": welcome["inbox"], "data": "just you"})
        self.assertEqual(status, 200)
        event = await recv_json(ws)  # no `subscribed` frame came first: nothing to resume
        self.assertEqual((event["type"], event["data"]), ("event", "just you"))
        # Its request frames come straight to it (a reconnect could not resume them).
        accepted = await send_request(ws, {"type": "request", "id": 1, "payload": {"text": "x"}})
        self.assertNotIn("offset", accepted)
        self.assertNotIn("offset", await recv_json(ws))
        await send_json(ws, {"type": "cancel", "id": 1})
        self.assertEqual((await recv_json(ws))["code"], "cancelled")
        await ws.close()

    async def test_a_connections_own_inbox_starts_only_when_something_is_sent_to_it(self):
        before = self.server.metrics()["sluice_topics"]
        clients = [await connect(self.server) for _ in range(20)]
        self.assertEqual(self.server.metrics()["sluice_topics"], before)  # idle: no inbox topics
        ws, welcome = clients[3]
        for n in (1, 2):
            status, _ = post_json(self.server, "/api/publish", {"topic": welcome["inbox"], "data": n})
            self.assertEqual(status, 200)
            self.assertEqual((await recv_json(ws))["data"], n)
        self.assertEqual(self.server.metrics()["sluice_topics"], before + 1)
        for c, _ in clients:
            await c.close()
        self.assertEqual(await self.server.metric_reaches("sluice_topics", before), before)

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


class InboxExpiry(unittest.IsolatedAsyncioTestCase):
    """An inbox nobody uses leaves (so that client ids that never come back do not pile up);
    one in use stays."""

    CONFIG = config_with(steps=4, interval="250ms",
                         extra="topics:\n  inbox: {expire_after: 300ms, max_inboxes: 3}\n"
                               f"auth:\n  http_api_keys:\n    ops: {{sha256: {API_KEY_SHA256}}}\n")

    async def asyncSetUp(self):
        self.server = Sluice(self.CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def inbox_status(self, name):
        return get_json(self.server, f"/api/topics/{name}", {"Authorization": "Bearer " + API_KEY})[0]

    async def test_unused_inboxes_expire_and_used_ones_stay(self):
        gone, _ = await connect(self.server, query="client_id=leaver")
        stays, _ = await connect(self.server, query="client_id=stayer")
        await gone.close()
        deadline = time.monotonic() + PATIENCE
        while await self.inbox_status("inbox.leaver") != 404 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.assertEqual(await self.inbox_status("inbox.leaver"), 404)
        self.assertEqual(await self.inbox_status("inbox.stayer"), 200)
        self.assertGreaterEqual(self.server.metrics()["sluice_topics_expired_total{kind=\"inbox\"}"], 1)
        # A client that comes back later starts a fresh inbox.
        back, _ = await connect(self.server, query="client_id=leaver")
        self.assertEqual((await recv_json(back))["last"], 0)
        await back.close()
        await stays.close()

    async def test_a_running_request_keeps_its_inbox(self):
        ws, welcome = await connect(self.server, query="client_id=busy")
        ack = await recv_json(ws)
        await send_json(ws, {"type": "request", "id": "long", "payload": {"text": "kept"}})
        first = await recv_json(ws)
        ws.transport.abort()
        # The request runs about 1 s, well past expire_after: its inbox must stay meanwhile.
        await asyncio.sleep(0.6)
        again, _ = await connect(self.server, query=f"client_id=busy&since={first['offset']}"
                                                    f"&epoch={ack['epoch']}&resume={welcome['resume']}")
        self.assertEqual((await recv_json(again))["type"], "subscribed")
        rest = []
        while not rest or rest[-1]["type"] != "final":
            rest.append(await recv_json(again))
        self.assertEqual(rest[-1]["result"], "KEPT")
        await again.close()

    async def test_inbox_limit(self):
        kept = [(await connect(self.server, query=f"client_id=c{i}"))[0] for i in range(3)]
        extra = await websockets.connect(self.server.ws_url + "?client_id=c3")
        refused = await recv_json(extra)
        self.assertEqual(refused["code"], "too_many_topics")
        self.assertEqual(await wait_closed(extra), (1008, "too_many_topics"))
        for ws in kept:
            await ws.close()


if __name__ == "__main__":
    unittest.main()
