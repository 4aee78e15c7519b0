"""Chaos rounds against a real three-node cluster (config/examples/cluster/, storage on): in each
round the owner of a topic is killed with SIGKILL (and restarted) or frozen with SIGSTOP (and
thawed), while a publisher and a subscriber on every node record every frame, and a client on every
node makes requests served by workers on every node. Then a checker holds the records to the
guarantees of docs/cluster.md:
  - every acknowledged publish is delivered to every subscriber that survived, or lies inside a
    gap that subscriber was told about;
  - no (epoch, offset) names two different messages, on any node;
  - within an epoch, a subscriber's offsets only rise;
  - every request ends with a final or a typed error.
Used by test_cluster_chaos.py (a few rounds in CI) and by bench/chaos.sh (many rounds):
    /usr/bin/python3 tests/integration/cluster/chaos.py --rounds 30"""

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time

import websockets

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.dirname(here)]  # test_cluster, and the shared harness
from harness import PATIENCE, REPO  # noqa: E402
from nodes import WORKER, Cluster  # noqa: E402

TOPIC = "chaos"
DEADLINE = 60  # seconds: the example route's timeout


class Subscriber:
    """Subscribes (from offset 0, so it also gets what it missed) and records every frame."""

    def __init__(self, node_index, label):
        self.node_index, self.label = node_index, label
        self.frames, self.alive, self.task = [], True, None

    async def run(self, url):
        try:
            async with websockets.connect(url, max_size=None, close_timeout=1) as ws:
                await ws.recv()  # welcome
                await ws.send(json.dumps({"type": "subscribe", "topic": TOPIC, "since": 0, "id": "s"}))
                async for raw in ws:
                    self.frames.append(json.loads(raw))
        except (OSError, websockets.WebSocketException):
            pass
        self.alive = False


class Publisher:
    """Publishes numbered messages, a few in flight, and records every answer."""

    def __init__(self, node_index, numbers):
        self.node_index, self.numbers = node_index, numbers
        self.acked, self.failed, self.unanswered = {}, {}, set()
        self.stop = False

    async def run(self, url):
        with contextlib.suppress(OSError, websockets.WebSocketException):
            async with websockets.connect(url, max_size=None, close_timeout=1) as ws:
                await ws.recv()
                window = asyncio.Semaphore(8)

                async def reader():
                    async for raw in ws:
                        frame = json.loads(raw)
                        if "id" not in frame:
                            continue
                        n = int(frame["id"])
                        self.unanswered.discard(n)
                        window.release()
                        if frame["type"] == "published":
                            self.acked[n] = (frame["epoch"], frame["offset"])
                        else:
                            self.failed[n] = frame.get("code")

                task = asyncio.ensure_future(reader())
                # A node killed under it ends the reader with an error: expected here.
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
                while not self.stop and not task.done():
                    await window.acquire()
                    n = next(self.numbers)
                    self.unanswered.add(n)
                    await ws.send(json.dumps({"type": "publish", "topic": TOPIC, "id": str(n),
                                              "data": {"n": n, "node": self.node_index}}))
                    await asyncio.sleep(0.005)
                with contextlib.suppress(asyncio.TimeoutError):  # the last answers
                    await asyncio.wait_for(asyncio.shield(task), 3)
                task.cancel()


class Requester:
    """Sends requests one after another and records how each ended."""

    def __init__(self, node_index):
        self.node_index = node_index
        self.ended, self.open, self.stop = {}, set(), False

    async def run(self, url, ids):
        with contextlib.suppress(OSError, websockets.WebSocketException):
            async with websockets.connect(url, max_size=None, close_timeout=1) as ws:
                await ws.recv()
                while not self.stop:
                    rid = next(ids)
                    self.open.add(rid)
                    await ws.send(json.dumps({"type": "request", "id": rid, "route": "ask",
                                              "payload": {"text": f"r{rid}"}}))
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE + PATIENCE))
                        if frame.get("id") == rid and frame["type"] in ("final", "error"):
                            self.ended[rid] = frame.get("code", "final")
                            self.open.discard(rid)
                            break
        self.stop = True


