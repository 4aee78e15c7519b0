#!/usr/bin/env bash
# A/B of Sluice binaries on the relay path: one example FastAPI service (core 0),
# then each binary in turn on core 0 with pooled upstream connections, driven by
# sluice-bench on core 1; ROUNDS rounds, alternating, so that drift of the
# machine's speed hits every binary alike. Prints req/s, p50 and the gateway's CPU
# per 1M requests per run.
# Usage: bench/relay_ab.sh CLIENTS SECONDS ROUNDS BINARY...
set -euo pipefail
cd "$(dirname "$0")/.."
clients=$1 seconds=$2 rounds=$3
shift 3
app_port=${BENCH_APP_PORT:-8970}
sluice_port=${BENCH_SLUICE_PORT:-3980}
scripts/build.sh release sluice-bench >/dev/null
PORT=$app_port PROGRESS_INTERVAL_MS=0 PROGRESS_STEPS=3 taskset -c 0 /usr/bin/python3 examples/upstream/app.py 2>/dev/null &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null' EXIT
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$app_port/health" >/dev/null && break; sleep 0.05; done
for _ in $(seq "$rounds"); do
  for binary in "$@"; do
    UPSTREAM_HEALTH_URL=http://127.0.0.1:$app_port/health UPSTREAM_WS_URL=ws://127.0.0.1:$app_port/ws \
      SLUICE_PORT=$sluice_port UPSTREAM_POOL_SIZE=64 \
      taskset -c 0 "$binary" --config config/examples/websocket.yaml 2>/dev/null &
    sluice=$!
    for _ in $(seq 200); do curl -fs "http://127.0.0.1:$sluice_port/readyz" >/dev/null && break; sleep 0.05; done
    out=$(taskset -c 1 build/release/bin/sluice-bench --protocol text --connections "$clients" \
      --duration "$seconds" --warmup 1 --url "ws://127.0.0.1:$sluice_port/ws" --pid "$sluice")
    echo "$binary: $(sed -n 's/^requests: [0-9]* (\([0-9]*\) req\/s).*/\1 req\/s/p' <<<"$out")," \
      "p50 $(sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' <<<"$out") ms," \
      "$(sed -n 's/.*, \([0-9.]*\) s per 1M.*/\1/p' <<<"$out") CPU-s per 1M requests"
    kill "$sluice"
    wait "$sluice" 2>/dev/null || true
  done
done
