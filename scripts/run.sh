#!/usr/bin/env bash
# Installs what is missing, builds Sluice and runs it. Without arguments it
# serves its embedded default configuration on port 3000; arguments are passed
# to sluice (e.g. scripts/run.sh --config config/sluice.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release sluice >/dev/null
echo "sluice: ws://localhost:3000/ws (try: node_modules/.bin/wscat -c ws://localhost:3000/ws)" >&2
exec build/release/bin/sluice "$@"
