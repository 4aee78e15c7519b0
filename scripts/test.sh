#!/usr/bin/env bash
# Installs what is missing, builds Sluice twice (release, and AddressSanitizer +
# UBSan) and runs every test against both: unit tests and integration tests
# that drive the real binary with real clients. Then fuzzes the decoders and
# the config loader for a bounded time (scripts/fuzz.sh). First of all, checks
# that the docs and the code name the same things (scripts/check-docs.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
# Each phase says when it starts, in seconds since the start, to show where the time goes.
phase() { echo "== $* (at ${SECONDS} s)"; }
phase "docs check"
scripts/check-docs.py || status=1
for flavour in release asan; do
  phase "$flavour build"
  scripts/build.sh "$flavour" >/dev/null
  phase "$flavour tests"
  ctest --test-dir "build/$flavour" --output-on-failure -j 2 || status=1
done
phase "fuzzing (${SLUICE_FUZZ_SECONDS:-12} s per target)"
scripts/fuzz.sh "${SLUICE_FUZZ_SECONDS:-12}" || status=1
phase "done"
if ((status)); then
  echo "FAILED: see the test output above" >&2
fi
exit $status
