#!/usr/bin/python3
"""Reference worker for Sluice's `workers` upstreams (Debian python3-websockets).

It connects to Sluice at /workers, registers the routes it serves and how many jobs it takes at
once, then runs jobs as Sluice sends them: for a payload {"text": T} it sends STEPS progress
messages INTERVAL apart and a final {"result": T.upper(), "worker": NAME}. It honours `cancel`
and flow control (at most `window` messages of a job ahead of Sluice's `credit`), sends a
heartbeat as often as Sluice asks, and reconnects with backoff when the connection drops.
The protocol is in docs/protocol.md ("Workers").

    /usr/bin/python3 examples/worker.py --url ws://127.0.0.1:3000/workers --routes ask \\
        --capacity 4 --token "$WORKER_TOKEN"
"""

import argparse
import asyncio
import json
import os
import random
import socket

import websockets


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get("SLUICE_WORKERS_URL", "ws://127.0.0.1:3000/workers"))
    p.add_argument("--token", default=os.environ.get("WORKER_TOKEN", ""))
    p.add_argument("--routes", default="ask", help="comma-separated route names")
    p.add_argument("--capacity", type=int, default=4, help="jobs run at once")
    p.add_argument("--name", default=f"{socket.gethostname()}-{os.getpid()}")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--interval", type=float, default=0.5, help="seconds between progress messages")
    p.add_argument("--pad", type=int, default=0, help="bytes of padding in each progress message "
                   "(to try flow control with large messages)")
    p.add_argument("--echo-client", action="store_true",
                   help="put the job's `client` (who is asking) in each final answer")
    return p.parse_args()


class Worker:
    def __init__(self, args):
        self.args = args
        self.jobs = {}  # job id -> asyncio.Task
        self.credit = {}  # job id -> asyncio.Semaphore: messages it may still send

    async def run_forever(self):
        delay = 0.1
        while True:
            try:
                await self.session()
                delay = 0.1
            except (OSError, websockets.WebSocketException) as e:
                print(f"worker {self.args.name}: {e!r}; reconnecting", flush=True)
            await asyncio.sleep(random.uniform(0, delay))  # full jitter
            delay = min(delay * 2, 10.0)

    async def session(self):
        async with websockets.connect(self.args.url, max_size=None) as ws:
            await ws.send(json.dumps({
                "type": "register", "token": self.args.token, "name": self.args.name,
                "routes": self.args.routes.split(","), "capacity": self.args.capacity}))
            reply = json.loads(await ws.recv())
            if reply.get("type") != "registered":
                raise SystemExit(f"registration refused: {reply}")
            print(f"worker {self.args.name}: registered as {reply['worker']}", flush=True)
            heartbeat = asyncio.create_task(self.heartbeat(ws, reply["heartbeat_interval_ms"] / 1000))
            try:
                async for text in ws:
                    self.handle(ws, json.loads(text))
            finally:
                heartbeat.cancel()
                for task in self.jobs.values():
                    task.cancel()
                self.jobs.clear()
                self.credit.clear()

    def handle(self, ws, msg):
        if msg["type"] == "job":
            self.credit[msg["job"]] = asyncio.Semaphore(msg.get("window", 16))
            self.jobs[msg["job"]] = asyncio.create_task(
                self.run_job(ws, msg["job"], msg["payload"], msg.get("client")))
        elif msg["type"] == "credit":
            window = self.credit.get(msg["job"])
            for _ in range(msg["n"] if window else 0):
                window.release()
        elif msg["type"] == "cancel":
            task = self.jobs.pop(msg["job"], None)
            if task:
                task.cancel()
                print(f"worker {self.args.name}: job {msg['job']} cancelled", flush=True)
        elif msg["type"] == "error":
            print(f"worker {self.args.name}: sluice says {msg}", flush=True)

    async def run_job(self, ws, job, payload, client):
        try:
            text = payload.get("text", "") if isinstance(payload, dict) else str(payload)
            window = self.credit[job]
            for step in range(1, self.args.steps + 1):
                await window.acquire()  # wait while the client is behind
                data = {"step": step, "steps": self.args.steps}
                if self.args.pad:
                    data["pad"] = "x" * self.args.pad
                await ws.send(json.dumps({"type": "progress", "job": job, "data": data}))
                await asyncio.sleep(self.args.interval)
            data = {"result": str(text).upper(), "worker": self.args.name}
            if self.args.echo_client:
                data["client"] = client
            await ws.send(json.dumps({"type": "final", "job": job, "data": data}))
        except asyncio.CancelledError:
            pass
        finally:
            self.jobs.pop(job, None)
            self.credit.pop(job, None)

    async def heartbeat(self, ws, every):
        while True:
            await asyncio.sleep(every)
            await ws.send(json.dumps({"type": "heartbeat"}))


if __name__ == "__main__":
    try:
        asyncio.run(Worker(parse_args()).run_forever())
    except KeyboardInterrupt:
        pass
