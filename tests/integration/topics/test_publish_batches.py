"""Publishes that arrive together: a connection hands the frames of one read to its session at
once, and publishes to one topic in a row reach it as one batch, delivered with one hand-off
per subscriber. Whatever ends a batch early (a refused publish, another topic, a full topic
mailbox), every publish is answered and delivered once, in order."""

import asyncio
import unittest

from harness import Sluice, config_with, connect, recv_json, send_json, send_together

CONFIG = config_with(extra="""
topics:
  patterns:
    "readonly.*": {publish: false}
    "*": {}
  max_message_bytes: 1KiB
""")

FULL_MAILBOX = config_with(extra="""
limits:
  topic_mailbox: 2
topics:
  patterns:
    "*": {}
""")


async def subscribed(server, topic):
    ws, _ = await connect(server)
    await send_json(ws, {"type": "subscribe", "topic": topic})
    ack = await recv_json(ws)
    assert ack["type"] == "subscribed", ack
    return ws


async def events(ws, count):
    """The next `count` event frames' (offset, data)."""
    got = []
    while len(got) < count:
        frame = await recv_json(ws)
        assert frame["type"] == "event", frame
        got.append((frame["offset"], frame["data"]))
    return got


async def answers(ws, ids):
    """The frames answering each id in `ids`, by id (in the order they came, per id)."""
    got = {}
    while len(got) < len(ids):
        frame = await recv_json(ws)
        if frame.get("id") in ids:
            got[frame["id"]] = frame
    return got


async def close_all(*connections):
    for ws in connections:
        await ws.close()


def publish(topic, data, frame_id):
    return {"type": "publish", "topic": topic, "data": data, "id": frame_id}


class PublishBatches(unittest.IsolatedAsyncioTestCase):
    async def test_publishes_read_together_reach_subscribers_as_one_batch(self):
        with Sluice(CONFIG) as server:
            sub = await subscribed(server, "room.a")
            pub, _ = await connect(server)
            before = server.metrics()
            send_together(pub, [publish("room.a", n, f"p{n}") for n in range(1, 51)])
            acks = []
            while len(acks) < 50:
                frame = await recv_json(pub)
                self.assertEqual(frame["type"], "published", frame)
                acks.append((frame["id"], frame["offset"]))
            self.assertEqual(acks, [(f"p{n}", n) for n in range(1, 51)])
            self.assertEqual(await events(sub, 50), [(n, n) for n in range(1, 51)])
            after = server.metrics()
            batches = "sluice_topic_fanout_batch_messages_count"
            delivered = "sluice_topic_fanout_batch_messages_sum"
            self.assertEqual(after[batches] - before[batches], 1)
            self.assertEqual(after[delivered] - before[delivered], 50)
            await close_all(sub, pub)

    async def test_a_batch_cut_short_still_delivers_everything_it_stored(self):
        with Sluice(CONFIG) as server:
            sub_b = await subscribed(server, "room.b")
            sub_c = await subscribed(server, "room.c")
            pub, _ = await connect(server)
            # The read ends with a publish that is refused before it reaches the topic, which
            # was told that more would follow: what it stored is delivered all the same.
            send_together(pub, [publish("room.b", 1, "b1"), publish("room.b", "z" * 2000, "big")])
            got = await answers(pub, {"b1", "big"})
            self.assertEqual((got["b1"]["offset"], got["big"]["code"]), (1, "message_too_large"))
            self.assertEqual(await events(sub_b, 1), [(1, 1)])
            # Cut by an oversized publish, then by another topic, by a refused topic, and at
            # the end of the read by an oversized publish again.
            send_together(pub, [
                publish("room.b", 1, "b1"),
                publish("room.b", "x" * 2000, "too-large"),
                publish("room.b", 2, "b2"),
                publish("room.c", 1, "c1"),
                publish("readonly.x", 1, "refused"),
                publish("room.b", 3, "b3"),
                {"type": "ping", "id": "g"},
                publish("room.b", 4, "b4"),
                publish("room.b", "y" * 2000, "too-large-last"),
            ])
            got = await answers(pub, {"b1", "too-large", "b2", "c1", "refused", "b3", "g", "b4",
                                      "too-large-last"})
            self.assertEqual([got[i]["offset"] for i in ("b1", "b2", "b3", "b4")], [2, 3, 4, 5])
            self.assertEqual(got["c1"]["offset"], 1)
            self.assertEqual(got["too-large"]["code"], "message_too_large")
            self.assertEqual(got["too-large-last"]["code"], "message_too_large")
            self.assertEqual(got["refused"]["code"], "topic_forbidden")
            self.assertEqual(got["g"]["type"], "pong")
            self.assertEqual(await events(sub_b, 4), [(2, 1), (3, 2), (4, 3), (5, 4)])
            self.assertEqual(await events(sub_c, 1), [(1, 1)])
            await close_all(sub_b, sub_c, pub)

    async def test_a_batch_larger_than_the_topic_mailbox_waits_and_keeps_its_order(self):
        with Sluice(FULL_MAILBOX) as server:
            sub = await subscribed(server, "room.d")
            pub, _ = await connect(server)
            send_together(pub, [publish("room.d", n, f"d{n}") for n in range(1, 41)])
            got = await answers(pub, {f"d{n}" for n in range(1, 41)})
            self.assertEqual([got[f"d{n}"]["offset"] for n in range(1, 41)], list(range(1, 41)))
            self.assertEqual(await events(sub, 40), [(n, n) for n in range(1, 41)])
            # Then the topic takes single publishes as before.
            await send_json(pub, publish("room.d", 41, "single"))
            self.assertEqual((await answers(pub, {"single"}))["single"]["offset"], 41)
            self.assertEqual(await events(sub, 1), [(41, 41)])
            await close_all(sub, pub)


if __name__ == "__main__":
    unittest.main()
