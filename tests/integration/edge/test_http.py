"""One test per plain HTTP endpoint on the WebSocket port."""

import json
import unittest

from harness import Sluice, config_with, raw_http


class HttpEndpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Sluice(config_with(extra="topics:\n  patterns:\n    \"*\": {}\n")).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def test_healthz(self):
        status, headers, body = self.server.http("GET", "/healthz")
        self.assertEqual((status, headers["content-type"], json.loads(body)),
                         (200, "application/json", {"status": "ok"}))

    def test_readyz(self):
        status, _, body = self.server.http("GET", "/readyz")
        self.assertEqual((status, json.loads(body)),
                         (200, {"status": "ready", "listening": True, "draining": False,
                                 "upstreams": {}}))

    def test_metrics(self):
        status, headers, body = self.server.http("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        for name, kind in [("sluice_connections_open", "gauge"),
                           ("sluice_connections_total", "counter"),
                           ("sluice_frames_in_total", "counter"),
                           ("sluice_frames_out_total", "counter"),
                           ("sluice_requests_total", "counter"),
                           ("sluice_request_duration_seconds", "histogram"),
                           ("sluice_errors_total", "counter"),
                           ("sluice_mailbox_depth_high_water", "gauge")]:
            self.assertIn(f"# TYPE {name} {kind}\n", body)

    def test_head_has_no_body(self):
        status, headers, body = self.server.http("HEAD", "/healthz")
        self.assertEqual((status, body), (200, ""))

    def test_unknown_path_is_404_json(self):
        status, headers, body = self.server.http("GET", "/api/nothing?x=1")
        self.assertEqual((status, headers["content-type"], json.loads(body)),
                         (404, "application/json",
                          {"error": "not_found", "message": "no such path: /api/nothing"}))

    def test_plain_get_on_ws_is_426(self):
        status, headers, body = self.server.http("GET", "/ws")
        self.assertEqual(status, 426)
        self.assertEqual(headers["upgrade"], "websocket")
        self.assertEqual(json.loads(body)["error"], "upgrade_required")

    def test_wrong_method_is_405(self):
        status, headers, body = self.server.http("POST", "/metrics", body="x")
        self.assertEqual((status, headers["allow"], json.loads(body)["error"]),
                         (405, "GET, HEAD", "method_not_allowed"))

    def test_websocket_upgrade_elsewhere_is_404(self):
        response = raw_http(self.server.port, (
            "GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode())
        self.assertTrue(response.startswith("HTTP/1.1 404"), response)
        self.assertIn('"message":"WebSocket connections go to /ws"', response)

    def test_oversized_headers_are_431(self):
        response = raw_http(self.server.port,
                            b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n")
        self.assertTrue(response.startswith("HTTP/1.1 431"), response)
        self.assertIn('"error":"bad_request"', response)

    def test_transfer_codings_other_than_chunked_are_refused_and_the_connection_closed(self):
        for coding in ("identity", "gzip", "xchunked", "chunked, gzip"):
            # The body would read as a second request if the server went on.
            smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            response = raw_http(self.server.port, (
                "POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Transfer-Encoding: {coding}\r\n\r\n").encode() + smuggled, until_closed=True)
            self.assertTrue(response.startswith("HTTP/1.1 400"), (coding, response))
            self.assertIn('"error":"bad_request"', response)
            self.assertEqual(response.count("HTTP/1.1"), 1, (coding, response))
        response = raw_http(self.server.port, (
            b"POST /api/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n"
            b"20\r\n" + b'{"topic":"chunked","data":"ok"} ' + b"\r\n0\r\n\r\n"), until_closed=True)
        self.assertTrue(response.startswith("HTTP/1.1 200"), response)

    def test_publish_bodies_nest_no_deeper_than_frames(self):
        for depth in (62, 63, 64):
            data = "[" * depth + "]" * depth
            status, _, body = self.server.http("POST", "/api/publish",
                                               '{"topic":"deep","data":' + data + "}")
            expected = 200 if depth < 64 else 400
            self.assertEqual(status, expected, (depth, body))

    def test_http_metric_names_every_known_path(self):
        for path in ("/workers", "/api/cluster"):
            status, _, _ = self.server.http("GET", path)
            metrics = self.server.metrics()
            self.assertEqual(metrics[f'sluice_http_requests_total{{path="{path}",status="{status}"}}'], 1,
                             [k for k in metrics if k.startswith("sluice_http_requests_total")])

    def test_keep_alive_serves_several_requests(self):
        response = raw_http(self.server.port,
                            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            until_closed=True)
        self.assertEqual(response.count("HTTP/1.1 200 OK"), 2, response)


if __name__ == "__main__":
    unittest.main()
