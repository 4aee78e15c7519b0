"""A TCP proxy in front of a NATS server that can hold one client's writes of chosen subjects: while
holding, a PUB or HPUB to a subject starting with `prefix`, and everything the client sends after
it (so that order is kept), waits until release(). What the server sends passes straight through.
The engine tests use it to stop one Sluice node's cursor writes at a moment of their choosing."""

import socket
import threading


class HoldingProxy:
    def __init__(self, target_url, prefix):
        host, port = target_url.removeprefix("nats://").rsplit(":", 1)
        self.target = (host, int(port))
        self.prefix = prefix.encode()
        self.held = threading.Event()  # set once a write is being held
        self._holding = False
        self._queue = []  # (server socket, bytes) waiting for release()
        self._lock = threading.Lock()
        self._sockets = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"nats://127.0.0.1:{self._listener.getsockname()[1]}"

    def hold(self):
        with self._lock:
            self._holding = True

    def release(self):
        with self._lock:
            self._holding = False
            for server, data in self._queue:
                server.sendall(data)
            self._queue.clear()

    def close(self):
        self._listener.close()
        for s in self._sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()
            threading.Thread(target=self._client_to_server, args=(client, server), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def _client_to_server(self, client, server):
        pending = b""
        try:
            while data := client.recv(65536):
                pending += data
                while (op := self._next_op(pending)) is not None:
                    pending = pending[len(op):]
                    self._forward(server, op)
        except OSError:
            pass

    @staticmethod
    def _next_op(buffer):
        """The first whole protocol operation in `buffer`, or None."""
        end = buffer.find(b"\r\n")
        if end < 0:
            return None
        line = buffer[:end]
        if not line.upper().startswith((b"PUB ", b"HPUB ")):
            return buffer[:end + 2]
        size = int(line.split()[-1])
        whole = end + 2 + size + 2
        return buffer[:whole] if len(buffer) >= whole else None

    def _forward(self, server, op):
        subject = op.split(b" ", 2)[1] if op.upper().startswith((b"PUB ", b"HPUB ")) else b""
        with self._lock:
            if self._holding and (self._queue or subject.startswith(self.prefix)):
                self._queue.append((server, op))
                self.held.set()
                return
        server.sendall(op)
