"""How long a node's subscribers wait when a NATS server dies (engine: nats, replicas 3).

Three nats-server processes (a JetStream cluster), two Sluice nodes: node A publishes to TOPICS
topics in turn (each topic every `--interval`), node B has one client subscribed to all of them.
Each round kills one NATS server with SIGKILL and starts it again after the measurement.

Per topic and round it reports the delivery outage: the longest time B's client waited between two
events of the topic, in the window from 1 s before the kill until every topic delivered again.
The publish outage (the longest time between two acknowledged publishes of a topic on A) is
reported beside it: subscribers cannot hear of what was not stored.

    /usr/bin/python3 bench/engine_failover.py [--topics 40] [--rounds 3] [--heartbeat 1s]
    SLUICE_BIN=/path/to/other/sluice /usr/bin/python3 bench/engine_failover.py --heartbeat unset
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests/integration"), os.path.join(ROOT, "tests/integration/engine")]
os.environ.setdefault("SLUICE_BIN", os.path.join(ROOT, "build/release/bin/sluice"))

import websockets  # noqa: E402

from harness import Sluice  # noqa: E402
from nats import Nats, engine_config  # noqa: E402


async def subscriber(node, topics, heard):
    """Subscribes one client to every topic; records (topic, monotonic time) of every event."""
    async with websockets.connect(node.ws_url, max_size=None) as ws:
        await ws.recv()  # welcome
        for i, t in enumerate(topics):
            await ws.send(json.dumps({"type": "subscribe", "id": f"s{i}", "topic": t}))
        while True:
            f = json.loads(await ws.recv())
            if f.get("type") == "event":
                heard.setdefault(f["topic"], []).append(time.monotonic())


async def publisher(node, topics, interval, acked, stop):
    async with websockets.connect(node.ws_url) as ws:
        await ws.recv()
        n = 0
        while not stop.is_set():
            for t in topics:
                n += 1
                await ws.send(json.dumps({"type": "publish", "id": f"{t}#{n}", "topic": t, "data": n}))
            deadline = time.monotonic() + interval
            while (left := deadline - time.monotonic()) > 0:
                try:
                    f = json.loads(await asyncio.wait_for(ws.recv(), left))
                except asyncio.TimeoutError:
                    break
                if f.get("type") == "published":
                    acked.setdefault(f["id"].split("#")[0], []).append(time.monotonic())


def longest_wait(times, start, end):
    inside = [t for t in times if start <= t <= end]
    points = [start, *inside, end]
    return max(b - a for a, b in zip(points, points[1:]))


async def one_round(nats, victim, topics, heard, acked):
    killed_at = time.monotonic()
    nats.servers[victim].kill()
    # Every topic delivered again after the kill: the outage is over for all of them.
    while True:
        if all(any(t > killed_at for t in heard.get(topic, [])) for topic in topics):
            break
        if time.monotonic() - killed_at > 120:
            print("  some topics never delivered again within 120 s", file=sys.stderr)
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    end = time.monotonic()
    start = killed_at - 1
    delivery = [longest_wait(heard.get(t, []), start, end) for t in topics]
    publish = [longest_wait(acked.get(t, []), start, end) for t in topics]
    nats.restart(victim)
    await asyncio.sleep(3)  # the restarted server catches up before the next round
    return delivery, publish


def write_logs(folder, a, b):
    if folder:
        for name, node in (("a", a), ("b", b)):
            with open(os.path.join(folder, f"sluice-{name}.log"), "w") as f:
                f.write("\n".join(node.log) + "\n")


async def main(args):
    cleanups = unittest.TestCase()  # Nats registers its stop with a test case's addCleanup
    try:
        nats = Nats(cleanups, size=3)
        # "unset": the key left out (a build from before it existed).
        heartbeat = "" if args.heartbeat == "unset" else f"  subscription_heartbeat: {args.heartbeat}\n"
        config = engine_config(nats.urls, replicas=3, extra=heartbeat)
        topics = [f"room.f{i}" for i in range(args.topics)]
        a, b = Sluice(config), Sluice(config)
        cleanups.addCleanup(lambda: write_logs(args.logs, a, b))
        with a, b:
            heard, acked, stop = {}, {}, asyncio.Event()
            tasks = [asyncio.create_task(subscriber(b, topics, heard)),
                     asyncio.create_task(publisher(a, topics, args.interval, acked, stop))]
            while len(heard) < len(topics):
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)
            rows = []
            for r in range(args.rounds):
                delivery, publish = await one_round(nats, r % 3, topics, heard, acked)
                rows.append((r, delivery, publish))
                print(f"round {r + 1} (killed n{r % 3 + 1}): delivery outage median "
                      f"{statistics.median(delivery):.1f} s, max {max(delivery):.1f} s; publish "
                      f"outage median {statistics.median(publish):.1f} s, max {max(publish):.1f} s",
                      flush=True)
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        every_delivery = [d for _, ds, _ in rows for d in ds]
        every_publish = [p for _, _, ps in rows for p in ps]
        print(f"all rounds, {args.topics} topics, subscription_heartbeat {args.heartbeat}: "
              f"delivery outage median {statistics.median(every_delivery):.1f} s, "
              f"max {max(every_delivery):.1f} s; publish outage median "
              f"{statistics.median(every_publish):.1f} s, max {max(every_publish):.1f} s")
    finally:
        cleanups.doCleanups()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--topics", type=int, default=40)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--interval", type=float, default=0.2, help="seconds between publishes of a topic")
    p.add_argument("--heartbeat", default="1s", help="engine.subscription_heartbeat, or unset")
    p.add_argument("--logs", help="a folder to write both nodes' logs to")
    asyncio.run(main(p.parse_args()))
