"""docker/compose.yaml, run without Docker: its `upstream` service's command and its `sluice`
service's config and environment, on loopback (the service name `upstream` becomes 127.0.0.1 and
a free port), with a real client. What `docker compose up` starts must relay requests."""

import asyncio
import os
import subprocess
import unittest

import yaml

from harness import REPO, Sluice, connect, recv_json, send_json
from upstreams import free_port, wait_for_port

COMPOSE = os.path.join(REPO, "docker", "compose.yaml")
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")


def in_repo(container_path):
    """The repository file a path in the image comes from (the Dockerfile's COPY lines)."""
    for src, dst in (("/src/", ""), ("/etc/sluice/examples/", "config/examples/"),
                     ("/etc/sluice/sluice.yaml", "config/sluice.yaml")):
        if container_path.startswith(src):
            return os.path.join(REPO, dst + container_path[len(src):])
    raise AssertionError(f"{container_path} is not in the image")


class Compose(unittest.IsolatedAsyncioTestCase):
    async def test_compose_relays_a_request_to_the_fastapi_service(self):
        with open(COMPOSE) as f:
            compose = yaml.safe_load(f)
        with open(DOCKERFILE) as f:
            self.assertIn("COPY --from=build /src/config/examples /etc/sluice/examples", f.read())
        upstream, sluice = compose["services"]["upstream"], compose["services"]["sluice"]
        port = free_port()
        env = {k: str(v) for k, v in upstream["environment"].items()}
        env.update(HOST="127.0.0.1", PORT=str(port), PROGRESS_INTERVAL_MS="10")
        command = [upstream["command"][0], in_repo(upstream["command"][1])]
        service = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (service.kill(), service.wait()))
        wait_for_port(port)
        flags = sluice["command"]
        config = in_repo(flags[flags.index("--config") + 1])
        sluice_env = {k: str(v).replace("upstream:8000", f"127.0.0.1:{port}")
                      for k, v in sluice["environment"].items()}
        with Sluice(args=["--config", config], env=sluice_env) as server:
            ws, welcome = await connect(server)
            await send_json(ws, {"text": "hello compose"})
            frames = []
            while not frames or frames[-1]["type"] not in ("final", "error"):
                frames.append(await recv_json(ws))
            self.assertEqual(frames[-1]["type"], "final", frames)
            self.assertEqual(frames[-1]["data"]["result"], "HELLO COMPOSE")
            await ws.close()


if __name__ == "__main__":
    unittest.main()
