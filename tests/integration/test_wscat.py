"""wscat, the everyday CLI client, in its non-interactive mode (-x), against the real binary."""

import json
import os
import subprocess
import unittest

from harness import PATIENCE, REPO, Sluice, config_with

WSCAT = os.path.join(REPO, "node_modules", ".bin", "wscat")


def wscat(url, message, wait_seconds):
    """Runs `wscat -c URL -x MESSAGE -w SECONDS` with stdin held open (wscat exits at EOF)."""
    stdin_read, stdin_write = os.pipe()
    try:
        proc = subprocess.Popen([WSCAT, "-c", url, "-x", message, "-w", str(wait_seconds)],
                                stdin=stdin_read, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        out, err = proc.communicate(timeout=PATIENCE)
    finally:
        os.close(stdin_read)
        os.close(stdin_write)
    return proc.returncode, out, err


class Wscat(unittest.TestCase):
    def test_wscat_is_installed_in_the_repo(self):
        self.assertTrue(os.access(WSCAT, os.X_OK), f"{WSCAT} missing: run scripts/install-deps.sh")

    def test_text_frame_shows_progress_then_final(self):
        with Sluice(config_with(steps=3, interval="100ms")) as server:
            code, out, err = wscat(server.ws_url, '{"text":"hello world"}', 2)
        self.assertEqual(code, 0, err)
        frames = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual(frames[0]["type"], "welcome")
        self.assertEqual(frames[1:], [
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
