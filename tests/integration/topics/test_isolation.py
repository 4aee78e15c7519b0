"""Isolation between clients: ids nobody can predict, client ids that open only their owner's
inbox (on one node and across a cluster), and inboxes that only an API key can list or read."""

import asyncio
import hashlib
import json
import os
import time
import unittest

import jwt
import websockets

from harness import (PATIENCE, REPO, Sluice, config_with, connect, post_json, recv_json, send_json,
                     wait_closed)

MASK64 = (1 << 64) - 1


def untemper(y):
    """Inverts std::mt19937_64's output tempering (one 64-bit output back to a state word)."""
    y ^= y >> 43
    y ^= (y << 37) & 0xFFF7EEE000000000
    x = y  # y ^= (y << 17) & b: seventeen bits at a time
    for _ in range(4):
        x = y ^ ((x << 17) & 0x71D67FFFEDA60000)
    y = x & MASK64
    x = y  # y ^= (y >> 29) & d
    for _ in range(3):
        x = y ^ ((x >> 29) & 0x5555555555555555)
    return x & MASK64


def temper(x):
    x ^= (x >> 29) & 0x5555555555555555
    x ^= (x << 17) & 0x71D67FFFEDA60000
    x ^= (x << 37) & 0xFFF7EEE000000000
    x ^= x >> 43
    return x & MASK64


def predict_next(outputs):
    """The next output of a std::mt19937_64 that produced `outputs` (312 or more in a row)."""
    state = [untemper(o) for o in outputs[-312:]]
    x = (state[0] & 0xFFFFFFFF80000000) | (state[1] & 0x7FFFFFFF)
    next_word = state[156] ^ (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
    return temper(next_word)


def as_generator_output(session_id):
    """The 64-bit number a session id of the form s-<16 hex digits, lowest nibble first>
    showed; the first 16 digits of a longer id are read the same way."""
    digits = session_id[2:18]
    return sum(int(d, 16) << (4 * i) for i, d in enumerate(digits))


class Ids(unittest.IsolatedAsyncioTestCase):
    async def test_session_ids_cannot_be_predicted_from_earlier_ones(self):
        with Sluice(config_with()) as server:
            ids = []
            for _ in range(320):
                ws, welcome = await connect(server)
                ids.append(welcome["session"])
                await ws.close()
        self.assertEqual(len(set(ids)), len(ids))
        # An attacker who reads 312 ids and knows the generator predicts every later one.
        outputs = [as_generator_output(i) for i in ids]
        predicted = [predict_next(outputs[:k]) for k in range(312, 320)]
        self.assertNotEqual(predicted, outputs[312:320], "session ids follow a predictable generator")
        for i in ids:  # 128 random bits
            self.assertRegex(i, r"^s-[0-9a-f]{32}$")


SECRET = "isolation-test-secret-of-32-bytes-or-more"
API_KEY = "isolation-api-key-0123456789"
AUTH = os.path.join(REPO, "config", "examples", "auth.yaml")
AUTH_ENV = {"SLUICE_JWT_SECRET": SECRET, "SLUICE_PORT": "0", "SLUICE_HOST": "127.0.0.1",
            "SLUICE_API_KEY_SHA256": hashlib.sha256(API_KEY.encode()).hexdigest()}


def token(sub):
    return jwt.encode({"sub": sub, "iss": "https://auth.example.com", "aud": "sluice",
                       "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


async def connect_as(server, sub, query):
    return await connect(server, query=query,
                         extra_headers={"Authorization": "Bearer " + token(sub)})


async def frames_for(ws, seconds):
    """Every frame `ws` receives within `seconds` (a bound on what a test waits for)."""
    frames = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic())))
    except (asyncio.TimeoutError, websockets.ConnectionClosed):
        pass
    return frames


async def run_to_final(ws, text, request_id="r1"):
    await send_json(ws, {"type": "request", "id": request_id, "payload": {"text": text}})
    frames = []
    while not frames or frames[-1].get("type") not in ("final", "error"):
        frame = await recv_json(ws)
        if frame.get("id") == request_id:
            frames.append(frame)
    return frames


