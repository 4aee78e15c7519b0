"""Cluster faults, one at a time, on the example three-node cluster: request streams through client
inboxes owned by each node; a worker's node lost with requests running and queued; a healthy
publisher whose owner is lost with thousands of publishes in flight; an owner frozen with SIGSTOP;
an owner restarted while its peers carried on."""

import asyncio
import contextlib
import json
import subprocess
import time
import unittest

import websockets

from harness import PATIENCE, connect, recv_json, send_json, send_request
from nodes import WORKER, Cluster, subscribe

MASK64 = (1 << 64) - 1
NODES = ["node1", "node2", "node3"]


def _fnv(h, data):
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def _mix(h):
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & MASK64
    return h ^ (h >> 31)


def owner_of(key, nodes=NODES):
    """core/rendezvous.cpp: the node with the highest weight for `key` (ties: the smaller name)."""
    def weight(node):
        return _mix(_fnv(_fnv(_fnv(0xCBF29CE484222325, node.encode()), b"\0"), key.encode()))
    return max(sorted(nodes), key=lambda n: (weight(n), -NODES.index(n)))


def client_id_owned_by(node, prefix):
    for i in range(10_000):
        if owner_of(f"inbox.{prefix}{i}") == node:
            return f"{prefix}{i}"
    raise AssertionError("no such client id")


