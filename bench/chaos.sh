#!/usr/bin/env bash
# Many chaos rounds against a real three-node cluster (tests/integration/cluster/chaos.py):
# the owner of a topic killed with SIGKILL and frozen with SIGSTOP, in turn, while
# a publisher, a subscriber and a requester run on every node; then the checker
# holds the records to docs/cluster.md's guarantees.
#   bench/chaos.sh [ROUNDS] [SEED]     (default 30 rounds, seed 1)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-30}
seed=${2:-1}
scripts/build.sh release sluice >/dev/null
echo "== $rounds chaos rounds (seed $seed)"
/usr/bin/python3 tests/integration/cluster/chaos.py --rounds "$rounds" --seed "$seed"
