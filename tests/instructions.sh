#!/usr/bin/env bash
# Instruction-count regression guard (crates/haven-bench; see BENCHMARKS.md, "Regression guard").
# Runs haven's hot paths under valgrind's callgrind and compares the instructions they execute
# with the committed baseline crates/haven-bench/baseline/instructions.json; fails if any path
# executes more than 10% more. Load-independent: the counts do not depend on what else runs.
#   bash tests/instructions.sh                            # check (CI runs this)
#   HAVEN_UPDATE_BASELINE=1 bash tests/instructions.sh    # re-record the baseline, then commit it
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" != "0" ]; then
    echo "error: valgrind is missing; install it (Debian: apt-get install -y valgrind)" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends valgrind
fi

# The counts are of optimised code: the release profile, as users run haven.
cargo build --release --quiet -p haven-bench
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
"$target_dir/release/haven-instructions"
