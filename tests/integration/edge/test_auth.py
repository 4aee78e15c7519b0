"""Authentication at connect (JWT HS256/RS256/ES256 and API keys), refresh and expiry,
per-user delivery through user channels, and permissions on routes and topics."""

import asyncio
import hashlib
import hmac
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import jwt
import websockets
import websockets.exceptions

from harness import (PATIENCE, Sluice, config_with, connect, post_json, recv_json, send_json,
                     upgrade)

SECRET = "test-secret-that-is-at-least-32-bytes-long"
ISSUER = "https://issuer.test"
AUDIENCE = "sluice-test"
DASHBOARD_KEY = "dash-key-0123456789"
BACKEND_KEY = "backend-key-0123456789"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def make_keys(directory):
    """An RSA and an EC P-256 key pair made by the openssl CLI; returns the private keys' PEM."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    rs, es = os.path.join(directory, "rs"), os.path.join(directory, "es")
    run("genrsa", "-out", rs + ".key", "2048")
    run("rsa", "-in", rs + ".key", "-pubout", "-out", rs + ".pem")
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", es + ".key")
    run("ec", "-in", es + ".key", "-pubout", "-out", es + ".pem")
    with open(rs + ".key") as r, open(es + ".key") as e:
        return r.read(), e.read()


def auth_config(directory, clock_skew="0s", auth_extra=""):
    return config_with(steps=2, interval="20ms", extra=f"""  admin_only:
    kind: uppercase
    steps: 1
    interval: 10ms
    allow: ["role:admin"]
auth:
  anonymous: false
  clock_skew: {clock_skew}
{auth_extra}  jwt:
    issuer: {ISSUER}
    audience: {AUDIENCE}
    keys:
      - algorithm: HS256
        secret: ${{SLUICE_TEST_JWT_SECRET}}
      - algorithm: RS256
        public_key_file: {directory}/rs.pem
      - algorithm: ES256
        public_key_file: {directory}/es.pem
  api_keys:
    dashboard: {{sha256: {sha256(DASHBOARD_KEY)}, sub: dashboard, roles: [admin]}}
  http_api_keys:
    backend: {{sha256: {sha256(BACKEND_KEY)}}}
topics:
  patterns:
    "chat.*": {{}}
    "ops.*":
      subscribe: ["role:admin"]
