#!/usr/bin/env bash
# Side by side, in one run, on loopback: Sluice against nats-server (WebSocket
# listener), mosquitto (MQTT over WebSocket) and a Node `ws` + Express
# broadcast server, all driven by the same C++ client (sluice-bench), plus the
# relay comparison against a direct connection and a Node `ws` bridge
# (bench/run_upstream_relay.sh). Each server is pinned to core 0 (nats-server
# with GOMAXPROCS=1), the client to core 1.
#
# Installs what is missing (Debian: nats-server mosquitto; npm: ws express in
# bench/peers), builds Sluice, runs every workload, and writes the table and
# the raw output between the markers in bench/RESULTS.md.
#
# Usage: bench/compare.sh            (full sizes; about 10 minutes)
#        QUICK=1 bench/compare.sh    (smaller runs, to check the script)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
quick=${QUICK:-0}
fan_msgs_100=$([[ $quick == 1 ]] && echo 2000 || echo 50000)
fan_msgs_1000=$([[ $quick == 1 ]] && echo 300 || echo 5000)
fan_msgs_rate=$([[ $quick == 1 ]] && echo 1000 || echo 5000)
idle_conns=$([[ $quick == 1 ]] && echo 1000 || echo 10000)
flood_msgs=$([[ $quick == 1 ]] && echo 100000 || echo 1000000)
relay_seconds=$([[ $quick == 1 ]] && echo 3 || echo 10)

scripts/install-deps.sh
missing=()
for p in nats-server mosquitto; do command -v "$p" >/dev/null || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
(cd bench/peers && [[ -d node_modules/express ]] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
scripts/build.sh release sluice sluice-bench >/dev/null
ulimit -n "$(ulimit -Hn)"

out=$(mktemp -d)
bench=build/release/bin/sluice-bench
server_pid=
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  sleep 0.5
}
trap stop_server EXIT

# start_server NAME: starts one server on core 0 and waits for its port.
start_server() {
  case $1 in
    sluice | sluice-batch)
      SLUICE_BENCH_PORT=3900 taskset -c 0 build/release/bin/sluice --config bench/sluice-fanout.yaml 2>"$out/sluice.log" &
      port=3900 ;;
    nats)
      GOMAXPROCS=1 taskset -c 0 nats-server -c bench/peers/conf/nats-ws.conf 2>"$out/nats.log" &
      port=8443 ;;
    mosquitto)
      taskset -c 0 mosquitto -c bench/peers/conf/mosquitto-ws.conf 2>"$out/mosquitto.log" &
      port=9001 ;;
    node)
      NODE_PATH=$repo/bench/peers/node_modules PORT=8080 taskset -c 0 node bench/peers/ws_broadcast_server.js >"$out/node.log" 2>&1 &
      port=8080 ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "$1 did not start" >&2
  exit 1
}
url_of() {
  case $1 in
    sluice) echo "--proto sluice --url ws://127.0.0.1:3900/ws" ;;
    sluice-batch) echo "--proto sluice-batch --url ws://127.0.0.1:3900/ws" ;;
    nats) echo "--proto nats --url ws://127.0.0.1:8443/" ;;
    mosquitto) echo "--proto mqtt --url ws://127.0.0.1:9001/" ;;
    node) echo "--proto json --url ws://127.0.0.1:8080/ws" ;;
  esac
}
# run NAME MODE ARGS...: one workload against a freshly started server.
run() {
  local name=$1 mode=$2
  shift 2
  start_server "$name"
  echo "### $name $mode $*" | tee -a "$out/raw.txt"
  # shellcheck disable=SC2046
  taskset -c 1 "$bench" "$mode" $(url_of "$name") --pid "$server_pid" "$@" \
    | tee "$out/$name-$mode-$*.txt" | tee -a "$out/raw.txt" || echo "(failed)" | tee -a "$out/raw.txt"
  stop_server
}

servers=(sluice nats mosquitto node)
# sluice-batch: Sluice with multi-event frames (subscribe "batch": true).
for s in sluice-batch "${servers[@]}"; do run "$s" fanout --subscribers 100 --messages "$fan_msgs_100"; done
for s in sluice-batch "${servers[@]}"; do run "$s" fanout --subscribers 1000 --messages "$fan_msgs_1000"; done
# The same work for every server: a fixed rate, below what any of them needs a
# whole core for, so that no server's batches grow with its backlog.
for s in "${servers[@]}"; do run "$s" fanout --subscribers 100 --messages "$fan_msgs_rate" --rate 1000; done
for s in "${servers[@]}"; do run "$s" fanout --subscribers 1000 --messages "$((fan_msgs_rate / 5))" --rate 100; done
for s in "${servers[@]}"; do run "$s" idle --connections "$idle_conns"; done
for s in sluice node; do run "$s" flood --messages "$flood_msgs"; done
for c in 1 20; do
  echo "### relay, $c concurrent clients" | tee -a "$out/raw.txt"
  bench/run_upstream_relay.sh "$c" "$relay_seconds" | tee "$out/relay-$c.txt" | tee -a "$out/raw.txt"
done

