"""Topics over WebSocket and HTTP: publish/subscribe, history with `since`, gaps, epochs,
retain_last and the slow-subscriber policies, against the real binary.

Over 400 lines because these tests share one server configuration and its helpers; storage,
inboxes and isolation have files of their own."""

import asyncio
import json
import os
import subprocess
import time
import unittest

from harness import (PATIENCE, REPO, Sluice, config_with, connect, get_json, post_json, recv_json,
                     send_json, wait_closed)

TOPICS = config_with(extra="""
topics:
  patterns:
    "small.*": {history: {size: 5}}
    "status.*": {history: {size: 1}, retain_last: true}
    "readonly.*": {publish: false}
    "hidden.*": {subscribe: false}
    "load.*": {history: {size: 20000}, max_lag: 20000}
    "*": {}
  max_topics: 50
  max_message_bytes: 1KiB
""")

WSCAT = os.path.join(REPO, "node_modules", ".bin", "wscat")


async def subscribe(ws, topic, since=None, request_id=None, **extra):
    """Subscribes; returns the `subscribed` frame."""
    frame = {"type": "subscribe", "topic": topic, **extra}
    if since is not None:
        frame["since"] = since
    if request_id is not None:
        frame["id"] = request_id
    await send_json(ws, frame)
    ack = await recv_json(ws)
    assert ack["type"] == "subscribed", ack
    return ack


async def publish(ws, topic, data, request_id="p"):
    """Publishes and waits for the acknowledgement; returns the offset."""
    await send_json(ws, {"type": "publish", "topic": topic, "data": data, "id": request_id})
    while True:
        frame = await recv_json(ws)
        if frame.get("id") == request_id:
            assert frame["type"] == "published", frame
            return frame["offset"]


async def publish_many(ws, topic, total):
    """Publishes the numbers 1..total without ids (no acknowledgements), then one with an id:
    its acknowledgement means all were published."""
    for i in range(1, total):
        await send_json(ws, {"type": "publish", "topic": topic, "data": i})
        if i % 100 == 0:
            await asyncio.sleep(0)  # the subscribers get their turn
    await publish(ws, topic, total, request_id="last")


async def subscribers_reach(server, topic, count):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        status, info = get_json(server, f"/api/topics/{topic}")
        if status == 200 and info["subscribers"] == count:
            return True
        await asyncio.sleep(0.02)
    return False