""")


def hand_made(header, payload):
    """An HS256 token with exactly these header and payload bytes (duplicate keys included)."""
    def b64(data):
        return jwt.utils.base64url_encode(data.encode()).decode()
    signing_input = b64(header) + "." + b64(payload)
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + jwt.utils.base64url_encode(mac).decode()


def claims_json(sub="alice", extra="", exp=None):
    exp = int(time.time()) + 300 if exp is None else exp
    sub_part = f'"sub":"{sub}",' if sub else ""
    return f'{{{sub_part}"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp}{extra}}}'


def token(sub="alice", alg="HS256", key=SECRET, lifetime=300, **claims):
    body = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + lifetime,
            **claims}
    return jwt.encode(body, key, algorithm=alg)


class Authentication(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.rs_key, cls.es_key = make_keys(cls.dir)
        os.environ["SLUICE_TEST_JWT_SECRET"] = SECRET

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    async def asyncSetUp(self):
        self.server = Sluice(auth_config(self.dir)).__enter__()

    async def asyncTearDown(self):
        _, _, metrics = self.server.http("GET", "/metrics")
        self.server.__exit__(None, None, None)
        # Secrets never reach the log or the metrics.
        log = "\n".join(self.server.log)
        for secret in (SECRET, DASHBOARD_KEY, BACKEND_KEY, "eyJ"):
            self.assertNotIn(secret, log)
            self.assertNotIn(secret, metrics)

    async def connect_as(self, credential, via="header"):
        if via == "header":
            return await connect(self.server, extra_headers={"Authorization": "Bearer " + credential})
        if via == "query":
            return await connect(self.server, query="token=" + credential)
        return await connect(self.server, subprotocols=["sluice", "bearer." + credential])

    def refused(self, credential=None):
        headers = {"Authorization": "Bearer " + credential} if credential else {}
        status, got, body = upgrade(self.server, headers=headers)
        return status, body["error"] if body else None

    async def test_connection_without_a_token_is_refused(self):
        self.assertEqual(self.refused(), (401, "unauthenticated"))
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as caught:
            await websockets.connect(self.server.ws_url)
        self.assertEqual(caught.exception.status_code, 401)

    async def test_bad_tokens_are_refused_with_their_code(self):
        expired = token(lifetime=-10)
        self.assertEqual(self.refused(expired), (401, "token_expired"))
        header, payload, signature = token().split(".")
        forged_payload = jwt.utils.base64url_encode(
            b'{"sub":"mallory","iss":"%s","aud":"%s","exp":%d}' %
            (ISSUER.encode(), AUDIENCE.encode(), int(time.time()) + 300)).decode()
        self.assertEqual(self.refused(f"{header}.{forged_payload}.{signature}"),
                         (401, "unauthenticated"))
        self.assertEqual(self.refused(token(key="another-secret-of-at-least-32-bytes!!")),
                         (401, "unauthenticated"))
        self.assertEqual(self.refused(token(iss="https://elsewhere.test")), (401, "unauthenticated"))
        self.assertEqual(self.refused(token(aud="another-service")), (401, "unauthenticated"))
        self.assertEqual(self.refused(token(nbf=int(time.time()) + 3600)), (401, "unauthenticated"))
        none_alg = jwt.encode({"sub": "alice", "iss": ISSUER, "aud": AUDIENCE}, None,
                              algorithm="none")
        self.assertEqual(self.refused(none_alg + "x"), (401, "unauthenticated"))
        self.assertEqual(self.refused("not-a-key"), (401, "unauthenticated"))
        # An RS256 token signed with a key that is not configured.
        other_dir = tempfile.mkdtemp()
        try:
            other_rs, _ = make_keys(other_dir)
        finally:
            shutil.rmtree(other_dir)
        self.assertEqual(self.refused(token(alg="RS256", key=other_rs)), (401, "unauthenticated"))
        metrics = self.server.metrics()
        self.assertGreaterEqual(metrics['sluice_auth_failures_total{code="unauthenticated"}'], 8)
        self.assertEqual(metrics['sluice_auth_failures_total{code="token_expired"}'], 1)

    async def test_tokens_that_parsers_could_read_two_ways_or_that_never_expire_are_refused(self):
        header = '{"alg":"HS256","typ":"JWT"}'
        ws, _ = await self.connect_as(hand_made(header, claims_json()))  # hand-made tokens work
        await ws.close()
        cases = {
            "crit": hand_made('{"alg":"HS256","crit":["x-unknown"],"x-unknown":1}', claims_json()),
            "duplicate roles": hand_made(header, claims_json(extra=',"roles":["user"],"roles":["admin"]')),
            "duplicate sub": hand_made(header, claims_json(extra=',"sub":"admin"')),
            "duplicate alg": hand_made('{"alg":"HS256","alg":"none"}', claims_json()),
            "no exp": hand_made(header, f'{{"sub":"alice","iss":"{ISSUER}","aud":"{AUDIENCE}"}}'),
            "exp 2^63-1": hand_made(header, claims_json(exp=2**63 - 1)),
            "lifetime over a day": hand_made(header, claims_json(exp=int(time.time()) + 3 * 86400)),
        }
        for name, credential in cases.items():
            self.assertEqual(self.refused(credential), (401, "unauthenticated"), name)

    async def test_the_largest_exp_does_not_overflow_when_lifetimes_are_not_bounded(self):
        with Sluice(auth_config(self.dir, "30s", "  max_token_lifetime: 0s\n")) as server:
            ws, _ = await connect(server, extra_headers={
                "Authorization": "Bearer " + hand_made('{"alg":"HS256"}', claims_json(exp=2**63 - 1))})
            await asyncio.sleep(1.5)  # the expiry check would have closed it by now
            await send_json(ws, {"type": "ping", "id": "p"})
            self.assertEqual(await recv_json(ws), {"type": "pong", "id": "p"})
            await ws.close()

    async def test_a_session_without_sub_cannot_refresh_into_other_roles(self):
        no_sub = hand_made('{"alg":"HS256"}', claims_json(sub=None))
        ws, welcome = await self.connect_as(no_sub)
        self.assertNotIn("user", welcome)
        admin = hand_made('{"alg":"HS256"}', claims_json(sub=None, extra=',"roles":["admin"]'))
        await send_json(ws, {"type": "refresh", "id": "r", "token": admin})
        self.assertEqual((await recv_json(ws))["code"], "forbidden")
        await send_json(ws, {"type": "request", "id": "x", "route": "admin_only", "payload": "hi"})
        self.assertEqual((await recv_json(ws))["code"], "forbidden")
        await ws.close()

    async def test_valid_tokens_of_each_algorithm_and_place_connect(self):
        cases = [(token("alice"), "header"), (token("bob", "RS256", self.rs_key), "query"),
                 (token("carol", "ES256", self.es_key), "subprotocol")]
        for credential, via in cases:
            ws, welcome = await self.connect_as(credential, via)
            self.assertEqual(welcome["user_channel"], "user." + welcome["user"])
            if via == "subprotocol":
                self.assertEqual(ws.subprotocol, "sluice")
            await send_json(ws, {"type": "request", "id": "r", "route": "uppercase",
                                 "payload": {"text": "hi"}})
            frames = []
            while not frames or frames[-1]["type"] not in ("final", "error"):
                frames.append(await recv_json(ws))
            self.assertEqual(frames[-1], {"type": "final", "id": "r", "result": "HI"})
            await ws.close()
        self.assertEqual([c[0].split(".")[0] != "" for c in cases], [True] * 3)

    async def test_sub_drives_delivery_to_every_session_of_the_user(self):
        alice1, _ = await self.connect_as(token("alice"))
        alice2, _ = await self.connect_as(token("alice", "ES256", self.es_key), "subprotocol")
        bob, _ = await self.connect_as(token("bob"))
        auth = {"Authorization": "Bearer " + BACKEND_KEY}
        status, body = post_json(self.server, "/api/publish",
                                 {"topic": "user.alice", "data": {"note": "for alice"}})
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))
        status, body = post_json(self.server, "/api/publish", {"topic": "user.alice", "data": 0},
                                 {"Authorization": "Bearer " + DASHBOARD_KEY})  # a client's key
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))
        status, body = post_json(self.server, "/api/publish",
                                 {"topic": "user.alice", "data": {"note": "for alice"}}, auth)
        self.assertEqual(status, 200, body)
        for ws in (alice1, alice2):
            event = await recv_json(ws)
            self.assertEqual((event["type"], event["topic"], event["data"]),
                             ("event", "user.alice", {"note": "for alice"}))
        # Bob's next frame is the answer to his ping: nothing for alice reached him.
        await send_json(bob, {"type": "ping", "id": "p"})
        self.assertEqual(await recv_json(bob), {"type": "pong", "id": "p"})
        for ws in (alice1, alice2, bob):
            await ws.close()

    async def test_a_user_cannot_read_another_users_channel(self):
        alice, _ = await self.connect_as(token("alice"))
        await send_json(alice, {"type": "subscribe", "id": "s1", "topic": "user.bob"})
        error = await recv_json(alice)
        self.assertEqual((error["type"], error["code"], error["id"]), ("error", "forbidden", "s1"))
        await send_json(alice, {"type": "publish", "id": "p1", "topic": "user.alice", "data": 1})
        self.assertEqual((await recv_json(alice))["code"], "topic_forbidden")
        await send_json(alice, {"type": "subscribe", "id": "s2", "topic": "chat.lobby"})
        self.assertEqual((await recv_json(alice))["type"], "subscribed")
        await alice.close()

    async def test_permissions_follow_roles(self):
        alice, _ = await self.connect_as(token("alice"))
        admin, welcome = await self.connect_as(DASHBOARD_KEY)
        self.assertEqual(welcome["user"], "dashboard")
        await send_json(alice, {"type": "subscribe", "id": "s", "topic": "ops.alerts"})
        self.assertEqual((await recv_json(alice))["code"], "forbidden")
        await send_json(alice, {"type": "request", "id": "r", "route": "admin_only",
                                "payload": {"text": "x"}})
        self.assertEqual((await recv_json(alice))["code"], "forbidden")
        await send_json(admin, {"type": "subscribe", "id": "s", "topic": "ops.alerts"})
        self.assertEqual((await recv_json(admin))["type"], "subscribed")
        await send_json(admin, {"type": "request", "id": "r", "route": "admin_only",
                                "payload": {"text": "x"}})
        frames = [await recv_json(admin)]
        while frames[-1]["type"] != "final":
            frames.append(await recv_json(admin))
        # A token whose roles claim names admin gets the route too.
        carol, _ = await self.connect_as(token("carol", roles=["admin"]))
        await send_json(carol, {"type": "subscribe", "id": "s", "topic": "ops.alerts"})
        self.assertEqual((await recv_json(carol))["type"], "subscribed")
        for ws in (alice, admin, carol):
            await ws.close()

    async def test_refresh_extends_a_session_and_expiry_ends_it(self):
        ws, _ = await self.connect_as(token("alice", lifetime=3))
        await send_json(ws, {"type": "refresh", "id": "f1", "token": token("bob")})
        self.assertEqual((await recv_json(ws))["code"], "forbidden")
        await send_json(ws, {"type": "refresh", "id": "f2", "token": token("alice", lifetime=-5)})
        self.assertEqual((await recv_json(ws))["code"], "token_expired")
        fresh = token("alice", lifetime=600)
        await send_json(ws, {"type": "refresh", "id": "f3", "token": fresh})
        refreshed = await recv_json(ws)
        self.assertEqual((refreshed["type"], refreshed["id"]), ("refreshed", "f3"))
        self.assertEqual(refreshed["expires_at"], jwt.decode(fresh, options={
            "verify_signature": False})["exp"])
        # Well past the first token's exp, the session is still served.
        await asyncio.sleep(4.5)
        await send_json(ws, {"type": "ping", "id": "still-here"})
        self.assertEqual(await recv_json(ws), {"type": "pong", "id": "still-here"})
        await ws.close()
        # Without a refresh, the server ends the session when the token expires.
        short, _ = await self.connect_as(token("alice", lifetime=2))  # whole seconds: 1 may be 0.01 s
        error = await recv_json(short)
        self.assertEqual((error["type"], error["code"]), ("error", "token_expired"))
        with self.assertRaises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(short.recv(), PATIENCE)
        self.assertEqual(closed.exception.code, 1008)


if __name__ == "__main__":
    unittest.main()
