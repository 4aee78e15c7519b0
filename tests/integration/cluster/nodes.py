"""A cluster of the three example nodes (config/examples/cluster/) for the cluster tests and
chaos.py, and the small client steps they share."""

import asyncio
import json
import os
import signal
import tempfile
import time

from harness import PATIENCE, REPO, Sluice, connect, freeze, recv_json, send_json
from upstreams import free_port

EXAMPLES = os.path.join(REPO, "config", "examples", "cluster")
WORKER = os.path.join(REPO, "examples", "worker.py")
SECRET = "cluster-test-secret-0123456789"


class Cluster:
    """The three example nodes on free ports, with their storage in a temporary directory."""

    def __init__(self, case):
        self.case = case
        self.data = tempfile.TemporaryDirectory()
        case.addCleanup(self.data.cleanup)
        self.cluster_ports = {i: free_port() for i in (1, 2, 3)}
        self.nodes = {}

    def env(self, secret):
        env = {"SLUICE_CLUSTER_SECRET": secret, "WORKER_TOKEN": "s3cret"}
        for i, port in self.cluster_ports.items():
            env[f"NODE{i}_CLUSTER_PORT"] = str(port)
            env[f"NODE{i}_DATA"] = os.path.join(self.data.name, f"node{i}")
        return env

    def start(self, i, secret=SECRET):
        node = Sluice(args=["--config", os.path.join(EXAMPLES, f"node{i}.yaml")], env=self.env(secret))
        node.allow_caf_io_cycle = True
        node.__enter__()
        self.nodes[i] = node
        self.case.addCleanup(node.__exit__, None, None, None)
        return node

    async def start_all(self):
        """Starts the three nodes and waits until each sees all three up."""
        for i in (1, 2, 3):
            self.start(i)
        for i in (1, 2, 3):
            view = await self.until_up(i, 3)
            assert view["up"] == 3, view

    def kill(self, i):
        self.nodes[i].kill()

    def freeze(self, i):
        """SIGSTOP to node i; returns once every thread of it has stopped, so that what is sent
        to it from here on waits for SIGCONT."""
        freeze(self.nodes[i].proc.pid)

    def thaw(self, i):
        os.kill(self.nodes[i].proc.pid, signal.SIGCONT)

    def view(self, i):
        status, _, body = self.nodes[i].http("GET", "/api/cluster")
        assert status == 200, body
        return json.loads(body)

    async def until_up(self, i, count):
        """Polls node i's /api/cluster until `count` nodes are up and the node has settled (holds
        its lease and reports that view to its peers: it may own topics); returns the last view."""
        deadline = time.monotonic() + PATIENCE
        while True:
            view = self.view(i)
            if (view["up"] == count and view.get("settled", True)) or time.monotonic() > deadline:
                return view
            await asyncio.sleep(0.05)

    def topic(self, i, name):
        status, _, body = self.nodes[i].http("GET", f"/api/topics/{name}")
        return json.loads(body) if status == 200 else None

    async def until_topic(self, i, name, check):
        deadline = time.monotonic() + PATIENCE
        info = None
        while time.monotonic() < deadline:
            info = self.topic(i, name)
            if info is not None and check(info):
                break
            await asyncio.sleep(0.05)
        return info


async def metric_at_least(node, name, value):
    """Polls /metrics until `name` is at least `value`; returns the last value seen."""
    deadline = time.monotonic() + PATIENCE
    seen = 0
    while time.monotonic() < deadline:
        seen = node.metrics().get(name, 0)
        if seen >= value:
            break
        await asyncio.sleep(0.05)
    return seen


async def subscribe(node, topic, **extra):
    ws, _ = await connect(node)
    await send_json(ws, {"type": "subscribe", "topic": topic, "id": "s", **extra})
    reply = await recv_json(ws)
    assert reply["type"] == "subscribed", reply
    return ws, reply


async def publish(node, topic, data):
    ws, _ = await connect(node)
    await send_json(ws, {"type": "publish", "topic": topic, "data": data, "id": "p"})
    reply = await recv_json(ws)
    await ws.close()
    return reply


async def frames_until(ws, done):
    """Reads frames until done(frames) holds; returns them."""
    frames = []
    while not done(frames):
        frames.append(await recv_json(ws))
    return frames
