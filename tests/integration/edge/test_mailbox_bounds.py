"""Every queue a flood can fill is bounded: a subscriber that never reads does not raise the
server's memory beyond its bounds, a full topic mailbox pushes back on the publisher without
losing a message, and the HTTP API gets 503 `overloaded` instead of queueing without end."""

import asyncio
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import unittest

from harness import PATIENCE, REPO, SLUICE_BIN, Sluice, config_with, connect, get_json, recv_json, send_json


async def subscribe(ws, topic):
    await send_json(ws, {"type": "subscribe", "topic": topic})
    ack = await recv_json(ws)
    assert ack["type"] == "subscribed", ack


async def publish_all(ws, topic, count, data):
    """Publishes `count` messages without ids, then one with an id; returns when that one
    is acknowledged (so all before it were handled)."""
    for i in range(1, count):
        await send_json(ws, {"type": "publish", "topic": topic, "data": data})
        if i % 200 == 0:
            await asyncio.sleep(0)
    await send_json(ws, {"type": "publish", "topic": topic, "data": data, "id": "last"})
    while True:
        frame = await asyncio.wait_for(recv_json(ws), PATIENCE * 4)
        if frame.get("id") == "last":
            assert frame["type"] == "published", frame
            return frame["offset"]


FLOOD = config_with(extra="""
limits:
  outbound_messages: 256
  outbound_bytes: 1MiB
topics:
  patterns:
    "flood*": {history: {size: 100}, max_lag: 200}
""")
# The load generator need not be sanitized: a sanitizer build (which leaves it out) uses the
# release one.
BENCH = next((p for p in (os.environ.get("SLUICE_BENCH_BIN", ""),
                          os.path.join(os.path.dirname(SLUICE_BIN), "sluice-bench"),
                          os.path.join(REPO, "build", "release", "bin", "sluice-bench"))
              if p and os.path.exists(p)), os.path.join(os.path.dirname(SLUICE_BIN), "sluice-bench"))


class NonReadingSubscriber(unittest.IsolatedAsyncioTestCase):
    MESSAGES = 20000
    DATA = "x" * 2000  # 20000 x 2 KB: about 40 MB pushed at a client that reads nothing

    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)  # high-volume test
        # Under AddressSanitizer freed memory waits in a quarantine (256 MB by default),
        # which would count as growth here; a small one keeps RSS meaningful.
        self.saved_asan = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = (self.saved_asan or "") + ":quarantine_size_mb=4"

    async def asyncTearDown(self):
        if self.saved_asan is None:
            del os.environ["ASAN_OPTIONS"]
        else:
            os.environ["ASAN_OPTIONS"] = self.saved_asan

    async def test_many_small_messages_do_not_grow_memory(self):
        # Many messages, so that a cost per message (not per queued message) shows:
        # 100 000 messages at a client that never reads, from the C++ load generator,
        # twice. The first run fills the bounded queues and the allocator's caches
        # (AddressSanitizer's included); the second must not add to them.
        with Sluice(FLOOD) as server:
            def flood():
                run = subprocess.run(
                    [BENCH, "flood", "--url", server.ws_url, "--topic", "flood",
                     "--messages", "100000", "--tail", "1", "--pid", str(server.proc.pid)],
                    capture_output=True, text=True, timeout=PATIENCE * 6)
                self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
                grown = re.search(r"peak [0-9.]+ MiB \(\+([0-9.]+) MiB\)", run.stdout)
                self.assertIsNotNone(grown, run.stdout)
                return float(grown.group(1)), run.stdout

            flood()
            grown, output = flood()
            # A cost of 200 bytes per message would show as 19 MiB here.
            self.assertLess(grown, 6, output)
            # The flood client stops sampling a second after its last message; a slow build
            # (AddressSanitizer) may still be reading what the closed connection had sent.
            self.assertEqual(await server.metric_reaches("sluice_frames_in_total", 2 * (100000 + 1)),
                             2 * (100000 + 1))  # + subscribes
            self.assertLessEqual(server.metrics()["sluice_outbound_queue_high_water"], 256)

    async def test_large_messages_stay_within_the_bounds(self):
        with Sluice(FLOOD) as server:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            sleeper, _ = await connect(server, sock=sock, max_queue=1)
            await subscribe(sleeper, "flood.a")
            publisher, _ = await connect(server)
            baseline = server.rss()

            last = await publish_all(publisher, "flood.a", self.MESSAGES, self.DATA)
            self.assertEqual(last, self.MESSAGES)
            grown = server.rss() - baseline
            # The bounds hold ~1 MiB (outbound queue) + 200 KB (history); allocator and
            # sanitizer overheads stay well under 24 MiB. Unbounded queueing would hold 40 MB.
            self.assertLess(grown, 24 << 20, f"RSS grew by {grown >> 20} MiB")
            metrics = server.metrics()
            self.assertLessEqual(metrics["sluice_outbound_queue_high_water"], 256)
            self.assertEqual(metrics["sluice_slow_consumer_closes_total"], 0)

            # The sleeper wakes up: what it missed is announced as a gap, and it catches up
            # to the last offset.
            covered = set()
            while self.MESSAGES not in covered:
                frame = await asyncio.wait_for(recv_json(sleeper), PATIENCE)
                if frame["type"] == "gap":
                    covered.update(range(frame["from"], frame["to"] + 1))
                else:
                    self.assertEqual(frame["type"], "event", frame)
                    self.assertNotIn(frame["offset"], covered)
                    covered.add(frame["offset"])
            self.assertEqual(covered, set(range(1, self.MESSAGES + 1)))
            self.assertGreater(server.metrics()['sluice_topic_gaps_total{reason="slow"}'], 0)
            await sleeper.close()
            await publisher.close()


