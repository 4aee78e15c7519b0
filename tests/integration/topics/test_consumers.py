"""Acknowledged consumers: a named, durable cursor per principal. What was sent and not acked
comes again (redelivered) after a reconnect, a restart with storage, or ack_wait; max_deliver
deliveries later it goes to the dead-letter topic; max_ack_pending bounds what is out."""

import asyncio
import hashlib
import shutil
import tempfile
import unittest

from harness import (Sluice, config_with, connect, error, get_json, post_json, recv_json,
                     send_json)

TOPICS = """topics:
  patterns:
    "jobs.*":
      history: {{size: 10000}}
      consumers: {{ack_wait: {ack_wait}, max_deliver: {max_deliver}, max_ack_pending: {pending},
                  dead_letter: dead.jobs, max_consumers: {max_consumers}}}
    "dead.*": {{}}
    "chat.*": {{}}
"""


def config(ack_wait="60s", max_deliver=5, pending=1000, max_consumers=100, storage=None):
    extra = TOPICS.format(ack_wait=ack_wait, max_deliver=max_deliver, pending=pending,
                          max_consumers=max_consumers)
    if storage:
        extra += f'  storage: {{path: "{storage}", fsync: always}}\n'
    return config_with(extra=extra)


def publish(server, topic, count, start=1):
    for i in range(start, start + count):
        status, _ = post_json(server, "/api/publish", {"topic": topic, "data": {"n": i}})
        assert status == 200


async def attach(server, client_id, resume=None, topic="jobs.a", name="worker", **extra):
    """Connects as `client_id` and attaches its consumer `name`; returns (ws, welcome, subscribed)."""
    query = f"client_id={client_id}" + (f"&resume={resume}" if resume else "")
    ws, welcome = await connect(server, query=query)
    # The inbox's `subscribed` comes from another actor than the topic's, so
    # either may come first: take it before subscribing, so that what follows
    # the topic's `subscribed` is only the topic's events.
    frame = await recv_json(ws)
    assert (frame["type"], frame["topic"]) == ("subscribed", welcome["inbox"]), frame
    await send_json(ws, {"type": "subscribe", "id": "s", "topic": topic, "consumer": name,
                         "ack": True, **extra})
    frame = await recv_json(ws)
    assert (frame["type"], frame["topic"]) == ("subscribed", topic), frame
    return ws, welcome, frame


async def receive(ws, count):
    frames = [await recv_json(ws) for _ in range(count)]
    for f in frames:
        assert f["type"] == "event", f
    return frames


def consumers(server, topic="jobs.a", headers=None):
    status, body = get_json(server, f"/api/topics/{topic}/consumers", headers=headers)
    assert status == 200, body
    return body["consumers"]


