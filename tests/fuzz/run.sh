#!/usr/bin/env bash
# Run every fuzz target in turn (not part of CI). Installs cargo-fuzz if missing and seeds
# each corpus from policies/, the test cases and the scenarios.
#   bash tests/fuzz/run.sh              # 60 s per target
#   bash tests/fuzz/run.sh 600          # 600 s per target
#   RUNS=10000000 bash tests/fuzz/run.sh  # stop each target after 10M executions instead
#   TARGETS="parse_any fmt_roundtrip" bash tests/fuzz/run.sh 120
#   MAX_LEN=4096 bash tests/fuzz/run.sh   # longest input tried (default 1024 bytes)
# No sanitizer (-s none): the workspace forbids `unsafe`, and ASan would make runs ~5x slower.
# Crashes land in tests/fuzz/artifacts/<target>/; turn each into a regression case under
# tests/cases/ (see tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
TARGETS="${TARGETS:-parse_any check_any eval_json fmt_roundtrip}"
REPO="$(cd ../.. && pwd)"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal

seed() {
  local dir="corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$dir/$(basename "$(dirname "$f")")_$(basename "$f")"
  done
  return 0
}

policies=$(find "$REPO/policies" "$REPO/tests/cases" -name '*.haven' | sort)
for t in parse_any check_any fmt_roundtrip; do
  # shellcheck disable=SC2086
  seed "$t" $policies seeds/check_any/*.haven
done
# eval_json: the first byte picks the policy; seed every incident with a few picks.
mkdir -p corpus/eval_json
i=0
while IFS= read -r f; do
  for pick in A B C D E F G; do
    { printf '%s' "$pick"; cat "$f"; } > "corpus/eval_json/seed_${pick}_$i.json"
  done
  i=$((i + 1))
done < <(find "$REPO/tests/cases" -name '*.json' | sort)
# The incidents of every scenario, as JSON (python3 reads the TOML).
if command -v python3 >/dev/null; then
  python3 - "$REPO" <<'PY' || true
import json, pathlib, sys
try:
    import tomllib
except ImportError:
    sys.exit(0)
repo = pathlib.Path(sys.argv[1])
out = pathlib.Path("corpus/eval_json")
n = 0
for path in sorted(repo.glob("policies/*/scenarios.toml")):
    for s in tomllib.loads(path.read_text()).get("scenario", []):
        if "incident" in s:
            for pick in "ABCDEFG":
                (out / f"scenario_{pick}_{n}.json").write_text(pick + json.dumps(s["incident"]))
            n += 1
PY
fi

status=0
for t in $TARGETS; do
  echo "==> $t (${SECONDS_PER_TARGET}s${RUNS:+, at most $RUNS runs})"
  args=(-max_total_time="$SECONDS_PER_TARGET" -max_len="${MAX_LEN:-1024}" -timeout=10
        -rss_limit_mb=2048 -print_final_stats=1)
  [ -n "${RUNS:-}" ] && args+=(-runs="$RUNS")
  cargo +nightly fuzz run -s none --fuzz-dir . "$t" "corpus/$t" -- "${args[@]}" || status=1
done
exit $status
