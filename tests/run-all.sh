#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this). Installs what it needs.
#   bash tests/run-all.sh            # everything CI runs
#   HAVEN_SKIP_BINDINGS=1 bash tests/run-all.sh   # Rust only (faster local loop)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; STEP_START=$(date +%s); }
done_step() { printf '    (%ss)\n' "$(( $(date +%s) - STEP_START ))"; }

step "preflight: what this suite needs (fails here, in seconds, naming what is missing)"
missing=()
need() { missing+=("$1"); echo "    missing: $1"; }
command -v cargo >/dev/null || need "cargo (install Rust with rustup: https://rustup.rs)"
command -v python3 >/dev/null || need "python3 (>= 3.9; the MSRV check and the Python binding)"
if ! command -v valgrind >/dev/null && [ "$(id -u)" != "0" ]; then
  need "valgrind (the instruction-count guard; Debian: apt-get install valgrind), or run as root so apt-get can install it"
fi
if [ "${HAVEN_SKIP_BINDINGS:-}" != "1" ]; then
  if command -v node >/dev/null; then
    node_major="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$node_major" -ge 20 ] || need "Node.js >= 20 (found $(node --version)) for the WASM tests and the VS Code extension"
  else
    need "Node.js >= 20 and npm (the WASM tests, the playground test, the VS Code extension)"
  fi
  command -v npm >/dev/null || need "npm (comes with Node.js)"
  python3 -c 'import venv, ensurepip' 2>/dev/null || need "the python3 venv module with ensurepip (Debian: apt-get install python3-venv)"
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ "$(id -u)" != "0" ]; then
    need "Chromium at /usr/bin/chromium (or set CHROMIUM), or run as root so apt-get can install it"
  fi
  for url in https://index.crates.io/config.json https://pypi.org/simple/maturin/ https://registry.npmjs.org/binaryen; do
    if ! python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=15)" "$url" 2>/dev/null; then
      need "network access to ${url%%/*}//$(echo "$url" | cut -d/ -f3) (crates, PyPI and npm packages are downloaded)"
    fi
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "error: cannot run the test suite: ${#missing[@]} requirement(s) missing (listed above)." >&2
  echo "       HAVEN_SKIP_BINDINGS=1 bash tests/run-all.sh runs the Rust part, which needs only cargo, python3 and valgrind." >&2
  exit 1
fi
done_step

step "toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo --version
done_step

step "minimum Rust version = what the locked dependencies need (HAVEN_MSRV_BUILD=1 also builds with it)"
python3 tests/msrv.py
done_step

step "format"
cargo fmt --all -- --check
done_step

step "clippy (workspace except the peer-engine benches, all targets, warnings denied)"
cargo clippy --workspace --exclude haven-peers --all-targets --quiet -- -D warnings
done_step

step "rust tests (core, modules, cli, conformance, policies, properties, doctests)"
cargo test --quiet
done_step

step "benches compile and run once"
if [ -d crates/haven-core/benches ]; then
  cargo test --quiet -p haven-core --benches
fi
done_step

step "instruction-count regression guard (callgrind against crates/haven-bench/baseline; fails above +10%)"
cargo test --quiet -p haven-bench
bash tests/instructions.sh
done_step

step "rustdoc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
done_step

if [ "${HAVEN_SKIP_BINDINGS:-}" = "1" ]; then
  echo "HAVEN_SKIP_BINDINGS=1: skipping the Python and WASM bindings and the VS Code extension"
else
  step "python binding"
  bash bindings/python/run-tests.sh
  done_step

  step "python binding on Spark (local[2], 20,000 generated history records)"
  bash bindings/python/run-spark-tests.sh
  done_step

  step "HTML audit report in headless Chromium (20,000 records)"
  bash tests/browser/run.sh
  done_step

  step "wasm binding and playground"
  bash bindings/wasm/run-tests.sh
  done_step

  step "VS Code extension (grammar tokenised by vscode-textmate, .vsix packaged by @vscode/vsce)"
  bash bindings/vscode/build.sh
  done_step
fi

echo
echo "all checks passed"
