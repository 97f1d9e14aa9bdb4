#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this). Installs what it needs.
#   bash tests/run-all.sh            # everything CI runs
#   HAVEN_SKIP_BINDINGS=1 bash tests/run-all.sh   # Rust only (faster local loop)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; STEP_START=$(date +%s); }
done_step() { printf '    (%ss)\n' "$(( $(date +%s) - STEP_START ))"; }

step "toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo --version
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

step "rustdoc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
done_step

if [ "${HAVEN_SKIP_BINDINGS:-}" = "1" ]; then
  echo "HAVEN_SKIP_BINDINGS=1: skipping the Python and WASM bindings and the VS Code extension"
else
  step "python binding"
  bash bindings/python/run-tests.sh
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
