"""Every resource a client can grow has a bound: open log files (an LRU of descriptors), client
inboxes per address, topics per client and connection, history bytes across topics and across
inboxes, and the memory of history pages read by slow clients. Each bound is reached here from
outside, with real clients, and the server keeps answering."""

import asyncio
import base64
import hashlib
import json
import os
import socket
import tempfile
import time
import unittest

import jwt

from harness import PATIENCE, Sluice, config_with, connect, recv_json, send_json

MiB = 1024 * 1024


def storage_config(directory, extra_inbox="", extra_topics="", server=""):
    return config_with(server=server, extra=f"""topics:
  patterns:
    "*": {{}}
  inbox:
    expire_after: 10m
{extra_inbox}  storage:
    path: {directory}
    fsync: never
{extra_topics}""")


async def handshake(port, query):
    """Opens a WebSocket with a hand-made upgrade, waits for the server's first frame (the welcome,
    or an error before a close) and drops the connection: the cheapest real client there is."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws?{query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
    first = b""
    if head.startswith(b"HTTP/1.1 101"):
        frame_head = await asyncio.wait_for(reader.readexactly(2), PATIENCE)
        length = frame_head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        first = await asyncio.wait_for(reader.readexactly(length), PATIENCE)
    writer.close()
    return head.split(b"\r\n")[0].decode(), json.loads(first) if first else None


async def many_client_ids(port, count, prefix, parallel=64):
    """`count` connections with distinct client ids; returns {first frame type or code: n}."""
    outcomes = {}
    gate = asyncio.Semaphore(parallel)

    async def one(i):
        async with gate:
            status, frame = await handshake(port, f"client_id={prefix}{i}")
            key = frame.get("code", frame["type"]) if frame else status
            outcomes[key] = outcomes.get(key, 0) + 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return outcomes


def publish(server, topic, data, conn=None):
    """POST /api/publish, on `conn` (kept alive) when given."""
    own = conn is None
    conn = conn or server.http_client()
    conn.request("POST", "/api/publish", json.dumps({"topic": topic, "data": data}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    result = response.status, response.read().decode()
    if own:
        conn.close()
    return result


class Bounds(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)  # debug mode slows many-connection runs


class Descriptors(Bounds):
    async def test_twenty_thousand_client_ids_leave_the_server_answering(self):
        with tempfile.TemporaryDirectory() as data, \
                Sluice(storage_config(data), open_files=1024) as server:
            outcomes = await many_client_ids(server.port, 20000, "c")
            # One address holds at most topics.inbox.max_per_address inboxes (1000); the rest
            # are refused with a typed error, and nothing ran out.
            self.assertEqual(outcomes, {"welcome": 1000, "too_many_topics": 19000}, outcomes)
            self.assertEqual(server.http("GET", "/healthz")[0], 200)
            self.assertEqual(publish(server, "after.flood", "still works")[0], 200)
            metrics = server.metrics()
            self.assertLessEqual(metrics["sluice_topic_log_files_open"], 1024)
            self.assertLess(server.open_descriptors(), 1024)
            self.assertFalse([l for l in server.log if "accept_failed" in l])

    async def test_log_files_beyond_the_descriptor_limit_are_closed_least_recently_used_first(self):
        with tempfile.TemporaryDirectory() as data:
            config = storage_config(data, extra_inbox="    max_per_address: 0\n",
                                    extra_topics="    max_open_files: 32\n")
            with Sluice(config, open_files=256) as server:
                outcomes = await many_client_ids(server.port, 600, "lru")
                self.assertEqual(outcomes, {"welcome": 600})
                # Every inbox still takes messages: their logs open again as they are used.
                for i in range(0, 600, 7):
                    self.assertEqual(publish(server, f"inbox.lru{i}", {"n": i})[0], 200)
                metrics = server.metrics()
                self.assertLessEqual(metrics["sluice_topic_log_files_open"], 32)
                self.assertGreater(metrics["sluice_topic_log_file_evictions_total"], 0)
                self.assertLess(server.open_descriptors(), 128)
                self.assertEqual(server.http("GET", "/healthz")[0], 200)
            # After a restart the logs are read back, and still at most 32 stay open.
            with Sluice(config, open_files=256) as server:
                self.assertEqual(publish(server, "inbox.lru7", {"n": "again"})[0], 200)
                self.assertLessEqual(server.metrics()["sluice_topic_log_files_open"], 32)
                self.assertLess(server.open_descriptors(), 128)

    async def test_a_low_descriptor_limit_is_reported_at_start(self):
        with Sluice(config_with(server="  max_connections: 10000\n"), open_files=256) as server:
            warning = [l for l in server.log if "event=descriptor_limit_low" in l]
            self.assertEqual(len(warning), 1, server.log)
            self.assertIn("soft_limit=256", warning[0])
            self.assertIn("ulimit -n", warning[0])


def sanitizer_quarantine_off():
    """Under AddressSanitizer freed memory is held in a quarantine (256 MiB by default), which
    would hide whether memory is given back; these tests measure resident memory."""
    options = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (options + ":" if options else "") + "quarantine_size_mb=1"}


class Memory(Bounds):
    """The memory scenarios of the bounds: many topics full of large messages, large request
    results kept for clients that left, and slow readers of large history pages."""

    async def test_history_across_topics_stays_under_max_history_bytes(self):
        config = config_with(extra="""topics:
  max_history_bytes: 24MiB
  patterns:
    "*": {history: {size: 1000}}
