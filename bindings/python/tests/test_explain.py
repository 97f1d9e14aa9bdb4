"""``Policy.explain``, ``Policy.next_questions`` and ``haven.diff``: the same data as
``haven explain --format json`` and ``haven diff --format json``, and the ``--today`` option
giving the CLI's count of date-dependent warnings."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import shutil
import subprocess
from typing import Any

import pytest

import haven

from conftest import nudes_incident

REPO = pathlib.Path(__file__).resolve().parents[3]


def cli() -> str | None:
    """The `haven` binary: $HAVEN_BIN, else a built one in target/, else on PATH."""
    for candidate in (os.environ.get("HAVEN_BIN"), REPO / "target/release/haven", REPO / "target/debug/haven"):
        if candidate and pathlib.Path(candidate).is_file():
            return str(candidate)
    return shutil.which("haven")


def run_cli(*args: str) -> Any:
    binary = cli()
    if binary is None:
        pytest.skip("no haven binary (cargo build -p haven-cli, or set HAVEN_BIN)")
    out = subprocess.run([binary, *args], capture_output=True, text=True, cwd=REPO, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def unknown_ages() -> dict[str, Any]:
    return {"category": "sharing_nudes", "actor": {"role": "pupil"}, "subject": {"role": "pupil"}}


def test_explain_is_the_decision_with_explain_and_next_questions(policy: haven.Policy) -> None:
    explained = policy.explain(unknown_ages())
    decision: dict[str, Any] = dict(policy.evaluate(unknown_ages()))
    for key, value in decision.items():
        assert explained[key] == value
    assert explained["explain"]["actions"], explained["explain"]
    assert explained["next_questions"]["questions"]


def test_explain_why_not(policy: haven.Policy) -> None:
    why = policy.explain({"category": "cyberbullying", "actor": {"role": "pupil", "age": 12}}, why_not="refer police")
    assert isinstance(why, dict) and why
    with pytest.raises(ValueError, match="why_not"):
        policy.explain(nudes_incident(), why_not="must")


def test_next_questions_group_what_settles_an_action(policy: haven.Policy) -> None:
    nq = policy.next_questions(unknown_ages())
    assert nq["questions"] and nq["groups"]
    assert {"fact", "ask"} <= set(nq["questions"][0])
    with pytest.raises(haven.IncidentError):
        policy.next_questions({"category": "sharing_nudes", "colour": 1})


def test_explain_and_diff_match_the_cli(tmp_path: pathlib.Path) -> None:
    policy = haven.Policy.from_file(REPO / "policies" / "example")
    record = tmp_path / "incident.json"
    record.write_text(json.dumps(unknown_ages()))
    expected = run_cli("explain", "policies/example", str(record), "--format", "json")
    assert policy.explain(unknown_ages()) == expected
    old = haven.Policy.from_file(REPO / "policies" / "kingsbury_2019")
    new = haven.Policy.from_file(REPO / "policies" / "kenilworth_2022")
    report = haven.diff(old, new)
    assert report["classes"] and all("witness" in c for c in report["classes"])
    assert report == run_cli("diff", "policies/kingsbury_2019", "policies/kenilworth_2022", "--format", "json")


@pytest.mark.parametrize("today", ["2026-01-01", "2027-06-01", "2028-01-01"])
def test_today_gives_the_cli_count_of_date_dependent_warnings(today: str) -> None:
    date = datetime.date.fromisoformat(today)
    path = REPO / "policies" / "basnett_2024"
    warnings = [d for d in haven.Policy.from_file(path, today=date).warnings]
    cli_diags = run_cli("--today", today, "check", "--format", "json", str(path / "policy.haven"))
    assert len(warnings) == sum(d["severity"] == "warning" for d in cli_diags)
    checked = haven.check((path / "policy.haven").read_text(), "policy.haven", modules=REPO / "policies", today=date)
    assert len(checked) == len(warnings)
    overdue = "haven::check::review_overdue" in {w.code for w in warnings}
    assert overdue == (today >= "2027-01-01")
