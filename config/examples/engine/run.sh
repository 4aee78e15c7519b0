#!/usr/bin/env bash
# The engine example on one machine: three NATS servers with JetStream (one
# cluster, on loopback) and two Sluice nodes whose topics live there.
#   config/examples/engine/run.sh            # Ctrl-C stops everything
# Then, in another terminal:
#   curl -s localhost:3101/readyz                                   # "engine": {"state":"connected",…}
#   curl -s -XPOST localhost:3101/api/publish -d '{"topic":"room.demo","data":"hi"}'
#   curl -s localhost:3102/api/topics/room.demo/history             # the same message, on node 2
# NATS keeps its streams under $NATS_DATA (default /tmp/sluice-engine-nats),
# so history survives a restart of everything. Needs nats-server (Debian's
# package; scripts/install-deps.sh installs it) and a release build.
set -euo pipefail
cd "$(dirname "$0")/../../.."
SLUICE=${SLUICE_BIN:-build/release/bin/sluice}
NATS_DATA=${NATS_DATA:-/tmp/sluice-engine-nats}
[[ -x $SLUICE ]] || scripts/build.sh release >/dev/null
command -v nats-server >/dev/null || PATH=$PATH:/usr/sbin

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for i in 1 2 3; do
  routes=()
  for j in 1 2 3; do [[ $j == "$i" ]] || routes+=("nats://127.0.0.1:622$j"); done
  nats-server -n "n$i" -a 127.0.0.1 -p "422$i" -m "822$i" -js -sd "$NATS_DATA/n$i" \
    --cluster_name sluice-engine --cluster "nats://127.0.0.1:622$i" \
    --routes "$(IFS=,; echo "${routes[*]}")" &
  pids+=($!)
done
# JetStream is ready once every server says so.
for i in 1 2 3; do
  until curl -fsS "http://127.0.0.1:822$i/healthz" >/dev/null 2>&1; do sleep 0.2; done
done
for n in 1 2; do
  "$SLUICE" --config "config/examples/engine/node$n.yaml" &
  pids+=($!)
done
wait -n
