"""A few chaos rounds (chaos.py) in CI: the owner of a topic killed with SIGKILL and frozen with
SIGSTOP while publishers, subscribers and requests run on every node; every guarantee of
docs/cluster.md holds in the records."""

import asyncio
import unittest

from chaos import run_rounds


class ClusterChaos(unittest.IsolatedAsyncioTestCase):
    async def test_kill_and_pause_of_the_owner_lose_nothing_acknowledged(self):
        asyncio.get_running_loop().set_debug(False)
        problems, summary = await run_rounds(self, rounds=3, seed=7)
        self.assertEqual(problems, [], summary)
        self.assertGreater(summary["acknowledged"], 100, summary)
        self.assertGreater(summary["requests"], 10, summary)


if __name__ == "__main__":
    unittest.main()
