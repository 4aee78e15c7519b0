#!/usr/bin/env bash
# Idle subscribed connections beyond one process's open-file limit: P Sluice
# processes on this machine (bench/sluice-fanout.yaml, ports 3910..), each held by
# its own sluice-bench idle client with N connections, all open at the same time.
# Prints each server's RSS per connection and the total. One process cannot hold
# more connections than its hard open-file limit (`ulimit -Hn`) allows.
# Usage: bench/idle_many.sh PROCESSES CONNECTIONS_PER_PROCESS
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${1:-6}
per=${2:-17000}
scripts/build.sh release sluice sluice-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
out=$(mktemp -d)
servers=()
trap 'kill "${servers[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$out"' EXIT
for i in $(seq 0 $((processes - 1))); do
  SLUICE_BENCH_PORT=$((3910 + i)) build/release/bin/sluice --config bench/sluice-fanout.yaml \
    2>"$out/sluice-$i.log" &
  servers+=($!)
done
for i in $(seq 0 $((processes - 1))); do
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$((3910 + i))/readyz" >/dev/null && break; sleep 0.05; done
done
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
base=0
for pid in "${servers[@]}"; do base=$((base + $(rss_kib "$pid"))); done
# Each client holds its connections long enough for the last one to open its own.
hold=$((processes * per / 2000 + 30))
clients=()
for i in $(seq 0 $((processes - 1))); do
  build/release/bin/sluice-bench idle --url "ws://127.0.0.1:$((3910 + i))/ws" --connections "$per" \
    --settle 3 --hold "$hold" --pid "${servers[$i]}" >"$out/idle-$i.txt" 2>&1 &
  clients+=($!)
done
sleep $((hold / 2))
total=0
rss=0
for i in $(seq 0 $((processes - 1))); do
  open=$(curl -fs "http://127.0.0.1:$((3910 + i))/metrics" | sed -n 's/^sluice_connections_open \([0-9]*\).*/\1/p')
  kib=$(rss_kib "${servers[$i]}")
  echo "server $i (pid ${servers[$i]}): $open connections open, RSS $((kib / 1024)) MiB"
  total=$((total + open))
  rss=$((rss + kib))
done
echo "all at once: $total connections open in $processes processes, RSS $((rss / 1024)) MiB in all" \
  "($((base / 1024)) MiB before the clients): $(echo "scale=2; ($rss - $base) / $total" | bc) KiB per connection"
status=0
for i in $(seq 0 $((processes - 1))); do
  wait "${clients[$i]}" || status=1
  echo "client $i: $(tr '\n' ' ' <"$out/idle-$i.txt")"
done
exit $status
