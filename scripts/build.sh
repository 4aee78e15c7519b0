#!/usr/bin/env bash
# Configures and builds Sluice into build/<flavour>:
#   scripts/build.sh release [target…]   optimized build (default)
#   scripts/build.sh asan [target…]      AddressSanitizer + UndefinedBehaviorSanitizer build
# SLUICE_BUILD_JOBS (default 2) compiler runs at once; SLUICE_UNITY=OFF: one per source file.
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=${1:-release}
shift || true
case "$flavour" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  # -O1 -g1 (line tables: enough for symbolized reports) compiles in half the
  # time of -O2 -g; sluice-bench is left out (tests use the release one).
  asan) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=ON
               "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DSLUICE_BENCH_TOOLS=OFF) ;;
  *) echo "usage: scripts/build.sh [release|asan] [target…]" >&2; exit 2 ;;
esac

jobs=${SLUICE_BUILD_JOBS:-2}
# Unity build (several sources per compiler run): a clean build takes about a
# third of the time, since CAF's and Beast's headers are parsed once per batch
# instead of once per file. SLUICE_UNITY=OFF rebuilds less after a small edit.
flags+=("-DCMAKE_UNITY_BUILD=${SLUICE_UNITY:-ON}")
# Ninja keeps both cores busy across targets (make waits for a library before
# compiling what links it); a build directory keeps the generator it was made with.
if [[ ! -f "build/$flavour/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
  flags+=(-G Ninja)
fi
cmake -S . -B "build/$flavour" "${flags[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "build/$flavour" -j "$jobs" "${targets[@]}"