class Redelivery(unittest.IsolatedAsyncioTestCase):
    async def test_a_consumer_that_drops_gets_what_it_did_not_ack_again(self):
        with Sluice(config()) as server:
            ws, welcome, subscribed = await attach(server, "w1")
            self.assertEqual((subscribed["consumer"], subscribed["acked"], subscribed["pending"]),
                             ("worker", 0, 0))
            publish(server, "jobs.a", 100)
            first = await receive(ws, 100)
            self.assertEqual([f["offset"] for f in first], list(range(1, 101)))
            self.assertFalse(any("redelivered" in f for f in first))
            await send_json(ws, {"type": "ack", "id": "a", "topic": "jobs.a", "offset": 60})
            acked = await recv_json(ws)
            self.assertEqual((acked["type"], acked["offset"], acked["pending"]), ("acked", 60, 40))
            await ws.close()

            ws, _, subscribed = await attach(server, "w1", welcome["resume"])  # no `since`
            self.assertEqual((subscribed["acked"], subscribed["pending"]), (60, 40))
            again = await receive(ws, 40)
            self.assertEqual([f["offset"] for f in again], list(range(61, 101)))
            self.assertEqual([f["data"]["n"] for f in again], list(range(61, 101)))
            self.assertTrue(all(f["redelivered"] for f in again))
            publish(server, "jobs.a", 1, start=101)
            new = (await receive(ws, 1))[0]
            self.assertEqual(new["offset"], 101)
            self.assertNotIn("redelivered", new)
            [listed] = consumers(server)
            self.assertEqual((listed["name"], listed["acked"], listed["sent"], listed["pending"],
                              listed["attached"]), ("worker", 60, 101, 41, True))
            self.assertNotIn("principal", listed)  # shown only to callers with an API key
            metrics = server.metrics()
            self.assertEqual(metrics["sluice_consumer_redeliveries_total"], 40)
            self.assertEqual(metrics["sluice_consumers_attached"], 1)
            await ws.close()

    async def test_a_consumer_keeps_an_empty_topic_so_nothing_published_meanwhile_is_missed(self):
        with Sluice(config()) as server:
            ws, welcome, _ = await attach(server, "w1")
            await ws.close()
            # An empty topic nobody uses leaves after about a second; one with a consumer stays.
            await asyncio.sleep(2.5)
            self.assertEqual(server.metrics().get('sluice_topics_expired_total{kind="topic"}', 0), 0)
            publish(server, "jobs.a", 2)
            ws, _, subscribed = await attach(server, "w1", welcome["resume"])
            self.assertEqual(subscribed["acked"], 0)
            self.assertEqual([f["offset"] for f in await receive(ws, 2)], [1, 2])
            await ws.close()

    async def test_a_new_consumer_starts_after_since(self):
        with Sluice(config()) as server:
            publish(server, "jobs.a", 5)
            ws, _, subscribed = await attach(server, "w1", since=3)
            self.assertEqual((subscribed["acked"], subscribed["last"]), (3, 5))
            self.assertEqual([f["offset"] for f in await receive(ws, 2)], [4, 5])
            await ws.close()

    async def test_unacked_messages_come_back_after_ack_wait_then_go_to_the_dead_letter(self):
        with Sluice(config(ack_wait="300ms", max_deliver=3)) as server:
            watcher, _ = await connect(server)
            await send_json(watcher, {"type": "subscribe", "topic": "dead.jobs"})
            self.assertEqual((await recv_json(watcher))["type"], "subscribed")
            ws, _, _ = await attach(server, "w1")
            publish(server, "jobs.a", 2)
            deliveries = await receive(ws, 2)
            await send_json(ws, {"type": "ack", "topic": "jobs.a", "offset": 1})
            # Offset 2 is never acked: sent twice more, then dead.
            for attempt in (2, 3):
                frame = (await receive(ws, 1))[0]
                self.assertEqual((frame["offset"], frame["redelivered"]), (2, True), attempt)
            dead = await recv_json(watcher)
            self.assertEqual(dead["topic"], "dead.jobs")
            self.assertEqual((dead["data"]["topic"], dead["data"]["offset"],
                              dead["data"]["consumer"], dead["data"]["deliveries"]),
                             ("jobs.a", 2, "worker", 3))
            self.assertEqual(dead["data"]["message"], deliveries[1])
            # Dead counts as done: the cursor moved past it and nothing is pending.
            [listed] = consumers(server)
            self.assertEqual((listed["acked"], listed["pending"]), (2, 0))
            self.assertEqual(
                await server.metric_reaches('sluice_consumer_dead_letters_total{result="sent"}', 1),
                1)
            self.assertEqual(server.metrics()["sluice_consumer_redeliveries_total"], 2)
            await ws.close()
            await watcher.close()

    async def test_max_ack_pending_stops_delivery_until_the_consumer_acks(self):
        with Sluice(config(pending=5)) as server:
            ws, _, _ = await attach(server, "w1")
            publish(server, "jobs.a", 20)
            self.assertEqual([f["offset"] for f in await receive(ws, 5)], [1, 2, 3, 4, 5])
            [listed] = consumers(server)  # the topic answers after its fan-out
            self.assertEqual((listed["sent"], listed["pending"]), (5, 5))
            await send_json(ws, {"type": "ack", "id": 1, "topic": "jobs.a", "offset": 3})
            self.assertEqual((await recv_json(ws))["type"], "acked")
            self.assertEqual([f["offset"] for f in await receive(ws, 3)], [6, 7, 8])
            [listed] = consumers(server)
            self.assertEqual((listed["acked"], listed["sent"], listed["pending"]), (3, 8, 5))
            await ws.close()


