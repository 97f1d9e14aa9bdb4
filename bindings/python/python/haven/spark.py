"""haven on Spark: evaluate or audit DataFrames of records against many schools' policies.

Install with ``pip install haven[spark]``. Both functions run ``mapInArrow``: each Python
worker compiles each school's policy once (the compiled ``Auditor`` is cached in the worker
process, which Spark reuses across tasks by default), then every Arrow batch is handed to
Rust in one call with the GIL released.

    from haven import spark as haven_spark
    schools = {"kingsbury_2019": "policies/kingsbury_2019",
               "kenilworth_2022": ("policies/kenilworth_2022", "calendars/kenilworth.toml")}
    result = haven_spark.audit(df, schools, column="record")
    result.summary["totals"]        # the same aggregates `haven audit` gives
    result.findings                 # DataFrame: one JSON audit per record with a finding

Policy and calendar paths must be readable on every executor (a shared file system, or
files shipped with ``spark-submit --files``; see bindings/python/README.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from haven._haven import Auditor, merge_summaries

__all__ = ["AuditResult", "SchoolSpec", "audit", "evaluate"]

#: A school's policy path, or (policy path, calendar path or None).
SchoolSpec = Union[str, "os.PathLike[str]", tuple[str, Union[str, None]]]

_Key = tuple[tuple[str, str, str], ...]

# Per Python worker process: compiled auditors by their school specification, and how many
# times this process compiled one (reported back so tests can check "once per worker").
_AUDITORS: dict[_Key, Auditor] = {}
_COMPILED: list[int] = [0]


def _normalise(schools: Mapping[str, SchoolSpec]) -> _Key:
    out = []
    for school, spec in sorted(schools.items()):
        policy: str | os.PathLike[str]
        calendar: str | None
        if isinstance(spec, tuple):
            policy, calendar = spec
        else:
            policy, calendar = spec, None
        out.append(
            (
                school,
                os.path.abspath(os.fspath(policy)),
                "" if calendar is None else os.path.abspath(os.fspath(calendar)),
            )
        )
    return tuple(out)


def _auditor(key: _Key) -> Auditor:
    found = _AUDITORS.get(key)
    if found is None:
        found = Auditor(
            {school: (policy, calendar or None) for school, policy, calendar in key}
        )
        _AUDITORS[key] = found
        _COMPILED[0] += 1
    return found


def _compiled_count() -> int:
    # A module-level function: Spark pickles it by reference, so it reads this worker's
    # counter (a nested function would carry a copy of the module globals it names).
    return _COMPILED[0]


def _as_json(df: Any, column: str) -> Any:
    """The column as JSON text: a string column as it is, a struct or map via to_json."""
    from pyspark.sql import functions as F  # type: ignore[import-not-found,import-untyped,unused-ignore]
    from pyspark.sql.types import StringType  # type: ignore[import-not-found,import-untyped,unused-ignore]

    kind = df.schema[column].dataType
    col = F.col(column) if isinstance(kind, StringType) else F.to_json(F.col(column))
    return df.select(col.alias("record"))


@dataclass
class AuditResult:
    """What ``audit`` returns."""

    #: The merged summary: exactly the ``summary`` of ``haven audit --format json``.
    summary: dict[str, Any]
    #: One row per record with a finding: ``payload`` holds its audit as JSON text.
    findings: Any
    #: Compilations per Python worker process (pid -> count); each should be 1 per school set.
    compilations: dict[str, int] = field(default_factory=dict)


def audit(
    df: Any,
    schools: Mapping[str, SchoolSpec],
    column: str = "record",
) -> AuditResult:
    """Audit the history records in ``df[column]`` (JSON text, or a struct column in the
    history shape) against the schools' policies; records name their school in ``school``
    (optional when there is only one school).

    The summary is merged from partial summaries, one per Arrow batch; the merge is exact,
    so it equals the single-process audit. ``findings`` is cached: release it with
    ``result.findings.unpersist()``.
    """
    key = _normalise(schools)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa  # type: ignore[import-not-found,import-untyped,unused-ignore]

        auditor = _auditor(key)
        pid = str(os.getpid())
        line = 1
        for batch in batches:
            records = [r if r is not None else "" for r in batch.column(0).to_pylist()]
            summary, found = auditor.audit_lines(records, line)
            line += len(records)
            yield pa.RecordBatch.from_pydict(
                {
                    "kind": ["summary"] + ["finding"] * len(found),
                    "payload": [summary, *found],
                }
            )
        yield pa.RecordBatch.from_pydict(
            {"kind": ["compiled"], "payload": [f"{pid}:{_compiled_count()}"]}
        )

    out = _as_json(df, column).mapInArrow(run, "kind string, payload string").cache()
    meta = out.filter("kind != 'finding'").collect()
    summary = merge_summaries([r["payload"] for r in meta if r["kind"] == "summary"])
    compilations: dict[str, int] = {}
    for r in meta:
        if r["kind"] == "compiled":
            pid, n = r["payload"].split(":")
            compilations[pid] = max(compilations.get(pid, 0), int(n))
    findings = out.filter("kind = 'finding'").select("payload")
    return AuditResult(json.loads(summary), findings, compilations)


def evaluate(
    df: Any,
    schools: Mapping[str, SchoolSpec],
    incident_column: str = "incident",
    school_column: str = "school",
) -> Any:
    """Evaluate the incident records in ``df[incident_column]`` (JSON text or a struct)
    against the policy of the school in ``df[school_column]``. Returns a DataFrame with
    ``school``, ``incident`` and ``decision`` (the decision contract as JSON text, or
    ``{"error": ...}`` for an invalid record)."""
    from pyspark.sql import functions as F  # type: ignore[import-not-found,import-untyped,unused-ignore]
    from pyspark.sql.types import StringType  # type: ignore[import-not-found,import-untyped,unused-ignore]

    key = _normalise(schools)
    kind = df.schema[incident_column].dataType
    incident = (
        F.col(incident_column)
        if isinstance(kind, StringType)
        else F.to_json(F.col(incident_column))
    )
    selected = df.select(
        F.col(school_column).cast("string").alias("school"), incident.alias("incident")
    )

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa  # type: ignore[import-not-found,import-untyped,unused-ignore]

        auditor = _auditor(key)
        for batch in batches:
            school = [s or "" for s in batch.column(0).to_pylist()]
            text = [t or "" for t in batch.column(1).to_pylist()]
            decisions = auditor.evaluate_json(school, text)
            yield pa.RecordBatch.from_pydict(
                {"school": school, "incident": text, "decision": decisions}
            )

    return selected.mapInArrow(run, "school string, incident string, decision string")
