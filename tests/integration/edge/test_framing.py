"""RFC 6455 framing on a raw socket: what a client may send (fragments, control frames between
them, frames cut at any byte, many frames in one write) is read; what it must not send (an
unmasked frame, reserved bits or opcodes, a bad continuation, an oversized or fragmented control
frame, invalid UTF-8, a bad close) is answered with the close code the RFC names, and the
server goes on serving everyone else."""

import json
import os
import socket
import time
import unittest

from harness import PATIENCE, Sluice, config_with, masked_frame

CONFIG = config_with(server="  max_frame_bytes: 4KiB\n")
HANDSHAKE = (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def raw_frame(first_byte, payload, masked=True, length=None):
    """A frame with its first byte as given (FIN, RSV, opcode) and, optionally, a false length."""
    n = len(payload) if length is None else length
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head = bytes([first_byte, mask_bit | n])
    elif n < 65536:
        head = bytes([first_byte, mask_bit | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first_byte, mask_bit | 127]) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    return code.to_bytes(2, "big") + reason


class RawClient:
    """A WebSocket client on a bare socket: it sends bytes as given and parses the server's
    (unmasked) frames."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        self.sock.sendall(HANDSHAKE)
        self.pending = b""
        while b"\r\n\r\n" not in self.pending:
            self.pending += self._recv()
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.closed_by_server = False

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        return data

    def send(self, data):
        self.sock.sendall(data)

    def frame(self):
        """The server's next frame as (opcode, payload)."""
        while True:
            length, header = (self.pending[1] & 0x7F, 2) if len(self.pending) >= 2 else (0, 2)
            if length == 126:
                length, header = int.from_bytes(self.pending[2:4], "big"), 4
            elif length == 127:
                length, header = int.from_bytes(self.pending[2:10], "big"), 10
            if len(self.pending) >= 2 and len(self.pending) >= header + length:
                opcode = self.pending[0] & 0x0F
                payload = self.pending[header:header + length]
                self.pending = self.pending[header + length:]
                return opcode, payload
            self.pending += self._recv()

    def json(self):
        """The next text frame, parsed; control frames before it are skipped."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x1:
                return json.loads(payload)

    def close_code(self):
        """Reads until the server's close frame; returns its code (None: empty) and reason."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                return code, payload[2:].decode()

    def until_eof(self):
        """Whether the server closes the TCP connection (it must after a close)."""
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        return True

    def close(self):
        self.sock.close()


def ping_request(frame_id):
    return json.dumps({"type": "ping", "id": frame_id}).encode()


class Framing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Sluice(CONFIG).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def client(self):
        c = RawClient(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.json()["type"], "welcome")
        return c

    def assert_alive(self, c, frame_id="alive"):
        c.send(masked_frame(ping_request(frame_id)))
        self.assertEqual(c.json(), {"type": "pong", "id": frame_id})

    def settled_disconnects(self, cause):
        """The count of `cause` once the connections of earlier tests are gone (counted)."""
        deadline = time.monotonic() + PATIENCE
        while self.server.metrics().get("sluice_connections_open") and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.disconnects(cause)

    def disconnects(self, cause):
        return self.server.metrics().get(f'sluice_websocket_disconnects_total{{cause="{cause}"}}', 0)

    def assert_counted(self, cause, before):
        """sluice_websocket_disconnects_total{cause} reaches before + 1 (the server counts when
        its read ends, which may come just after the client saw the socket close)."""
        deadline = time.monotonic() + PATIENCE
        while self.disconnects(cause) < before + 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.disconnects(cause), before + 1, cause)

    def assert_refused(self, wire, code):
        cause = "too_big" if code == 1009 else "protocol_error"
        before = self.settled_disconnects(cause)
        bystander = self.client()
        c = self.client()
        c.send(wire)
        self.assertEqual(c.close_code()[0], code)
        self.assertTrue(c.until_eof())
        self.assert_alive(bystander)
        self.assert_counted(cause, before)

    # What a client may send.

    def test_a_fragmented_message_with_a_ping_between_its_fragments_is_one_message(self):
        c = self.client()
        text = ping_request("fragments")
        c.send(raw_frame(0x01, text[:5]) + raw_frame(0x00, text[5:9]) +
               raw_frame(0x89, b"between") + raw_frame(0x80, text[9:]))
        opcode, payload = c.frame()
        self.assertEqual((opcode, payload), (0xA, b"between"))  # the pong comes first
        self.assertEqual(c.json(), {"type": "pong", "id": "fragments"})

    def test_frames_cut_at_every_byte_are_read(self):
        c = self.client()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wire = masked_frame(ping_request("slow")) + raw_frame(0x89, b"p")
        for i in range(len(wire)):
            c.send(wire[i:i + 1])
            time.sleep(0.002)
        self.assertEqual(c.json(), {"type": "pong", "id": "slow"})
        self.assertEqual(c.frame(), (0xA, b"p"))

    def test_many_frames_in_one_write_are_answered_in_order(self):
        c = self.client()
        c.send(b"".join(masked_frame(ping_request(f"p{i}")) for i in range(200)))
        for i in range(200):
            self.assertEqual(c.json(), {"type": "pong", "id": f"p{i}"})

    def test_a_message_near_the_limit_in_two_frames_is_read(self):
        c = self.client()
        text = ping_request("big") + b" " * 3900  # JSON allows the trailing blanks
        c.send(raw_frame(0x01, text[:10]) + raw_frame(0x80, text[10:]))
        self.assertEqual(c.json(), {"type": "pong", "id": "big"})

    def test_a_non_minimal_length_is_a_protocol_error(self):
        # RFC 6455 5.2: the minimal number of bytes must encode the length.
        self.assert_refused(bytes([0x81, 0x80 | 126, 0, 5]) + os.urandom(4) + b"hello", 1002)

    def test_an_unsolicited_pong_is_ignored(self):
        c = self.client()
        c.send(raw_frame(0x8A, b"unasked"))
        self.assert_alive(c)

    def test_a_client_close_is_echoed_and_the_connection_ends(self):
        before = self.settled_disconnects("closed")
        c = self.client()
        c.send(raw_frame(0x88, close_payload(1000, b"bye")))
        self.assertEqual(c.close_code()[0], 1000)
        self.assertTrue(c.until_eof())
        self.assert_counted("closed", before)

    def test_a_socket_closed_without_a_close_frame_is_a_connection_lost(self):
        before = self.settled_disconnects("connection_lost")
        c = self.client()
        c.sock.close()
        self.assert_counted("connection_lost", before)

    def test_a_close_with_a_code_and_no_reason_is_echoed(self):
        c = self.client()
        c.send(raw_frame(0x88, close_payload(1001)))
        self.assertEqual(c.close_code(), (1001, ""))
        self.assertTrue(c.until_eof())
        self.assert_alive(self.client())

    def test_an_empty_close_is_answered_and_the_connection_ends(self):
        c = self.client()
        c.send(raw_frame(0x88, b""))
        opcode, _ = c.frame()
        self.assertEqual(opcode, 0x8)
        self.assertTrue(c.until_eof())

    # What a client must not send: each is refused with the RFC's code, others carry on.

    def test_an_unmasked_frame_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x81, ping_request("u"), masked=False), 1002)

    def test_reserved_bits_are_a_protocol_error(self):
        self.assert_refused(raw_frame(0xC1, ping_request("r")), 1002)

    def test_a_reserved_opcode_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x83, b"x"), 1002)
        self.assert_refused(raw_frame(0x8B, b"x"), 1002)

    def test_a_continuation_without_a_start_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x80, b"x"), 1002)

    def test_a_new_message_inside_a_fragmented_one_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x01, b"{") + raw_frame(0x81, b"{}"), 1002)

    def test_a_fragmented_control_frame_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x09, b"x"), 1002)

    def test_a_control_frame_over_125_bytes_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x89, b"x" * 126), 1002)

    def test_a_64_bit_length_with_its_top_bit_set_is_refused_with_1009(self):
        self.assert_refused(raw_frame(0x81, b"", length=1 << 63)[:10] + os.urandom(4), 1009)

    def test_invalid_utf8_is_refused_with_1007(self):
        self.assert_refused(raw_frame(0x81, b'{"type":"ping","id":"\xff"}'), 1007)

    def test_utf8_cut_between_fragments_is_valid(self):
        c = self.client()
        text = json.dumps({"type": "ping", "id": "é"}, ensure_ascii=False).encode()
        cut = text.index("é".encode()) + 1  # between the two bytes of é
        c.send(raw_frame(0x01, text[:cut]) + raw_frame(0x80, text[cut:]))
        self.assertEqual(c.json(), {"type": "pong", "id": "é"})

    def test_a_message_over_max_frame_bytes_in_fragments_is_refused_with_1009(self):
        self.assert_refused(raw_frame(0x01, b"x" * 3000) + raw_frame(0x80, b"x" * 3000), 1009)

    def test_a_close_with_a_one_byte_payload_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x88, b"\x03"), 1002)

    def test_a_close_with_a_reserved_code_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x88, close_payload(1005)), 1002)
        self.assert_refused(raw_frame(0x88, close_payload(999)), 1002)

    def test_a_close_reason_in_invalid_utf8_is_a_protocol_error(self):
        self.assert_refused(raw_frame(0x88, close_payload(1000, b"\xc3")), 1002)

    def test_a_handshake_without_a_key_is_refused_with_400(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=PATIENCE) as s:
            s.sendall(HANDSHAKE.replace(b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b""))
            self.assertTrue(s.recv(65536).startswith(b"HTTP/1.1 400"))

    def test_a_handshake_of_another_version_is_answered_426_with_the_version(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=PATIENCE) as s:
            s.sendall(HANDSHAKE.replace(b"Version: 13", b"Version: 8"))
            head = s.recv(65536)
            self.assertTrue(head.startswith(b"HTTP/1.1 426"), head)
            self.assertIn(b"Sec-WebSocket-Version: 13", head)

    def test_the_handshake_answer_carries_the_rfc_accept_key(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=PATIENCE) as s:
            s.sendall(HANDSHAKE)
            head = s.recv(65536)
            # RFC 6455 section 1.3's example key and its answer.
            self.assertIn(b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head)


if __name__ == "__main__":
    unittest.main()
