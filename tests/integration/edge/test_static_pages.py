"""Pages on the WebSocket port, over real HTTP: server.static serves a directory at a prefix
(files, index, redirects, HEAD, 404/405, nothing outside the directory, the server's own paths
first) and server.dashboard the dashboard compiled into the binary; a static path that is not a
directory is a config error with file:line."""

import os
import tempfile
import unittest

from harness import Sluice, assert_config_errors, config_with, raw_http


def get(server, target, method="GET"):
    response = raw_http(server.port, f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head, _, body = response.partition("\r\n\r\n")
    status = int(head.split(" ", 2)[1])
    headers = {k.lower(): v for k, _, v in (l.partition(": ") for l in head.split("\r\n")[1:])}
    return status, headers, body


class StaticPages(unittest.TestCase):
    def test_a_directory_is_served_at_its_prefix_and_nothing_outside_it(self):
        with tempfile.TemporaryDirectory() as root:
            www = os.path.join(root, "www")
            os.makedirs(os.path.join(www, "js"))
            with open(os.path.join(www, "index.html"), "w") as f:
                f.write("<h1>my page</h1>")
            with open(os.path.join(www, "js", "main.js"), "w") as f:
                f.write("console.log(1)")
            with open(os.path.join(root, "secret"), "w") as f:
                f.write("top secret")
            os.symlink(os.path.join(root, "secret"), os.path.join(www, "escape"))
            with Sluice(config_with(server=f"  static: {{path: {www}, prefix: /app}}\n")) as server:
                status, headers, _ = get(server, "/app")
                self.assertEqual((status, headers["location"]), (308, "/app/"))
                status, headers, body = get(server, "/app/")
                self.assertEqual((status, headers["content-type"], body),
                                 (200, "text/html; charset=utf-8", "<h1>my page</h1>"))
                status, headers, body = get(server, "/app/js/main.js")
                self.assertEqual((status, headers["content-type"], body),
                                 (200, "text/javascript; charset=utf-8", "console.log(1)"))
                status, headers, body = server.http("HEAD", "/app/js/main.js")
                self.assertEqual((status, headers["content-length"], body), (200, "14", ""))
                self.assertEqual(get(server, "/app/js")[1]["location"], "/app/js/")
                for target in ("/app/../secret", "/app/%2e%2e/secret", "/app/js/%2e%2e%2f..%2fsecret"):
                    status, _, body = get(server, target)
                    self.assertEqual(status, 400, target)
                    self.assertNotIn("top secret", body)
                status, _, body = get(server, "/app/escape")
                self.assertEqual(status, 404)
                self.assertNotIn("top secret", body)
                self.assertIn('"error":"not_found"', get(server, "/app/nope.js")[2])
                status, headers, _ = get(server, "/app/", "POST")
                self.assertEqual((status, headers["allow"]), (405, "GET, HEAD"))
                self.assertEqual(get(server, "/healthz")[0], 200)
                self.assertEqual(get(server, "/dashboard/")[0], 404)  # not enabled

    def test_the_dashboard_is_served_from_the_binary(self):
        with Sluice(config_with(server="  dashboard: true\n")) as server:
            self.assertEqual(get(server, "/dashboard")[1]["location"], "/dashboard/")
            status, headers, body = get(server, "/dashboard/")
            self.assertEqual(status, 200)
            self.assertIn("<title>Sluice dashboard</title>", body)
            self.assertIn("default-src 'self'", headers["content-security-policy"])
            status, _, body = get(server, "/dashboard/sluice.js")
            self.assertEqual(status, 200)
            self.assertIn("export class SluiceClient", body)
            self.assertEqual(get(server, "/dashboard/missing.js")[0], 404)
            self.assertIn("sluice_http_requests_total{path=\"/dashboard\"",
                          get(server, "/metrics")[2])

    def test_a_static_path_that_is_not_a_directory_is_a_config_error(self):
        assert_config_errors(self, [
            (config_with(server="  static: {path: /nonexistent/www}\n"),
             r"server.static.path: /nonexistent/www is not a directory"),
            (config_with(server="  static: {path: /tmp, prefix: /metrics}\n"),
             r"server.static.prefix: /metrics is the server's own path"),
        ])


if __name__ == "__main__":
    unittest.main()
