#!/usr/bin/env bash
# Fan-out across a two-node cluster on this machine: node1 pinned to core 0,
# node2 and sluice-bench to core 1. The topic is one that node1 owns; the
# publisher is on node1. Measures, in one run:
#   1. K subscribers all on node1, versus the same K spread over node1 and node2
#      (deliveries/s, latency, CPU of both nodes per 1M deliveries);
#   2. one subscriber at a fixed rate on node1 (same node) versus on node2 (one
#      hop between nodes): the added latency of a cross-node delivery.
# Builds first. Usage: bench/run_cluster.sh [SUBSCRIBERS] [MESSAGES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:-1000}
messages=${2:-2000}
rate=${3:-1000}

scripts/build.sh release sluice sluice-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
start_node() {  # name core port cluster_port peer peer_cluster_port
  SLUICE_BENCH_PORT=$3 BENCH_NODE=$1 BENCH_CLUSTER_PORT=$4 BENCH_PEER=$5 BENCH_PEER_CLUSTER_PORT=$6 \
    taskset -c "$2" build/release/bin/sluice --config bench/sluice-cluster.yaml &
}
start_node node1 0 3911 7911 node2 7912
node1=$!
start_node node2 1 3912 7912 node1 7911
node2=$!
trap 'kill $node1 $node2 2>/dev/null; wait 2>/dev/null' EXIT
for port in 3911 3912; do
  for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$port/api/cluster" | grep -q '"up":2' && break
    sleep 0.05
  done
done
# A topic that node1 owns (rendezvous hashing picks the owner by name).
topic=
for i in $(seq 0 50); do
  curl -fs -X POST "http://127.0.0.1:3911/api/publish" -H 'Content-Type: application/json' \
    -d "{\"topic\":\"bench-$i\",\"data\":0}" >/dev/null
  if curl -fs "http://127.0.0.1:3911/api/topics/bench-$i" | grep -q '"owner":"node1"'; then
    topic=bench-$i
    break
  fi
done
[ -n "$topic" ] || { echo "no topic owned by node1 found" >&2; exit 1; }
bench() { taskset -c 1 build/release/bin/sluice-bench fanout --url ws://127.0.0.1:3911/ws \
  --topic "$topic" --pid "$node1" --pid "$node2" "$@"; }

echo "== fan-out: $subscribers subscribers on node1 (1 node)"
bench --subscribers "$subscribers" --messages "$messages"
echo "== fan-out: $subscribers subscribers spread over node1 and node2 (2 nodes)"
bench --subscribers "$subscribers" --messages "$messages" \
  --sub-url ws://127.0.0.1:3911/ws --sub-url ws://127.0.0.1:3912/ws
echo "== latency: 1 subscriber on node1 (same node), $rate msgs/s"
bench --subscribers 1 --messages $((rate * 5)) --rate "$rate"
echo "== latency: 1 subscriber on node2 (across nodes), $rate msgs/s"
bench --subscribers 1 --messages $((rate * 5)) --rate "$rate" --sub-url ws://127.0.0.1:3912/ws
