"""A client's messages arrive whole whatever their size, fragmentation or packing into TCP writes.

A connection's pending read asks for the start of the next message only (so that a quiet
connection holds a small buffer) and reads the rest of a longer one into the same buffer:
these tests cross that boundary with single frames, fragmented messages and frames packed
together or split across writes.
"""

import asyncio
import json
import unittest

from harness import Sluice, config_with, connect, masked_frame, recv_json

CONFIG = config_with(server="  max_frame_bytes: 256KiB\n", extra="""
topics:
  patterns:
    "echo": {history: {size: 10}}
  max_message_bytes: 256KiB
""")
# Around the size of the first read (256 bytes), and well past it.
SIZES = (0, 1, 200, 220, 230, 255, 256, 257, 300, 1500, 4096, 70000, 200000)


def publish(tag, size):
    """A publish to `echo` whose data is `tag` and `size` varied characters."""
    return json.dumps({"type": "publish", "topic": "echo", "data": data_of(tag, size)})


def data_of(tag, size):
    return tag + ":" + "".join(chr(ord("a") + i % 26) for i in range(size))


class ClientMessages(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = self.enterContext(Sluice(CONFIG))

    async def subscribed(self):
        ws, _ = await connect(self.server)
        await ws.send(json.dumps({"type": "subscribe", "topic": "echo"}))
        self.assertEqual((await recv_json(ws))["type"], "subscribed")
        return ws

    async def test_single_frames_of_every_size_arrive_whole(self):
        ws = await self.subscribed()
        for size in SIZES:
            await ws.send(publish("single", size))
            self.assertEqual((await recv_json(ws))["data"], data_of("single", size))
        await ws.close()

    async def test_fragmented_messages_arrive_whole(self):
        ws = await self.subscribed()
        for size in SIZES:
            text = publish("fragments", size)
            # Three fragments: one short, one across the first read's end, and the rest.
            await ws.send([text[:10], text[10:300], text[300:]])
            self.assertEqual((await recv_json(ws))["data"], data_of("fragments", size))
        await ws.close()

    async def test_frames_packed_into_one_write_or_split_across_writes(self):
        # Written to the client's socket as given, framed and masked here; answers are read as usual.
        ws = await self.subscribed()
        wire = b"".join(masked_frame(publish(f"p{i}", size).encode()) for i, size in enumerate(SIZES))
        expected = [data_of(f"p{i}", size) for i, size in enumerate(SIZES)]
        ws.transport.write(wire)  # all of them in one write
        self.assertEqual([(await recv_json(ws))["data"] for _ in SIZES], expected)
        # The same bytes in pieces that cut headers and payloads, each piece its own write.
        for at in range(0, len(wire), 97):
            ws.transport.write(wire[at:at + 97])
            if at % (97 * 50) == 0:
                await asyncio.sleep(0.001)  # let some pieces reach the server on their own
        self.assertEqual([(await recv_json(ws))["data"] for _ in SIZES], expected)
        # A fragmented message whose fragments are split the same way, then a message after it.
        text = publish("frag", 5000).encode()
        wire = (masked_frame(text[:100], fin=False) + masked_frame(text[100:400], 0x0, False) +
                masked_frame(text[400:], 0x0) + masked_frame(publish("after", 0).encode()))
        for at in range(0, len(wire), 61):
            ws.transport.write(wire[at:at + 61])
        self.assertEqual([(await recv_json(ws))["data"] for _ in range(2)],
                         [data_of("frag", 5000), data_of("after", 0)])
        await ws.close()
        status, _, body = self.server.http("GET", "/healthz")
        self.assertEqual(status, 200, body)

if __name__ == "__main__":
    unittest.main()