class Durability(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sluice-consumers-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    async def test_acked_cursors_survive_sigkill_and_unacked_messages_come_again(self):
        server = Sluice(config(storage=self.dir)).__enter__()
        try:
            ws, welcome, _ = await attach(server, "w1")
            publish(server, "jobs.a", 100)
            await receive(ws, 100)
            await send_json(ws, {"type": "ack", "id": "a", "topic": "jobs.a", "offset": 60})
            self.assertEqual((await recv_json(ws))["offset"], 60)  # stored before it is answered
            server.kill()
        finally:
            server.__exit__(None, None, None)
        with Sluice(config(storage=self.dir)) as again:
            self.assertEqual(consumers(again), [{"name": "worker", "acked": 60, "sent": 100,
                                                 "pending": 40, "attached": False}])
            ws, _, subscribed = await attach(again, "w1", welcome["resume"])
            self.assertEqual((subscribed["acked"], subscribed["pending"]), (60, 40))
            frames = await receive(ws, 40)
            self.assertEqual([f["offset"] for f in frames], list(range(61, 101)))
            self.assertTrue(all(f["redelivered"] for f in frames))
            await ws.close()


class BadInput(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = Sluice(config(max_consumers=2)).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_acks_that_cannot_be_taken_get_errors(self):
        ws, _ = await connect(self.server)
        await send_json(ws, {"type": "ack", "id": 1, "topic": "jobs.a", "offset": 1})
        self.assertEqual(await recv_json(ws), error("not_subscribed", "not subscribed to jobs.a", 1))
        await send_json(ws, {"type": "subscribe", "topic": "jobs.a"})
        self.assertEqual((await recv_json(ws))["type"], "subscribed")
        await send_json(ws, {"type": "ack", "id": 2, "topic": "jobs.a", "offset": 1})
        frame = await recv_json(ws)
        self.assertEqual((frame["code"], frame["id"]), ("not_subscribed", 2))
        self.assertIn("ack: true", frame["message"])
        await send_json(ws, {"type": "ack", "id": 3, "topic": "jobs.a", "offset": 0})
        self.assertEqual((await recv_json(ws))["code"], "invalid_offset")
        await ws.close()

        consumer, _, _ = await attach(self.server, "w1")
        publish(self.server, "jobs.a", 2)
        await receive(consumer, 2)
        await send_json(consumer, {"type": "ack", "id": 4, "topic": "jobs.a", "offset": 3})
        frame = await recv_json(consumer)
        self.assertEqual((frame["code"], frame["id"]), ("invalid_offset", 4))
        self.assertIn("not delivered", frame["message"])
        await consumer.close()

    async def test_subscribe_frames_that_name_no_usable_consumer_are_refused(self):
        ws, _ = await connect(self.server)
        cases = [
            {"consumer": "worker"},  # no ack
            {"ack": True},  # no name
            {"consumer": "bad name", "ack": True},
            {"consumer": "x" * 65, "ack": True},
            {"consumer": "worker", "ack": "yes"},
            {"consumer": "worker", "ack": True, "batch": True},
        ]
        for i, extra in enumerate(cases):
            await send_json(ws, {"type": "subscribe", "id": i, "topic": "jobs.a", **extra})
            frame = await recv_json(ws)
            self.assertEqual((frame["type"], frame["code"], frame["id"]), ("error", "invalid_frame", i),
                             extra)
        # Without a principal or a client id there is nobody to keep the cursor for.
        await send_json(ws, {"type": "subscribe", "id": "p", "topic": "jobs.a", "consumer": "w",
                             "ack": True})
        frame = await recv_json(ws)
        self.assertEqual((frame["code"], frame["id"]), ("forbidden", "p"))
        self.assertIn("client_id", frame["message"])
        await ws.close()

    async def test_one_principals_consumer_never_reaches_anothers(self):
        alice, _, _ = await attach(self.server, "alice")
        publish(self.server, "jobs.a", 3)
        await receive(alice, 3)
        await send_json(alice, {"type": "ack", "topic": "jobs.a", "offset": 3})
        # Bob's consumer of the same name is his own: it starts fresh, after offset 3.
        bob, _, subscribed = await attach(self.server, "bob")
        self.assertEqual((subscribed["acked"], subscribed["pending"]), (3, 0))
        await send_json(bob, {"type": "ack", "id": 1, "topic": "jobs.a", "offset": 2})
        self.assertEqual((await recv_json(bob))["type"], "acked")  # at or below where it started
        publish(self.server, "jobs.a", 1, start=4)
        self.assertEqual((await receive(bob, 1))[0]["offset"], 4)
        self.assertEqual((await receive(alice, 1))[0]["offset"], 4)
        self.assertEqual(len(consumers(self.server)), 2)
        # The topic keeps max_consumers (2) of them.
        carol, _ = await connect(self.server, query="client_id=carol")
        await recv_json(carol)  # its inbox's subscribed frame
        await send_json(carol, {"type": "subscribe", "id": 9, "topic": "jobs.a",
                                "consumer": "worker", "ack": True})
        frame = await recv_json(carol)
        self.assertEqual((frame["code"], frame["id"]), ("too_many_consumers", 9))
        for ws in (alice, bob, carol):
            await ws.close()

    async def test_a_second_connection_takes_the_consumer_over(self):
        first, welcome, _ = await attach(self.server, "w1")
        second, _, _ = await attach(self.server, "w1", welcome["resume"])
        moved = await recv_json(first)
        self.assertEqual((moved["type"], moved["code"]), ("error", "consumer_moved"))
        publish(self.server, "jobs.a", 1)
        self.assertEqual((await receive(second, 1))[0]["offset"], 1)
        await send_json(first, {"type": "ack", "id": 1, "topic": "jobs.a", "offset": 1})
        self.assertEqual((await recv_json(first))["code"], "not_subscribed")
        await send_json(second, {"type": "unsubscribe", "id": 2, "topic": "jobs.a"})
        self.assertEqual((await recv_json(second))["type"], "unsubscribed")
        [listed] = consumers(self.server)
        self.assertEqual((listed["attached"], listed["pending"]), (False, 1))
        await first.close()
        await second.close()


class Principals(unittest.IsolatedAsyncioTestCase):
    async def test_callers_with_an_api_key_see_whose_each_consumer_is(self):
        key = "consumers-api-key-0123456789"
        digest = hashlib.sha256(key.encode()).hexdigest()
        extra = f"auth:\n  anonymous: true\n  http_api_keys:\n    ops: {{sha256: {digest}}}\n"
        with Sluice(config() + extra) as server:
            ws, _, _ = await attach(server, "w1")
            [listed] = consumers(server, headers={"Authorization": "Bearer " + key})
            self.assertEqual(listed["principal"], "client:w1")
            await ws.close()


if __name__ == "__main__":
    unittest.main()
