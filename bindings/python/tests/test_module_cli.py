"""``haven.Policy.bundled``, ``Policy.run_scenarios``, ``python -m haven`` and the typed shapes."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

import haven
from haven.types import Decision, Incident

REPO = pathlib.Path(__file__).resolve().parents[3]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "haven", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_bundled_compiles_a_policy_shipped_in_the_module() -> None:
    assert "kenilworth_2022" in haven.Policy.bundled_ids()
    policy = haven.Policy.bundled("kenilworth_2022")
    assert policy.id == "kenilworth_2022"
    incident: Incident = {"category": "cyberbullying", "actor": {"role": "pupil", "age": 10}}
    decision: Decision = policy.evaluate(incident)
    assert decision["policy"]["id"] == "kenilworth_2022"
    assert decision["status"] in ("complete", "incomplete")


def test_bundled_rejects_an_unknown_id_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no bundled policy `nope`.*kenilworth_2022"):
        haven.Policy.bundled("nope")
    with pytest.raises(ValueError, match="no bundled policy `std/vocabulary`"):
        haven.Policy.bundled("std/vocabulary")


def test_run_scenarios_reports_each_scenario() -> None:
    policy = haven.Policy.from_file(REPO / "policies" / "example")
    text = (REPO / "policies" / "example" / "scenarios.toml").read_text(encoding="utf-8")
    results = policy.run_scenarios(text)
    assert results and all(r["passed"] and r["failures"] == [] for r in results)
    failing = policy.run_scenarios(
        '[[scenario]]\nname = "wrong"\ncites = "x"\nincident = { category = "cyberbullying" }\n'
        'expect = { must = ["refer police"] }\n'
    )
    assert failing[0]["name"] == "wrong" and not failing[0]["passed"]
    assert "refer police" in failing[0]["failures"][0]
    with pytest.raises(ValueError):
        policy.run_scenarios("not toml [")


def test_python_m_haven_check_eval_and_test() -> None:
    ok = run("check", "policies/example")
    assert ok.returncode == 0, ok.stderr
    assert "policies/example/policy.haven: ok (0 errors, 1 warning)" in ok.stderr

    as_json = run("check", "--format", "json", "policies/kenilworth_2022")
    assert as_json.returncode == 0
    assert all(d["severity"] == "warning" for d in json.loads(as_json.stdout))

    decision = run("eval", "kenilworth_2022", "examples/incidents/kenilworth-year6-phone-in-lesson.json")
    assert decision.returncode == 0, decision.stderr
    assert json.loads(decision.stdout)["permission"]["verdict"] == "not_allowed"

    rejected = run("eval", "policies/example", "-", stdin='{"category": "cyberbullying", "colour": 1}')
    assert rejected.returncode == 3
    assert "haven::incident::unknown_key" in rejected.stderr

    tested = run("test", "policies/example")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "test result: ok." in tested.stdout

    usage = run("frobnicate")
    assert usage.returncode == 2


def test_python_m_haven_check_fails_on_errors(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.haven"
    bad.write_text(
        'policy t "T" {\n  version "1"\n  use std/vocabulary\n}\n'
        'rule r {\n  cites "§1": "x"\n  when category is sexting\n  must notify dsl\n}\n',
        encoding="utf-8",
    )
    out = run("check", str(bad))
    assert out.returncode == 1
    assert "did you mean `sharing_nudes`?" in out.stderr
