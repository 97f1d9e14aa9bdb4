#!/usr/bin/env bash
# Build and install the `haven` wheel the way a user does (`pip install ./bindings/python`),
# then run the binding's pytest suite, mypy's stubtest against the installed module, and
# `mypy --strict` on the usage example. Idempotent; safe on a fresh clone.
#
#   bash bindings/python/run-tests.sh          # venv in bindings/python/.venv
#   VENV=/tmp/havenvenv bash bindings/python/run-tests.sh
#   PYTHON=python3.12 bash bindings/python/run-tests.sh   # the tools (mypy 2) need Python >= 3.10;
#                                                        # the wheel itself runs on 3.9+
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${VENV:-$here/.venv}"
python="${PYTHON:-python3}"

step() { printf '\n== %s\n' "$*"; }

step "venv at $venv"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"

step "pip install -v ./bindings/python (release build of the native module; cargo's progress below)"
cd "$repo"
# -v: pip shows maturin's and cargo's output, so a multi-minute build is visibly progressing.
"$py" -m pip install -v --disable-pip-version-check --force-reinstall --no-deps ./bindings/python 2>&1 \
    | { grep -E --line-buffered '^ *(Compiling|Finished|Building|Built|📦|🔗|🍹|error)|Successfully' || true; }

# mypy's cache lives in the venv, not in the work tree.
export MYPY_CACHE_DIR="$venv/.mypy_cache"

# Everything below runs from the repository root, so `import haven` finds the installed
# wheel, never the source tree in bindings/python/python.
step "haven CLI (the explain/diff and --today agreement tests compare with it)"
cargo build -q -p haven-cli
# The binary just built, never a stale one elsewhere in target/.
export HAVEN_BIN="$repo/target/debug/haven"

step "pytest"
"$py" -m pytest -q -p no:cacheprovider bindings/python/tests

step "stubtest: haven/_haven.pyi against the installed module"
# (run inside the venv folder: stubtest writes a .mypy_cache to the current directory)
(cd "$venv" && "$py" -m mypy.stubtest haven --allowlist "$here/stubtest-allowlist.txt")

step "mypy --strict on the usage example (then run it) and on the tests"
"$py" -m mypy --strict bindings/python/examples/example.py
"$py" bindings/python/examples/example.py >/dev/null
(cd "$here/tests" && "$py" -m mypy --strict .)

step "python binding: all checks passed"
