"""Benchmark the Python binding against the native Rust JSON path, in one run.

    python bindings/python/bench/bench.py [--policy DIR] [--batch N] [--repeat R]

For each incident shape it reports, per call:
  - native json: haven-core in Rust, JSON text in -> decision JSON text out (parse, validate,
    evaluate, serialise), what `haven eval --format json` does per record;
  - native value / native evaluate: the Rust stages without parsing or serialising, for
    reference;
  - binding in / binding out: the binding's own cost, timed in Rust: reading the dict with
    core's reader (pythonize, no evaluation), and the decision into Python objects;
  - Policy.evaluate: a dict in, a dict out, from Python;
and the throughput of Policy.evaluate_many over a batch, next to the native JSON path's.
Times are CPU seconds of this process (time.process_time), so other work on the machine
inflates them less than wall-clock time; every measured piece runs on one thread. Figures
are the median of --repeat runs. This is a measurement, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pathlib
import platform
import statistics
import sys
import time
from typing import Any, Callable

import haven
from haven import _haven

REPO = pathlib.Path(__file__).resolve().parents[3]

SHAPES: dict[str, dict[str, Any]] = {
    # The first example scenario: a referral, many actions with citations, open questions.
    "sharing nudes, pupils 11 and 12": {
        "category": "sharing_nudes",
        "actor": {"role": "pupil", "age": 12},
        "subject": {"role": "pupil", "age": 11},
        "others": [],
        "facts": {"sexual_acts": True},
    },
    # A permission request: a small decision.
    "year 6 phone at break": {
        "activity": "use",
        "time": "break",
        "actor": {"role": "pupil", "year_group": 6},
        "device": {"kind": "phone", "owner": "personal"},
    },
}


def median_seconds(run: Callable[[], float], repeat: int) -> float:
    return statistics.median(run() for _ in range(repeat))


def timed(fn: Callable[[], object]) -> float:
    """CPU seconds `fn` takes."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", default=str(REPO / "policies" / "example"))
    parser.add_argument("--calls", type=int, default=20_000, help="calls per single-call measurement")
    parser.add_argument("--batch", type=int, default=100_000, help="records per evaluate_many batch")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    policy = haven.Policy.from_file(args.policy)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"haven {haven.__version__}, policy {policy.id} version {policy.version}")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load:.2f} at start")
    print()
    print("| incident | decision | native json | native value | native evaluate | binding in | binding out "
          "| Policy.evaluate | ratio to native json | evaluate_many | native json |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, incident in SHAPES.items():
        decision = policy.evaluate(incident)
        size = f"{len(decision['actions'])} actions, {len(json.dumps(decision)):,} B"
        n = args.calls
        native = {
            stage: median_seconds(lambda: timed(lambda: _haven._bench_native(policy, incident, n, stage)), args.repeat) / n
            for stage in ("json", "value", "evaluate", "read", "out")
        }

        def calls() -> None:
            evaluate = policy.evaluate
            for _ in range(n):
                evaluate(incident)

        per_call = median_seconds(lambda: timed(calls), args.repeat) / n

        batch = [incident] * args.batch

        def many() -> float:
            start = time.process_time()
            decisions = policy.evaluate_many(batch)
            elapsed = time.process_time() - start
            del decisions
            gc.collect()
            return elapsed

        per_record = median_seconds(many, args.repeat) / args.batch
        print(
            f"| {name} | {size} | {native['json'] * 1e6:.2f} µs | {native['value'] * 1e6:.2f} µs "
            f"| {native['evaluate'] * 1e6:.2f} µs | {native['read'] * 1e6:.2f} µs | {native['out'] * 1e6:.2f} µs "
            f"| {per_call * 1e6:.2f} µs | {per_call / native['json']:.2f}x "
            f"| {1 / per_record:,.0f} /s | {1 / native['json']:,.0f} /s |"
        )
    print()
    print(f"(CPU time, median of {args.repeat} runs; {args.calls:,} calls per single-call run; "
          f"evaluate_many over {args.batch:,} records, results kept alive as a caller would)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
