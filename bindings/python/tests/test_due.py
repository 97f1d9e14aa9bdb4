"""Due times: a record carrying ``reported_at`` gives each deadline its ``due`` time on the
school calendar the policy carries (``calendar.toml`` beside it, or ``calendar=``)."""

from __future__ import annotations

import pytest

import haven

from conftest import REPO

POLICY = """policy due_test "Deadlines" {
  version "1"
  use std/vocabulary
}
rule eod {
  cites "§1": "Parents must be informed by the end of the school day."
  when category is cyberbullying
  must inform_parents due end_of_day
}
"""

# Friday 23 October 2026, 15:40 BST, after school, before Kingsbury's half term.
RECORD = {"category": "cyberbullying", "reported_at": "2026-10-23T14:40:00Z"}
KINGSBURY = REPO / "policies" / "kingsbury_2019"


def test_calendar_text_gives_due_times_on_term_dates() -> None:
    calendar = (KINGSBURY / "calendar.toml").read_text(encoding="utf-8")
    policy = haven.Policy.from_source(POLICY, calendar=calendar)
    decision = policy.evaluate(RECORD)
    (action,) = decision["actions"]
    # Half term, then Monday 2 November (an INSET day) after the clocks went back.
    assert action["due"] == "2026-11-02T15:30:00+00:00"
    assert decision["notes"] == []


def test_without_a_calendar_the_decision_says_so() -> None:
    decision = haven.Policy.from_source(POLICY).evaluate(RECORD)
    (action,) = decision["actions"]
    assert action["due"] == "2026-10-26T15:30:00+00:00"
    assert any("without the school's calendar" in n for n in decision["notes"])
    assert "due" not in haven.Policy.from_source(POLICY).evaluate(
        {"category": "cyberbullying"}
    )["actions"][0]


def test_from_file_reads_the_calendar_beside_the_policy() -> None:
    decision = haven.Policy.from_file(KINGSBURY).evaluate(
        dict(RECORD, facts={"illegal_content_suspected": True})
    )
    dues = [a.get("due") for a in decision["actions"] if a["deadline"] == "immediately"]
    assert dues and all(d == "2026-10-23T16:40:00+01:00" for d in dues)


def test_a_malformed_calendar_is_a_located_policy_error() -> None:
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_source(POLICY, calendar='day_ends = "3pm"\n')
    assert info.value.code == "haven::calendar::invalid"
    assert (info.value.line, info.value.column) == (1, 12)


def test_a_bad_timestamp_is_an_incident_error() -> None:
    with pytest.raises(haven.IncidentError) as info:
        haven.Policy.from_source(POLICY).evaluate(
            {"category": "cyberbullying", "reported_at": "2026-10-23 15:40"}
        )
    assert info.value.code == "haven::incident::invalid_time"
    assert info.value.key == "reported_at"
