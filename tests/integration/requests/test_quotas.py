"""Per-user compute quotas: a route's `quota` counts requests in flight, requests per window and
units per window for each principal (a token's sub, an API key, or the address of an anonymous
client), shared by all of the user's connections. Over it a request gets `quota_exceeded` with
`retry_after` before it starts, or its stream ends with that code when its units run out. Units
are stream frames (the built-in uppercase route) or what the upstream reports (a real process
printing `usage.tokens`). Operators read the counts at GET /api/quotas/{principal}."""

import hashlib
import time
import unittest

import jwt

from harness import (Sluice, assert_config_errors, connect, get_json, recv_json, send_json,
                     send_request, send_together, until_final)

SECRET = "quota-test-secret-of-32-bytes-or-more!"
OPS_KEY = "ops-key-for-quotas"
OPS = {"Authorization": "Bearer " + OPS_KEY}
TOKENS = ("import json, sys, time\n"
          "for i in range(6):\n"
          "    print(json.dumps({'type': 'token', 'text': str(i), 'usage': {'tokens': 10}}), flush=True)\n"
          "    time.sleep(0.02)\n"
          "print(json.dumps({'type': 'final', 'text': 'done', 'usage': {'tokens': 10}}), flush=True)\n")


def token(sub):
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def config(routes, extra="", api_keys=True):
    digest = hashlib.sha256(OPS_KEY.encode()).hexdigest()
    keys = f"  http_api_keys:\n    ops: {{sha256: {digest}}}\n" if api_keys else ""
    return f"""server: {{host: 127.0.0.1, port: 0}}
limits: {{max_requests_in_flight: 200}}
auth:
  anonymous: true
  jwt:
    keys: [{{algorithm: HS256, secret: "{SECRET}"}}]
{keys}upstreams:
  tokens:
    kind: process
    command: /usr/bin/python3
    args: ["-c", {TOKENS!r}]
    output: json_lines
routes:
{routes}{extra}"""


SLOW = "    kind: uppercase\n    steps: 100\n    interval: 100ms\n"


async def user(server, sub):
    headers = {"Authorization": "Bearer " + token(sub)} if sub else {}
    ws, _ = await connect(server, extra_headers=headers)
    return ws


def request(rid, route, payload="hi"):
    return {"type": "request", "id": rid, "route": route, "payload": payload}


