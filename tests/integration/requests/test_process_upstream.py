"""Routes served by a `process` upstream: a real child process per request (examples/scraper.py
and small shell scripts), streamed to a real client; no process or descriptor outlives a request."""

import asyncio
import json
import os
import time
import unittest

from harness import (PATIENCE, REPO, Sluice, connect, error, process_alive, recv_json, send_json,
                     send_request, until_final, wait_closed)

SCRAPER = os.path.join(REPO, "examples", "scraper.py")


def process_config(command, args, env=None, output="lines", timeout="30s", extra_upstream="",
                   kill_grace="2s"):
    env_lines = "".join(f"      {k}: \"{v}\"\n" for k, v in (env or {}).items())
    return (
        "server:\n  host: 127.0.0.1\n  port: 0\n"
        "upstreams:\n  proc:\n    kind: process\n"
        f"    command: {command}\n    args: {json.dumps(args)}\n"
        f"    output: {output}\n    kill_grace: {kill_grace}\n" + extra_upstream +
        ("    env:\n" + env_lines if env_lines else "") +
        f"routes:\n  run:\n    upstream: proc\n    timeout: {timeout}\n")


def scraper(pages=3, delay=0, fail=False, as_json=False, **kwargs):
    env = {"SCRAPER_PAGES": pages, "SCRAPER_DELAY": delay}
    if fail:
        env["SCRAPER_FAIL"] = 1
    if as_json:
        env["SCRAPER_JSON"] = 1
    return process_config("/usr/bin/python3", ["-u", SCRAPER], env=env,
                          output="json_lines" if as_json else "lines", **kwargs)


def sh(script, **kwargs):
    return process_config("/bin/sh", ["-c", script], **kwargs)


def line(request_id, text, stream="stdout"):
    frame = {"type": "progress", "id": request_id, "stream": stream, "line": text}
    if stream == "stderr":
        frame["level"] = "error"
    return frame


alive = process_alive


class ChildrenDieWithSluice(unittest.IsolatedAsyncioTestCase):
    async def test_kill_9_of_sluice_leaves_no_child_of_the_shipped_example(self):
        # The shipped example, with pages slow enough that the child would outlive the test.
        server = Sluice(args=["--config", os.path.join(REPO, "config", "examples", "process.yaml")],
                        env={"SLUICE_HOME": REPO, "SCRAPER_PAGES": "100", "SCRAPER_DELAY": "60"})
        with server:
            ws, _ = await connect(server)
            await send_request(ws, {"text": "hello world"})
            self.assertEqual((await recv_json(ws))["line"], "scraped page 1/100")
            children = server.children()
            self.assertEqual(len(children), 1)
            server.kill()
        deadline = time.monotonic() + PATIENCE
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.assertEqual([pid for pid in children if alive(pid)], [])


class ProcessUpstream(unittest.IsolatedAsyncioTestCase):
    async def test_text_frame_streams_the_scraper(self):
        with Sluice(scraper(pages=3)) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"text": "hello world"})
            self.assertEqual(await until_final(ws, "auto-1"), [
                line("auto-1", "scraped page 1/3"), line("auto-1", "scraped page 2/3"),
                line("auto-1", "scraped page 3/3"), line("auto-1", "done: HELLO WORLD"),
                {"type": "final", "id": "auto-1", "exit_code": 0}])
            self.assertEqual(await server.no_children_left(), [])
            metrics = server.metrics()
            self.assertEqual(metrics["sluice_processes_started_total"], 1)
            self.assertEqual(metrics['sluice_process_exits_total{how="exit_0"}'], 1)
            self.assertEqual(metrics["sluice_processes_running"], 0)
            await ws.close()

    async def test_json_lines_travel_untouched_in_data(self):
        with Sluice(scraper(pages=2, as_json=True)) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": 1, "payload": {"text": "abc"}})
            self.assertEqual(await until_final(ws, 1), [
                {"type": "progress", "id": 1, "data": {"type": "progress", "page": 1, "pages": 2}},
                {"type": "progress", "id": 1, "data": {"type": "progress", "page": 2, "pages": 2}},
                {"type": "final", "id": 1, "exit_code": 0,
                 "data": {"type": "final", "result": "ABC", "pages": 2}}])
            await ws.close()

    async def test_stderr_lines_are_marked_and_failure_is_an_error(self):
        with Sluice(scraper(pages=1, fail=True)) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": "f", "payload": "x"})
            frames = await until_final(ws, "f")
            self.assertEqual(frames[0], line("f", "scraped page 1/1"))
            self.assertIn(line("f", "scraper: the site refused the last page", "stderr"), frames)
            self.assertEqual(frames[-1], error("upstream_failed", "the process exited with status 2", "f"))
            await ws.close()

    async def test_request_id_and_payload_reach_the_process(self):
        with Sluice(sh('read payload; echo "$SLUICE_REQUEST_ID $payload"')) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": "r7", "payload": {"k": [1, 2]}})
            self.assertEqual((await until_final(ws, "r7"))[0], line("r7", '"r7" {"k":[1,2]}'))
            await ws.close()

    async def test_missing_executable_is_upstream_unavailable(self):
        with Sluice(process_config("/nonexistent/tool", [])) as server:
            ws, _ = await connect(server)
            await send_json(ws, {"type": "request", "id": 1})
            frame = (await until_final(ws, 1))[-1]
            self.assertEqual((frame["type"], frame["code"]), ("error", "upstream_unavailable"))
            self.assertIn("/nonexistent/tool", frame["message"])
            self.assertEqual(server.metrics()["sluice_process_spawn_failures_total"], 1)
            await ws.close()