def start_worker(case, node, name, steps, interval, capacity=16):
    worker = subprocess.Popen(
        ["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{node.port}/workers", "--token", "s3cret",
         "--routes", "ask", "--name", name, "--steps", str(steps), "--interval", str(interval),
         "--capacity", str(capacity)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    case.addCleanup(lambda: (worker.kill(), worker.wait()))
    return worker


async def until_terminal(ws, *rids):
    """The frames that end requests `rids` (final or error), by id, in whatever order they come."""
    ended = {}
    while len(ended) < len(rids):
        frame = await recv_json(ws)
        if frame.get("id") in rids and frame["type"] in ("final", "error"):
            ended[frame["id"]] = frame
    return ended


class ClusterFaults(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)

    async def test_request_streams_reach_clients_whose_inbox_any_node_owns(self):
        cluster = Cluster(self)
        await cluster.start_all()
        start_worker(self, cluster.nodes[1], "w1", steps=4, interval=0.02)
        for i in (1, 2, 3):
            self.assertEqual(await cluster.nodes[i].metric_reaches(
                'sluice_upstream_circuit_state{upstream="pool"}', 0), 0)
        for owner in (1, 2, 3):
            for at in (1, 2, 3):  # the inbox's owner, and the node the client uses
                cid = client_id_owned_by(f"node{owner}", f"o{owner}a{at}-")
                ws, welcome = await connect(cluster.nodes[at], query=f"client_id={cid}")
                self.assertEqual((await recv_json(ws))["type"], "subscribed")
                await send_json(ws, {"type": "request", "id": "r", "route": "ask", "payload": {"text": cid}})
                frames = []
                while not frames or frames[-1]["type"] not in ("final", "error"):
                    frames.append(await recv_json(ws))
                self.assertEqual([f["type"] for f in frames],
                                 ["accepted"] + ["progress"] * 4 + ["final"], (owner, at))
                self.assertEqual(frames[-1]["data"]["result"], cid.upper())
                self.assertEqual([f["offset"] for f in frames], list(range(1, 7)))
                await ws.close()
        for i in (1, 2, 3):
            self.assertFalse([l for l in cluster.nodes[i].log if "owner_lost" in l or "unexpected" in l])

    async def test_requests_at_a_lost_workers_node_end_at_once(self):
        cluster = Cluster(self)
        await cluster.start_all()
        start_worker(self, cluster.nodes[2], "w2", steps=400, interval=0.05, capacity=1)
        self.assertEqual(await cluster.nodes[1].metric_reaches(
            'sluice_upstream_circuit_state{upstream="pool"}', 0), 0)
        ws, _ = await connect(cluster.nodes[1])
        await send_request(ws, {"type": "request", "id": "running", "route": "ask", "payload": {"text": "a"}})
        self.assertEqual((await recv_json(ws))["type"], "progress")
        # It waits at the worker's node, which tells it its place over the cluster link.
        await send_request(ws, {"type": "request", "id": "queued", "route": "ask", "payload": {"text": "b"}},
                           queued=1)
        cid = client_id_owned_by("node3", "lost-")
        inbox_client, _ = await connect(cluster.nodes[3], query=f"client_id={cid}")
        await recv_json(inbox_client)
        await send_json(inbox_client, {"type": "request", "id": "c", "route": "ask", "payload": {"text": "c"}})
        self.assertEqual(await cluster.nodes[2].metric_reaches('sluice_worker_jobs_queued{upstream="pool"}', 2), 2)
        cluster.kill(2)
        # The route's deadline is 60 s; the node's loss is announced within the heartbeat timeout.
        started = time.monotonic()
        # Both jobs learn of the loss at once: their ends may come in either order.
        ended = await asyncio.wait_for(until_terminal(ws, "running", "queued"), PATIENCE)
        ended.update(await asyncio.wait_for(until_terminal(inbox_client, "c"), PATIENCE))
        for rid, frame in ended.items():
            self.assertEqual(frame["type"], "error", (rid, frame))
            self.assertIn(frame["code"], ("worker_lost", "upstream_unavailable"), (rid, frame))
        self.assertEqual(ended["running"]["code"], "worker_lost")
        self.assertLess(time.monotonic() - started, 20)  # far from the 60 s deadline

    async def test_a_publisher_survives_its_owner_lost_with_publishes_in_flight(self):
        cluster = Cluster(self)
        await cluster.start_all()
        topic = "burst"
        probe, _ = await subscribe(cluster.nodes[1], topic)
        await probe.close()
        owner = int(cluster.topic(1, topic)["owner"][-1])
        at = next(i for i in (1, 2, 3) if i != owner)
        follower, _ = await subscribe(cluster.nodes[at], topic)  # the topic follows the owner there
        pub, _ = await connect(cluster.nodes[at], max_queue=None)
        cluster.freeze(owner)  # the owner stops answering
        total = 3000
        for n in range(total):
            await send_json(pub, {"type": "publish", "topic": topic, "data": n, "id": str(n)})
        await asyncio.sleep(1)
        # At most half the outbound queue (limits.outbound_messages / 2) waits for the frozen
        # owner; the rest waits unsent, so the answers to come always fit toward the client.
        in_flight = cluster.nodes[at].metrics()["sluice_cluster_forwarded_publishes_total"]
        self.assertLessEqual(in_flight, 1024 / 2 + 16)
        cluster.kill(owner)
        await asyncio.sleep(1)  # busy for a moment, as any client may be: the answers pile up
        answers = {}
        with contextlib.suppress(asyncio.TimeoutError):
            while len(answers) < total:
                frame = await asyncio.wait_for(recv_json(pub), PATIENCE)
                answers[frame["id"]] = frame
        self.assertEqual(len(answers), total)  # every publish answered, the connection kept
        codes = {f.get("code", f["type"]) for f in answers.values()}
        self.assertLessEqual(codes, {"published", "owner_unavailable"})
        await send_json(pub, {"type": "ping", "id": "alive"})
        self.assertEqual(await recv_json(pub), {"type": "pong", "id": "alive"})

    async def test_an_acknowledged_consumer_resumes_after_the_topics_owner_is_lost(self):
        cluster = Cluster(self)
        await cluster.start_all()
        topic = "jobs.failover"
        owner = int(owner_of(topic)[-1])
        at, other = [i for i in (1, 2, 3) if i != owner]

        async def attach(node, query):
            ws, welcome = await connect(node, query=query)
            self.assertEqual((await recv_json(ws))["type"], "subscribed")  # the inbox
            await send_json(ws, {"type": "subscribe", "topic": topic, "consumer": "c", "ack": True})
            subscribed = await recv_json(ws)
            self.assertEqual(subscribed["type"], "subscribed", subscribed)
            return ws, welcome, subscribed

        cid = client_id_owned_by(f"node{at}", "keeper-")  # its inbox outlives the owner
        ws, welcome, _ = await attach(cluster.nodes[at], f"client_id={cid}")
        for n in range(10):
            status, _, body = cluster.nodes[owner].http(
                "POST", "/api/publish", json.dumps({"topic": topic, "data": n}),
                {"Content-Type": "application/json"})
            self.assertEqual(status, 200, body)
        offsets = [(await recv_json(ws))["offset"] for _ in range(10)]
        await send_json(ws, {"type": "ack", "topic": topic, "offset": offsets[5], "id": "a"})
        self.assertEqual((await recv_json(ws))["type"], "acked")
        await ws.close()
        # The owner sends the cursor it stored to its followers, so a new owner knows it.
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            _, _, body = cluster.nodes[at].http("GET", f"/api/topics/{topic}/consumers")
            held = json.loads(body)["consumers"]
            if held == [{"name": "c", "acked": offsets[5], "sent": offsets[-1], "pending": 4,
                         "attached": False}]:
                break
            await asyncio.sleep(0.05)
        self.assertEqual([(c["acked"], c["attached"]) for c in held], [(offsets[5], False)])
        cluster.kill(owner)
        info = await cluster.until_topic(other, topic, lambda t: t["owner"] != f"node{owner}")
        self.assertNotEqual(info["owner"], f"node{owner}")
        again, _, subscribed = await attach(cluster.nodes[other],
                                            f"client_id={cid}&resume={welcome['resume']}")
        self.assertEqual((subscribed["acked"], subscribed["pending"]), (offsets[5], 4))
        frames = [await recv_json(again) for _ in range(4)]
        self.assertEqual([(f["offset"], f["data"], f["redelivered"]) for f in frames],
                         [(o, n, True) for o, n in zip(offsets[6:], range(6, 10))])
        await again.close()

    async def test_a_paused_owner_fences_itself_and_its_subscribers_learn_what_they_missed(self):
        cluster = Cluster(self)
        await cluster.start_all()
        topic = "paused"
        subs, first_epoch = {}, None
        for i in (1, 2, 3):
            subs[i], reply = await subscribe(cluster.nodes[i], topic)
            first_epoch = reply["epoch"]
        owner = int(cluster.topic(1, topic)["owner"][-1])
        others = [i for i in (1, 2, 3) if i != owner]
        local, _ = await connect(cluster.nodes[owner])  # a publisher on the owner itself
        remote, _ = await connect(cluster.nodes[others[0]])
        acked = {}

        async def publish_some(ws, prefix, count):
            for n in range(count):
                await send_json(ws, {"type": "publish", "topic": topic, "data": f"{prefix}{n}",
                                     "id": f"{prefix}{n}"})

        await publish_some(local, "a", 50)
        cluster.freeze(owner)
        await publish_some(local, "b", 200)  # queued at the frozen owner
        # Past heartbeat_timeout the others take the topic over in a new epoch. Waited for, not
        # slept on: on a loaded machine it may take longer, and a topic nobody took over stays
        # in its first epoch, where acknowledging the queued publishes after the thaw is right.
        def taken_over(info):
            return info["owner"] not in ("", f"node{owner}") and info["epoch"] != first_epoch

        taken = await cluster.until_topic(others[0], topic, taken_over)
        self.assertTrue(taken_over(taken), taken)
        await publish_some(remote, "c", 100)
        cluster.thaw(owner)
        for i in (1, 2, 3):
            await cluster.until_up(i, 3)
        await publish_some(remote, "d", 100)
        for ws, count in ((local, 250), (remote, 200)):
            for _ in range(count):
                frame = await asyncio.wait_for(recv_json(ws), PATIENCE)
                if frame["type"] == "published":
                    acked[frame["id"]] = (frame.get("epoch"), frame["offset"])
        # Nothing queued at the frozen owner was acknowledged in its old epoch after it thawed.
        late = [k for k, (e, _) in acked.items() if k.startswith("b") and e == first_epoch]
        self.assertEqual(late, [])
        for i, ws in subs.items():
            seen, told, epoch = set(), [], None

            def accounted(key):
                return key in seen or any(lo <= acked[key][1] <= hi for _, lo, hi in told)

            # Until every acknowledged publish arrived or lies in a gap (the deadline only keeps
            # a failure from hanging: a node still finding the owner holds delivery meanwhile).
            deadline = time.monotonic() + PATIENCE
            while not all(accounted(key) for key in acked) and time.monotonic() < deadline:
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if frame["type"] == "event":
                    seen.add(frame["data"])
                elif frame["type"] == "gap":
                    told.append((epoch, frame["from"], frame["to"]))
                    epoch = frame["epoch"]
            for key, (e, offset) in acked.items():
                self.assertTrue(key in seen or any(lo <= offset <= hi for _, lo, hi in told),
                                f"node{i}: acknowledged {key} at ({e}, {offset}) neither delivered nor told")
        for log_line in cluster.nodes[owner].log:
            if "event=fenced" in log_line:
                break
        else:
            self.fail("the thawed owner did not fence itself")

    async def test_a_restarted_owner_acknowledges_nothing_it_would_later_drop(self):
        cluster = Cluster(self)
        await cluster.start_all()
        topic = "restarted"
        sub, _ = await subscribe(cluster.nodes[1], topic)
        owner = int(cluster.topic(1, topic)["owner"][-1])
        other = next(i for i in (1, 2, 3) if i != owner)
        pub, _ = await connect(cluster.nodes[other])
        for n in range(20):
            await send_json(pub, {"type": "publish", "topic": topic, "data": f"before{n}", "id": str(n)})
        for _ in range(20):
            self.assertEqual((await recv_json(pub))["type"], "published")
        cluster.kill(owner)
        for n in range(20, 40):  # acknowledged by the new owner meanwhile
            await send_json(pub, {"type": "publish", "topic": topic, "data": f"meanwhile{n}", "id": str(n)})
        node = cluster.start(owner)
        # Publish to the restarted node at once, before it has rejoined.
        early, _ = await connect(node)
        acked = {}
        for n in range(40, 140):
            await send_json(early, {"type": "publish", "topic": topic, "data": f"early{n}", "id": str(n)})
        for _ in range(100):
            frame = await asyncio.wait_for(recv_json(early), PATIENCE)
            if frame["type"] == "published":
                acked[int(frame["id"])] = frame["offset"]
        for i in (1, 2, 3):
            await cluster.until_up(i, 3)
        stored, since = set(), 0
        while since is not None:
            _, _, body = cluster.nodes[other].http("GET", f"/api/topics/{topic}/history?since={since}&limit=1000")
            page = json.loads(body)
            stored |= {m["data"] for m in page["messages"]}
            since = page["next_since"]
        lost = [f"early{n}" for n in acked if f"early{n}" not in stored]
        self.assertEqual(lost, [], "acknowledged by the restarted owner, then dropped")


if __name__ == "__main__":
    unittest.main()