TOPIC_MAILBOX = config_with(extra="""
limits:
  topic_mailbox: 1
topics:
  patterns:
    "busy.*": {history: {size: 5000}, max_lag: 5000}
""")


class TopicMailbox(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)

    async def test_a_full_topic_holds_the_publisher_back_and_loses_nothing(self):
        count = 2000
        with Sluice(TOPIC_MAILBOX) as server:
            reader, _ = await connect(server)
            await subscribe(reader, "busy.a")
            publisher, _ = await connect(server)
            received = []

            async def read_all():
                while len(received) < count:
                    frame = await recv_json(reader)
                    self.assertEqual(frame["type"], "event", frame)
                    received.append((frame["offset"], frame["data"]))

            task = asyncio.create_task(read_all())
            for i in range(1, count + 1):
                await send_json(publisher, {"type": "publish", "topic": "busy.a", "data": i})
            await asyncio.wait_for(task, PATIENCE * 2)
            self.assertEqual(received, [(i, i) for i in range(1, count + 1)])
            metrics = server.metrics()
            # One message at a time was ever waiting in the topic's mailbox, and none was lost.
            self.assertEqual(metrics['sluice_mailbox_depth_high_water{actor="topic"}'], 1)
            self.assertEqual(metrics['sluice_mailbox_bound{actor="topic"}'], 1)
            self.assertEqual(metrics['sluice_mailbox_depth{actor="topic"}'], 0)
            self.assertEqual(metrics['sluice_mailbox_drops_total{actor="topic"}'], 0)
            await reader.close()
            await publisher.close()

    async def test_concurrent_http_publishes_are_stored_or_refused_never_lost(self):
        # Whether any is refused depends on timing (the actor tests force a refusal);
        # what must hold is that every 200 is in history and every refusal is a 503.
        with Sluice(TOPIC_MAILBOX) as server:
            def post(i):
                status, headers, body = server.http(
                    "POST", "/api/publish", json.dumps({"topic": "busy.h", "data": i}),
                    {"Content-Type": "application/json"})
                if status == 503:
                    assert headers.get("retry-after") == "1", headers
                return status, json.loads(body)

            with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(post, range(400)))
            accepted = [body["offset"] for status, body in answers if status == 200]
            refused = [body for status, body in answers if status != 200]
            for status, body in answers:
                self.assertIn(status, (200, 503), body)
            for body in refused:
                self.assertEqual(body["error"], "overloaded", body)
            # Every accepted message is in history, each once; refused ones are not.
            self.assertEqual(sorted(accepted), list(range(1, len(accepted) + 1)))
            _, history = get_json(server, "/api/topics/busy.h/history?since=0&limit=1000")
            self.assertEqual(len(history["messages"]), len(accepted))
            drops = server.metrics()['sluice_mailbox_drops_total{actor="topic"}']
            self.assertEqual(drops, len(refused))


class Metrics(unittest.TestCase):
    def test_every_kind_of_actor_has_its_bound_listed(self):
        with Sluice(config_with(extra="limits:\n  mailbox: 64\n  upstream_queue: 7\n")) as server:
            metrics = server.metrics()
            self.assertEqual(metrics['sluice_mailbox_bound{actor="upstream"}'], 7)
            for kind in ("session", "job", "topic", "upstream"):
                self.assertIn(f'sluice_mailbox_depth{{actor="{kind}"}}', metrics)
                self.assertIn(f'sluice_mailbox_depth_high_water{{actor="{kind}"}}', metrics)
                self.assertIn(f'sluice_mailbox_drops_total{{actor="{kind}"}}', metrics)


if __name__ == "__main__":
    unittest.main()
