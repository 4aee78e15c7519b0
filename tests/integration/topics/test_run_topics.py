"""Streams into rooms: a route's publish_to also publishes every frame of a request's stream to
a topic named for the request, where other connections follow it live or replay it later, with
offsets and history like any topic."""

import os
import sys
import unittest

import websockets

from harness import (Sluice, config_with, connect, error, recv_json, send_json, send_request,
                     until_final)
from test_topics import subscribe

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "requests"))
from test_process_upstream import process_config  # noqa: E402

TOPICS = """topics:
  patterns:
    "runs.*": {history: {size: 100}, publish: false}
"""


def config(publish_to="runs.{request_id}"):
    return config_with(steps=3, interval="200ms", extra=TOPICS).replace(
        "    kind: uppercase\n", f"    kind: uppercase\n    publish_to: \"{publish_to}\"\n")


async def frames_until_end(ws):
    frames = []
    while not frames or frames[-1]["type"] not in ("final", "error"):
        frames.append(await recv_json(ws))
    return frames


class RunTopics(unittest.IsolatedAsyncioTestCase):
    async def test_a_run_is_followed_live_and_replayed_later(self):
        with Sluice(config()) as server:
            client, _ = await connect(server)
            accepted = await send_request(client, {"type": "request", "id": 1, "payload": "run"})
            topic = "runs." + accepted["request"]
            follower, _ = await connect(server)
            await subscribe(follower, topic, since=0)
            own = [accepted] + await until_final(client, 1, mid_stream=True)
            live = await frames_until_end(follower)
            # Only the route writes there: the topic's rule refuses clients' own publishes.
            await send_json(follower, {"type": "publish", "topic": topic, "data": "spoof",
                                       "id": "p"})
            self.assertEqual((await recv_json(follower))["code"], "topic_forbidden")
            # The follower sees the very frames the client got, numbered in the run's topic.
            self.assertEqual([{k: v for k, v in f.items() if k not in ("topic", "offset")}
                              for f in live], own)
            self.assertEqual({f["topic"] for f in live}, {topic})
            self.assertEqual([f["offset"] for f in live], list(range(1, len(own) + 1)))
            self.assertEqual(server.metrics()["sluice_run_topic_frames_total"], len(own))
            # Later, a third connection replays the whole run from its history.
            late, _ = await connect(server)
            await subscribe(late, topic, since=0)
            self.assertEqual(await frames_until_end(late), live)
            # A dashboard that wants only the outcome names its kinds.
            outcome, _ = await connect(server)
            await subscribe(outcome, topic, since=0, kinds=["final", "accepted"])
            wanted = [f for f in live if f["type"] in ("final", "accepted")]
            self.assertEqual(await frames_until_end(outcome), wanted)
            self.assertEqual(server.metrics()["sluice_topic_messages_filtered_total"],
                             len(live) - len(wanted))
            for ws in (client, follower, late, outcome):
                await ws.close()

    async def test_a_cancelled_run_ends_for_its_followers_too(self):
        with Sluice(config()) as server:
            client, _ = await connect(server)
            accepted = await send_request(client, {"type": "request", "id": "c", "payload": "x"})
            follower, _ = await connect(server)
            await subscribe(follower, "runs." + accepted["request"], since=0)
            await send_json(client, {"type": "cancel", "id": "c"})
            last = (await frames_until_end(follower))[-1]
            self.assertEqual((last["type"], last["code"], last["id"]), ("error", "cancelled", "c"))
            await client.close()
            await follower.close()

    async def test_a_run_topic_the_client_may_not_use_refuses_the_request(self):
        cases = [
            ("runs.{sub}", error(
                "invalid_topic", 'route "uppercase" publishes its streams to "runs.{sub}", '
                "which needs a {sub} this client does not have", 1)),
            ("other.{request_id}", error(  # no pattern allows it
                "topic_forbidden", "no pattern under topics.patterns allows the topic "
                "\"other.{}\"", 1)),

        ]
        for publish_to, expected in cases:
            with Sluice(config(publish_to)) as server:
                ws, _ = await connect(server)
                await send_json(ws, {"type": "request", "id": 1, "payload": "x"})
                answer = await recv_json(ws)
                if "{}" in expected["message"]:  # the topic's name holds the request's new id
                    prefix, suffix = expected["message"].split("{}")
                    self.assertTrue(answer["message"].startswith(prefix + "r-"), answer)
                    self.assertTrue(answer["message"].endswith(suffix), answer)
                    answer["message"] = expected["message"]
                self.assertEqual(answer, expected)
                self.assertEqual(server.metrics()["sluice_jobs_active"], 0)  # nothing started
                await ws.close()


