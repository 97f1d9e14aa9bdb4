"""Audit throughput: single process vs Spark local[1] vs local[2], on one generated set.

    python bindings/python/bench/audit_spark.py [--records 1000000] [--school kingsbury_2019]

Generates the history (haven-audit's generator, planted departures), writes it as JSON
Lines, then times on the same file, one after the other:
  - `haven audit` (the release CLI: reads the file, audits on every core, writes the JSON);
  - `Auditor.audit_lines` in this process on one thread (the Rust audit alone, lines in memory);
  - haven.spark.audit on local[1] and on local[2] (spark.read.text -> mapInArrow -> merged
    summary, findings cached), session start-up timed apart;
and checks every summary equals the single-process one. Wall-clock seconds; records/s. A
measurement, not a test. Needs the release CLI (cargo build --release -p haven-cli).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import haven
from haven import spark as haven_spark

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def session(master: str):  # type: ignore[no-untyped-def]
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(f"haven-audit-bench-{master}")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "6g")
        .getOrCreate()
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--school", default="kingsbury_2019")
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    policy_dir = os.path.join(REPO, "policies", args.school)
    schools = {args.school: policy_dir}
    auditor = haven.Auditor(schools)
    t = time.perf_counter()
    lines, planted = auditor.generate(args.school, args.records, 1)
    print(f"generated {len(lines)} records, {len(planted)} planted, {time.perf_counter() - t:.1f} s", flush=True)
    tmp = tempfile.mkdtemp(prefix="haven-audit-bench-")
    path = os.path.join(tmp, "history.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{path}: {os.path.getsize(path) / 1e6:.0f} MB", flush=True)

    rows = []
    cli = os.path.join(REPO, "target", "release", "haven")
    out = os.path.join(tmp, "report.json")
    t = time.perf_counter()
    subprocess.run([cli, "audit", policy_dir, path, "--out", out], check=True)
    rows.append(("`haven audit` CLI (file in, JSON out, 2 threads)", time.perf_counter() - t))
    with open(out, encoding="utf-8") as f:
        cli_summary = json.load(f)["summary"]

    t = time.perf_counter()
    summary, findings = auditor.audit_lines(lines)
    rows.append(("single process, one thread (`Auditor.audit_lines`, lines in memory)", time.perf_counter() - t))
    single = json.loads(summary)
    assert single == cli_summary, "CLI and single-process summaries differ"
    del lines, findings

    for master in ["local[1]", "local[2]"]:
        t = time.perf_counter()
        spark = session(master)
        spark.range(1).collect()
        assert spark.sparkContext.master == master, spark.sparkContext.master
        startup = time.perf_counter() - t
        df = spark.read.text(path).repartition(args.partitions)
        t = time.perf_counter()
        result = haven_spark.audit(df, schools, column="value")
        elapsed = time.perf_counter() - t
        assert result.summary == single, f"{master}: summary differs"
        rows.append((f"Spark {master} (`haven.spark.audit`, text file in; start-up {startup:.0f} s apart)", elapsed))
        result.findings.unpersist()
        spark.stop()

    base = rows[1][1]
    load = os.getloadavg()[0]
    print(f"\n{args.records} records ({args.school}); every summary equal to the single-process one; load average at the end {load:.1f}\n")
    print("| run | seconds | records/s | vs one thread |")
    print("|---|---:|---:|---:|")
    for name, secs in rows:
        print(f"| {name} | {secs:.1f} | {args.records / secs:,.0f} | {base / secs:.2f}x |")


if __name__ == "__main__":
    main()
