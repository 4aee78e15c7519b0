#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (into build/fuzz) and runs each for
# SECONDS (default 20) from its seed corpus in tests/fuzz/corpus/<name>.
# New inputs go to a scratch copy; a crash fails the run and leaves the input
# in build/fuzz/crashes/ (add it to the corpus and a regression test).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
jobs=${SLUICE_BUILD_JOBS:-2}
targets=(protocol http_api sse websocket_frames config jwt)

cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DSLUICE_FUZZ=ON -DSLUICE_TESTS=OFF \
  "-DCMAKE_UNITY_BUILD=${SLUICE_UNITY:-ON}" >/dev/null
cmake --build build/fuzz -j "$jobs" --target "${targets[@]/%/_fuzz}" >/dev/null

mkdir -p build/fuzz/crashes
for t in "${targets[@]}"; do
  scratch=$(mktemp -d)
  cp tests/fuzz/corpus/"$t"/* "$scratch"/
  echo "== fuzz $t for ${seconds}s"
  if ! build/fuzz/tests/fuzz/"${t}_fuzz" -max_total_time="$seconds" -max_len=4096 \
      -artifact_prefix=build/fuzz/crashes/"$t"- -print_final_stats=0 "$scratch" \
      > build/fuzz/"$t".log 2>&1; then
    tail -40 build/fuzz/"$t".log
    rm -rf "$scratch"
    exit 1
  fi
  grep -E "^Done [0-9]+ runs" build/fuzz/"$t".log || tail -1 build/fuzz/"$t".log
  rm -rf "$scratch"
done
