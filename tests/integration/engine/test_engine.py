"""Topics in the engine (engine: kind: nats): real nats-server processes with JetStream (one, or a
cluster of three with R3 streams) and two or more Sluice nodes on loopback. What one node publishes
reaches the other's subscribers; history survives a Sluice node (it is in the stream); publishes fail
fast while NATS is unreachable and subscribers get everything once it is back; with a NATS server and
a Sluice node killed (-9) while two publishers run, every acknowledged publish is delivered to the
surviving subscriber, offsets never repeat or go backwards, and a client resuming on the surviving
node gets exactly what it missed."""

import asyncio
import contextlib
import hashlib
import json
import signal
import subprocess
import tempfile
import unittest

import websockets

from harness import (PATIENCE, SLUICE_BIN, Sluice, assert_config_errors, connect, freeze,
                     get_json, is_accepted, logs_on_failure, post_json, recv_json, send_json)
from nats import Nats, engine_config, free_port
from nats_admin import delete_stream, last_message, stream_info
from nats_proxy import HoldingProxy


def open_ws(node, query=""):
    return websockets.connect(node.ws_url + query)


async def subscribe(ws, topic, since=None, sid="s", **extra):
    frame = {"type": "subscribe", "id": sid, "topic": topic, **extra}
    if since is not None:
        frame["since"] = since
    await send_json(ws, frame)
    while True:
        f = await recv_json(ws)
        if f.get("id") == sid:
            return f


async def frame_of(ws, kind):
    """The next frame of type `kind` on `ws`, skipping others."""
    while (f := await recv_json(ws))["type"] != kind:
        pass
    return f


async def events_of(ws, count):
    """The next `count` event frames on `ws`, skipping others."""
    return [await frame_of(ws, "event") for _ in range(count)]


async def publish(ws, topic, data, pid):
    await send_json(ws, {"type": "publish", "id": pid, "topic": topic, "data": data})
    while True:
        f = await recv_json(ws)
        if f.get("id") == pid:
            return f


async def events_until(ws, topic, last, into, patience=PATIENCE):
    """Reads events of `topic` into `into` (offset, data) until offset `last` arrived; `patience`:
    how long to wait for each frame."""
    while not into or into[-1][0] < last:
        f = await recv_json(ws, patience)
        if f.get("type") == "event" and f.get("topic") == topic:
            into.append((f["offset"], f["data"]))
        elif f.get("type") == "gap":
            raise AssertionError(f"unexpected gap: {f}")


async def until_subscribed(node, topic, count, headers=None):
    for _ in range(PATIENCE * 20):
        status, info = get_json(node, f"/api/topics/{topic}", headers)
        if status == 200 and info["subscribers"] == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{topic} never had {count} subscribers")


async def frames_until_closed(node, query):
    """Connects with `query` and reads every frame until the server closes; returns (frames, close
    code)."""
    ws = await websockets.connect(node.ws_url + "?" + query)
    frames = []
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), PATIENCE)))
    return frames, ws.close_code


