#!/usr/bin/env bash
# Relay latency to a real upstream, side by side in one run: sluice-bench (core 1)
# sends {"text": …} and waits for the final frame,
#   1. directly to the example FastAPI service's /ws (one connection, reused), and
#   2. through Sluice (config/examples/websocket.yaml) with pooled upstream connections
#      (UPSTREAM_POOL_SIZE=64, so that every concurrent client keeps its connection),
#   3. through Sluice with a new upstream WebSocket per request (connections: per_request),
#   4. through the Node `ws` bridge peer (bench/peers/ws_bridge_server.js, when its npm
#      packages are installed (bench/compare.sh does); also a new upstream WebSocket per
#      request, closed after the final message).
# The FastAPI service and the gateway under test share core 0. PROGRESS_INTERVAL_MS=0, 3 steps.
# Usage: bench/run_upstream_relay.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-1}
seconds=${2:-10}
app_port=${BENCH_APP_PORT:-8950}
sluice_port=${BENCH_SLUICE_PORT:-3950}

scripts/build.sh release sluice sluice-bench >/dev/null
PORT=$app_port PROGRESS_INTERVAL_MS=0 PROGRESS_STEPS=3 taskset -c 0 /usr/bin/python3 examples/upstream/app.py 2>/tmp/relay-app.log &
app=$!
sluice_per_request_port=$((sluice_port + 1))
export UPSTREAM_HEALTH_URL=http://127.0.0.1:$app_port/health
UPSTREAM_WS_URL=ws://127.0.0.1:$app_port/ws SLUICE_PORT=$sluice_port UPSTREAM_POOL_SIZE=64 \
  taskset -c 0 build/release/bin/sluice --config config/examples/websocket.yaml 2>/dev/null &
sluice=$!
UPSTREAM_WS_URL=ws://127.0.0.1:$app_port/ws SLUICE_PORT=$sluice_per_request_port \
  UPSTREAM_CONNECTIONS=per_request \
  taskset -c 0 build/release/bin/sluice --config config/examples/websocket.yaml 2>/dev/null &
sluice_per_request=$!
bridge_js=bench/peers/ws_bridge_server.js
bridge=
if [[ -d bench/peers/node_modules/ws ]]; then
  NODE_PATH=$PWD/bench/peers/node_modules UPSTREAM_WS_URL=ws://127.0.0.1:$app_port/ws CLOSE_UPSTREAM_ON_FINAL=1 \
    PORT=${BENCH_BRIDGE_PORT:-8951} taskset -c 0 node "$bridge_js" >/dev/null 2>&1 &
  bridge=$!
fi
trap 'kill $app $sluice $sluice_per_request $bridge 2>/dev/null; wait $app $sluice $sluice_per_request $bridge 2>/dev/null' EXIT
for _ in $(seq 200); do
  curl -fs "http://127.0.0.1:$app_port/health" >/dev/null && curl -fs "http://127.0.0.1:$sluice_port/readyz" >/dev/null && break
  sleep 0.05
done
bench() { taskset -c 1 build/release/bin/sluice-bench --protocol text --connections "$connections" \
  --duration "$seconds" --warmup 2 "$@"; }
echo "### direct to FastAPI /ws"
bench --url "ws://127.0.0.1:$app_port/ws" --pid "$app" | tee /tmp/relay-direct.txt
echo "### through Sluice (websocket upstream, pooled connections)"
bench --url "ws://127.0.0.1:$sluice_port/ws" --pid "$sluice" | tee /tmp/relay-sluice.txt
echo "### through Sluice (websocket upstream, a connection per request)"
bench --url "ws://127.0.0.1:$sluice_per_request_port/ws" --pid "$sluice_per_request" | tee /tmp/relay-sluice-per-request.txt
if [[ -n $bridge ]]; then
  echo "### through the Node ws bridge"
  bench --url "ws://127.0.0.1:${BENCH_BRIDGE_PORT:-8951}/ws" --pid "$bridge" | tee /tmp/relay-bridge.txt
fi
# Every request must have been answered by the service (3 progress frames and the final,
# give or take the one in flight at the end), not by the route's fallback (one frame).
for f in /tmp/relay-sluice.txt /tmp/relay-sluice-per-request.txt; do
  r=$(sed -n 's/^requests: \([0-9]*\).*/\1/p' "$f"); fr=$(sed -n 's/^frames received: \([0-9]*\).*/\1/p' "$f")
  [[ $fr -gt $((3 * r)) ]] || { echo "$f: $fr frames for $r requests (fallback answers?)" >&2; exit 1; }
done
p50() { sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' "$1"; }
p99() { sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' "$1"; }
ratio() { echo "p50 $(echo "scale=2; $(p50 "$1") / $(p50 "$2")" | bc)x, p99 $(echo "scale=2; $(p99 "$1") / $(p99 "$2")" | bc)x"; }
echo "### through Sluice (pooled) / direct: $(ratio /tmp/relay-sluice.txt /tmp/relay-direct.txt)"
echo "### through Sluice (per request) / direct: $(ratio /tmp/relay-sluice-per-request.txt /tmp/relay-direct.txt)"
if [[ -n $bridge ]]; then
  echo "### through Sluice (per request) / through the Node bridge (per request): $(ratio /tmp/relay-sluice-per-request.txt /tmp/relay-bridge.txt)"
  echo "### through Sluice (pooled) / through the Node bridge (per request): $(ratio /tmp/relay-sluice.txt /tmp/relay-bridge.txt)"
fi