class ClientIdsWithAuthentication(unittest.IsolatedAsyncioTestCase):
    """config/examples/auth.yaml as shipped: a client id lives in its user's namespace."""

    async def asyncSetUp(self):
        self.server = Sluice(args=["--config", AUTH], env=AUTH_ENV).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_another_user_with_the_same_client_id_gets_nothing_of_it(self):
        bob, bob_welcome = await connect_as(self.server, "bob", "client_id=bobs-laptop")
        await recv_json(bob)  # subscribed to its inbox
        frames = await run_to_final(bob, "bob secret diary")
        self.assertEqual(frames[-1]["result"], "BOB SECRET DIARY")
        # A backend reaches bob's inbox by the name his welcome gave.
        status, _ = post_json(self.server, "/api/publish",
                              {"topic": bob_welcome["inbox"], "data": {"note": "for bob"}},
                              {"Authorization": "Bearer " + API_KEY})
        self.assertEqual(status, 200)

        alice, alice_welcome = await connect_as(self.server, "alice", "client_id=bobs-laptop&since=0")
        seen = await frames_for(alice, 1.0)
        text = json.dumps(seen)
        for secret in ("BOB SECRET DIARY", "bob secret diary", "for bob"):
            self.assertNotIn(secret, text)
        self.assertNotEqual(alice_welcome["inbox"], bob_welcome["inbox"])
        self.assertEqual([f["type"] for f in seen], ["subscribed"])
        self.assertEqual(seen[0]["last"], 0)
        # Bob's own next connection resumes his inbox with everything in it.
        again, _ = await connect_as(self.server, "bob", "client_id=bobs-laptop&since=0")
        replay = await frames_for(again, 1.0)
        self.assertIn("BOB SECRET DIARY", json.dumps(replay))
        self.assertIn("for bob", json.dumps(replay))
        for ws in (bob, alice, again):
            await ws.close()

    async def test_inboxes_are_listed_and_read_only_with_the_api_key(self):
        bob, welcome = await connect_as(self.server, "bob", "client_id=phone")
        await recv_json(bob)
        await run_to_final(bob, "private")
        inbox = welcome["inbox"]
        key = {"Authorization": "Bearer " + API_KEY}
        for path in ("/api/topics?inboxes", f"/api/topics/{inbox}", f"/api/topics/{inbox}/history"):
            status, _, body = self.server.http("GET", path)
            self.assertEqual(status, 401, body)  # this config's API needs a key for everything
            status, _, body = self.server.http("GET", path, headers=key)
            self.assertEqual(status, 200, body)
        _, _, body = self.server.http("GET", f"/api/topics/{inbox}/history", headers=key)
        self.assertIn("PRIVATE", body)
        await bob.close()


class TopicSquatting(unittest.IsolatedAsyncioTestCase):
    """One client cannot take every topic slot: what a principal and a connection may create is
    bounded (topics.max_created_per_principal, topics.max_created_per_connection), everybody else
    keeps working, and topics that hold nothing leave with their creator."""

    CONFIG = config_with(extra=f"""auth:
  anonymous: false
  jwt:
    issuer: https://auth.example.com
    audience: sluice
    keys:
      - {{algorithm: HS256, secret: "{SECRET}"}}
  http_api_keys:
    backend: {{sha256: {AUTH_ENV["SLUICE_API_KEY_SHA256"]}}}
topics:
  patterns:
    "chat.*": {{subscribe: [authenticated], publish: [authenticated]}}
""")

    async def asyncSetUp(self):
        asyncio.get_running_loop().set_debug(False)
        self.server = Sluice(self.CONFIG).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def subscribe_many(self, ws, names):
        """Subscribes to each name; returns {"subscribed": n, "<error code>": n}."""
        for i, name in enumerate(names):
            await send_json(ws, {"type": "subscribe", "topic": name, "id": i})
        outcomes = {}
        for _ in names:
            frame = await recv_json(ws)
            key = frame.get("code", frame["type"])
            outcomes[key] = outcomes.get(key, 0) + 1
        return outcomes

    async def test_a_squatter_is_refused_while_others_keep_working(self):
        first, _ = await connect_as(self.server, "mallory", "")
        self.assertEqual(await self.subscribe_many(first, [f"chat.m0-{i}" for i in range(150)]),
                         {"subscribed": 100, "too_many_topics": 50})
        others = [first]
        for c in range(1, 10):
            ws, _ = await connect_as(self.server, "mallory", "")
            others.append(ws)
            self.assertEqual(await self.subscribe_many(ws, [f"chat.m{c}-{i}" for i in range(100)]),
                             {"subscribed": 100})
        extra, _ = await connect_as(self.server, "mallory", "")
        await send_json(extra, {"type": "subscribe", "topic": "chat.one-more", "id": "x"})
        refused = await recv_json(extra)
        self.assertEqual(refused["code"], "too_many_topics")
        self.assertIn("max_created_per_principal", refused["message"])
        # Existing topics can still be joined; other users create theirs; the API publishes.
        self.assertEqual(await self.subscribe_many(extra, ["chat.m0-1"]), {"subscribed": 1})
        alice, _ = await connect_as(self.server, "alice", "")
        self.assertEqual(await self.subscribe_many(alice, ["chat.alice-room"]), {"subscribed": 1})
        status, _ = post_json(self.server, "/api/publish", {"topic": "chat.news", "data": "hi"},
                              {"Authorization": "Bearer " + API_KEY})
        self.assertEqual(status, 200)
        # The squatter leaves: topics that hold nothing go with him, and his slots come back.
        for ws in others + [extra]:
            await ws.close()
        key = {"Authorization": "Bearer " + API_KEY}
        deadline = time.monotonic() + PATIENCE
        while self.server.http("GET", "/api/topics/chat.m5-5", headers=key)[0] != 404:
            self.assertLess(time.monotonic(), deadline)
            await asyncio.sleep(0.1)
        again, _ = await connect_as(self.server, "mallory", "")
        self.assertEqual(await self.subscribe_many(again, ["chat.back"]), {"subscribed": 1})
        for ws in (alice, again):
            await ws.close()


