#!/usr/bin/env bash
# The HTML audit report in headless Debian Chromium (installed with apt when missing; never a
# browser download). Generates a history, runs `haven audit` to JSON and HTML, then
# audit-report.e2e.mjs. Screenshots go to tests/browser/test-output/.
#   bash tests/browser/run.sh                       # 20,000 records
#   HAVEN_AUDIT_MILLION=1 bash tests/browser/run.sh # the million-record report
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
n=20000
if [ "${HAVEN_AUDIT_MILLION:-0}" = "1" ]; then n=1000000; fi

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "error: $chromium is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
(cd "$here" && npm install --silent --no-audit --no-fund)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release -p haven-cli
cargo run --quiet --release -p haven-audit --example generate -- policies/kingsbury_2019 "$n" 1 > "$work/history.jsonl"
target/release/haven audit policies/kingsbury_2019 "$work/history.jsonl" --format json --out "$work/report.json"
target/release/haven audit policies/kingsbury_2019 "$work/history.jsonl" --format html --out "$work/report.html"
ls -l "$work/report.html"
mkdir -p "$here/test-output"
HAVEN_REPORT="$work/report.html" HAVEN_REPORT_JSON="$work/report.json" CHROMIUM="$chromium" \
  HAVEN_TEST_OUTPUT="$here/test-output" node --test --test-reporter=spec "$here/audit-report.e2e.mjs"
echo "screenshots: $here/test-output/"
