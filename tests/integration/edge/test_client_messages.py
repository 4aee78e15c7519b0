"""A client's messages arrive whole whatever their size, fragmentation or packing into TCP writes.

A connection's pending read asks for the start of the next message only (so that a quiet
connection holds a small buffer) and reads the rest of a longer one into the same buffer:
these tests cross that boundary with single frames, fragmented messages and frames packed
together or split across writes.
"""

import json
import os
import socket
import time
import unittest

from harness import PATIENCE, Sluice, config_with, connect, recv_json

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


def masked_frame(payload, opcode=0x1, fin=True):
    """One client frame (RFC 6455 5.2), masked as a client must."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawClient:
    """A WebSocket client on a bare socket: what it writes goes out exactly as given."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        self.sock.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n")
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.recv()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    def text_frames(self, count):
        """The next `count` text frames' payloads (server frames are unmasked)."""
        out = []
        while len(out) < count:
            frame = self.next_frame()
            if frame is None:
                self.buffer += self.recv()
            elif frame[0] == 0x1:
                out.append(json.loads(frame[1]))
        return out

    def next_frame(self):
        b = self.buffer
        if len(b) < 2:
            return None
        length, at = b[1] & 0x7F, 2
        if length == 126:
            length, at = int.from_bytes(b[2:4], "big"), 4
        elif length == 127:
            length, at = int.from_bytes(b[2:10], "big"), 10
        if len(b) < at + length:
            return None
        self.buffer = b[at + length:]
        return b[0] & 0x0F, b[at:at + length]

    def close(self):
        self.sock.close()


class ClientMessages(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = Sluice(CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

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
        client = RawClient(self.server.port)
        try:
            self.assertEqual(client.text_frames(1)[0]["type"], "welcome")
            client.sock.sendall(masked_frame(b'{"type":"subscribe","topic":"echo"}'))
            self.assertEqual(client.text_frames(1)[0]["type"], "subscribed")
            frames = [masked_frame(publish(f"p{i}", size).encode()) for i, size in enumerate(SIZES)]
            expected = [data_of(f"p{i}", size) for i, size in enumerate(SIZES)]
            # All of them in one write.
            client.sock.sendall(b"".join(frames))
            got = client.text_frames(len(SIZES))
            self.assertEqual([g["data"] for g in got], expected)
            # The same bytes in pieces that cut headers and payloads, each piece its own write.
            wire = b"".join(frames)
            for at in range(0, len(wire), 97):
                client.sock.sendall(wire[at:at + 97])
                if at % (97 * 50) == 0:
                    time.sleep(0.001)  # let some pieces reach the server on their own
            got = client.text_frames(len(SIZES))
            self.assertEqual([g["data"] for g in got], expected)
            # A fragmented message whose fragments are split the same way, then a ping after it.
            text = publish("frag", 5000).encode()
            wire = (masked_frame(text[:100], fin=False) + masked_frame(text[100:400], 0x0, False) +
                    masked_frame(text[400:], 0x0) + masked_frame(publish("after", 0).encode()))
            for at in range(0, len(wire), 61):
                client.sock.sendall(wire[at:at + 61])
            got = client.text_frames(2)
            self.assertEqual([g["data"] for g in got], [data_of("frag", 5000), data_of("after", 0)])
        finally:
            client.close()
        status, _, body = self.server.http("GET", "/healthz")
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