class AnonymousClientIds(unittest.IsolatedAsyncioTestCase):
    """Without authentication a client id is claimed by its first connection, which gets the
    credential that resumes it; nobody else can open it."""

    async def asyncSetUp(self):
        self.server = Sluice(config_with(steps=2, interval="20ms")).__enter__()

    async def asyncTearDown(self):
        self.server.__exit__(None, None, None)

    async def test_a_client_id_in_use_is_refused_without_its_credential(self):
        bob, welcome = await connect(self.server, query="client_id=bobs-laptop")
        self.assertEqual(welcome["inbox"], "inbox.bobs-laptop")
        credential = welcome["resume"]
        self.assertRegex(credential, r"^[0-9a-f]{32}$")
        await recv_json(bob)
        self.assertEqual((await run_to_final(bob, "bob secret diary"))[-1]["result"], "BOB SECRET DIARY")
        await bob.close()

        for query in ("client_id=bobs-laptop&since=0", "client_id=bobs-laptop&since=0&resume=" + "0" * 32):
            thief = await websockets.connect(self.server.ws_url + "?" + query)
            seen = await frames_for(thief, 2.0)
            self.assertEqual([f["type"] for f in seen], ["error"], seen)
            self.assertEqual(seen[0]["code"], "forbidden")
            self.assertNotIn("BOB", json.dumps(seen))
            self.assertEqual(thief.close_code, 1008)

        # Bob resumes with his credential and gets his stream; no new credential is issued.
        again, welcome = await connect(self.server,
                                       query=f"client_id=bobs-laptop&since=0&resume={credential}")
        self.assertNotIn("resume", welcome)
        replay = await frames_for(again, 1.0)
        self.assertIn("BOB SECRET DIARY", json.dumps(replay))
        await again.close()
        self.assertGreaterEqual(self.server.metrics()['sluice_errors_total{code="forbidden"}'], 2)

    async def test_a_session_id_cannot_be_used_as_a_client_id(self):
        victim, welcome = await connect(self.server)
        thief = await websockets.connect(self.server.ws_url + "?client_id=" + welcome["session"])
        seen = await frames_for(thief, 2.0)
        self.assertEqual([(f["type"], f["code"]) for f in seen], [("error", "forbidden")])
        await victim.close()

    async def test_inbox_listing_needs_an_api_key_even_when_the_api_has_none(self):
        ws, welcome = await connect(self.server, query="client_id=carol")
        for path in ("/api/topics?inboxes", f"/api/topics/{welcome['inbox']}",
                     f"/api/topics/{welcome['inbox']}/history?since=0"):
            status, _, body = self.server.http("GET", path)
            self.assertEqual((status, json.loads(body)["error"]), (403, "forbidden"), path)
        status, _, body = self.server.http("GET", "/api/topics")
        self.assertEqual(status, 200)
        self.assertNotIn("inbox.", body)
        await ws.close()

    async def test_request_ids_are_per_connection(self):
        first, welcome = await connect(self.server, query="client_id=dora")
        await recv_json(first)
        second, _ = await connect(self.server, query="client_id=dora&resume=" + welcome["resume"])
        await recv_json(second)
        # Both connections use the id "1"; each stream names the connection it belongs to.
        await send_json(first, {"type": "request", "id": 1, "payload": {"text": "first"}})
        await send_json(second, {"type": "request", "id": 1, "payload": {"text": "second"}})
        finals = {}
        while len(finals) < 2:
            frame = await recv_json(first)
            if frame["type"] == "final":
                finals[frame["session"]] = frame["result"]
        self.assertEqual(finals[welcome["session"]], "FIRST")
        self.assertEqual(sorted(finals.values()), ["FIRST", "SECOND"])
        for ws in (first, second):
            await ws.close()


if __name__ == "__main__":
    unittest.main()
