"""Three real sluice processes from config/examples/cluster/ form a cluster over CAF's middleman:
a publish on one node reaches subscribers (python and wscat) on the others; the node that owns a
topic is killed with SIGKILL while another node keeps publishing, and the survivors announce the
new epoch with a gap and lose no acknowledged message; the killed node rejoins; a worker attached
to one node serves (and is cancelled by) a client on another; a node with the wrong secret is
refused while the others keep working, and so is a node no peer lists; nodes also link over TLS, and
certificates that do not load are a configuration error."""

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import websockets

from harness import (PATIENCE, SLUICE_BIN, Sluice, connect, is_accepted, recv_json, send_json,
                     send_request, until_final, wscat)
from nodes import EXAMPLES, SECRET, WORKER, Cluster, frames_until, metric_at_least, publish, subscribe
from upstreams import free_port


class ClusterOfThree(unittest.IsolatedAsyncioTestCase):
    async def test_publish_on_one_node_reaches_subscribers_on_the_others(self):
        cluster = Cluster(self)
        await cluster.start_all()
        for i in (1, 2, 3):
            self.assertEqual(sorted((n["name"], n["state"]) for n in cluster.view(i)["nodes"]),
                             [("node1", "up"), ("node2", "up"), ("node3", "up")])
        sub2, _ = await subscribe(cluster.nodes[2], "news")
        # wscat on node 3, subscribed for a few seconds.
        result = {}
        wscat_thread = threading.Thread(target=lambda: result.update(out=wscat(
            cluster.nodes[3].ws_url, '{"type":"subscribe","topic":"news"}', 3)[1]))
        wscat_thread.start()
        info = await cluster.until_topic(3, "news", lambda t: t["subscribers"] == 1)
        self.assertEqual(info["subscribers"], 1, info)
        ack = await publish(cluster.nodes[1], "news", {"headline": "one node, every node"})
        self.assertEqual(ack["type"], "published", ack)
        event = await recv_json(sub2)
        self.assertEqual((event["type"], event["offset"], event["data"]),
                         ("event", ack["offset"], {"headline": "one node, every node"}))
        wscat_thread.join(PATIENCE)
        self.assertIn('"headline":"one node, every node"', result["out"])
        # Each event crossed once to each node with subscribers; nodes report it all.
        owner = cluster.topic(1, "news")["owner"]
        for i in (1, 2, 3):
            self.assertEqual(cluster.topic(i, "news")["owner"], owner)
            metrics = cluster.nodes[i].metrics()
            self.assertEqual(metrics['sluice_cluster_nodes{state="up"}'], 3)
            for peer in (1, 2, 3):
                self.assertEqual(metrics[f'sluice_cluster_node_up{{node="node{peer}"}}'], 1)
            _, _, ready = cluster.nodes[i].http("GET", "/readyz")
            self.assertEqual(json.loads(ready)["cluster"]["up"], 3)  # a field beside upstreams
        owner_index = int(owner[-1])
        self.assertGreaterEqual(cluster.nodes[owner_index].metrics()["sluice_cluster_replicated_total"], 1)

    async def test_owner_killed_while_publishing_survivors_get_a_gap_and_every_acknowledged_message(self):
        cluster = Cluster(self)
        await cluster.start_all()
        topic = "orders"
        probe, first = await subscribe(cluster.nodes[1], topic)
        await probe.close()
        owner = int(cluster.topic(1, topic)["owner"][-1])
        survivors = [i for i in (1, 2, 3) if i != owner]
        publisher_node = cluster.nodes[survivors[0]]
        subs = {i: (await subscribe(cluster.nodes[i], topic))[0] for i in survivors}

        pub, _ = await connect(publisher_node)
        replies = {}
        total, kill_after = 300, 60

        async def read_replies():
            while len(replies) < total:
                reply = await recv_json(pub)
                replies[int(reply["id"])] = reply

        reader = asyncio.ensure_future(read_replies())
        for n in range(total):
            await send_json(pub, {"type": "publish", "topic": topic, "data": {"n": n}, "id": str(n)})
            if n == kill_after:
                cluster.kill(owner)
            await asyncio.sleep(0.005)
        await asyncio.wait_for(reader, PATIENCE)

        acked = {n for n, r in replies.items() if r["type"] == "published"}
        failed = {n: r for n, r in replies.items() if r["type"] != "published"}
        # Every publish was answered: acknowledged, or reported lost with the owner.
        self.assertEqual(len(replies), total)
        for n, r in failed.items():
            self.assertEqual((r["type"], r["code"]), ("error", "owner_unavailable"), r)
        self.assertGreater(len(acked), total - kill_after - 1)  # publishing went on after the kill

        for i, ws in subs.items():
            frames = await asyncio.wait_for(frames_until(ws, lambda fs: acked <= {
                f["data"]["n"] for f in fs if f["type"] == "event"}), PATIENCE)
            gaps = [f for f in frames if f["type"] == "gap"]
            self.assertTrue(gaps, f"node{i}: no gap")
            self.assertEqual(gaps[0]["reason"], "failover")
            self.assertNotEqual(gaps[0]["epoch"], first["epoch"])
            # Offsets rise within each epoch: no duplicate, nothing out of order.
            epoch, last = first["epoch"], 0
            for f in frames:
                if f["type"] == "gap" and f["epoch"] != epoch:
                    epoch, last = f["epoch"], min(last, f["from"] - 1)
                elif f["type"] == "event":
                    self.assertGreater(f["offset"], last, f"node{i}: {f} after offset {last} of {epoch}")
                    last = f["offset"]

        # The killed node restarts and rejoins; the topic keeps working across all three.
        cluster.start(owner)
        for i in (1, 2, 3):
            self.assertEqual((await cluster.until_up(i, 3))["up"], 3)
        back, _ = await subscribe(cluster.nodes[owner], topic)
        ack = await publish(cluster.nodes[survivors[1]], topic, {"after": "rejoin"})
        self.assertEqual(ack["type"], "published", ack)
        for ws in (back, subs[survivors[0]]):
            frames = await asyncio.wait_for(
                frames_until(ws, lambda fs: fs and fs[-1].get("data") == {"after": "rejoin"}), PATIENCE)
            self.assertEqual(frames[-1]["offset"], ack["offset"])
        # The returning owner took its topic back with everything acknowledged meanwhile.
        info = cluster.topic(owner, topic)
        self.assertEqual((info["owner"], info["persistent"]), (f"node{owner}", True))
        stored, since = set(), 0
        while since is not None:
            _, _, body = cluster.nodes[owner].http("GET", f"/api/topics/{topic}/history?since={since}&limit=1000")
            page = json.loads(body)
            stored |= {m["data"]["n"] for m in page["messages"] if isinstance(m["data"], dict) and "n" in m["data"]}
            since = page["next_since"]
        self.assertEqual(acked - stored, set())

    async def test_a_clients_connections_on_different_nodes_share_its_inbox_and_streams(self):
        cluster = Cluster(self)
        await cluster.start_all()
        worker = subprocess.Popen(
            ["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{cluster.nodes[1].port}/workers",
             "--token", "s3cret", "--routes", "ask", "--name", "w1", "--steps", "8", "--interval", "0.15"],
            stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (worker.kill(), worker.wait()))
        self.assertEqual(await cluster.nodes[2].metric_reaches('sluice_upstream_circuit_state{upstream="pool"}', 0), 0)

        # What is sent to a client reaches its connections on every node.
        phone, welcome = await connect(cluster.nodes[1], query="client_id=bob")
        laptop, _ = await connect(cluster.nodes[2], query="client_id=bob&resume=" + welcome["resume"])
        for ws in (phone, laptop):
            self.assertEqual((await recv_json(ws))["type"], "subscribed")
        _, _, body = cluster.nodes[3].http("POST", "/api/publish",
                                           json.dumps({"topic": "inbox.bob", "data": {"note": "hi bob"}}),
                                           {"Content-Type": "application/json"})
        for ws in (phone, laptop):
            self.assertEqual((await recv_json(ws))["data"], {"note": "hi bob"}, body)

        # A request's stream resumes on another node after the client reconnects there.
        ws, welcome = await connect(cluster.nodes[2], query="client_id=carol")
        ack = await recv_json(ws)
        await send_json(ws, {"type": "request", "id": "r", "route": "ask", "payload": {"text": "move me"}})
        accepted = await recv_json(ws)  # the stream's first frame, in the inbox
        self.assertTrue(is_accepted(accepted, "r"), accepted)
        first = await recv_json(ws)
        self.assertEqual((first["type"], first["data"]["step"]), ("progress", 1))
        ws.transport.abort()
        again, _ = await connect(cluster.nodes[3],
                                 query=f"client_id=carol&since={first['offset']}&epoch={ack['epoch']}"
                                       f"&resume={welcome['resume']}")
        self.assertEqual((await recv_json(again))["type"], "subscribed")
        rest = await asyncio.wait_for(frames_until(again, lambda fs: fs and fs[-1]["type"] == "final"), PATIENCE)
        self.assertEqual([f["data"].get("step") for f in rest[:-1]], list(range(2, 9)))
        self.assertEqual(rest[-1]["data"]["result"], "MOVE ME")
        self.assertEqual([f["offset"] for f in rest], list(range(first["offset"] + 1, first["offset"] + 9)))

    async def test_an_acknowledged_consumer_is_kept_at_the_owner_and_resumes_on_any_node(self):
        cluster = Cluster(self)
        await cluster.start_all()
        self.assertEqual((await publish(cluster.nodes[1], "jobs.c", 0))["type"], "published")
        owner = int(cluster.topic(1, "jobs.c")["owner"][-1])
        first, second = [i for i in (1, 2, 3) if i != owner]

        async def attach(node, query):
            ws, welcome = await connect(node, query=query)
            self.assertEqual((await recv_json(ws))["type"], "subscribed")  # the inbox
            await send_json(ws, {"type": "subscribe", "topic": "jobs.c", "consumer": "render",
                                 "ack": True, "id": "s"})
            return ws, welcome, await recv_json(ws)

        ws, welcome, subscribed = await attach(cluster.nodes[first], "client_id=renderer")
        self.assertEqual(subscribed["acked"], 1)  # a new consumer: from the next message
        for n in range(1, 11):
            self.assertEqual((await publish(cluster.nodes[owner], "jobs.c", n))["type"], "published")
        got = [await recv_json(ws) for _ in range(10)]
        self.assertEqual([f["offset"] for f in got], list(range(2, 12)))
        await send_json(ws, {"type": "ack", "topic": "jobs.c", "offset": 7, "id": "a"})
        self.assertEqual((await recv_json(ws))["pending"], 4)
        await ws.close()

        # The owner holds the cursor the follower stored there.
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            _, _, body = cluster.nodes[owner].http("GET", "/api/topics/jobs.c/consumers")
            listed = json.loads(body)["consumers"]
            if listed and not listed[0]["attached"]:
                break
            await asyncio.sleep(0.05)
        self.assertEqual([(c["acked"], c["sent"], c["pending"]) for c in listed], [(7, 11, 4)])

        again, _, subscribed = await attach(cluster.nodes[second],
                                         "client_id=renderer&resume=" + welcome["resume"])
        self.assertEqual((subscribed["acked"], subscribed["pending"]), (7, 4))
        frames = [await recv_json(again) for _ in range(4)]
        self.assertEqual([(f["offset"], f["redelivered"]) for f in frames],
                         [(o, True) for o in range(8, 12)])
        await again.close()

    async def test_a_client_id_claimed_on_one_node_is_refused_on_another_without_its_credential(self):
        cluster = Cluster(self)
        node1, node2 = cluster.start(1), cluster.start(2)
        self.assertEqual((await cluster.until_up(2, 2))["up"], 2)
        bob, welcome = await connect(node1, query="client_id=bobs-laptop")
        self.assertEqual((await recv_json(bob))["type"], "subscribed")
        status, _, body = node2.http("POST", "/api/publish",
                                     json.dumps({"topic": "inbox.bobs-laptop", "data": "bob's secret"}),
                                     {"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        self.assertEqual((await recv_json(bob))["data"], "bob's secret")
        for node in (node1, node2):
            thief = await websockets.connect(node.ws_url + "?client_id=bobs-laptop&since=0")
            frames = []
            with contextlib.suppress(websockets.ConnectionClosed):
                while True:
                    frames.append(json.loads(await asyncio.wait_for(thief.recv(), PATIENCE)))
            self.assertEqual([(f["type"], f["code"]) for f in frames], [("error", "forbidden")], frames)
            self.assertEqual(thief.close_code, 1008)
        again, _ = await connect(node2, query=f"client_id=bobs-laptop&since=0&resume={welcome['resume']}")
        self.assertEqual((await recv_json(again))["type"], "subscribed")
        self.assertEqual((await recv_json(again))["data"], "bob's secret")

    async def test_worker_on_one_node_serves_a_client_on_another_and_hears_its_cancel(self):
        cluster = Cluster(self)
        node1, node2 = cluster.start(1), cluster.start(2)  # node 3 stays away: retried, not fatal
        self.assertEqual((await cluster.until_up(1, 2))["up"], 2)
        worker = subprocess.Popen(
            ["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{node2.port}/workers", "--token", "s3cret",
             "--routes", "ask", "--name", "w-node2", "--steps", "40", "--interval", "0.05"],
            stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (worker.kill(), worker.wait(), worker.stdout.close()))
        # node 1 has no worker of its own; its circuit closes once it hears of node 2's.
        self.assertEqual(await node1.metric_reaches('sluice_upstream_circuit_state{upstream="pool"}', 0), 0)

        ws, _ = await connect(node1)
        await send_json(ws, {"type": "request", "id": "a", "route": "ask", "payload": {"text": "across"}})
        frames = await until_final(ws, "a")
        self.assertEqual(frames[-1], {"type": "final", "id": "a",
                                      "data": {"result": "ACROSS", "worker": "w-node2"}})
        self.assertEqual(len(frames), 41)
        self.assertEqual(node1.metrics()['sluice_cluster_remote_jobs_total{upstream="pool"}'], 1)

        await send_request(ws, {"type": "request", "id": "b", "route": "ask", "payload": {"text": "stop me"}})
        self.assertEqual((await recv_json(ws))["type"], "progress")
        await send_json(ws, {"type": "cancel", "id": "b"})
        while (reply := await recv_json(ws))["type"] == "progress":
            pass
        self.assertEqual((reply["type"], reply["code"]), ("error", "cancelled"))
        lines = []

        def read_until_cancelled():
            for line in worker.stdout:
                lines.append(line)
                if "cancelled" in line:
                    return

        reader = threading.Thread(target=read_until_cancelled, daemon=True)
        reader.start()
        reader.join(PATIENCE)
        self.assertTrue(any("cancelled" in line for line in lines), lines)

        # With a worker of its own, node 1 serves locally first and sends to node 2 only
        # what its saturated worker cannot take (least loaded across the cluster).
        local = subprocess.Popen(
            ["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{node1.port}/workers", "--token", "s3cret",
             "--routes", "ask", "--name", "w-node1", "--capacity", "1", "--steps", "10", "--interval", "0.05"],
            stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (local.kill(), local.wait()))
        self.assertEqual(await node1.metric_reaches('sluice_workers_connected{upstream="pool"}', 1), 1)
        for rid in ("c1", "c2"):
            await send_json(ws, {"type": "request", "id": rid, "route": "ask", "payload": {"text": rid}})
        finals = {}
        while len(finals) < 2:
            reply = await recv_json(ws)
            if reply["type"] == "final":
                finals[reply["id"]] = reply["data"]["worker"]
        # (Which request reaches the pool first is up to the scheduler.)
        self.assertEqual(sorted(finals.values()), ["w-node1", "w-node2"])

        unreachable = cluster.view(1)
        self.assertEqual([n["state"] for n in unreachable["nodes"] if n["name"] == "node3"], ["joining"])
        self.assertTrue(any("event=connect_failed node=node3" in line for line in node1.log))

    async def test_node_with_the_wrong_secret_is_refused_and_the_rest_keep_working(self):
        cluster = Cluster(self)
        node1, node2 = cluster.start(1), cluster.start(2)
        intruder = cluster.start(3, secret="not-the-cluster-secret-at-all")
        self.assertEqual((await cluster.until_up(1, 2))["up"], 2)
        # Both sides refuse: the intruder's proof is wrong for them, theirs for it.
        refused = 'sluice_cluster_joins_refused_total{reason="bad_secret"}'
        for node in (node1, node2, intruder):
            self.assertGreaterEqual(await metric_at_least(node, refused, 1), 1)
        deadline = time.monotonic() + PATIENCE
        while True:  # its reason is the latest failure: once the intruder listens, the refusal
            node3 = [n for n in cluster.view(1)["nodes"] if n["name"] == "node3"][0]
            if "bad_secret" in node3.get("reason", "") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        self.assertNotEqual(node3["state"], "up")
        self.assertIn("bad_secret", node3["reason"])
        self.assertEqual(cluster.view(3)["up"], 1)
        self.assertTrue(any("event=join_refused" in line and "bad_secret" in line for line in node1.log))

        # Garbage on the cluster port costs that connection only.
        with socket.create_connection(("127.0.0.1", cluster.cluster_ports[1]), timeout=5) as junk:
            junk.sendall(os.urandom(4096))
        sub, _ = await subscribe(node2, "still.working")
        ack = await publish(node1, "still.working", "yes")
        self.assertEqual(ack["type"], "published", ack)
        self.assertEqual((await recv_json(sub))["data"], "yes")
        self.assertEqual(cluster.view(1)["up"], 2)


class ClusterRefusals(unittest.IsolatedAsyncioTestCase):
    async def test_a_node_not_listed_as_a_peer_is_refused(self):
        cluster = Cluster(self)
        node1 = cluster.start(1)
        # A stranger with the right secret, naming node1 as its peer; node1 does not list it.
        stranger = Sluice(node_config("node9", free_port(), "node1", cluster.cluster_ports[1]))
        stranger.allow_caf_io_cycle = True
        with stranger:
            refused = 'sluice_cluster_joins_refused_total{reason="unknown_node"}'
            self.assertGreaterEqual(await metric_at_least(node1, refused, 1), 1)
            self.assertGreaterEqual(
                await metric_at_least(stranger, 'sluice_cluster_refused_by_peer_total{node="node1"}', 1), 1)
            self.assertEqual(cluster.view(1)["up"], 1)
        self.assertTrue(any("event=join_refused" in line and "unknown_node" in line for line in node1.log))

    async def test_a_node_that_cannot_bind_its_cluster_port_exits_1_every_time(self):
        cluster = Cluster(self)
        with socket.socket() as busy:  # node 3's cluster port, taken
            # Bound first, on a port of its own: a port picked free and bound later may have
            # been taken meanwhile by another test running in parallel. Bound without
            # SO_REUSEADDR, node 3's bind fails; not listening, nodes 1 and 2 dialling node 3
            # are refused at once. (A listening socket that never answers left their dials
            # mid-handshake until the nodes stopped, and one of them once failed its exit
            # check under AddressSanitizer.)
            busy.bind(("127.0.0.1", 0))
            cluster.cluster_ports[3] = busy.getsockname()[1]
            cluster.start(1)
            cluster.start(2)
            await cluster.until_up(1, 2)
            env = {**os.environ, **cluster.env(SECRET), "NODE3_PORT": "0",
                   # the exit is what is checked here: a leak report would change its code
                   "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
            # It hung (ignoring SIGTERM) in about one start in eight while its peers were up.
            for attempt in range(12):
                proc = subprocess.Popen(
                    [SLUICE_BIN, "--config", os.path.join(EXAMPLES, "node3.yaml")], env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                try:
                    _, err = proc.communicate(timeout=PATIENCE)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                    self.fail(f"start {attempt}: still running {PATIENCE} s after its cluster port was refused")
                self.assertEqual(proc.returncode, 1, err)
                self.assertIn("event=cluster_listen_failed", err)

    def test_cluster_certificates_that_do_not_load_are_a_configuration_error(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("node.pem", "node.key", "ca.pem"):
                with open(os.path.join(d, name), "w") as f:
                    f.write("not PEM\n")
            path = os.path.join(d, "node.yaml")
            with open(path, "w") as f:
                f.write(node_config("a", 7999, "b", 7998, d).replace("/a.pem", "/node.pem")
                        .replace("/a.key", "/node.key"))
            r = subprocess.run([SLUICE_BIN, "--check-config", "--config", path],
                               capture_output=True, text=True, timeout=PATIENCE)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertRegex(r.stderr, rf"{re.escape(path)}:\d+:\d+: cluster\.tls\.cert_file ")
            self.assertIn("sluice: 1 configuration error", r.stderr)


def node_config(name, port, peer, peer_port, certs=None):
    return (f"server: {{host: 127.0.0.1, port: 0}}\n"
            "routes: {up: {kind: uppercase}}\n"
            "topics: {patterns: {'*': {}}}\n"
            f"cluster:\n  name: {name}\n  port: {port}\n  secret: {SECRET}\n"
            f"  peers:\n    - {{name: {peer}, host: 127.0.0.1, port: {peer_port}}}\n"
            + (f"  tls: {{cert_file: {certs}/{name}.pem, key_file: {certs}/{name}.key, ca_file: {certs}/ca.pem}}\n"
               if certs else ""))


class ClusterOverTls(unittest.IsolatedAsyncioTestCase):
    async def test_nodes_with_certificates_link_over_tls(self):
        certs = tempfile.TemporaryDirectory()
        self.addCleanup(certs.cleanup)

        def openssl(*args):
            subprocess.run(["openssl", *args], cwd=certs.name, check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=sluice-test-ca")
        for name in ("a", "b"):
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                    "-subj", f"/CN=node-{name}")
            openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", f"{name}.pem", "-days", "2")
        port_a, port_b = free_port(), free_port()
        a = Sluice(node_config("a", port_a, "b", port_b, certs.name))
        b = Sluice(node_config("b", port_b, "a", port_a, certs.name))
        a.allow_caf_io_cycle = b.allow_caf_io_cycle = True
        with a, b:
            for node in (a, b):
                self.assertEqual(await node.metric_reaches('sluice_cluster_nodes{state="up"}', 2), 2)
            sub, _ = await subscribe(b, "secure")
            ack = await publish(a, "secure", {"over": "tls"})
            self.assertEqual(ack["type"], "published", ack)
            self.assertEqual((await recv_json(sub))["data"], {"over": "tls"})
            # The cluster port speaks TLS: a plain client gets no CAF handshake from it.
            with socket.create_connection(("127.0.0.1", port_a), timeout=5) as plain:
                plain.sendall(b"\x00" * 64)
                plain.settimeout(5)
                try:
                    answer = plain.recv(64)
                except (socket.timeout, ConnectionResetError):
                    answer = b""
            self.assertNotIn(b"caf", answer.lower())
            self.assertEqual(b.metrics()['sluice_cluster_nodes{state="up"}'], 2)


if __name__ == "__main__":
    unittest.main()
