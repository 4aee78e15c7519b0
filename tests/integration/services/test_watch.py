"""Watched files: a JSON file's content is on its topic from the start (a retain_last topic gives a
new client the current data at subscribe), and again after each change, whether written in place or
replaced by a rename; invalid JSON, a file over max_bytes and a removed file are events naming the
file; a glob in the last part of the path watches every match (as text, or only as an event); a
directory that does not exist yet is watched once it does."""

import asyncio
import json
import os
import tempfile
import time
import unittest

from harness import PATIENCE, Sluice, assert_config_errors, connect, recv_json, send_json


def config(work):
    return f"""server: {{host: 127.0.0.1, port: 0}}
routes: {{up: {{kind: uppercase}}}}
topics:
  patterns:
    "files.*": {{retain_last: true, history: {{size: 100}}}}
watch:
  - {{path: {work}/data.json, topic: files.data, max_bytes: 200, debounce: 50ms}}
  - {{path: "{work}/notes/*.txt", topic: files.notes, format: text, debounce: 50ms}}
  - {{path: "{work}/*.log", topic: files.logs, format: event, debounce: 50ms}}
  - {{path: {work}/later/ready.json, topic: files.later, debounce: 50ms}}
"""


def write(path, text, by_rename=False):
    target = path + ".tmp" if by_rename else path
    with open(target, "w") as f:
        f.write(text)
    if by_rename:
        os.replace(target, path)


async def subscribe(server, topic):
    ws, _ = await connect(server)
    await send_json(ws, {"type": "subscribe", "topic": topic, "id": "s"})
    assert (await recv_json(ws))["type"] == "subscribed"
    return ws


async def next_data(ws):
    frame = await recv_json(ws)
    assert frame["type"] == "event", frame
    return frame["data"]


class Watch(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.work = tempfile.TemporaryDirectory()
        self.addCleanup(self.work.cleanup)
        self.dir = self.work.name
        os.mkdir(os.path.join(self.dir, "notes"))
        write(os.path.join(self.dir, "data.json"), '{"items": [1, 2]}')
        self.server = Sluice(config(self.dir)).__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    async def test_a_json_file_is_there_at_subscribe_and_follows_every_change(self):
        path = os.path.join(self.dir, "data.json")
        first = None
        deadline = time.monotonic() + PATIENCE
        while first is None and time.monotonic() < deadline:  # the watch starts with the server
            ws = await subscribe(self.server, "files.data")
            try:
                first = await asyncio.wait_for(next_data(ws), 0.5)
            except asyncio.TimeoutError:
                await ws.close()
        self.assertEqual((first["file"], first["event"], first["json"]), (path, "changed", {"items": [1, 2]}))
        write(path, '{"items": [1, 2, 3]}')
        self.assertEqual((await next_data(ws))["json"], {"items": [1, 2, 3]})
        write(path, '{"items": []}', by_rename=True)
        self.assertEqual((await next_data(ws))["json"], {"items": []})
        write(path, '{"items": [')
        broken = await next_data(ws)
        self.assertEqual((broken["event"], broken["file"]), ("error", path))
        self.assertIn("not valid JSON", broken["reason"])
        write(path, json.dumps({"big": "x" * 300}))
        large = await next_data(ws)
        self.assertEqual((large["event"], large["max_bytes"]), ("too_large", 200))
        os.unlink(path)
        self.assertEqual((await next_data(ws))["event"], "removed")
        write(path, '{"back": true}')
        self.assertEqual((await next_data(ws))["json"], {"back": True})
        metrics = self.server.metrics()
        self.assertGreaterEqual(
            metrics['sluice_watch_file_changes_total{topic="files.data",event="changed"}'], 4)
        await ws.close()

    async def test_a_glob_watches_every_match_as_text_or_as_an_event(self):
        notes = await subscribe(self.server, "files.notes")
        logs = await subscribe(self.server, "files.logs")
        await asyncio.sleep(0.3)  # the watches are in place
        write(os.path.join(self.dir, "notes", "a.txt"), "first note\n")
        note = await next_data(notes)
        self.assertEqual((note["file"].endswith("/notes/a.txt"), note["text"]), (True, "first note\n"))
        write(os.path.join(self.dir, "notes", "ignored.md"), "not a match")
        write(os.path.join(self.dir, "notes", "b.txt"), "second")
        self.assertEqual((await next_data(notes))["text"], "second")
        write(os.path.join(self.dir, "run.log"), "a line")
        event = await next_data(logs)
        self.assertEqual((event["event"], event["size"]), ("changed", 6))
        self.assertNotIn("text", event)
        await notes.close()
        await logs.close()

    async def test_a_directory_that_appears_later_is_watched_then(self):
        later = await subscribe(self.server, "files.later")
        os.mkdir(os.path.join(self.dir, "later"))
        await asyncio.sleep(2.5)  # the watch is tried again every 2 s
        write(os.path.join(self.dir, "later", "ready.json"), '{"ready": true}')
        self.assertEqual((await next_data(later))["json"], {"ready": True})
        await later.close()


class WatchConfig(unittest.TestCase):
    def test_mistakes_are_configuration_errors_with_their_place(self):
        head = 'routes: {up: {kind: uppercase}}\ntopics: {patterns: {"files.*": {}}}\nwatch:\n'
        assert_config_errors(self, [(head + entry, expected) for entry, expected in [
            ("  - {path: /tmp/*/x.json, topic: files.x}\n",
             r"watch\[0\]\.path: a glob may only be in the last part of the path"),
            ("  - {path: /tmp/x.json}\n", r"watch\[0\]\.topic: missing"),
            ("  - {path: /tmp/x.json, topic: other.x}\n",
             r'watch\[0\]\.topic: no pattern under topics\.patterns allows the topic "other\.x"'),
            ("  - {path: /tmp/x.json, topic: files.x, format: yaml}\n",
             r"watch\[0\]\.format: expected one of json, text, event"),
            ("  - {path: /tmp/, topic: files.x}\n",
             r"watch\[0\]\.path: expected a file \(or a glob\) after the last '/'"),
            ("  {path: /tmp/x.json}\n", r"watch: expected a list of files to watch"),
        ]])


if __name__ == "__main__":
    unittest.main()