WORKERS = """server:
  host: 127.0.0.1
  port: 0
upstreams:
  pool:
    kind: workers
    token: s3cret
    publish: ["results.*"]
routes:
  ask: {upstream: pool}
"""
WORKERS_TOPICS = """topics:
  patterns:
    "results.*": {publish: false}
    "secret.*": {}
"""


class WorkerPublishes(unittest.IsolatedAsyncioTestCase):
    """A worker publishes to topics while a job runs, where its upstream's `publish` allows."""

    async def test_a_worker_publishes_where_its_upstream_allows(self):
        with Sluice(WORKERS + WORKERS_TOPICS) as server:
            worker = await websockets.connect(f"ws://127.0.0.1:{server.port}/workers")
            await send_json(worker, {"type": "register", "token": "s3cret", "routes": ["ask"]})
            self.assertEqual((await recv_json(worker))["type"], "registered")
            follower, _ = await connect(server)
            await subscribe(follower, "results.r1")
            client, _ = await connect(server)
            await send_request(client, {"type": "request", "id": 1, "route": "ask"})
            job = (await recv_json(worker))["job"]

            await send_json(worker, {"type": "publish", "job": job, "topic": "results.r1",
                                     "data": {"rows": 3}, "id": "p1"})
            ack = await recv_json(worker)
            self.assertEqual((ack["type"], ack["id"], ack["topic"], ack["offset"]),
                             ("published", "p1", "results.r1", 1))
            event = await recv_json(follower)
            self.assertEqual((event["type"], event["topic"], event["data"]),
                             ("event", "results.r1", {"rows": 3}))
            # Not where its upstream may not publish (though clients might), not for a job it
            # does not hold, and not a malformed frame: each an error to the worker.
            refusals = [
                ({"topic": "secret.x", "job": job}, "topic_forbidden"),
                ({"topic": "results.r1", "job": "j-nope"}, "unknown_job"),
                ({"topic": "results/r1", "job": job}, "invalid_topic"),
                ({"job": job}, "invalid_frame"),
            ]
            for fields, code in refusals:
                await send_json(worker, {"type": "publish", "data": 1, **fields})
                self.assertEqual((await recv_json(worker))["code"], code, fields)
            # The job goes on.
            await send_json(worker, {"type": "final", "job": job, "data": {"ok": True}})
            self.assertEqual(await recv_json(client), {"type": "final", "id": 1,
                                                      "data": {"ok": True}})
            metrics = server.metrics()
            self.assertEqual(
                metrics['sluice_backend_publishes_total{upstream="pool",result="sent"}'], 1)
            self.assertEqual(
                metrics['sluice_backend_publishes_total{upstream="pool",result="forbidden"}'], 1)
            for ws in (worker, follower, client):
                await ws.close()


    async def test_a_process_publishes_with_json_lines(self):
        lines = [{"type": "publish", "topic": "results.p", "data": {"n": 1}},
                 {"type": "publish", "topic": "secret.x", "data": 2},  # not in its `publish`
                 {"type": "progress", "step": 1}, {"type": "final", "done": True}]
        script = f"import json\nfor line in {lines!r}:\n    print(json.dumps(line))\n"
        config = process_config("/usr/bin/python3", ["-c", script], output="json_lines",
                                extra_upstream='    publish: ["results.*"]\n') + WORKERS_TOPICS
        with Sluice(config) as server:
            follower, _ = await connect(server)
            await subscribe(follower, "results.p")
            client, _ = await connect(server)
            await send_request(client, {"type": "request", "id": 1, "route": "run"})
            # Publish lines make no frame for the client.
            self.assertEqual(await until_final(client, 1, mid_stream=True), [
                {"type": "progress", "id": 1, "data": {"type": "progress", "step": 1}},
                {"type": "final", "id": 1, "exit_code": 0,
                 "data": {"type": "final", "done": True}}])
            event = await recv_json(follower)
            self.assertEqual((event["topic"], event["data"]), ("results.p", {"n": 1}))
            self.assertEqual(await server.metric_reaches(
                'sluice_backend_publishes_total{upstream="proc",result="forbidden"}', 1), 1)
            self.assertEqual(server.metrics()[
                'sluice_backend_publishes_total{upstream="proc",result="sent"}'], 1)
            await follower.close()
            await client.close()


if __name__ == "__main__":
    unittest.main()