""")
        with Sluice(config, env=sanitizer_quarantine_off()) as server:
            baseline = server.rss()
            blob = "x" * (60 * 1024)
            conn = server.http_client()
            for topic in range(4):
                for n in range(250):  # 4 x 250 x 60 KiB: 59 MiB of data, 118 MiB with frames
                    self.assertEqual(publish(server, f"big.{topic}", {"n": n, "blob": blob}, conn)[0], 200)
            conn.close()
            self.assertLess(server.rss() - baseline, 24 * MiB + 40 * MiB)
            metrics = server.metrics()
            held = metrics['sluice_topic_history_bytes{budget="topics"}']
            self.assertLessEqual(held, 24 * MiB + 2 * 70 * 1024)
            self.assertGreater(metrics['sluice_topic_history_evictions_total{budget="topics"}'], 0)
            # Every topic kept a share; the oldest messages went, and history says so.
            for topic in range(4):
                status, _, body = server.http("GET", f"/api/topics/big.{topic}/history?since=0&limit=1")
                page = json.loads(body)
                self.assertEqual(status, 200)
                self.assertGreater(page["first"], 1)
                self.assertIn("gap", page)
                self.assertEqual(page["last"], 250)

    async def test_request_results_kept_for_clients_that_left_stay_under_the_inbox_bound(self):
        config = config_with(steps=1, interval="0ms", server="  max_frame_bytes: 2MiB\n", extra="""topics:
  inbox:
    max_total_bytes: 16MiB
""")
        with Sluice(config, env=sanitizer_quarantine_off()) as server:
            baseline = server.rss()
            text = "r" * (900 * 1024)
            credentials = {}
            for i in range(60):  # 60 results of 900 KB: 53 MiB of data, 105 MiB with frames
                ws, welcome = await connect(server, query=f"client_id=leaver{i}", max_size=4 * MiB)
                credentials[i] = welcome["resume"]
                await recv_json(ws)
                await send_json(ws, {"type": "request", "id": 1, "payload": {"text": text}})
                while (await recv_json(ws))["type"] != "final":
                    pass
                await ws.close()
            self.assertLess(server.rss() - baseline, 16 * MiB + 40 * MiB)
            metrics = server.metrics()
            self.assertLessEqual(metrics['sluice_topic_history_bytes{budget="inboxes"}'],
                                 16 * MiB + 2 * MiB)
            # The first client to leave returns: what memory took from its inbox is a gap.
            ws, _ = await connect(server, query=f"client_id=leaver0&since=0&resume={credentials[0]}",
                                  max_size=4 * MiB)
            self.assertEqual((await recv_json(ws))["type"], "subscribed")
            gap = await recv_json(ws)
            self.assertEqual((gap["type"], gap.get("reason"), gap.get("from")), ("gap", "history", 1),
                             {k: v for k, v in gap.items() if k != "result"})
            await ws.close()

    async def test_slow_readers_of_large_history_pages_hold_one_part_each(self):
        config = config_with(extra="""topics:
  patterns:
    "*": {history: {size: 1000, bytes: 256MiB}}
""")
        with Sluice(config, env=sanitizer_quarantine_off()) as server:
            blob = "y" * (60 * 1024)
            conn = server.http_client()
            for n in range(300):  # 18 MiB of data in one topic
                self.assertEqual(publish(server, "pages", {"n": n, "blob": blob}, conn)[0], 200)
            conn.close()
            baseline = server.rss()
            readers = []
            for _ in range(24):  # each asks for the whole page, then reads nothing
                s = socket.create_connection(("127.0.0.1", server.port))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(b"GET /api/topics/pages/history?since=0&limit=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
                readers.append(s)
            await asyncio.sleep(1.0)  # let the server write what the sockets take
            grown = server.rss() - baseline
            self.assertLess(grown, 40 * MiB, f"{grown / MiB:.1f} MiB for 24 slow readers")
            # A reader that does read gets the whole page.
            status, _, body = server.http("GET", "/api/topics/pages/history?since=0&limit=1000")
            page = json.loads(body)
            self.assertEqual((status, len(page["messages"]), page["next_since"]), (200, 300, None))
            for s in readers:
                s.close()


if __name__ == "__main__":
    unittest.main()