async def stream_last(url, stream):
    """The stream's last sequence, as JetStream says (once the stream has a leader)."""
    for _ in range(PATIENCE * 10):
        info = stream_info(url, stream)
        if "state" in info:
            return info["state"]["last_seq"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no state for stream {stream}: {info}")


def full_history(node, topic):
    out, since = [], 0
    while since is not None:
        status, page = get_json(node, f"/api/topics/{topic}/history?since={since}&limit=1000")
        assert status == 200, page
        out += [(m["offset"], m["data"]) for m in page["messages"]]
        since = page["next_since"]
    return out, page["epoch"]


class EngineConfig(unittest.TestCase):
    def test_check_config_needs_no_server_and_names_bad_entries(self):
        config = engine_config([f"nats://127.0.0.1:{free_port()}"])  # nothing listens there
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(config)
            f.flush()
            r = subprocess.run([SLUICE_BIN, "--check-config", "--config", f.name], capture_output=True,
                               text=True, timeout=PATIENCE)
        self.assertEqual(r.returncode, 0, r.stderr)
        base = "routes: {up: {kind: uppercase}}\nengine:\n  kind: nats\n"
        assert_config_errors(self, [
            (base, r"engine.servers: `kind: nats` needs `servers`"),
            (base + '  servers: ["nats://h:1"]\n  creds_file: /no/such.creds\n',
             r'engine.creds_file: cannot read "/no/such.creds"'),
            (base + '  servers: ["nats://h:1"]\n  replicas: 9\n', r"engine.replicas: must be between 1 and 5"),
        ])

    def test_the_server_starts_while_nats_is_unreachable_and_says_so(self):
        config = engine_config([f"nats://127.0.0.1:{free_port()}"])
        with Sluice(config) as a:
            status, ready = get_json(a, "/readyz")
            self.assertEqual((status, ready["status"], ready["engine"]["state"]), (200, "degraded", "connecting"))
            self.assertEqual(get_json(a, "/readyz?strict")[0], 503)
            status, body = post_json(a, "/api/publish", {"topic": "room.x", "data": 1})
            self.assertEqual((status, body["error"]), (503, "engine_unavailable"))
            # Topics outside engine.topics stay in memory and work.
            status, body = post_json(a, "/api/publish", {"topic": "local.x", "data": 1})
            self.assertEqual((status, body["offset"]), (200, 1), body)


class EngineOneServer(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)

    async def test_publish_on_one_node_reaches_subscribers_on_another(self):
        nats = Nats(self)
        with Sluice(engine_config(nats.urls)) as a, Sluice(engine_config(nats.urls)) as b:
            async with open_ws(a) as pa, open_ws(b) as sb:
                await recv_json(pa), await recv_json(sb)  # welcome
                subscribed = await subscribe(sb, "room.one", since=0)
                self.assertEqual(subscribed["type"], "subscribed", subscribed)
                answers = [await publish(pa, "room.one", {"n": i}, f"p{i}") for i in range(1, 6)]
                self.assertEqual([(f["type"], f["offset"]) for f in answers],
                                 [("published", i) for i in range(1, 6)])
                self.assertEqual({f["epoch"] for f in answers}, {subscribed["epoch"]})
                got = []
                await asyncio.wait_for(events_until(sb, "room.one", 5, got), PATIENCE)
                self.assertEqual(got, [(i, {"n": i}) for i in range(1, 6)])
            # HTTP publishes go the same way.
            status, body = post_json(b, "/api/publish", {"topic": "room.one", "data": "http"})
            self.assertEqual((status, body["offset"]), (200, 6), body)
            self.assertEqual(get_json(a, "/readyz")[1]["engine"]["state"], "connected")
            metrics = a.metrics()
            self.assertGreaterEqual(metrics['sluice_engine_publishes_total{result="acked"}'], 5)
            self.assertEqual(metrics["sluice_engine_connected"], 1)

    async def test_a_users_channel_reaches_every_session_of_the_user_on_every_node(self):
        nats = Nats(self)
        keys = {"ann-key": "ann", "bob-key": "bob"}
        auth = ("auth:\n  anonymous: false\n  api_keys:\n" +
                "".join(f"    {sub}: {{sha256: {hashlib.sha256(k.encode()).hexdigest()}, sub: {sub}}}\n"
                        for k, sub in keys.items()) +
                f"  http_api_keys:\n    backend: {{sha256: {hashlib.sha256(b'backend-key').hexdigest()}}}\n")
        config = engine_config(nats.urls, topics=("room.*", "user.*"), head=auth)

        def as_user(node, key):
            return websockets.connect(node.ws_url, extra_headers={"Authorization": "Bearer " + key})

        with Sluice(config) as a, Sluice(config) as b:
            async with as_user(a, "ann-key") as ann_a, as_user(b, "ann-key") as ann_b, \
                    as_user(b, "bob-key") as bob_b:
                for ws in (ann_a, ann_b, bob_b):
                    self.assertEqual((await recv_json(ws))["type"], "welcome")
                # A session subscribes to its user's channel as it connects; on a node where the
                # channel is new, that subscription is in once the node has opened its stream.
                for node in (a, b):
                    await until_subscribed(node, "user.ann", 1, {"Authorization": "Bearer backend-key"})
                status, body = post_json(a, "/api/publish", {"topic": "user.ann", "data": "for ann"},
                                         {"Authorization": "Bearer backend-key"})
                self.assertEqual((status, body["offset"]), (200, 1), body)
                for ws in (ann_a, ann_b):  # ann's sessions on both nodes
                    event = await recv_json(ws)
                    self.assertEqual((event["type"], event["topic"], event["data"]),
                                     ("event", "user.ann", "for ann"), event)
                await send_json(bob_b, {"type": "ping", "id": "p"})
                self.assertEqual(await recv_json(bob_b), {"type": "pong", "id": "p"})

    async def test_a_restarted_node_serves_the_full_history_from_the_engine(self):
        nats = Nats(self)
        with Sluice(engine_config(nats.urls)) as a:
            for i in range(1, 31):
                status, _ = post_json(a, "/api/publish", {"topic": "room.kept", "data": {"n": i}})
                self.assertEqual(status, 200)
            before, epoch = full_history(a, "room.kept")
            a.kill()
        self.assertEqual(len(before), 30)
        with Sluice(engine_config(nats.urls)) as again:
            after, epoch_after = full_history(again, "room.kept")
            self.assertEqual((after, epoch_after), (before, epoch))
            async with open_ws(again) as ws:
                await recv_json(ws)
                subscribed = await subscribe(ws, "room.kept", since=25)
                self.assertEqual((subscribed["first"], subscribed["last"]), (1, 30), subscribed)
                got = []
                await asyncio.wait_for(events_until(ws, "room.kept", 30, got), PATIENCE)
                self.assertEqual(got, before[25:])

    async def test_reads_of_a_topic_nobody_published_to_create_no_stream(self):
        nats = Nats(self)
        with Sluice(engine_config(nats.urls)) as a, Sluice(engine_config(nats.urls)) as b:
            for path in ("/api/topics/room.none", "/api/topics/room.none/history",
                         "/api/topics/room.none/consumers"):
                status, body = get_json(a, path)
                self.assertEqual((status, body["error"]), (404, "unknown_topic"), (path, body))
            self.assertEqual(stream_info(nats.urls[0], "SLUICE_room_2Enone")["error"]["err_code"],
                             10059)  # stream not found
            # A topic published on one node is read on another that never opened it.
            self.assertEqual(post_json(a, "/api/publish", {"topic": "room.seen", "data": 7})[0], 200)
            status, info = get_json(b, "/api/topics/room.seen")
            self.assertEqual((status, info.get("last")), (200, 1), info)
            self.assertEqual(full_history(b, "room.seen")[0], [(1, 7)])
            # With NATS away, a read of a topic not open here cannot be answered.
            nats.stop()
            status, body = get_json(b, "/api/topics/room.other")
            self.assertEqual((status, body["error"]), (503, "engine_unavailable"), body)

    async def test_a_client_ids_inbox_and_its_request_streams_follow_it_to_another_node(self):
        nats = Nats(self)
        # head: more of the topics section (inboxes unused for 2 s expire).
        config = engine_config(nats.urls, topics=("room.*", "inbox.*"),
                               head="  inbox: {expire_after: 2s}\n")
        with Sluice(config) as a, Sluice(config) as b:
            # What is sent to a client reaches it whichever node it is on.
            bob, welcome = await connect(a, query="client_id=bob")
            inbox = await recv_json(bob)
            self.assertEqual(inbox["type"], "subscribed")
            status, body = post_json(b, "/api/publish", {"topic": "inbox.bob", "data": "hi bob"})
            self.assertEqual(status, 200, body)
            note = await recv_json(bob)
            self.assertEqual((note["type"], note["data"]), ("event", "hi bob"), note)
            # The claim holds on every node: without its credential the client id is refused.
            for node in (a, b):
                frames, code = await frames_until_closed(node, "client_id=bob&since=0")
                self.assertEqual(([(f["type"], f["code"]) for f in frames], code),
                                 ([("error", "forbidden")], 1008), frames)
            # A request's stream, run on node A, resumes on node B.
            await send_json(bob, {"type": "request", "id": "r", "route": "uppercase",
                                  "payload": {"text": "move me"}})
            self.assertTrue(is_accepted(await recv_json(bob), "r"))
            first = await recv_json(bob)
            self.assertEqual((first["type"], first["step"]), ("progress", 1), first)
            bob.transport.abort()
            again, _ = await connect(b, query=f"client_id=bob&since={first['offset']}"
                                              f"&epoch={inbox['epoch']}&resume={welcome['resume']}")
            self.assertEqual((await recv_json(again))["type"], "subscribed")
            rest = []
            while not rest or rest[-1]["type"] != "final":
                rest.append(await recv_json(again))
            self.assertEqual([f["type"] for f in rest], ["progress", "progress", "final"], rest)
            self.assertEqual(rest[-1]["result"], "MOVE ME")
            self.assertEqual([f["offset"] for f in rest],
                             list(range(first["offset"] + 1, first["offset"] + 4)))
            await again.close()
            # Unused on both nodes for expire_after, the inbox leaves the engine with its
            # claim: the client id is new again.
            for _ in range(PATIENCE * 10):
                if stream_info(nats.urls[0], "SLUICE_inbox_2Ebob").get("error"):
                    break
                await asyncio.sleep(0.1)
            self.assertEqual(stream_info(nats.urls[0], "SLUICE_inbox_2Ebob")["error"]["err_code"],
                             10059)
            deleted = 'sluice_engine_streams_total{result="deleted"}'
            self.assertEqual(sum(n.metrics().get(deleted, 0) for n in (a, b)), 1)
            fresh, welcome_again = await connect(b, query="client_id=bob")
            self.assertEqual((await recv_json(fresh))["type"], "subscribed")
            self.assertNotEqual(welcome_again["resume"], welcome["resume"])
            await fresh.close()

    async def test_publishes_fail_fast_while_nats_is_away_and_subscribers_get_everything_after(self):
        nats = Nats(self)
        with Sluice(engine_config(nats.urls, topics=("room.*", "inbox.*"))) as a:
            async with open_ws(a) as sub, open_ws(a) as pub:
                await recv_json(sub), await recv_json(pub)
                await subscribe(sub, "room.away", since=0)
                self.assertEqual((await publish(pub, "room.away", 1, "p1"))["offset"], 1)
                nats.servers[0].kill()
                self.assertEqual(await a.metric_reaches("sluice_engine_connected", 0), 0)
                refused = await publish(pub, "room.away", 2, "p2")
                self.assertEqual((refused["type"], refused["code"]), ("error", "engine_unavailable"))
                status, body = post_json(a, "/api/publish", {"topic": "room.away", "data": 2})
                self.assertEqual((status, body["error"]), (503, "engine_unavailable"))
                _, ready = get_json(a, "/readyz")
                self.assertEqual((ready["status"], ready["engine"]["state"]), ("degraded", "reconnecting"))
                # A topic first used while NATS is away refuses publishes too, at once.
                status, body = post_json(a, "/api/publish", {"topic": "room.later", "data": 0})
                self.assertEqual((status, body["error"]), (503, "engine_unavailable"))
                # A client id whose inbox is in the engine cannot be claimed: told so, and
                # closed with 1013 (try again later).
                frames, code = await frames_until_closed(a, "client_id=carol")
                self.assertEqual(([(f["type"], f.get("code")) for f in frames], code),
                                 ([("error", "engine_unavailable")], 1013), frames)
                nats.restart(0)
                self.assertEqual(await a.metric_reaches("sluice_engine_connected", 1), 1)
                answer = None
                for attempt in range(100):  # until the stream is back in JetStream
                    answer = await publish(pub, "room.away", 3, f"p3-{attempt}")
                    if answer["type"] == "published":
                        break
                    await asyncio.sleep(0.1)
                self.assertEqual((answer["type"], answer["offset"]), ("published", 2), answer)
                got = []
                await asyncio.wait_for(events_until(sub, "room.away", 2, got), PATIENCE)
                self.assertEqual(got, [(1, 1), (2, 3)])
            self.assertGreaterEqual(a.metrics()["sluice_engine_reconnects_total"], 1)

    async def test_a_node_stopped_while_nats_is_frozen_exits_cleanly(self):
        # Topics open (subscriptions to end, consumers to delete) and a publish waiting for its
        # acknowledgement when the node is told to stop: the requests it would make of the
        # frozen server end with the connection, and the node exits 0 with nothing reported
        # by the sanitizers (the harness checks both on leaving the `with`).
        nats = Nats(self)
        server = nats.servers[0].proc
        self.addCleanup(server.send_signal, signal.SIGCONT)
        with Sluice(engine_config(nats.urls)) as a:
            async with open_ws(a) as ws:
                await recv_json(ws)
                for i in range(5):
                    self.assertEqual((await subscribe(ws, f"room.stop{i}", since=0))["type"],
                                     "subscribed")
                freeze(server.pid)
                await send_json(ws, {"type": "publish", "id": "late", "topic": "room.stop0",
                                     "data": 1})
                self.assertEqual(await a.metric_reaches("sluice_engine_publishes_in_flight", 1), 1)
        self.assertIn("event=stopped", "\n".join(a.log))

    async def test_publishes_over_max_in_flight_are_refused_not_queued(self):
        nats = Nats(self)
        config = engine_config(nats.urls, extra="  max_in_flight: 1\n").replace("publish_timeout: 3s",
                                                                                "publish_timeout: 20s")
        with Sluice(config) as a:
            async with open_ws(a) as ws:
                await recv_json(ws)
                # One at a time, each after the last one's answer: never refused (the NATS
                # library counts a publish as pending a moment after it was answered).
                answers = [await publish(ws, "room.busy", i, f"p{i}") for i in range(1, 51)]
                self.assertEqual([(a["type"], a.get("offset")) for a in answers],
                                 [("published", i) for i in range(1, 51)])
                server = nats.servers[0].proc
                self.addCleanup(server.send_signal, signal.SIGCONT)
                freeze(server.pid)  # connected, but acknowledges nothing
                await send_json(ws, {"type": "publish", "id": "p51", "topic": "room.busy", "data": 51})
                if await a.metric_reaches("sluice_engine_publishes_in_flight", 1) != 1:
                    # Never in flight: say what the publish was answered, and what the engine
                    # metrics were, so that a failure here can be told apart.
                    answer = await asyncio.wait_for(ws.recv(), PATIENCE)
                    engine = {k: v for k, v in a.metrics().items() if "engine" in k}
                    self.fail(f"p51 never went in flight; answered {answer}; metrics {engine}")
                status, headers, body = a.http("POST", "/api/publish",
                                               json.dumps({"topic": "room.busy", "data": 3}),
                                               {"Content-Type": "application/json"})
                self.assertEqual((status, json.loads(body)["error"]), (503, "overloaded"), body)
                self.assertEqual(headers.get("retry-after"), "1")
                server.send_signal(signal.SIGCONT)
                answer = await recv_json(ws)
                self.assertEqual((answer["id"], answer["type"], answer["offset"]), ("p51", "published", 51))
            self.assertEqual(a.metrics()['sluice_engine_publishes_total{result="overloaded"}'], 1)

    async def test_a_stream_deleted_behind_sluices_back_starts_a_new_epoch_with_a_gap(self):
        nats = Nats(self)
        with Sluice(engine_config(nats.urls)) as a, Sluice(engine_config(nats.urls)) as b:
            async with open_ws(a) as pub, open_ws(a) as here, open_ws(b) as there:
                for ws in (pub, here, there):
                    await recv_json(ws)
                first = await subscribe(here, "room.again", since=0)
                await subscribe(there, "room.again", since=0)
                for i in (1, 2, 3):
                    await publish(pub, "room.again", i, f"p{i}")
                for ws in (here, there):
                    await asyncio.wait_for(events_until(ws, "room.again", 3, []), PATIENCE)
                deleted = delete_stream(nats.urls[0], "SLUICE_room_2Eagain")
                self.assertTrue(deleted.get("success"), deleted)
                # The next publish finds no stream: refused, and the stream is made anew.
                refused = await publish(pub, "room.again", 4, "p4")
                self.assertEqual((refused["type"], refused["code"]), ("error", "engine_unavailable"))
                answer = None
                for attempt in range(100):
                    answer = await publish(pub, "room.again", 5, f"p5-{attempt}")
                    if answer["type"] == "published":
                        break
                    await asyncio.sleep(0.1)
                self.assertEqual(answer["offset"], 1, answer)
                self.assertNotEqual(answer["epoch"], first["epoch"])
                # Both nodes' subscribers learn it as a gap naming the new epoch (node B when
                # its subscription misses the stream's heartbeats), then get the new offset 1.
                for ws in (here, there):
                    gap = None
                    while gap is None:
                        f = await asyncio.wait_for(ws.recv(), PATIENCE * 2)
                        f = json.loads(f)
                        if f["type"] == "gap":
                            gap = f
                    self.assertEqual((gap["reason"], gap["epoch"], gap["from"], gap["to"]),
                                     ("epoch", answer["epoch"], 1, 3), gap)
                    event = await recv_json(ws)
                    self.assertEqual((event["type"], event["offset"], event["data"]), ("event", 1, 5), event)
                # B heard of it from its subscription alone, and counted that.
                self.assertGreaterEqual(b.metrics().get("sluice_engine_subscription_troubles_total", 0), 1)
                for node in (a, b):
                    self.assertEqual(await node.metric_reaches("sluice_engine_requests_waiting", 0), 0)

    async def test_an_acknowledged_consumers_cursor_survives_its_node(self):
        nats = Nats(self)
        config = engine_config(nats.urls)

        async def attach(node, sid="c"):
            ws = await websockets.connect(node.ws_url + "?client_id=w1")  # a consumer is a client id's
            await recv_json(ws)
            subscribed = await subscribe(ws, "room.jobs", sid=sid, consumer="worker", ack=True)
            return ws, subscribed

        async def events(ws, count):
            got = []
            while len(got) < count:
                f = await recv_json(ws)
                if f["type"] == "event":
                    got.append(f)
            return got

        with Sluice(config) as b:
            a = Sluice(config).__enter__()
            self.addCleanup(lambda: a.__exit__(None, None, None))
            ws, subscribed = await attach(a)
            self.assertEqual((subscribed["type"], subscribed["acked"], subscribed["pending"]),
                             ("subscribed", 0, 0), subscribed)
            for i in range(1, 11):
                post_json(b, "/api/publish", {"topic": "room.jobs", "data": i})
            first = await events(ws, 10)
            self.assertEqual([f["offset"] for f in first], list(range(1, 11)))
            await send_json(ws, {"type": "ack", "id": "k", "topic": "room.jobs", "offset": 6})
            acked = None
            while acked is None:
                f = await recv_json(ws)
                acked = f if f["type"] == "acked" else None
            self.assertEqual((acked["offset"], acked["pending"]), (6, 4))
            await ws.close()
            a.kill()  # the node the consumer was attached to is gone
            # On the other node the consumer goes on from its cursor in the engine: what was
            # sent and not acknowledged comes again, marked redelivered, then what is new.
            ws, subscribed = await attach(b)
            self.assertEqual((subscribed["acked"], subscribed["pending"]), (6, 4), subscribed)
            again = await events(ws, 4)
            self.assertEqual([(f["offset"], f["data"], f.get("redelivered")) for f in again],
                             [(o, o, True) for o in range(7, 11)])
            post_json(b, "/api/publish", {"topic": "room.jobs", "data": 11})
            new = (await events(ws, 1))[0]
            self.assertEqual((new["offset"], new.get("redelivered")), (11, None))
            # Attached on a second node (a restarted A): the cursor moves there, and B's
            # connection is told so at its next write of the cursor.
            a2 = Sluice(config).__enter__()
            self.addCleanup(lambda: a2.__exit__(None, None, None))
            other, subscribed = await attach(a2, sid="c2")
            self.assertEqual(subscribed["acked"], 6, subscribed)
            await send_json(ws, {"type": "ack", "id": "k2", "topic": "room.jobs", "offset": 11})
            moved = None
            while moved is None:
                f = await recv_json(ws)
                moved = f if f["type"] == "error" else None
            self.assertEqual(moved["code"], "consumer_moved", moved)
            await ws.close()
            await other.close()

    async def test_a_consumer_attached_elsewhere_gets_the_cursor_as_stored_when_it_is_attached(self):
        # `subscribed` on a node comes once that node's claim of the cursor is stored. While
        # node A's claim is held on its way to NATS, node B (where the consumer is attached)
        # stores an ack; A's claim is then refused, A reads the cursor again and claims it,
        # and only then says `subscribed`, with the ack B stored. B learns of the move at its
        # next write.
        nats = Nats(self)
        proxy = HoldingProxy(nats.urls[0], "$KV.SLUICE_CURSORS.room_")
        self.addCleanup(proxy.close)
        with Sluice(engine_config(nats.urls)) as b, Sluice(engine_config([proxy.url])) as a:
            async with (open_ws(b, "?client_id=w1") as here, open_ws(a, "?client_id=w1") as there):
                await recv_json(here), await recv_json(there)  # welcome
                subscribed = await subscribe(here, "room.jobs", sid="c", consumer="worker", ack=True)
                self.assertEqual(subscribed["type"], "subscribed", subscribed)
                for i in range(1, 4):
                    post_json(b, "/api/publish", {"topic": "room.jobs", "data": i})
                self.assertEqual([f["offset"] for f in await events_of(here, 3)], [1, 2, 3])
                proxy.hold()
                await send_json(there, {"type": "subscribe", "id": "c2", "topic": "room.jobs",
                                        "consumer": "worker", "ack": True})
                self.assertTrue(await asyncio.to_thread(proxy.held.wait, PATIENCE))
                await send_json(here, {"type": "ack", "id": "k", "topic": "room.jobs", "offset": 3})
                acked = await frame_of(here, "acked")
                self.assertEqual((acked["offset"], acked["pending"]), (3, 0), acked)
                # `acked` is answered before the cursor's write reaches NATS: the claim is
                # released once B's write is stored (the bucket's newest value).
                for _ in range(PATIENCE * 20):
                    if last_message(nats.urls[0], "KV_SLUICE_CURSORS").startswith(b"3 "):
                        break
                    await asyncio.sleep(0.05)
                self.assertTrue(last_message(nats.urls[0], "KV_SLUICE_CURSORS").startswith(b"3 "))
                proxy.release()
                while (subscribed := await recv_json(there)).get("id") != "c2":
                    pass
                self.assertEqual((subscribed["type"], subscribed.get("acked"), subscribed.get("pending")),
                                 ("subscribed", 3, 0), subscribed)
                post_json(b, "/api/publish", {"topic": "room.jobs", "data": 4})
                self.assertEqual([f["offset"] for f in await events_of(there, 1)], [4])
                # B still delivers 4 (it has not written since); its ack is refused.
                self.assertEqual([f["offset"] for f in await events_of(here, 1)], [4])
                await send_json(here, {"type": "ack", "id": "k2", "topic": "room.jobs", "offset": 4})
                moved = await frame_of(here, "error")
                self.assertEqual(moved["code"], "consumer_moved", moved)
                await send_json(there, {"type": "ack", "id": "k3", "topic": "room.jobs", "offset": 4})
                acked = await frame_of(there, "acked")
                self.assertEqual((acked["offset"], acked["pending"]), (4, 0), acked)

    async def test_a_claim_nats_does_not_answer_is_refused_and_the_next_attach_gets_in(self):
        # The node's claim of the cursor is held on its way to NATS until the library gives up:
        # the attach is answered engine_unavailable, and once writes pass again it gets in.
        nats = Nats(self)
        proxy = HoldingProxy(nats.urls[0], "$KV.SLUICE_CURSORS.room_")
        self.addCleanup(proxy.close)
        with Sluice(engine_config([proxy.url])) as a:
            async with open_ws(a, "?client_id=w1") as ws:
                await recv_json(ws)  # welcome
                proxy.hold()
                refused = await asyncio.wait_for(
                    subscribe(ws, "room.jobs", sid="c", consumer="worker", ack=True), PATIENCE * 2)
                self.assertEqual((refused["type"], refused["code"]), ("error", "engine_unavailable"),
                                 refused)
                proxy.release()
                subscribed = await subscribe(ws, "room.jobs", sid="c2", consumer="worker", ack=True)
                self.assertEqual(subscribed["type"], "subscribed", subscribed)

    async def test_max_consumers_counts_the_consumers_of_every_node(self):
        nats = Nats(self)
        config = engine_config(nats.urls).replace(
            '"room.*": {history: {size: 10000}}',
            '"room.*": {history: {size: 10000}, consumers: {max_consumers: 2}}')
        with Sluice(config) as a, Sluice(config) as b:
            held = []
            for node, name in ((a, "one"), (a, "two"), (b, "three")):
                ws = await websockets.connect(node.ws_url + f"?client_id=w-{name}")
                held.append(ws)
                await recv_json(ws)
                reply = await subscribe(ws, "room.work", sid=name, consumer=name, ack=True)
                held.append(reply)
            self.assertEqual([r["type"] for r in held[1::2]], ["subscribed", "subscribed", "error"])
            self.assertEqual(held[5]["code"], "too_many_consumers", held[5])
            # A consumer that exists is attached again on any node; another principal's
            # consumer of the same name would be a third.
            await held[0].close()
            results = []
            for client in ("w-one", "w-other"):
                ws = await websockets.connect(b.ws_url + f"?client_id={client}")
                await recv_json(ws)
                reply = await subscribe(ws, "room.work", sid="again", consumer="one", ack=True)
                results.append((reply["type"], reply.get("code")))
                await ws.close()
            self.assertEqual(results, [("subscribed", None), ("error", "too_many_consumers")])
            for w in held[2::2]:
                await w.close()


class EngineFaults(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)

    async def test_acknowledged_publishes_survive_a_nats_server_and_a_sluice_node_killed(self):
        nats = Nats(self, size=3)
        config = engine_config(nats.urls, replicas=3)
        topic = "room.faults"
        a = Sluice(config).__enter__()
        self.addCleanup(lambda: a.__exit__(None, None, None))
        b = Sluice(config).__enter__()
        self.addCleanup(lambda: b.__exit__(None, None, None))
        logs_on_failure(self, a=a, b=b)
        answered = []  # (offset, data) of every `published` answer

        async def publisher(node, tag, count):
            try:
                async with open_ws(node) as ws:
                    await recv_json(ws)
                    for i in range(count):
                        data = {"p": tag, "i": i}
                        f = await publish(ws, topic, data, f"{tag}{i}")
                        if f["type"] == "published":
                            answered.append((f["offset"], data))
                        else:
                            self.assertIn(f["code"], ("engine_unavailable", "overloaded"), f)
                            await asyncio.sleep(0.05)
            except (websockets.ConnectionClosed, OSError):
                self.assertEqual(node, a)  # only the killed node's publisher may lose its connection

        async def until_answered(n):
            while len(answered) < n:
                await asyncio.sleep(0.02)

        async with open_ws(b) as sub, open_ws(b) as resumer:
            await recv_json(sub), await recv_json(resumer)
            # The stream is created (R3) once JetStream has its leaders.
            for attempt in range(100):
                status, body = post_json(b, "/api/publish", {"topic": topic, "data": "first"})
                if status == 200:
                    break
                await asyncio.sleep(0.2)
            self.assertEqual((status, body.get("offset")), (200, 1), body)
            answered.append((1, "first"))
            await subscribe(sub, topic, since=0)
            await subscribe(resumer, topic, since=0, sid="r")
            runs = [asyncio.create_task(publisher(a, "a", 300)), asyncio.create_task(publisher(b, "b", 300))]
            seen_by_resumer = []
            await asyncio.wait_for(events_until(resumer, topic, 30, seen_by_resumer), PATIENCE)
            await resumer.close()
            await asyncio.wait_for(until_answered(120), PATIENCE)
            nats.servers[0].kill()
            await asyncio.wait_for(until_answered(240), PATIENCE * 2)
            a.kill()
            await asyncio.wait_for(asyncio.gather(*runs), PATIENCE * 4)
            # The stream may hold more than was answered (publishes JetStream stored whose
            # answer was lost with node A): its last sequence, from a NATS server that lives.
            last = await stream_last(nats.urls[1], "SLUICE_room_2Efaults")
            self.assertGreaterEqual(last, max(o for o, _ in answered))
            got = []
            # B's subscription starts over if its consumer was on the killed server, once
            # JetStream has elected new leaders: a wait only bounded so the test cannot hang.
            await asyncio.wait_for(events_until(sub, topic, last, got, PATIENCE * 2), PATIENCE * 4)

        offsets = [o for o, _ in got]
        self.assertEqual(offsets, sorted(set(offsets)), "offsets repeated or went backwards")
        self.assertEqual(offsets, list(range(1, last + 1)))
        delivered = dict(got)
        for offset, data in answered:
            self.assertEqual(delivered.get(offset), data, f"acknowledged offset {offset} not delivered")
        # A client that left resumes on the surviving node with exactly what it missed.
        resume_from = seen_by_resumer[-1][0]
        async with open_ws(b) as again:
            await recv_json(again)
            await subscribe(again, topic, since=resume_from, sid="r2")
            missed = []
            await asyncio.wait_for(events_until(again, topic, last, missed), PATIENCE)
        self.assertEqual(missed, got[resume_from:])
        # The killed node, started again, serves the full history from the engine.
        with Sluice(config) as restarted:
            history, _ = full_history(restarted, topic)
            self.assertEqual(history, got)


if __name__ == "__main__":
    unittest.main()
