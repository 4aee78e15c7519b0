#!/usr/bin/env bash
# Request benchmark: sluice (pinned to core 0) serving the uppercase route with
# interval 0; sluice-bench (pinned to core 1) keeps R requests in flight on each
# of C connections. Builds first. Usage:
#   bench/run_relay.sh [CONNECTIONS] [INFLIGHT] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-10}
inflight=${2:-10}
seconds=${3:-10}
port=${SLUICE_BENCH_PORT:-3900}

scripts/build.sh release sluice sluice-bench >/dev/null
SLUICE_BENCH_PORT=$port taskset -c 0 build/release/bin/sluice --config bench/sluice-bench.yaml &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
taskset -c 1 build/release/bin/sluice-bench --url "ws://127.0.0.1:$port/ws" \
  --connections "$connections" --inflight "$inflight" --duration "$seconds" --warmup 2 --pid "$server"
