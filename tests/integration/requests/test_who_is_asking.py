"""Who is asking reaches every kind of backend: the example FastAPI service's echo endpoints show
what an `sse` and a `websocket` upstream were sent (templated path, headers and body with the
caller's sub, client id, roles and claims), a process gets SLUICE_* variables, and the reference
worker sees the job's `client`. A claim a route needs and the token lacks is `forbidden`."""

import json
import os
import subprocess
import time

import jwt

from harness import REPO, Sluice, connect, recv_json, send_json, send_request, until_final
from upstreams import FastApi, WithFastApi

SECRET = "who-is-asking-secret-of-32-bytes-or-more"
WORKER = os.path.join(REPO, "examples", "worker.py")
ENV_DUMP = ("import os, json; print(json.dumps({'type': 'final', 'env': {k: v for k, v in "
            "os.environ.items() if k.startswith('SLUICE_')}}))")


def token(sub, **claims):
    return jwt.encode({"sub": sub, "aud": "sluice", "exp": int(time.time()) + 600, **claims},
                      SECRET, algorithm="HS256")


def config(port):
    return f"""server: {{host: 127.0.0.1, port: 0}}
auth:
  anonymous: true
  jwt:
    audience: sluice
    keys: [{{algorithm: HS256, secret: "{SECRET}"}}]
upstreams:
  llm:
    kind: sse
    url: "http://127.0.0.1:{port}/api/echo-stream/{{{{sub}}}}"
    headers: {{X-Sub: "{{{{sub}}}}", X-Client: "{{{{client_id}}}}", X-Tenant: "{{{{claims.tenant}}}}",
               X-Roles: "{{{{roles}}}}"}}
    body: '{{"who": {{{{sub}}}}, "client": {{{{client_id}}}}, "route": {{{{route}}}},
            "request": {{{{request_id}}}}, "roles": {{{{roles}}}}, "plan": {{{{claims.plan|free}}}},
            "text": {{{{text}}}}}}'
  team_llm:
    kind: sse
    url: "http://127.0.0.1:{port}/api/echo-stream"
    headers: {{X-Team: "{{{{claims.team}}}}"}}
  sock:
    kind: websocket
    url: "ws://127.0.0.1:{port}/ws/echo"
    headers: {{X-Sub: "{{{{sub}}}}"}}
    message: '{{"who": {{{{sub}}}}, "client": {{{{client_id}}}}, "payload": {{{{payload}}}}}}'
  proc:
    kind: process
    command: /usr/bin/python3
    args: ["-c", "{ENV_DUMP}"]
    output: json_lines
  pool:
    kind: workers
    token: s3cret
routes:
  gen: {{upstream: llm}}
  team: {{upstream: team_llm}}
  sock: {{upstream: sock}}
  proc: {{upstream: proc}}
  ask: {{upstream: pool}}
"""