class Chaos:
    def __init__(self, case, seed):
        self.cluster = Cluster(case)
        self.rng = random.Random(seed)
        self.numbers = itertools.count(1)
        self.request_ids = itertools.count(1)
        self.subscribers, self.publishers, self.requesters = [], [], []
        self.tasks, self.workers = [], {}
        self.faults = []

    async def start(self):
        await self.cluster.start_all()
        for i in (1, 2, 3):
            self.start_worker(i)
            self.attach(i)

    def start_worker(self, i):
        node = self.cluster.nodes[i]
        self.workers[i] = subprocess.Popen(
            ["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{node.port}/workers", "--token",
             "s3cret", "--routes", "ask", "--name", f"w{i}", "--steps", "3", "--interval", "0.05",
             "--capacity", "8"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def attach(self, i):
        """A subscriber, a publisher and a requester on node i."""
        url = self.cluster.nodes[i].ws_url
        sub = Subscriber(i, f"node{i}/{len(self.subscribers)}")
        pub = Publisher(i, self.numbers)
        req = Requester(i)
        self.subscribers.append(sub)
        self.publishers.append(pub)
        self.requesters.append(req)
        self.tasks += [asyncio.ensure_future(sub.run(url)), asyncio.ensure_future(pub.run(url)),
                       asyncio.ensure_future(req.run(url, self.request_ids))]

    def owner(self):
        """The owner all running nodes agree on, or None."""
        owners = set()
        for i, node in self.cluster.nodes.items():
            if node.proc.poll() is None:
                info = self.cluster.topic(i, TOPIC)
                owners.add(info.get("owner") if info else None)
        return int(owners.pop()[-1]) if len(owners) == 1 and None not in owners and "" not in owners else None

    async def until_healthy(self):
        """Until every node sees three up and holds its lease, and the topic has an owner."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            views = [self.cluster.view(i) for i in (1, 2, 3)]
            if all(v["up"] == 3 and v["lease"] for v in views) and self.owner():
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the cluster did not recover: " + json.dumps(views))

    async def round(self, kind):
        await self.until_healthy()
        owner = self.owner()
        self.faults.append((kind, owner))
        await asyncio.sleep(0.5 + self.rng.random())
        if kind == "kill":
            for p in self.publishers + self.requesters:
                if p.node_index == owner:
                    p.stop = True
            self.cluster.kill(owner)
            await asyncio.sleep(2 + self.rng.random() * 2)
            self.workers[owner].kill()
            self.workers[owner].wait()
            self.cluster.start(owner)
            self.start_worker(owner)
            await self.until_healthy()
            self.attach(owner)
        else:
            node = self.cluster.nodes[owner]
            node.proc.send_signal(signal.SIGSTOP)
            await asyncio.sleep(4 + self.rng.random() * 2)  # past heartbeat_timeout: others take over
            node.proc.send_signal(signal.SIGCONT)
            await self.until_healthy()
        await asyncio.sleep(1 + self.rng.random())

    async def finish(self):
        for p in self.publishers + self.requesters:
            p.stop = True
        # Let what was acknowledged arrive: until every live subscriber holds every acked message,
        # or nothing new arrives for a while.
        deadline = time.monotonic() + PATIENCE
        last = -1
        while time.monotonic() < deadline:
            await asyncio.sleep(1)
            total = sum(len(s.frames) for s in self.subscribers)
            if total == last and all(not p.unanswered for p in self.publishers if p.stop):
                break
            last = total
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for w in self.workers.values():
            w.kill()
            w.wait()


def check(chaos):
    """The guarantees; returns a list of violations (empty: all held) and a summary."""
    problems = []
    acked = {}
    for p in chaos.publishers:
        for n, (epoch, offset) in p.acked.items():
            acked[n] = (epoch, offset)
    named = {}  # (epoch, offset) -> n, over every subscriber
    for s in chaos.subscribers:
        epoch, last, seen, told = None, 0, set(), []
        for f in s.frames:
            if f["type"] == "subscribed":
                epoch, last = f["epoch"], 0
            elif f["type"] == "gap":
                told.append((epoch, f["from"], f["to"], f["reason"]))
                if f["epoch"] != epoch:  # it resumes at `from` in the new epoch, or earlier if behind
                    epoch, last = f["epoch"], min(last, f["from"] - 1)
                else:
                    last = max(last, f["to"])
            elif f["type"] == "event":
                n = f["data"]["n"]
                seen.add(n)
                if f["offset"] <= last:
                    problems.append(f"{s.label}: offset {f['offset']} after {last} in epoch {epoch}")
                last = f["offset"]
                other = named.setdefault((epoch, f["offset"]), n)
                if other != n:
                    problems.append(f"({epoch}, {f['offset']}) names message {other} and {n}")
        if not s.alive and s.node_index in {node for kind, node in chaos.faults if kind == "kill"}:
            continue  # died with its node
        for n, (epoch, offset) in acked.items():
            if n in seen:
                continue
            if any(e == epoch and lo <= offset <= hi for e, lo, hi, _ in told):
                continue
            # History trimmed before this subscriber came: an acknowledged message keeps its
            # offset in every later epoch (a majority held it), so a `history` gap of a later
            # epoch names it too.
            if any(reason == "history" and e >= epoch and lo <= offset <= hi
                   for e, lo, hi, reason in told):
                continue
            problems.append(f"{s.label}: acknowledged message {n} ({epoch}, {offset}) neither "
                            f"delivered nor inside a gap it was told about")
    hanging = [rid for r in chaos.requesters if r.node_index not in
               {node for kind, node in chaos.faults if kind == "kill"} for rid in r.open]
    if hanging:
        problems.append(f"requests that never ended: {sorted(hanging)[:10]}")
    summary = {
        "faults": chaos.faults,
        "acknowledged": len(acked),
        "refused": sum(len(p.failed) for p in chaos.publishers),
        "requests": sum(len(r.ended) for r in chaos.requesters),
        "request_errors": dict(collections.Counter(
            c for r in chaos.requesters for c in r.ended.values() if c != "final")),
        "refusals": dict(collections.Counter(c for p in chaos.publishers for c in p.failed.values())),
        "gaps": sum(1 for s in chaos.subscribers for f in s.frames if f["type"] == "gap"),
    }
    return problems[:50], summary


async def run_rounds(case, rounds, seed, dump=None):
    chaos = Chaos(case, seed)
    await chaos.start()
    for r in range(rounds):
        await chaos.round("kill" if r % 2 == 0 else "pause")
    await chaos.finish()
    if dump:  # every record, for a closer look at a violation
        with open(dump, "w") as f:
            json.dump({"faults": chaos.faults,
                       "subscribers": {s.label: s.frames for s in chaos.subscribers},
                       "acked": {n: a for p in chaos.publishers for n, a in p.acked.items()},
                       "logs": {i: n.log for i, n in chaos.cluster.nodes.items()}}, f)
    return check(chaos)


class _Case:
    """What Cluster needs of a unittest.TestCase, outside unittest."""

    def __init__(self):
        self.cleanups = []

    def addCleanup(self, fn, *args):
        self.cleanups.append((fn, args))

    def cleanup(self):
        for fn, args in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                fn(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dump", help="write every record to this JSON file")
    args = parser.parse_args()
    case = _Case()
    started = time.monotonic()
    try:
        problems, summary = asyncio.run(run_rounds(case, args.rounds, args.seed, args.dump))
    finally:
        case.cleanup()
    summary["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(summary))
    for p in problems:
        print("VIOLATION:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("SLUICE_BIN", os.path.join(REPO, "build", "release", "bin", "sluice"))
    sys.exit(main())
