#!/usr/bin/env bash
# Fan-out benchmark: sluice (pinned to core 0) with one topic; sluice-bench fanout
# (pinned to core 1) opens K subscribers and one publisher and publishes M
# messages, either as fast as the slowest tracked subscriber allows (at most
# WINDOW ahead) or at a fixed RATE. Builds first. Usage:
#   bench/run_fanout.sh [SUBSCRIBERS] [MESSAGES] [window W | rate R]
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:-1000}
messages=${2:-2000}
pace=(--window "${4:-200}")
[ "${3:-window}" = rate ] && pace=(--rate "${4:-100}")
port=${SLUICE_BENCH_PORT:-3900}

scripts/build.sh release sluice sluice-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
SLUICE_BENCH_PORT=$port taskset -c 0 build/release/bin/sluice --config bench/sluice-fanout.yaml &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
taskset -c 1 build/release/bin/sluice-bench fanout --url "ws://127.0.0.1:$port/ws" \
  --subscribers "$subscribers" --messages "$messages" "${pace[@]}" --pid "$server"
