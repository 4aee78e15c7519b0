"""scripts/check-docs.py: the docs and the code name the same metrics, frame types, error codes,
close reasons, HTTP paths and config keys. It passes on the repository, and each kind of drift
planted in a copy of it is reported."""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import REPO

PARTS = ["protocol", "actors", "transport", "core", "security", "config", "bin", "docs", "README.md",
         "scripts/check-docs.py"]


def check(root):
    run = subprocess.run(["/usr/bin/python3", os.path.join(root, "scripts", "check-docs.py")],
                         capture_output=True, text=True)
    return run.returncode, run.stdout


def copy_parts(root):
    for part in PARTS:
        src, dst = os.path.join(REPO, part), os.path.join(root, part)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, dst)


class DocsCheck(unittest.TestCase):
    def test_the_repository_passes(self):
        code, out = check(REPO)
        self.assertEqual(code, 0, out)

    def test_a_copy_of_the_parts_passes(self):
        """The copies the drift test plants into hold everything the check reads."""
        with tempfile.TemporaryDirectory() as root:
            copy_parts(root)
            code, out = check(root)
            self.assertEqual(code, 0, out)

    def test_each_kind_of_drift_is_reported(self):
        plants = [  # (file, text to add or replace, what the report names)
            ("core/observe/metrics.cpp", '\nconst char* planted = "sluice_planted_total";\n',
             "metric `sluice_planted_total` is in the code"),
            ("README.md", "\n| `sluice_ghost_total` | gone |\n", "metric `sluice_ghost_total` is in the docs"),
            ("docs/protocol.md", '\n```json\n{"type":"teleport"}\n```\n', "frame type `teleport`"),
            ("protocol/server_frames.cpp", '\n// typed("planted_frame", id)\n', "frame type `planted_frame`"),
            ("core/error_code.cpp", '\n// return "planted_code";\n', "error code `planted_code`"),
            ("bin/sluice.cpp", '\n// close(close_code::normal, "planted reason")\n', "close reason `planted reason`"),
            ("transport/http/api_request.cpp", '\n// "/api/planted"\n', "HTTP path `/api/planted`"),
            ("config/readers/topics_reader.cpp", '\n// r.read_bool(node, p, "planted_key", x);\n',
             "config key `planted_key` is in the code"),
            ("config/sluice.yaml", "\nghost_setting: 1\n", "config key `ghost_setting` is in the docs"),
        ]
        for path, text, expected in plants:
            with tempfile.TemporaryDirectory() as root:
                copy_parts(root)
                if path == "docs/protocol.md":  # inside the document, not after its last table
                    with open(os.path.join(root, path)) as f:
                        doc = f.read()
                    doc = doc.replace("## Error codes", text + "\n## Error codes", 1)
                    with open(os.path.join(root, path), "w") as f:
                        f.write(doc)
                else:
                    with open(os.path.join(root, path), "a") as f:
                        f.write(text)
                code, out = check(root)
                self.assertEqual(code, 1, (path, out))
                self.assertIn(expected, out)


if __name__ == "__main__":
    unittest.main()
