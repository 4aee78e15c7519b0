#!/usr/bin/env bash
# Installs what Sluice needs to build, run and test on Debian 12: the Debian
# packages that are missing (Chromium among them, for the browser tests), and
# the npm test clients (wscat, ws, playwright-core) locally in node_modules/ of
# the repository. Idempotent; prints nothing when all is there.
#   scripts/install-deps.sh           build + test dependencies
#   scripts/install-deps.sh --runtime only what building and running needs
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(
  g++ cmake make ninja-build pkg-config ca-certificates
  libcaf-dev libboost1.81-dev libyaml-cpp-dev libsimdjson-dev libssl-dev libnats-dev
)
test_packages=(
  libgtest-dev libgmock-dev python3 python3-websockets python3-fastapi python3-uvicorn
  python3-jwt python3-cryptography python3-yaml openssl
  curl nodejs npm clang libclang-rt-14-dev chromium nats-server
)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--runtime" ]] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  # nodejs/npm may come from elsewhere (a newer Node on PATH is fine).
  if [[ "$p" == nodejs || "$p" == npm ]] && command -v "${p/nodejs/node}" >/dev/null; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" != "--runtime" ]]; then
  # npm test clients live in the repository, never globally.
  if [[ ! -x node_modules/.bin/wscat || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "install-deps: installing npm test clients (wscat, ws, playwright-core) into node_modules/"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