class WhoIsAsking(WithFastApi):
    async def asyncSetUp(self):
        self.app = FastApi()
        self.server = Sluice(config(self.app.port)).__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    async def alice(self, **claims):
        ws, _ = await connect(self.server, query="client_id=laptop", extra_headers={
            "Authorization": "Bearer " + token("alice", roles=["admin", "ops"], **claims)})
        self.assertEqual((await recv_json(ws))["type"], "subscribed")  # its client id's inbox
        return ws

    async def final_of(self, ws, route, payload):
        await send_request(ws, {"type": "request", "id": route, "route": route, "payload": payload})
        frames = await until_final(ws, route, mid_stream=True)
        self.assertEqual(frames[-1]["type"], "final", frames)
        return frames[-1]

    async def test_an_sse_backend_sees_who_asks_in_path_headers_and_body(self):
        ws = await self.alice(tenant="acme\r\nX-Injected: yes")
        echo = (await self.final_of(ws, "gen", {"text": "hi"}))["data"]["echo"]
        self.assertEqual(echo["path"], "/alice")
        self.assertEqual(echo["body"]["who"], "alice")
        self.assertEqual(echo["body"]["client"], "laptop")
        self.assertEqual(echo["body"]["route"], "gen")
        self.assertRegex(echo["body"]["request"], r"^r-[0-9a-f]{32}$")
        self.assertEqual((echo["body"]["roles"], echo["body"]["plan"], echo["body"]["text"]),
                         (["admin", "ops"], "free", "hi"))
        headers = echo["headers"]
        self.assertEqual((headers["x-sub"], headers["x-client"], headers["x-roles"]),
                         ("alice", "laptop", "admin,ops"))
        # A claim cannot add a header: its line break is percent-encoded.
        self.assertEqual(headers["x-tenant"], "acme%0D%0AX-Injected: yes")
        self.assertNotIn("x-injected", headers)
        await ws.close()

    async def test_an_anonymous_caller_is_null_in_json_and_empty_in_headers(self):
        ws, _ = await connect(self.server)
        echo = (await self.final_of(ws, "sock", "x"))["data"]["echo"]
        self.assertEqual(echo["message"], {"who": None, "client": None, "payload": "x"})
        self.assertEqual(echo["headers"]["x-sub"], "")
        await ws.close()

    async def test_a_websocket_backend_sees_who_asks_in_its_handshake_and_message(self):
        ws = await self.alice(tenant="acme")
        echo = (await self.final_of(ws, "sock", {"n": 1}))["data"]["echo"]
        self.assertEqual(echo["message"], {"who": "alice", "client": "laptop", "payload": {"n": 1}})
        self.assertEqual(echo["headers"]["x-sub"], "alice")
        await ws.close()

    async def test_a_process_gets_sluice_variables(self):
        ws = await self.alice(tenant="acme")
        env = (await self.final_of(ws, "proc", "x"))["data"]["env"]
        self.assertEqual((env["SLUICE_SUB"], env["SLUICE_CLIENT_ID"], env["SLUICE_ROUTE"],
                          env["SLUICE_ROLES"]), ("alice", "laptop", "proc", "admin,ops"))
        self.assertEqual(env["SLUICE_REQUEST_ID"], '"proc"')
        await ws.close()

    async def test_a_worker_sees_the_jobs_client(self):
        worker = subprocess.Popen(
            ["/usr/bin/python3", WORKER, "--url", f"ws://127.0.0.1:{self.server.port}/workers",
             "--token", "s3cret", "--routes", "ask", "--name", "w1", "--steps", "0",
             "--echo-client"], stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (worker.kill(), worker.wait()))
        self.assertEqual(await self.server.metric_reaches(
            'sluice_workers_connected{upstream="pool"}', 1), 1)
        ws = await self.alice(tenant="acme")
        final = await self.final_of(ws, "ask", {"text": "hi"})
        self.assertEqual(final["data"]["client"],
                         {"sub": "alice", "roles": ["admin", "ops"], "client_id": "laptop"})
        await ws.close()

    async def test_a_claim_the_token_lacks_is_forbidden_and_the_backend_is_not_called(self):
        ws = await self.alice(tenant="acme")
        await send_request(ws, {"type": "request", "id": 1, "route": "team", "payload": "x"})
        frame = await recv_json(ws)
        self.assertEqual((frame["type"], frame["code"], frame["id"]), ("error", "forbidden", 1))
        self.assertIn("`team`", frame["message"])
        sent = lambda: sum(v for k, v in self.server.metrics().items()  # noqa: E731
                           if k.startswith("sluice_upstream_sse_requests_total"))
        self.assertEqual(sent(), 0)  # no HTTP request went out
        # With the claim, the same route answers.
        with_team = await self.alice(tenant="acme", team="blue")
        echo = (await self.final_of(with_team, "team", "x"))["data"]["echo"]
        self.assertEqual(echo["headers"]["x-team"], "blue")
        self.assertEqual(sent(), 1)
        for c in (ws, with_team):
            await c.close()
