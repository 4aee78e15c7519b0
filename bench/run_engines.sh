#!/usr/bin/env bash
# What each way of scaling out costs, side by side in one run (docs/engine.md):
#   memory     one Sluice node;
#   cluster    two Sluice nodes in a CAF cluster (the publisher on the topic's owner);
#   nats-r1    two Sluice nodes, topics in JetStream on one nats-server;
#   nats-r3    two Sluice nodes, topics in JetStream on three nats-servers (R3 streams).
# For each: fan-out to SUBSCRIBERS spread over the nodes (deliveries/s, CPU-s of every
# server process, NATS included, per 1M deliveries), and publish -> deliver latency of
# one subscriber on the other node at RATE messages/s (p50/p99; on one node for memory).
# Sluice nodes on core 0, NATS servers on core 0, sluice-bench on core 1.
# Usage: bench/run_engines.sh [SUBSCRIBERS] [MESSAGES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:-100}
messages=${2:-20000}
rate=${3:-1000}
scripts/build.sh release sluice sluice-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
export SLUICE_UNITY=${SLUICE_UNITY:-OFF}  # keeps an existing build directory as it is
export PATH=$PATH:/usr/sbin
work=$(mktemp -d)
pids=()
stop_all() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=(); }
trap 'stop_all; rm -rf "$work"' EXIT

wait_http() { for _ in $(seq 300); do curl -fs "$1" 2>/dev/null | grep -q "$2" && return; sleep 0.05; done
  echo "timed out waiting for $1" >&2; exit 1; }
sluice_node() {  # port config [env...]
  local port=$1 config=$2; shift 2
  env SLUICE_BENCH_PORT="$port" "$@" taskset -c 0 build/release/bin/sluice --config "$config" &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/healthz" ok
}
nats_servers() {  # count
  local n=$1 routes
  for i in $(seq "$n"); do
    routes=$(for j in $(seq "$n"); do [[ $j == "$i" ]] || printf 'nats://127.0.0.1:%s,' $((6250 + j)); done)
    local cluster=()
    ((n > 1)) && cluster=(--cluster_name bench --cluster "nats://127.0.0.1:$((6250 + i))" --routes "${routes%,}")
    taskset -c 0 nats-server -n "b$i" -a 127.0.0.1 -p $((4250 + i)) -m $((8250 + i)) -js -sd "$work/n$i" \
      "${cluster[@]}" >/dev/null 2>&1 &
    pids+=($!)
  done
  for i in $(seq "$n"); do wait_http "http://127.0.0.1:$((8250 + i))/healthz" ok; done
}
bench() { taskset -c 1 build/release/bin/sluice-bench fanout "$@" $(for p in "${pids[@]}"; do echo --pid "$p"; done); }
# Publishes until the topic answers (an R3 stream needs its leader first).
first_publish() { for _ in $(seq 100); do
  curl -fs -XPOST "http://127.0.0.1:$1/api/publish" -d "{\"topic\":\"$2\",\"data\":0}" >/dev/null && return
  sleep 0.1; done; echo "no answer from $2" >&2; exit 1; }
run() {  # label topic publisher_url other_url
  echo "== $1: fan-out, $subscribers subscribers spread over the nodes"
  bench --url "$3" --topic "$2" --subscribers "$subscribers" --messages "$messages" \
    --sub-url "$3" --sub-url "$4"
  echo "== $1: latency, 1 subscriber on the other node, $rate msgs/s"
  bench --url "$3" --topic "$2" --subscribers 1 --messages $((rate * 5)) --rate "$rate" --sub-url "$4"
}

sluice_node 3931 bench/sluice-fanout.yaml
first_publish 3931 bench
run memory bench ws://127.0.0.1:3931/ws ws://127.0.0.1:3931/ws
stop_all

sluice_node 3931 bench/sluice-cluster.yaml BENCH_NODE=node1 BENCH_CLUSTER_PORT=7931 BENCH_PEER=node2 BENCH_PEER_CLUSTER_PORT=7932
sluice_node 3932 bench/sluice-cluster.yaml BENCH_NODE=node2 BENCH_CLUSTER_PORT=7932 BENCH_PEER=node1 BENCH_PEER_CLUSTER_PORT=7931
wait_http http://127.0.0.1:3931/api/cluster '"up":2'
topic=
for i in $(seq 0 50); do  # a topic node1 owns, so that the publisher is on the owner
  first_publish 3931 "bench-$i"
  if curl -fs "http://127.0.0.1:3931/api/topics/bench-$i" | grep -q '"owner":"node1"'; then
    topic=bench-$i; break
  fi
done
[[ -n $topic ]] || { echo "no topic owned by node1" >&2; exit 1; }
run cluster "$topic" ws://127.0.0.1:3931/ws ws://127.0.0.1:3932/ws
stop_all

for replicas in 1 3; do
  nats_servers "$replicas"
  servers=$(for i in $(seq "$replicas"); do printf 'nats://127.0.0.1:%s,' $((4250 + i)); done)
  for port in 3931 3932; do
    sluice_node "$port" bench/sluice-engine.yaml BENCH_NATS_SERVERS="$servers" BENCH_NATS_REPLICAS="$replicas"
  done
  first_publish 3931 bench
  run "nats-r$replicas" bench ws://127.0.0.1:3931/ws ws://127.0.0.1:3932/ws
  stop_all
  rm -rf "$work"/n*
done