class Quotas(unittest.IsolatedAsyncioTestCase):
    def start(self, routes, extra=""):
        server = Sluice(config(routes, extra)).__enter__()
        self.addCleanup(server.__exit__, None, None, None)
        return server

    def assert_quota_exceeded(self, frame, rid, limit):
        self.assertEqual((frame["type"], frame["code"], frame["id"], frame["limit"]),
                         ("error", "quota_exceeded", rid, limit), frame)
        self.assertGreater(frame["retry_after"], 0)

    async def test_a_users_second_request_in_flight_is_refused_while_another_users_runs(self):
        server = self.start("  slow:\n" + SLOW + "    quota: {max_in_flight: 1}\n")
        alice, alice_phone, bob = (await user(server, "alice"), await user(server, "alice"),
                                   await user(server, "bob"))
        await send_request(alice, request("a1", "slow"))
        # Her other connection shares her count.
        await send_json(alice_phone, request("a2", "slow"))
        refused = await recv_json(alice_phone)
        self.assert_quota_exceeded(refused, "a2", "max_in_flight")
        self.assertIn('route "slow"', refused["message"])
        await send_request(bob, request("b1", "slow"))
        self.assertEqual((await recv_json(bob))["type"], "progress")
        # Her running request ends: its place is hers again.
        await send_json(alice, {"type": "cancel", "id": "a1"})
        frames = await until_final(alice, "a1", mid_stream=True)
        self.assertEqual(frames[-1]["code"], "cancelled")
        await send_request(alice_phone, request("a3", "slow"))
        metrics = server.metrics()
        self.assertEqual(metrics['sluice_quota_decisions_total{route="slow",outcome="admitted"}'], 3)
        self.assertEqual(
            metrics['sluice_quota_decisions_total{route="slow",outcome="max_in_flight"}'], 1)
        for ws in (alice, alice_phone, bob):
            await ws.close()

    async def test_a_burst_of_100_from_one_user_admits_exactly_the_quota(self):
        server = self.start("  slow:\n" + SLOW + "    quota: {max_in_flight: 5}\n")
        alice, bob = await user(server, "alice"), await user(server, "bob")
        send_together(alice, [request(f"a{i}", "slow") for i in range(100)])
        answers = {}
        while len(answers) < 100:
            frame = await recv_json(alice)
            if frame["type"] in ("accepted", "error"):
                answers[frame["id"]] = frame
        kinds = [f["type"] for f in answers.values()]
        self.assertEqual((kinds.count("accepted"), kinds.count("error")), (5, 95))
        for frame in answers.values():
            if frame["type"] == "error":
                self.assert_quota_exceeded(frame, frame["id"], "max_in_flight")
        await send_request(bob, request("b1", "slow"))  # another user still goes through
        status, usage = get_json(server, "/api/quotas/sub:alice", OPS)
        self.assertEqual(status, 200, usage)
        self.assertEqual(usage["routes"][0]["usage"]["in_flight"], 5)
        await alice.close()
        await bob.close()

    async def test_requests_per_window_are_counted_and_retry_after_is_the_windows_end(self):
        server = self.start("  slow:\n" + SLOW.replace("steps: 100", "steps: 0") +
                            "    quota: {requests: 3, window: 1h}\n")
        ws = await user(server, "carol")
        for i in range(3):
            await send_request(ws, request(f"c{i}", "slow"))
            self.assertEqual((await until_final(ws, f"c{i}", mid_stream=True))[-1]["type"], "final")
        await send_json(ws, request("c3", "slow"))
        refused = await recv_json(ws)
        self.assert_quota_exceeded(refused, "c3", "requests")
        self.assertLessEqual(refused["retry_after"], 3600 * 1000)
        status, usage = get_json(server, "/api/quotas/sub:carol", OPS)
        route = usage["routes"][0]
        self.assertEqual((route["route"], route["window_ms"], route["limits"], route["usage"]),
                         ("slow", 3600000, {"max_in_flight": None, "requests": 3, "units": None},
                          {"in_flight": 0, "requests": 3, "units": 0}))
        self.assertLessEqual(route["window_ends_in_ms"], 3600000)
        await ws.close()

    async def test_a_units_quota_ends_a_long_stream_and_refuses_the_next_request(self):
        server = self.start("  slow:\n" + SLOW.replace("100ms", "10ms") +
                            "    quota: {units: 5, window: 1h}\n")
        ws = await user(server, "dave")
        await send_request(ws, request("d1", "slow"))
        frames = await until_final(ws, "d1", mid_stream=True)
        self.assertEqual([f["type"] for f in frames], ["progress"] * 5 + ["error"])
        self.assert_quota_exceeded(frames[-1], "d1", "units")
        await send_json(ws, request("d2", "slow"))
        self.assert_quota_exceeded(await recv_json(ws), "d2", "units")
        metrics = server.metrics()
        self.assertEqual(metrics['sluice_quota_streams_ended_total{route="slow"}'], 1)
        self.assertEqual(metrics['sluice_requests_total{route="slow",outcome="quota_exceeded"}'], 1)
        await ws.close()

    async def test_with_finish_a_stream_runs_to_its_end_and_the_next_request_is_refused(self):
        server = self.start("  slow:\n" + SLOW.replace("steps: 100", "steps: 8").replace(
            "100ms", "10ms") + "    quota: {units: 5, window: 1h, when_units_run_out: finish}\n")
        ws = await user(server, "erin")
        await send_request(ws, request("e1", "slow"))
        frames = await until_final(ws, "e1", mid_stream=True)
        self.assertEqual([f["type"] for f in frames], ["progress"] * 8 + ["final"])
        await send_json(ws, request("e2", "slow"))
        self.assert_quota_exceeded(await recv_json(ws), "e2", "units")
        await ws.close()

    async def test_units_the_upstream_reports_are_counted_from_its_frames(self):
        server = self.start("  gen:\n    upstream: tokens\n"
                            "    quota: {units: 25, units_field: usage.tokens, window: 1h}\n")
        ws = await user(server, "frank")
        await send_request(ws, request("f1", "gen"))
        frames = await until_final(ws, "f1", mid_stream=True)
        # 10 tokens per frame: the third takes the window to 30 > 25 and is not sent.
        self.assertEqual([f["type"] for f in frames], ["token", "token", "error"])
        self.assertEqual(frames[0]["data"]["usage"], {"tokens": 10})
        self.assert_quota_exceeded(frames[-1], "f1", "units")
        status, usage = get_json(server, "/api/quotas/sub:frank", OPS)
        self.assertEqual(usage["routes"][0]["usage"]["units"], 30)
        self.assertEqual(await server.no_children_left(), [])  # the process was stopped
        await ws.close()

    async def test_anonymous_clients_are_counted_by_address_or_refused(self):
        server = self.start("  open:\n" + SLOW.replace("steps: 100", "steps: 0") +
                            "    quota: {requests: 1, window: 1h}\n"
                            "  members:\n" + SLOW.replace("steps: 100", "steps: 0") +
                            "    quota: {requests: 5, anonymous: refuse}\n")
        first, second = await user(server, None), await user(server, None)
        await send_request(first, request("n1", "open"))
        await send_json(second, request("n2", "open"))  # the same address: the same count
        self.assert_quota_exceeded(await recv_json(second), "n2", "requests")
        status, usage = get_json(server, "/api/quotas/addr:127.0.0.1", OPS)
        self.assertEqual([r["usage"]["requests"] for r in usage["routes"]], [0, 1])
        await send_json(second, request("n3", "members"))
        refused = await recv_json(second)
        self.assertEqual((refused["code"], refused["id"]), ("forbidden", "n3"))
        self.assertIn("anonymous", refused["message"])
        self.assertEqual(server.metrics()[
            'sluice_quota_decisions_total{route="members",outcome="anonymous"}'], 1)
        for ws in (first, second):
            await ws.close()

    async def test_the_quota_api_is_for_operators_and_answers_bad_calls_with_json(self):
        server = self.start("  slow:\n" + SLOW + "    quota: {max_in_flight: 2}\n")
        status, body = get_json(server, "/api/quotas/sub:alice")
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))
        status, body = get_json(server, "/api/quotas/sub:%zz", OPS)
        self.assertEqual((status, body["error"]), (400, "bad_request"))
        status, body = get_json(server, "/api/quotas/", OPS)
        self.assertEqual((status, body["error"]), (400, "bad_request"))
        status, _, text = server.http("POST", "/api/quotas/sub:alice", "{}", OPS)
        self.assertEqual(status, 405, text)
        # Percent-encoded principals: a sub with '|' and a space.
        ws = await user(server, "auth0|id 7")
        await send_request(ws, request("p1", "slow"))
        status, body = get_json(server, "/api/quotas/sub:auth0%7Cid%207", OPS)
        self.assertEqual((status, body["principal"]), (200, "sub:auth0|id 7"))
        self.assertEqual(body["routes"][0]["usage"]["in_flight"], 1)
        self.assertEqual(list(body["routes"][0]["nodes"]), ["sluice-1"])
        await ws.close()
        with Sluice(config("  up: {kind: uppercase}\n")) as plain:
            status, body = get_json(plain, "/api/quotas/sub:alice", OPS)
            self.assertEqual((status, body["error"]), (404, "not_found"))
        # Without http_api_keys the API needs no key, but quotas are still for operators only.
        with Sluice(config("  slow:\n" + SLOW + "    quota: {max_in_flight: 2}\n",
                           api_keys=False)) as open_api:
            status, body = get_json(open_api, "/api/quotas/sub:alice")
            self.assertEqual((status, body["error"]), (403, "forbidden"))
            self.assertIn("http_api_keys", body["message"])


class QuotaConfig(unittest.TestCase):
    def test_mistakes_are_configuration_errors_with_their_place(self):
        route = "routes:\n  up:\n    kind: uppercase\n    quota: "
        assert_config_errors(self, [(route + quota + "\n", expected) for quota, expected in [
            ("{window: 1m}", r"routes\.up\.quota: a quota needs at least one of max_in_flight"),
            ("{units_field: usage.tokens, requests: 1}",
             r"routes\.up\.quota\.units_field: only a quota with `units` counts units"),
            ("{units: 5, units_field: usage..tokens}",
             r"routes\.up\.quota\.units_field: expected a field path"),
            ("{units: 5, when_units_run_out: later}",
             r"routes\.up\.quota\.when_units_run_out: expected one of end_stream, finish"),
            ("{requests: 0}", r"routes\.up\.quota\.requests: must be between 1"),
            ("{requests: 1, window: 10ms}", r"routes\.up\.quota\.window: must be between 1000ms"),
            ("{requests: 1, anonymous: maybe}",
             r"routes\.up\.quota\.anonymous: expected one of address, refuse"),
            ("{requests: 1, per_user: true}", r"routes\.up\.quota\.per_user: unknown key"),
        ]])


if __name__ == "__main__":
    unittest.main()
