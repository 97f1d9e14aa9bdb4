#!/usr/bin/env bash
# Every engine figure of BENCHMARKS.md, in one command (see "Reproduce" there):
#   1. cargo bench -p haven-core                 criterion timings + allocation counts, ratio tables
#   2. cargo bench -p haven-peers --bench peers  haven beside Cedar, regorus and zen (equivalence first)
#   3. bash tests/instructions.sh                instruction counts against the committed baseline
# The machine's load average is printed before and after: figures are only comparable as ratios
# within one run, and the load says how noisy the run was.
# The peer engines build with the release profile (not `bench`), so the build is shared with
# `cargo test --release -p haven-peers` (the equivalence test): zen-engine alone takes ~12 min
# on 2 cores, and the two profiles differ only in line tables.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load before: $(uptime)"
cargo bench -p haven-core
cargo bench --profile release -p haven-peers --bench peers
bash tests/instructions.sh
echo "load after: $(uptime)"
echo "ratio tables: target/criterion/haven-ratios.md, target/criterion/peers-ratios.md"