class PublishSubscribe(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)  # debug mode slows 10 000-message runs ~20x
        self.server = Sluice(TOPICS).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_two_subscribers_get_what_a_third_client_and_http_publish(self):
        a, _ = await connect(self.server)
        b, _ = await connect(self.server)
        c, _ = await connect(self.server)
        ack = await subscribe(a, "chat.room", request_id="s1")
        self.assertEqual((ack["id"], ack["topic"], ack["first"], ack["last"]), ("s1", "chat.room", 1, 0))
        await subscribe(b, "chat.room")
        self.assertEqual(await publish(c, "chat.room", {"text": "hi"}), 1)
        status, body = post_json(self.server, "/api/publish", {"topic": "chat.room", "data": "from http"})
        self.assertEqual((status, body["topic"], body["offset"]), (200, "chat.room", 2))
        self.assertEqual(body["epoch"], ack["epoch"])  # the epoch the offset belongs to
        for ws in (a, b):
            first, second = await recv_json(ws), await recv_json(ws)
            self.assertEqual((first["type"], first["topic"], first["offset"], first["data"]),
                             ("event", "chat.room", 1, {"text": "hi"}))
            self.assertEqual((second["offset"], second["data"]), (2, "from http"))
            self.assertIsInstance(first["ts"], int)
        for ws in (a, b, c):
            await ws.close()

    async def test_wscat_subscribers_receive_ws_and_http_publishes(self):
        procs = [subprocess.Popen(
            [WSCAT, "-c", self.server.ws_url, "-x", '{"type":"subscribe","topic":"news"}',
             "-w", str(PATIENCE)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
        try:
            self.assertTrue(await subscribers_reach(self.server, "news", 2))
            publisher, _ = await connect(self.server)
            await publish(publisher, "news", "over websocket")
            post_json(self.server, "/api/publish", {"topic": "news", "data": "over http"})
            for proc in procs:
                frames = []
                while len(frames) < 4:  # welcome, subscribed, two events
                    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), PATIENCE)
                    self.assertTrue(line, "wscat ended early")
                    if line.strip():
                        frames.append(json.loads(line))
                self.assertEqual([f["type"] for f in frames], ["welcome", "subscribed", "event", "event"])
                self.assertEqual([f["data"] for f in frames[2:]], ["over websocket", "over http"])
            await publisher.close()
        finally:
            for proc in procs:
                proc.kill()
                proc.communicate()

    async def test_a_subscription_with_kinds_gets_only_those(self):
        ws, _ = await connect(self.server)
        await subscribe(ws, "chat.kinds", kinds=["tool_call", "event"])
        published = [{"kind": "token", "t": "a"}, {"kind": "tool_call", "name": "search"},
                     "plain text", {"type": "token"}, {"type": "tool_call", "n": 2}]
        for data in published:
            post_json(self.server, "/api/publish", {"topic": "chat.kinds", "data": data})
        got = [await recv_json(ws) for _ in range(3)]
        self.assertEqual([(f["offset"], f["data"]) for f in got],
                         [(2, published[1]), (3, "plain text"), (5, published[4])])
        await send_json(ws, {"type": "subscribe", "topic": "chat.kinds", "kinds": [], "id": 1})
        self.assertEqual((await recv_json(ws))["code"], "invalid_frame")
        await ws.close()

    async def test_since_replays_history_then_live_without_gap_or_duplicate(self):
        publisher, _ = await connect(self.server)
        total = 3000

        task = asyncio.create_task(publish_many(publisher, "load.a", total))
        # Subscribe from 0 while the publisher runs: part comes from history, part live.
        while get_json(self.server, "/api/topics/load.a")[0] != 200:
            await asyncio.sleep(0.001)
        sub, _ = await connect(self.server)
        await subscribe(sub, "load.a", since=0)
        offsets = []
        while len(offsets) < total:
            frame = await recv_json(sub)
            self.assertEqual(frame["type"], "event", frame)
            self.assertEqual(frame["data"], frame["offset"])
            offsets.append(frame["offset"])
        await task
        self.assertEqual(offsets, list(range(1, total + 1)))
        await publisher.close()
        await sub.close()

    async def test_batch_subscribers_get_several_events_per_frame_one_per_line(self):
        for n in range(1, 11):
            status, _ = post_json(self.server, "/api/publish", {"topic": "chat.batch", "data": n})
            self.assertEqual(status, 200)
        ws, _ = await connect(self.server)
        await send_json(ws, {"type": "subscribe", "topic": "chat.batch", "since": 0, "batch": True})
        self.assertEqual((await recv_json(ws))["type"], "subscribed")
        replay = await asyncio.wait_for(ws.recv(), PATIENCE)  # history goes out as one hand-off
        lines = [json.loads(line) for line in replay.split("\n")]
        self.assertEqual([(e["type"], e["offset"], e["data"]) for e in lines],
                         [("event", n, n) for n in range(1, 11)])
        # Live: a single event is a frame of one line, as without `batch`.
        status, _ = post_json(self.server, "/api/publish", {"topic": "chat.batch", "data": 11})
        self.assertEqual((await recv_json(ws))["offset"], 11)
        await ws.close()

    async def test_reconnecting_subscriber_gets_every_offset_once_in_order(self):
        total, reconnects = 10000, 6
        publisher, _ = await connect(self.server)

        task = asyncio.create_task(publish_many(publisher, "load.r", total))
        received = []
        for round_number in range(reconnects + 1):
            ws, _ = await connect(self.server)
            await subscribe(ws, "load.r", since=received[-1] if received else 0)
            # Each round reads a share, then drops the connection without a close handshake.
            quota = total if round_number == reconnects else total // (reconnects + 2)
            got = 0
            while got < quota and (not received or received[-1] < total):
                frame = await recv_json(ws)
                self.assertEqual(frame["type"], "event", frame)
                received.append(frame["offset"])
                got += 1
            ws.transport.abort()
        await task
        self.assertEqual(received, list(range(1, total + 1)))
        await publisher.close()

    async def test_gap_when_history_no_longer_reaches_back(self):
        ws, _ = await connect(self.server)
        for i in range(1, 11):
            await publish(ws, "small.t", i)
        ack = await subscribe(ws, "small.t", since=2)
        self.assertEqual((ack["first"], ack["last"]), (6, 10))
        gap = await recv_json(ws)
        self.assertEqual(gap, {"type": "gap", "topic": "small.t", "epoch": ack["epoch"],
                               "from": 3, "to": 5, "reason": "history"})
        self.assertEqual([(await recv_json(ws))["offset"] for _ in range(5)], [6, 7, 8, 9, 10])
        await ws.close()

    async def test_other_epoch_is_announced_then_history_follows(self):
        ws, _ = await connect(self.server)
        await publish(ws, "chat.e", "a")
        await publish(ws, "chat.e", "b")
        # Epochs are the topic's creation time in ms: 1 is one no topic has.
        ack = await subscribe(ws, "chat.e", since=1, epoch=1)
        gap = await recv_json(ws)
        self.assertEqual((gap["type"], gap["reason"], gap["epoch"]), ("gap", "epoch", ack["epoch"]))
        self.assertEqual([(await recv_json(ws))["data"] for _ in range(2)], ["a", "b"])
        # The right epoch resumes normally.
        again = await subscribe(ws, "chat.e", since=1, epoch=ack["epoch"])
        self.assertEqual(again["epoch"], ack["epoch"])
        self.assertEqual((await recv_json(ws))["data"], "b")
        await ws.close()

    async def test_retain_last_sends_the_last_message_at_once(self):
        ws, _ = await connect(self.server)
        for state in ("starting", "ready", "busy"):
            await publish(ws, "status.worker", {"state": state})
        late, _ = await connect(self.server)
        await subscribe(late, "status.worker")
        frame = await recv_json(late)
        self.assertEqual((frame["offset"], frame["data"]), (3, {"state": "busy"}))
        # A plain topic sends nothing until the next publish.
        await publish(ws, "chat.quiet", 1)
        await subscribe(late, "chat.quiet")
        await send_json(late, {"type": "ping", "id": "p"})
        self.assertEqual(await recv_json(late), {"type": "pong", "id": "p"})
        await ws.close()
        await late.close()

    async def test_unsubscribe_stops_delivery(self):
        ws, _ = await connect(self.server)
        await subscribe(ws, "chat.u")
        await send_json(ws, {"type": "unsubscribe", "topic": "chat.u", "id": 9})
        self.assertEqual(await recv_json(ws), {"type": "unsubscribed", "id": 9, "topic": "chat.u"})
        await publish(ws, "chat.u", "not for me")  # only the ack comes back
        await send_json(ws, {"type": "publish", "topic": "chat.u", "data": "no id"})
        await send_json(ws, {"type": "ping", "id": "p"})  # fire and forget: no answer before it
        self.assertEqual(await recv_json(ws), {"type": "pong", "id": "p"})
        await ws.close()

    async def test_http_topic_api(self):
        ws, _ = await connect(self.server)
        await subscribe(ws, "chat.api")
        for i in range(1, 4):
            post_json(self.server, "/api/publish", {"topic": "chat.api", "data": {"n": i}})
        status, info = get_json(self.server, "/api/topics/chat.api")
        self.assertEqual(status, 200)
        self.assertEqual({k: info[k] for k in ("topic", "first", "last", "retained", "subscribers",
                                               "persistent")},
                         {"topic": "chat.api", "first": 1, "last": 3, "retained": 3,
                          "subscribers": 1, "persistent": False})
        status, history = get_json(self.server, "/api/topics/chat.api/history?since=1&limit=1")
        self.assertEqual(status, 200)
        self.assertEqual([m["data"] for m in history["messages"]], [{"n": 2}])
        self.assertEqual(history["next_since"], 2)
        status, listing = get_json(self.server, "/api/topics")
        self.assertEqual([t["topic"] for t in listing["topics"]], ["chat.api"])
        # Inboxes hold one client's streams: only an API key lists them (this server has none).
        status, refusal = get_json(self.server, "/api/topics?inboxes")
        self.assertEqual((status, refusal["error"]), (403, "forbidden"))
        metrics = self.server.metrics()
        self.assertGreaterEqual(metrics["sluice_topic_messages_published_total"], 3)
        self.assertGreaterEqual(metrics["sluice_topic_messages_delivered_total"], 3)
        self.assertGreaterEqual(metrics["sluice_topic_subscriptions"], 1)
        await ws.close()


class SlowSubscribers(unittest.IsolatedAsyncioTestCase):
    """A subscriber that stops reading never holds up the publisher; its topic's policy decides
    what happens to it."""

    CONFIG = config_with(extra="""
limits:
  outbound_messages: 64
  outbound_bytes: 256KiB
topics:
  patterns:
    "drop.*": {history: {size: 5000}, max_lag: 50}
    "cut.*": {history: {size: 5000}, max_lag: 50, slow_subscriber: disconnect}
  max_message_bytes: 16KiB
""")
    COUNT = 1500
    BLOB = "x" * 8000

    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)  # as above: high-volume streams
        self.server = Sluice(self.CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def publish_burst(self, topic):
        """Publishes COUNT messages over HTTP (as a backend would); every one is acknowledged."""
        def burst():
            return [post_json(self.server, "/api/publish", {"topic": topic, "data": self.BLOB})[0]
                    for _ in range(self.COUNT)]
        statuses = await asyncio.to_thread(burst)
        self.assertEqual(statuses, [200] * self.COUNT)

    async def test_drop_oldest_announces_the_skipped_range(self):
        slow, _ = await connect(self.server, max_queue=1)
        fast, _ = await connect(self.server)
        await subscribe(slow, "drop.a")
        await subscribe(fast, "drop.a")
        fast_offsets = []

        async def read_fast():
            while len(fast_offsets) < self.COUNT:
                frame = await recv_json(fast)
                self.assertEqual(frame["type"], "event", frame)
                fast_offsets.append(frame["offset"])

        reader = asyncio.create_task(read_fast())
        await self.publish_burst("drop.a")  # while `slow` reads nothing
        await reader
        self.assertEqual(fast_offsets, list(range(1, self.COUNT + 1)))
        # Now the slow one reads: every offset arrives once, in order, or inside a gap.
        covered, gaps = [], 0
        while not covered or covered[-1] < self.COUNT:
            frame = await recv_json(slow)
            if frame["type"] == "gap":
                self.assertEqual(frame["reason"], "slow")
                covered.extend(range(frame["from"], frame["to"] + 1))
                gaps += 1
            else:
                covered.append(frame["offset"])
        self.assertGreater(gaps, 0)
        self.assertEqual(covered, list(range(1, self.COUNT + 1)))
        self.assertGreater(self.server.metrics()['sluice_topic_gaps_total{reason="slow"}'], 0)
        await slow.close()
        await fast.close()

    async def test_disconnect_policy_closes_the_slow_subscriber_only(self):
        slow, _ = await connect(self.server, max_queue=1)
        fast, _ = await connect(self.server)
        await subscribe(slow, "cut.a")
        await subscribe(fast, "cut.a")
        received = []

        async def read_fast():
            while len(received) < self.COUNT:
                received.append((await recv_json(fast))["offset"])

        reader = asyncio.create_task(read_fast())
        await self.publish_burst("cut.a")
        await reader
        self.assertEqual(received, list(range(1, self.COUNT + 1)))
        code, reason = await wait_closed(slow)
        self.assertEqual(code, 1008)
        self.assertEqual(reason, "subscriber fell more than 50 messages behind on topic cut.a")
        self.assertEqual(self.server.metrics()["sluice_topic_slow_disconnects_total"], 1)
        await fast.close()


class TopicBadInput(unittest.IsolatedAsyncioTestCase):
    """Each bad topic frame or API call gets its typed error; the session and server carry on."""

    async def asyncSetUp(self):
        self.server = Sluice(TOPICS).__enter__()
        self.ws, _ = await connect(self.server, query="client_id=carol")
        await recv_json(self.ws)  # the inbox subscription

    async def asyncTearDown(self):
        await self.ws.close()
        self.server.__exit__(None, None, None)

    async def assert_error(self, frame, code, message=None):
        await send_json(self.ws, frame)
        answer = await recv_json(self.ws)
        self.assertEqual((answer["type"], answer["code"]), ("error", code), answer)
        if message is not None:
            self.assertEqual(answer["message"], message)
        if "id" in frame:
            self.assertEqual(answer["id"], frame["id"])
        await send_json(self.ws, {"type": "ping", "id": "alive"})
        self.assertEqual(await recv_json(self.ws), {"type": "pong", "id": "alive"})

    async def test_invalid_topic_names(self):
        for name in ["", "a b", ".dot", "x" * 129, "chat/1", "ü"]:
            await self.assert_error({"type": "subscribe", "topic": name, "id": 1}, "invalid_topic")
        await self.assert_error({"type": "publish", "topic": "a*", "data": 1}, "invalid_topic")
        await self.assert_error({"type": "subscribe", "topic": 5}, "invalid_frame")

    async def test_topics_the_config_does_not_allow(self):
        await self.assert_error({"type": "subscribe", "topic": "hidden.x", "id": "h"}, "topic_forbidden",
                                'clients may not subscribe to "hidden.x"')
        await self.assert_error({"type": "publish", "topic": "readonly.x", "data": 1},
                                "topic_forbidden", 'clients may not publish to "readonly.x"')
        await self.assert_error({"type": "subscribe", "topic": "inbox.dave"}, "topic_forbidden",
                                "a client may only use its own inbox")
        await self.assert_error({"type": "publish", "topic": "inbox.carol", "data": 1},
                                "topic_forbidden", 'clients may not publish to "inbox.carol"')

    async def test_publish_over_the_size_limit(self):
        await self.assert_error({"type": "publish", "topic": "chat.big", "data": "x" * 2000, "id": 4},
                                "message_too_large",
                                "`data` is 2002 bytes; topics.max_message_bytes is 1024")
        status, body = post_json(self.server, "/api/publish", {"topic": "chat.big", "data": "x" * 2000})
        self.assertEqual((status, body["error"]), (413, "message_too_large"))

    async def test_bad_since(self):
        await self.assert_error({"type": "subscribe", "topic": "chat.s", "since": "3"}, "invalid_offset")
        await self.assert_error({"type": "subscribe", "topic": "chat.s", "since": -1}, "invalid_offset")
        await self.assert_error({"type": "subscribe", "topic": "chat.s", "since": 2.5}, "invalid_offset")
        await publish(self.ws, "chat.s", 1)
        await send_json(self.ws, {"type": "subscribe", "topic": "chat.s", "since": 99, "id": "f"})
        answer = await recv_json(self.ws)
        self.assertEqual((answer["code"], answer["id"]), ("invalid_offset", "f"))
        self.assertTrue(answer["message"].startswith("`since` 99 is past the last offset (1) of topic chat.s"))

    async def test_bad_batch(self):
        await self.assert_error({"type": "subscribe", "topic": "chat.s", "batch": "yes", "id": 2},
                                "invalid_frame", "`batch` must be true or false")

    async def test_unsubscribe_from_something_not_subscribed(self):
        await self.assert_error({"type": "unsubscribe", "topic": "chat.never", "id": "u"},
                                "not_subscribed", "not subscribed to chat.never")

    async def test_too_many_topics(self):
        for i in range(60):
            await send_json(self.ws, {"type": "subscribe", "topic": f"many.{i}"})
        codes = [(await recv_json(self.ws)).get("code") for _ in range(60)]
        self.assertIn("too_many_topics", codes)
        status, body = post_json(self.server, "/api/publish", {"topic": "many.more", "data": 1})
        self.assertEqual((status, body["error"]), (503, "too_many_topics"))

    async def test_http_api_bad_requests(self):
        for method, path, body, status, code in [
            ("POST", "/api/publish", "{nope", 400, "invalid_json"),
            ("POST", "/api/publish", '{"topic":"a b","data":1}', 400, "invalid_topic"),
            ("POST", "/api/publish", '{"topic":"chat.x"}', 400, "invalid_frame"),
            ("POST", "/api/publish", '{"topic":"unmatched","data":1}', 200, None),
            ("GET", "/api/publish", None, 405, "method_not_allowed"),
            ("GET", "/api/topics/nosuch", None, 404, "unknown_topic"),
            ("GET", "/api/topics/chat.x/history?limit=0", None, 400, "bad_request"),
            ("GET", "/api/topics/chat.x/history?limit=99999999999999999999", None, 400, "bad_request"),
            ("GET", "/api/topics/chat.x/history?since=-5", None, 400, "invalid_offset"),
            ("GET", "/api/topics/unmatched/history?since=50", None, 400, "invalid_offset"),
        ]:
            got_status, _, got_body = self.server.http(method, path, body)
            self.assertEqual(got_status, status, (method, path, got_body))
            if code:
                self.assertEqual(json.loads(got_body)["error"], code)
        # Still serving.
        self.assertEqual(post_json(self.server, "/api/publish", {"topic": "chat.x", "data": 1})[0], 200)


if __name__ == "__main__":
    unittest.main()
