"""A few JetStream API requests over the NATS text protocol, for tests that act on the engine
behind Sluice's back (delete a stream, read its state)."""

import base64
import json
import socket

from harness import PATIENCE


def request(url, subject, body=b""):
    """Sends `body` to `subject` and returns the JSON reply."""
    host, port = url.removeprefix("nats://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=PATIENCE) as s:
        f = s.makefile("rb")
        f.readline()  # INFO
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.admin 1\r\n' +
                  f"PUB {subject} _INBOX.admin {len(body)}\r\n".encode() + body + b"\r\nPING\r\n")
        while True:
            line = f.readline()
            if line.startswith(b"PING"):
                s.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG"):
                size = int(line.split()[-1])
                payload = f.read(size + 2)[:size]
                return json.loads(payload)
            elif not line:
                raise ConnectionError("the NATS server closed the connection")


def delete_stream(url, stream):
    return request(url, f"$JS.API.STREAM.DELETE.{stream}")


def stream_info(url, stream):
    return request(url, f"$JS.API.STREAM.INFO.{stream}")


def last_message(url, stream):
    """The data of the stream's newest message (b"" when it holds none)."""
    last = stream_info(url, stream).get("state", {}).get("last_seq", 0)
    if not last:
        return b""
    reply = request(url, f"$JS.API.STREAM.MSG.GET.{stream}", json.dumps({"seq": last}).encode())
    return base64.b64decode(reply.get("message", {}).get("data", ""))
