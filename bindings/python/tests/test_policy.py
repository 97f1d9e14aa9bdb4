"""Compiling policies: from_file, from_source, check, and the Policy object."""

from __future__ import annotations

import datetime
import pathlib

import pytest

import haven


def test_from_file_accepts_a_directory_a_file_and_a_str(example_dir: pathlib.Path) -> None:
    for path in (example_dir, example_dir / "policy.haven", str(example_dir)):
        policy = haven.Policy.from_file(path)
        assert policy.id == "example"
        assert policy.version == "1"


def test_policy_metadata(policy: haven.Policy) -> None:
    assert policy.id == "example"
    assert policy.version == "1"
    assert policy.title is not None and policy.title.startswith("Example Primary School")
    assert repr(policy) == "<haven.Policy example version 1>"
    assert type(policy).__module__ == "haven"


def test_from_source_resolves_use_from_the_bundled_modules(example_text: str) -> None:
    policy = haven.Policy.from_source(example_text, name="example.haven")
    assert policy.id == "example"


def test_from_source_with_a_modules_directory(example_text: str, example_dir: pathlib.Path) -> None:
    policy = haven.Policy.from_source(example_text, modules=example_dir.parent)
    assert policy.id == "example"


def test_warnings_are_diagnostics(policy: haven.Policy) -> None:
    warnings = policy.warnings
    assert warnings, "the example policy carries a source-document caveat"
    w = warnings[0]
    assert isinstance(w, haven.Diagnostic)
    assert w.severity == "warning"
    assert w.code.startswith("haven::")
    assert w.line is not None and w.column is not None
    assert w.file is not None and w.file.endswith("policy.haven")
    assert w.message in w.rendered
    assert str(w) == w.rendered
    assert repr(w).startswith("<Diagnostic warning[")


def test_diagnostics_are_read_only(policy: haven.Policy) -> None:
    w = policy.warnings[0]
    with pytest.raises(AttributeError):
        w.code = "x"  # type: ignore[misc]


def test_check_a_clean_policy_reports_only_warnings(example_text: str) -> None:
    diagnostics = haven.check(example_text, name="example.haven")
    assert all(d.severity == "warning" for d in diagnostics)


def test_check_reports_errors_with_positions() -> None:
    diagnostics = haven.check('policy x "X" {\n  version "1"\n  bogus\n}\n', name="bad.haven")
    errors = [d for d in diagnostics if d.severity == "error"]
    assert errors
    e = errors[0]
    assert e.code == "haven::parse::syntax"
    assert (e.file, e.line, e.column) == ("bad.haven", 3, 3)
    assert "bad.haven:3:3" in e.rendered


def test_check_today_enables_the_overdue_review_warning() -> None:
    text = 'policy old "Old" {\n  version "1"\n  review_by 2020-01\n  use std/vocabulary\n}\n'
    assert "haven::check::review_overdue" not in {d.code for d in haven.check(text)}
    later = haven.check(text, today=datetime.date(2030, 1, 1))
    overdue = [d for d in later if d.code == "haven::check::review_overdue"]
    assert len(overdue) == 1
    d = overdue[0]
    assert d.summary == f"warning[{d.code}] at {d.file}:{d.line}:{d.column}: {d.message}"
    assert repr(d) == f"<Diagnostic {d.summary}>"
    # a datetime is a date; the day before the review month is not overdue
    moment = datetime.datetime(2030, 1, 1, 23, 59)
    assert [x.code for x in haven.check(text, today=moment)] == [x.code for x in later]
    assert "haven::check::review_overdue" not in {x.code for x in haven.check(text, today=datetime.date(2019, 12, 31))}
    with pytest.raises(AttributeError):
        haven.check(text, today="2030-01-01")  # type: ignore[arg-type]


def test_policy_cannot_be_constructed_or_changed(policy: haven.Policy) -> None:
    with pytest.raises(TypeError):
        haven.Policy()
    with pytest.raises(AttributeError):
        policy.id = "other"  # type: ignore[misc]


def test_version_is_exported() -> None:
    assert isinstance(haven.__version__, str) and haven.__version__
