"""Quotas across a cluster: two real nodes count one user's requests together. What she runs on one
node is counted on the other within a report interval (GET /api/quotas on both nodes agrees, per
node and in sum), a request over the summed quota is refused on either node, and a node that is
lost stops counting for her."""

import asyncio
import hashlib
import time
import unittest

import jwt

from harness import PATIENCE, Sluice, connect, get_json, recv_json, send_json, send_request, until_final
from nodes import SECRET
from upstreams import free_port

JWT_SECRET = "cluster-quota-secret-of-32-bytes-or-more"
OPS_KEY = "cluster-quota-ops-key"
OPS = {"Authorization": "Bearer " + OPS_KEY}


def node_config(name, port, peer, peer_port):
    digest = hashlib.sha256(OPS_KEY.encode()).hexdigest()
    return (f"server: {{host: 127.0.0.1, port: 0}}\n"
            "auth:\n  anonymous: true\n"
            f"  jwt: {{keys: [{{algorithm: HS256, secret: \"{JWT_SECRET}\"}}]}}\n"
            f"  http_api_keys: {{ops: {{sha256: {digest}}}}}\n"
            "routes:\n"
            "  quick: {kind: uppercase, steps: 0, quota: {requests: 4, window: 1h}}\n"
            "  slow: {kind: uppercase, steps: 100, interval: 100ms, quota: {max_in_flight: 1}}\n"
            f"cluster:\n  name: {name}\n  port: {port}\n  secret: {SECRET}\n"
            "  heartbeat_interval: 200ms\n  heartbeat_timeout: 2s\n"
            f"  peers:\n    - {{name: {peer}, host: 127.0.0.1, port: {peer_port}}}\n")


async def alice(node):
    token = jwt.encode({"sub": "alice", "exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256")
    ws, _ = await connect(node, extra_headers={"Authorization": "Bearer " + token})
    return ws


def usage(node, route):
    status, body = get_json(node, "/api/quotas/sub:alice", OPS)
    assert status == 200, body
    return next(r for r in body["routes"] if r["route"] == route)


async def until_usage(node, route, check):
    """Polls the node's view of alice's quota on `route` until check(route usage) holds."""
    deadline = time.monotonic() + PATIENCE
    seen = usage(node, route)
    while not check(seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        seen = usage(node, route)
    return seen


class ClusterQuotas(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        port_a, port_b = free_port(), free_port()
        self.a = Sluice(node_config("a", port_a, "b", port_b))
        self.b = Sluice(node_config("b", port_b, "a", port_a))
        self.a.allow_caf_io_cycle = self.b.allow_caf_io_cycle = True
        for node in (self.a, self.b):
            node.__enter__()
            self.addCleanup(node.__exit__, None, None, None)
        for node in (self.a, self.b):
            self.assertEqual(await node.metric_reaches('sluice_cluster_nodes{state="up"}', 2), 2)

    async def test_requests_on_two_nodes_are_summed_and_both_nodes_agree(self):
        on_a, on_b = await alice(self.a), await alice(self.b)
        for ws, prefix in ((on_a, "a"), (on_b, "b")):
            for i in range(2):
                await send_request(ws, {"type": "request", "id": f"{prefix}{i}", "route": "quick",
                                        "payload": "x"})
                self.assertEqual((await until_final(ws, f"{prefix}{i}", mid_stream=True))[-1]["type"],
                                 "final")
        for node in (self.a, self.b):
            seen = await until_usage(node, "quick", lambda u: u["usage"]["requests"] == 4)
            self.assertEqual(seen["usage"]["requests"], 4, seen)
            self.assertEqual({n: c["requests"] for n, c in seen["nodes"].items()}, {"a": 2, "b": 2})
        # Over the summed quota on either node.
        for ws, rid in ((on_a, "a9"), (on_b, "b9")):
            await send_json(ws, {"type": "request", "id": rid, "route": "quick", "payload": "x"})
            refused = await recv_json(ws)
            self.assertEqual((refused["code"], refused["limit"]), ("quota_exceeded", "requests"))
        await on_a.close()
        await on_b.close()

    async def test_a_request_running_on_one_node_holds_the_users_place_on_the_other(self):
        on_a, on_b = await alice(self.a), await alice(self.b)
        await send_request(on_a, {"type": "request", "id": "r1", "route": "slow", "payload": "x"})
        seen = await until_usage(self.b, "slow", lambda u: u["usage"]["in_flight"] == 1)
        self.assertEqual(seen["nodes"]["a"]["in_flight"], 1, seen)
        await send_json(on_b, {"type": "request", "id": "r2", "route": "slow", "payload": "x"})
        refused = await recv_json(on_b)
        self.assertEqual((refused["code"], refused["limit"]), ("quota_exceeded", "max_in_flight"))
        # Node a is lost: what ran there no longer counts on b.
        self.a.kill()
        seen = await until_usage(self.b, "slow", lambda u: u["usage"]["in_flight"] == 0)
        self.assertEqual(seen["usage"]["in_flight"], 0, seen)
        await send_request(on_b, {"type": "request", "id": "r3", "route": "slow", "payload": "x"})
        await on_b.close()


if __name__ == "__main__":
    unittest.main()
