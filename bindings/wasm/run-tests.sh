#!/usr/bin/env bash
# Build the WASM packages, run the Node tests, then the playground end-to-end test in headless
# Debian Chromium (installed with apt only when /usr/bin/chromium is missing; never a browser
# download). Screenshots go to test-output/.
#   bash bindings/wasm/run-tests.sh            # everything
#   SKIP_BUILD=1 bash bindings/wasm/run-tests.sh   # reuse pkg-node/ and pkg-web/
#   HAVEN_WASM_NODE_OPT=3 bash bindings/wasm/run-tests.sh   # pkg-node built for speed, as build.sh does
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

step() { printf '\n== %s\n' "$*"; }

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  # One build by default (pkg-node = the opt-level "z" module, same code): the speed build
  # of pkg-node costs a second LTO build and minutes of wasm-opt. HAVEN_WASM_NODE_OPT=3
  # tests the Node package exactly as build.sh makes it by default.
  HAVEN_WASM_NODE_OPT="${HAVEN_WASM_NODE_OPT:-z}" bash ./build.sh
fi

step "cargo test -p haven-wasm (envelope, native)"
(cd ../.. && cargo test -p haven-wasm --quiet)

step "haven CLI (for the --today agreement test)"
(cd ../.. && cargo build -q -p haven-cli)
# The binary just built, never a stale one elsewhere in target/.
export HAVEN_BIN="$(cd ../.. && pwd)/target/debug/haven"

step "node --test (API, error paths, TypeScript types)"
node --test --test-reporter=spec test/*.test.cjs test/*.test.mjs

step "chromium"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "error: $chromium is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
"$chromium" --version

step "playground end-to-end (playwright-core + $chromium)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
log="$(mktemp)"
python3 -m http.server "$port" --bind 127.0.0.1 --directory playground >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
mkdir -p test-output
HAVEN_PLAYGROUND_URL="http://127.0.0.1:$port/" CHROMIUM="$chromium" \
  node --test --test-reporter=spec test/e2e/playground.e2e.mjs
echo "screenshots: $here/test-output/"
ls -1 test-output/*.png
