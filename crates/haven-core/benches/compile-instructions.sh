#!/usr/bin/env bash
# Instructions executed by one `Policy::compile` of each school policy, uncached, with a cold
# module cache and with a warm one: load-independent figures for BENCHMARKS.md (the machine
# is shared, so times move between runs; instruction counts do not).
#
#   crates/haven-core/benches/compile-instructions.sh [ENGINE_BENCH_BINARY]
#
# Runs the criterion bench binary in test mode (each benchmark once) under callgrind,
# counting only inside `haven_core::Policy::compile`, and subtracts a run that selects no
# benchmark (which still makes the set-up compiles). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin=${1:-}
if [[ -z $bin ]]; then
    bin=$(cargo bench -p haven-core --bench engine --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "engine" and m.get("executable"):
        print(m["executable"])')
fi
tmp=$(mktemp -d)
count() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" \
        --toggle-collect='haven_core::Policy::compile*' "$bin" "$1" >/dev/null 2>"$tmp/err"
    grep -E '^(summary|totals):' "$tmp/out" | head -1 | awk '{print $2}'
}
none=$(count 'select_no_benchmark')
printf '| school | uncached | cache cold | cache warm | warm / cold |\n|---|---:|---:|---:|---:|\n'
for s in kingsbury_2019 basnett_2024 kenilworth_2022 thornton_2021 dukestreet_2023; do
    u=$(($(count "compile/$s\$") - none))
    c=$(($(count "compile/cold/$s") - none))
    w=$(($(count "compile/warm/$s") - none))
    awk -v s="$s" -v u="$u" -v c="$c" -v w="$w" \
        'BEGIN { printf "| %s | %.1f M | %.1f M | %.1f M | %.2fx |\n", s, u/1e6, c/1e6, w/1e6, w/c }'
done
rm -rf "$tmp"