class ProcessCleanup(unittest.IsolatedAsyncioTestCase):
    """Every way a request can end takes its process (and the fds for its pipes) with it."""

    async def start_long_request(self, server, request_id="long", check_running=True):
        ws, _ = await connect(server)
        self.baseline_fds = server.process_fds()
        await send_request(ws, {"type": "request", "id": request_id, "payload": "x"})
        self.assertEqual(await recv_json(ws), line(request_id, "started"))
        if not check_running:  # the process may already be on its way out
            return ws
        self.assertEqual(len(server.children()), 1)
        # stdout and stderr pipes and a pidfd (stdin may already be written and closed)
        self.assertGreaterEqual(server.process_fds(), self.baseline_fds + 3)
        return ws

    async def assert_cleaned_up(self, server):
        self.assertEqual(await server.no_children_left(), [])
        self.assertEqual(await server.metric_reaches("sluice_jobs_active", 0), 0)
        self.assertEqual(await server.metric_reaches("sluice_timers_pending", 0), 0)
        self.assertEqual(await server.process_fds_reach(self.baseline_fds), self.baseline_fds)

    async def test_cancel_kills_the_process(self):
        with Sluice(sh("echo started; sleep 300")) as server:
            ws = await self.start_long_request(server)
            await send_json(ws, {"type": "cancel", "id": "long"})
            self.assertEqual(await recv_json(ws), error("cancelled", "cancelled by the client", "long"))
            await self.assert_cleaned_up(server)
            await ws.close()

    async def test_client_disconnect_kills_the_process_and_its_children(self):
        # The script ignores SIGTERM and has a child of its own: SIGKILL to the group ends both.
        with Sluice(sh("trap '' TERM; sleep 300 & echo started; wait", kill_grace="200ms")) as server:
            ws = await self.start_long_request(server)
            ws.transport.abort()
            await self.assert_cleaned_up(server)

    async def test_deadline_kills_the_process(self):
        with Sluice(sh("echo started; sleep 300", timeout="300ms")) as server:
            ws = await self.start_long_request(server)
            self.assertEqual(await recv_json(ws), error(
                "deadline_exceeded", "the request exceeded its route's timeout", "long"))
            await self.assert_cleaned_up(server)
            await ws.close()

    async def test_ten_megabyte_line_is_bounded(self):
        with Sluice(sh("echo started; head -c 10000000 /dev/zero | tr '\\\\0' x; echo; sleep 300",
                       extra_upstream="    max_line_bytes: 64KiB\n")) as server:
            bystander, _ = await connect(server)
            ws = await self.start_long_request(server, check_running=False)
            self.assertEqual(await recv_json(ws), error(
                "upstream_protocol_error",
                "the process printed a line longer than max_line_bytes (65536)", "long"))
            await self.assert_cleaned_up(server)
            await send_json(bystander, {"type": "ping"})
            self.assertEqual(await recv_json(bystander), {"type": "pong"})
            await ws.close()
            await bystander.close()

    async def test_non_json_line_in_json_lines_mode(self):
        with Sluice(sh("echo not json; sleep 300", output="json_lines")) as server:
            ws, _ = await connect(server)
            await send_request(ws, {"type": "request", "id": 1})
            self.assertEqual(await recv_json(ws), error(
                "upstream_protocol_error",
                "the process printed a line that is not a JSON object (output: json_lines)", 1))
            self.assertEqual(await server.no_children_left(), [])
            await ws.close()

    async def test_shutdown_kills_running_processes(self):
        config = sh("echo started; sleep 300").replace("port: 0\n", "port: 0\n  drain_timeout: 200ms\n")
        with Sluice(config) as server:
            ws = await self.start_long_request(server)
            pid = server.children()[0]
            server.signal()
            self.assertEqual((await recv_json(ws))["code"], "shutting_down")
            self.assertEqual(await wait_closed(ws), (1001, "server shutting down"))
            self.assertEqual(server.wait_exit(), 0)
            self.assertFalse(os.path.exists(f"/proc/{pid}"))


if __name__ == "__main__":
    unittest.main()
