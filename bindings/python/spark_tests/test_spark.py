"""haven.spark on local[2]: the audit of generated histories equals the single-process
audit exactly, and finds exactly the planted departures.

The default run audits 20,000 records (two schools; 45 s to 2.5 min here with the Spark
start-up, depending on the load);
set HAVEN_SPARK_MILLION=1 for the million-record run: 2 passed in 25 min on this shared
2-core box under a load average of about 10 (generating the records takes most of it; see
BENCHMARKS.md for the audit itself).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import haven
from haven import spark as haven_spark

from conftest import REPO

SCHOOLS = {
    "kingsbury_2019": os.path.join(REPO, "policies", "kingsbury_2019"),
    "kenilworth_2022": os.path.join(REPO, "policies", "kenilworth_2022"),
}
N = 1_000_000 if os.environ.get("HAVEN_SPARK_MILLION") == "1" else 20_000


def generated(tmp_path: Any) -> tuple[str, list[str], list[tuple[str, str, list[str], str, bool]]]:
    auditor = haven.Auditor(SCHOOLS)
    lines: list[str] = []
    planted: list[tuple[str, str, list[str], str, bool]] = []
    for i, school in enumerate(sorted(SCHOOLS)):
        l, p = auditor.generate(school, N // 2, 100 + i)
        lines += l
        planted += p
    path = os.path.join(str(tmp_path), "history.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path, lines, planted


def departures(findings: list[str]) -> list[tuple[str, str, list[str], str, bool]]:
    out = []
    for text in findings:
        record = json.loads(text)
        for item in record["items"]:
            if item["outcome"] != "on_time" or item["judgement"] is not None:
                out.append(
                    (
                        record["id"],
                        item["action"],
                        item["target"],
                        item["outcome"],
                        item["judgement"] is not None,
                    )
                )
    return sorted(out)


def test_spark_audit_equals_the_single_process_audit(spark: Any, tmp_path: Any) -> None:
    path, lines, planted = generated(tmp_path)
    auditor = haven.Auditor(SCHOOLS)
    single_summary, single_findings = auditor.audit_lines(lines)

    df = spark.read.text(path).repartition(8)
    result = haven_spark.audit(df, SCHOOLS, column="value")
    assert result.summary == json.loads(single_summary)
    assert result.summary["records"] == N
    assert result.summary["rejected"] == []

    # Findings: the same records, audited identically (compared by digest: a million
    # audits are too many to hold twice in the driver).
    digest = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    spark_digests = sorted(digest(r["payload"]) for r in result.findings.toLocalIterator())
    assert spark_digests == sorted(digest(f) for f in single_findings)

    # The planted departures, exactly.
    assert departures(single_findings) == sorted(planted)
    outcomes = {(p[3], p[4]) for p in planted}
    assert {("late", False), ("not_done", False), ("forbidden", False), ("late", True), ("not_done", True)} <= outcomes

    # Each Python worker compiled the policies once.
    assert result.compilations and all(n == 1 for n in result.compilations.values())
    result.findings.unpersist()


def test_spark_evaluate_gives_the_decisions_of_policy_evaluate(spark: Any) -> None:
    rows = [
        ("kingsbury_2019", json.dumps({"category": "sharing_nudes", "actor": {"role": "pupil", "age": 12}})),
        ("kenilworth_2022", json.dumps({"category": "cyberbullying"})),
        ("kenilworth_2022", json.dumps({"category": "knitting"})),
        ("nowhere", json.dumps({"category": "cyberbullying"})),
    ]
    df = spark.createDataFrame(rows, "school string, incident string")
    out = {(r["school"], r["incident"]): json.loads(r["decision"]) for r in haven_spark.evaluate(df, SCHOOLS).collect()}
    for school, incident in rows[:2]:
        policy = haven.Policy.from_file(SCHOOLS[school])
        assert out[(school, incident)] == policy.evaluate(json.loads(incident))
    assert out[rows[2]]["error"]["key"] == "category"
    assert out[rows[3]]["error"]["code"] == "haven::history::unknown_school"
