"""haven.Auditor: the binding over haven-audit (semantics are tested in Rust)."""

from __future__ import annotations

import json

import pytest

import haven
from conftest import REPO

KINGSBURY = REPO / "policies" / "kingsbury_2019"
KENILWORTH = REPO / "policies" / "kenilworth_2022"


def departures(findings: list[str]) -> list[tuple[str, str, list[str], str, bool]]:
    out = []
    for text in findings:
        record = json.loads(text)
        for item in record["items"]:
            if item["outcome"] != "on_time" or item["judgement"] is not None:
                out.append(
                    (record["id"], item["action"], item["target"], item["outcome"], item["judgement"] is not None)
                )
    return sorted(out)


def test_planted_departures_are_found_exactly() -> None:
    auditor = haven.Auditor.from_file(KINGSBURY)
    assert auditor.schools == ["kingsbury_2019"]
    lines, planted = auditor.generate("kingsbury_2019", 1500, 1)
    summary, findings = auditor.audit_lines(lines)
    assert departures(findings) == sorted(planted)
    assert json.loads(summary)["records"] == 1500


def test_summaries_merge_exactly() -> None:
    auditor = haven.Auditor({"kingsbury_2019": str(KINGSBURY), "kenilworth_2022": (str(KENILWORTH), None)})
    lines = auditor.generate("kingsbury_2019", 500, 2)[0] + auditor.generate("kenilworth_2022", 500, 3)[0]
    whole, _ = auditor.audit_lines(lines)
    parts = [auditor.audit_lines(lines[i : i + 137], i + 1)[0] for i in range(0, len(lines), 137)]
    assert json.loads(haven.merge_summaries(parts)) == json.loads(whole)
    assert set(json.loads(whole)["by_school"]) == {"kingsbury_2019", "kenilworth_2022"}


def test_an_invalid_record_raises_naming_the_key() -> None:
    auditor = haven.Auditor.from_file(KINGSBURY)
    with pytest.raises(ValueError, match=r"haven::history::bad_time: `reported_at` must be"):
        auditor.audit('{"reported_at": "soon", "incident": {}}')
    summary, _ = auditor.audit_lines(['{"reported_at": "soon", "incident": {}}'])
    assert json.loads(summary)["rejected"][0]["id"] == "line 1"


def test_report_and_html() -> None:
    auditor = haven.Auditor.from_file(KINGSBURY)
    lines, _ = auditor.generate("kingsbury_2019", 200, 4)
    summary, findings = auditor.audit_lines(lines)
    report = auditor.report(summary, findings)
    assert json.loads(report)["policy"] == "kingsbury_2019"
    page = haven.audit_html(report)
    assert page.startswith("<!doctype html>") and "<svg" in page and "<script" not in page


def test_evaluate_json_gives_each_school_its_decision_or_an_error_envelope() -> None:
    auditor = haven.Auditor({"kingsbury_2019": str(KINGSBURY), "kenilworth_2022": (str(KENILWORTH), None)})
    record = json.dumps({"category": "sharing_nudes"})
    out = [json.loads(t) for t in auditor.evaluate_json(["kingsbury_2019", "nowhere", "kenilworth_2022"], [record] * 3)]
    assert out[0]["policy"]["id"] == "kingsbury_2019" and out[2]["policy"]["id"] == "kenilworth_2022"
    assert out[1] == {
        "error": {"code": "haven::history::unknown_school", "key": "school", "message": "no policy is loaded for `nowhere`"}
    }
    assert json.loads(auditor.evaluate_json(["kingsbury_2019"], ['{"category": 7}'])[0])["error"]["key"] == "category"
    with pytest.raises(ValueError, match="^schools and incidents differ in length$"):
        auditor.evaluate_json(["kingsbury_2019"], [])


def test_a_school_that_is_neither_a_path_nor_a_pair_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        haven.Auditor({"kingsbury_2019": 7})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        haven.Auditor({"kingsbury_2019": (str(KINGSBURY), 7)})  # type: ignore[dict-item]
