"""Topic history on disk: kill -9 and restart, torn and corrupt logs at start, epochs."""

import asyncio
import os
import shutil
import tempfile
import threading
import unittest

from harness import Sluice, config_with, connect, get_json, post_json, recv_json, send_json


def stored(path, fsync="always"):
    return config_with(extra=f"""
topics:
  patterns:
    "*": {{history: {{size: 100000}}}}
  storage: {{path: "{path}", fsync: {fsync}}}
""")


async def read_all(server, topic, since=0):
    """Every message of `topic` after `since`, as (offset, data), through a subscription."""
    ws, _ = await connect(server)
    await send_json(ws, {"type": "subscribe", "topic": topic, "since": since})
    ack = await recv_json(ws)
    messages = []
    while len(messages) < ack["last"] - since:
        frame = await recv_json(ws)
        assert frame["type"] == "event", frame
        messages.append((frame["offset"], frame["data"]))
    await ws.close()
    return ack, messages


class Persistence(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sluice-topics-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    async def test_every_acknowledged_message_survives_sigkill(self):
        acked = []
        server = Sluice(stored(self.dir)).__enter__()
        stop = threading.Event()

        def publish_until_killed():
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    status, body = post_json(server, "/api/publish", {"topic": "orders", "data": i})
                except OSError:
                    return  # the process is gone
                if status == 200:
                    acked.append((body["offset"], i))

        publisher = threading.Thread(target=publish_until_killed)
        publisher.start()
        while len(acked) < 300:
            await asyncio.sleep(0.01)
        server.kill()  # mid-stream: a publish may be in flight
        stop.set()
        publisher.join()
        server.__exit__(None, None, None)

        with Sluice(stored(self.dir)) as again:
            ack, messages = await read_all(again, "orders")
            self.assertGreaterEqual(ack["last"], acked[-1][0])
            self.assertEqual([m[0] for m in messages], list(range(1, ack["last"] + 1)))
            by_offset = dict(messages)
            for offset, data in acked:
                self.assertEqual(by_offset[offset], data)
            # Offsets continue where they stopped, in the same epoch.
            status, body = post_json(again, "/api/publish", {"topic": "orders", "data": "next"})
            self.assertEqual(body["offset"], ack["last"] + 1)

    async def test_restart_keeps_epoch_and_offsets(self):
        with Sluice(stored(self.dir, fsync="interval")) as server:
            for i in range(5):
                post_json(server, "/api/publish", {"topic": "chat.k", "data": i})
            _, before = get_json(server, "/api/topics/chat.k")
        with Sluice(stored(self.dir, fsync="never")) as server:
            status, after = get_json(server, "/api/topics/chat.k")  # loaded at start
            self.assertEqual(status, 200)
            self.assertEqual((after["epoch"], after["last"], after["persistent"]),
                             (before["epoch"], 5, True))

    async def test_without_storage_a_restart_is_a_new_epoch(self):
        config = config_with(extra='topics:\n  patterns:\n    "*": {}\n')
        with Sluice(config) as server:
            post_json(server, "/api/publish", {"topic": "t", "data": "old"})
            _, old = get_json(server, "/api/topics/t")
        with Sluice(config) as server:
            post_json(server, "/api/publish", {"topic": "t", "data": "new"})
            ws, _ = await connect(server)
            await send_json(ws, {"type": "subscribe", "topic": "t", "since": 1, "epoch": old["epoch"]})
            ack = await recv_json(ws)
            self.assertNotEqual(ack["epoch"], old["epoch"])
            gap = await recv_json(ws)
            self.assertEqual((gap["type"], gap["reason"]), ("gap", "epoch"))
            self.assertEqual((await recv_json(ws))["data"], "new")
            await ws.close()

    async def test_torn_and_corrupt_logs_at_start(self):
        with Sluice(stored(self.dir)) as server:
            for i in range(1, 4):
                post_json(server, "/api/publish", {"topic": "torn", "data": i})
        path = os.path.join(self.dir, "torn.log")
        os.truncate(path, os.path.getsize(path) - 3)  # the last record loses its end
        with open(os.path.join(self.dir, "garbage.log"), "wb") as f:
            f.write(b"\x00\xffnot a sluice log")
        with Sluice(stored(self.dir)) as server:
            _, messages = await read_all(server, "torn")
            self.assertEqual(messages, [(1, 1), (2, 2)])
            status, body = post_json(server, "/api/publish", {"topic": "torn", "data": "again"})
            self.assertEqual(body["offset"], 3)
            status, info = get_json(server, "/api/topics/garbage")
            self.assertEqual((status, info["last"]), (200, 0))
            self.assertEqual(post_json(server, "/api/publish", {"topic": "garbage", "data": 1})[1]["offset"], 1)
            metrics = server.metrics()
            self.assertGreater(metrics["sluice_topic_log_truncated_bytes_total"], 0)
            self.assertEqual(metrics["sluice_topic_log_resets_total"], 1)
            self.assertTrue(any("event=log_truncated" in l and "topic=torn" in l for l in server.log))
        self.assertTrue(os.path.exists(os.path.join(self.dir, "garbage.log.corrupt")))

    async def test_a_topic_whose_log_cannot_be_written_refuses_publishes(self):
        os.mkdir(os.path.join(self.dir, "broken.log"))  # a directory where its log would go
        with Sluice(stored(self.dir)) as server:
            status, body = post_json(server, "/api/publish", {"topic": "broken", "data": 1})
            self.assertEqual((status, body["error"]), (503, "storage_failed"))
            ws, _ = await connect(server)
            await send_json(ws, {"type": "publish", "topic": "broken", "data": 2, "id": "b"})
            answer = await recv_json(ws)
            self.assertEqual((answer["type"], answer["code"], answer["id"]),
                             ("error", "storage_failed", "b"))
            _, info = get_json(server, "/api/topics/broken")
            self.assertEqual(info["last"], 0)  # nothing was acknowledged, nothing was kept
            self.assertEqual(post_json(server, "/api/publish", {"topic": "fine", "data": 1})[0], 200)
            self.assertGreaterEqual(server.metrics()["sluice_topic_log_errors_total"], 1)
            await ws.close()

    def test_unusable_storage_path_stops_the_start(self):
        blocker = os.path.join(self.dir, "file")
        open(blocker, "w").close()
        server = Sluice(stored(os.path.join(blocker, "sub")))
        server.killed = True  # it exits 1 by itself; that is what is tested
        with server:
            self.assertEqual(server.wait_exit(), 1)
        self.assertTrue(any("event=storage_failed" in l and "cannot create topics.storage.path" in l
                            for l in server.log))


if __name__ == "__main__":
    unittest.main()
