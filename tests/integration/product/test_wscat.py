"""wscat, the everyday CLI client, in its non-interactive mode (-x), against the real binary."""

import json
import os
import subprocess
import unittest

from harness import WSCAT, Sluice, config_with, is_accepted, wscat

class Wscat(unittest.TestCase):
    def test_wscat_is_installed_in_the_repo(self):
        self.assertTrue(os.access(WSCAT, os.X_OK), f"{WSCAT} missing: run scripts/install-deps.sh")

    def test_text_frame_shows_progress_then_final(self):
        with Sluice(config_with(steps=3, interval="100ms")) as server:
            code, out, err = wscat(server.ws_url, '{"text":"hello world"}', 2)
        self.assertEqual(code, 0, err)
        frames = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual(frames[0]["type"], "welcome")
        self.assertTrue(is_accepted(frames[1], "auto-1"), frames[1])
        self.assertEqual(frames[2:], [
            {"type": "progress", "id": "auto-1", "step": 1, "steps": 3},
            {"type": "progress", "id": "auto-1", "step": 2, "steps": 3},
            {"type": "progress", "id": "auto-1", "step": 3, "steps": 3},
            {"type": "final", "id": "auto-1", "result": "HELLO WORLD"},
        ])

    def test_wscat_request_with_unknown_route(self):
        with Sluice(config_with()) as server:
            code, out, err = wscat(server.ws_url, '{"type":"request","id":"w","route":"x"}', 1)
        self.assertEqual(code, 0, err)
        frames = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual(frames[1:], [{"type": "error", "id": "w", "code": "unknown_route",
                                       "message": 'no route named "x"'}])


if __name__ == "__main__":
    unittest.main()
