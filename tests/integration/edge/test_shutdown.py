"""SIGTERM/SIGINT drain: running requests finish (or are cancelled at the deadline), clients
see a 1001 close, and the process exits 0."""

import signal
import unittest

from harness import (Sluice, config_with, connect, error, final, progress, recv_json, send_json,
                     send_request, until_final, wait_closed)


class Shutdown(unittest.IsolatedAsyncioTestCase):
    async def test_sigterm_lets_running_job_finish_then_closes_1001(self):
        with Sluice(config_with(steps=3, interval="200ms")) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "job", "payload": "drain me"})
            self.assertEqual(await recv_json(ws), progress("job", 1, 3))
            server.signal(signal.SIGTERM)
            self.assertEqual(await until_final(ws, "job", mid_stream=True),
                             [progress("job", 2, 3), progress("job", 3, 3), final("job", "DRAIN ME")])
            self.assertEqual(await wait_closed(ws), (1001, "server shutting down"))
            self.assertEqual(server.wait_exit(), 0)
            self.assertTrue(any("event=stopped connections_cut=0" in l for l in server.log), server.log)

    async def test_job_past_the_drain_deadline_is_cancelled(self):
        config = config_with(steps=3, interval="1h").replace("drain_timeout: 10s", "drain_timeout: 200ms")
        with Sluice(config) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": "long", "payload": "x"})
            self.assertEqual(await recv_json(ws), progress("long", 1, 3))
            server.signal(signal.SIGTERM)
            self.assertEqual(await recv_json(ws), error(
                "shutting_down", "the server is shutting down and the request did not finish in time",
                "long"))
            self.assertEqual(await wait_closed(ws), (1001, "server shutting down"))
            self.assertEqual(server.wait_exit(), 0)

    async def test_sigint_with_idle_clients(self):
        with Sluice(config_with()) as server:
            clients = [(await connect(server))[0] for _ in range(3)]
            server.signal(signal.SIGINT)
            for ws in clients:
                self.assertEqual(await wait_closed(ws), (1001, "server shutting down"))
            self.assertEqual(server.wait_exit(), 0)

    async def test_sigterm_with_no_clients(self):
        with Sluice(config_with()) as server:
            server.signal(signal.SIGTERM)
            self.assertEqual(server.wait_exit(), 0)


if __name__ == "__main__":
    unittest.main()