# The table: one row per workload, one column per server, ratios against Sluice.
field() { sed -n "$2" "$out/$1" 2>/dev/null | head -1; }
cpu_per_m() { field "$1-fanout-$2.txt" 's/.*, \([0-9.]*\) s per 1M deliveries/\1/p'; }
rate() { field "$1-fanout-$2.txt" 's/.*: \([0-9]*\) deliveries\/s/\1/p'; }
kib() { field "$1-idle-$2.txt" 's/.*: \([0-9.]*\) KiB per connection/\1/p'; }
peak() { field "$1-flood-$2.txt" 's/.*(+\([0-9.]*\) MiB).*/\1/p'; }
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3g", a / b }' || echo "?"; }
relay() { field "relay-$1.txt" "s/^$2.*$3 \\([0-9.]*\\).*/\\1/p"; }
{
  echo "Run on $(date -u +%Y-%m-%d) with \`bench/compare.sh\`; $(nproc) cores, $(uname -r)."
  echo
  echo "| workload | Sluice | nats-server | mosquitto | Node ws | Sluice / nats | Sluice / mosquitto | Sluice / Node |"
  echo "|---|---|---|---|---|---|---|---|"
  for k in "100 --messages $fan_msgs_100" "1000 --messages $fan_msgs_1000"; do
    args="--subscribers $k"
    n=${k%% *}
    s=$(cpu_per_m sluice "$args"); a=$(cpu_per_m nats "$args"); m=$(cpu_per_m mosquitto "$args"); j=$(cpu_per_m node "$args")
    echo "| fan-out 1 x $n: server CPU-s per 1M deliveries (lower is better) | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
    s=$(rate sluice "$args"); a=$(rate nats "$args"); m=$(rate mosquitto "$args"); j=$(rate node "$args")
    echo "| fan-out 1 x $n: deliveries/s | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
    s=$(cpu_per_m sluice-batch "$args"); a=$(cpu_per_m nats "$args"); m=$(cpu_per_m mosquitto "$args"); j=$(cpu_per_m node "$args")
    echo "| fan-out 1 x $n, Sluice with multi-event frames: server CPU-s per 1M deliveries | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
    s=$(rate sluice-batch "$args"); a=$(rate nats "$args"); m=$(rate mosquitto "$args"); j=$(rate node "$args")
    echo "| fan-out 1 x $n, Sluice with multi-event frames: deliveries/s | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
  done
  args="--subscribers 100 --messages $fan_msgs_rate --rate 1000"
  s=$(cpu_per_m sluice "$args"); a=$(cpu_per_m nats "$args"); m=$(cpu_per_m mosquitto "$args"); j=$(cpu_per_m node "$args")
  echo "| fan-out 1 x 100 at a fixed 1 000 messages/s (100 000 deliveries/s), one event per frame: server CPU-s per 1M deliveries | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
  args="--subscribers 1000 --messages $((fan_msgs_rate / 5)) --rate 100"
  s=$(cpu_per_m sluice "$args"); a=$(cpu_per_m nats "$args"); m=$(cpu_per_m mosquitto "$args"); j=$(cpu_per_m node "$args")
  echo "| fan-out 1 x 1000 at a fixed 100 messages/s (100 000 deliveries/s), one event per frame: server CPU-s per 1M deliveries | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
  args="--connections $idle_conns"
  s=$(kib sluice "$args"); a=$(kib nats "$args"); m=$(kib mosquitto "$args"); j=$(kib node "$args")
  echo "| idle: KiB per subscribed connection at $idle_conns (lower is better) | $s | $a | $m | $j | $(ratio "$s" "$a") | $(ratio "$s" "$m") | $(ratio "$s" "$j") |"
  args="--messages $flood_msgs"
  s=$(peak sluice "$args"); j=$(peak node "$args")
  echo "| flood: server RSS growth (MiB) with one client that never reads, $flood_msgs messages | $s | - | - | $j | - | - | $(ratio "$s" "$j") |"
  echo
  echo "| relay (FastAPI upstream, request -> final) | clients | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  for c in 1 20; do
    for leg in "direct to FastAPI" "through Sluice (websocket upstream, pooled" "through Sluice (websocket upstream, a connection" "through the Node ws bridge"; do
      f="$out/relay-$c.txt"
      block=$(awk -v leg="### $leg" 'index($0, leg) == 1 {on=1; next} /^###/ {on=0} on' "$f")
      rps=$(sed -n 's/.*(\([0-9]*\) req\/s).*/\1/p' <<<"$block")
      p50=$(sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' <<<"$block")
      p99=$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$block")
      echo "| ${leg#through } | $c | $rps | $p50 | $p99 |"
    done
  done
} >"$out/table.md"
cat "$out/table.md"

# Into bench/RESULTS.md, between the markers.
begin='<!-- compare.sh: begin -->'
end='<!-- compare.sh: end -->'
{
  sed "/$begin/q" bench/RESULTS.md
  cat "$out/table.md"
  echo
  echo '<details><summary>Raw output of that run</summary>'
  echo
  echo '```'
  cat "$out/raw.txt"
  echo '```'
  echo
  echo '</details>'
  sed -n "/$end/,\$p" bench/RESULTS.md
} >"$out/RESULTS.md"
mv "$out/RESULTS.md" bench/RESULTS.md
echo "bench/RESULTS.md updated (raw output also in $out)"
