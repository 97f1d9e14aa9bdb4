"""Hostile and accidental input far beyond haven's limits: each gives one exception with a
code and, for policies, a line and column. Never a crash, a hang or a silent default.
"Bounded time" is shown by these tests finishing; nothing here times anything."""

from __future__ import annotations

import pathlib
import shutil
from typing import Any

import pytest

import haven

from conftest import EXAMPLE_DIR, REPO

HEADER = 'policy t "Test" {\n  version "1"\n  use std/vocabulary\n}\n\n'


def policy_error(text: str, name: str = "t.haven") -> haven.PolicyError:
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_source(text, name)
    e = info.value
    # check() reports the same first error, as data.
    first = haven.check(text, name)[0]
    assert (first.code, first.line, first.column) == (e.code, e.line, e.column)
    return e


def incident_error(policy: haven.Policy, record: Any) -> haven.IncidentError:
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate(record)
    return info.value


def test_ten_thousand_deep_nesting_in_a_policy() -> None:
    text = HEADER + "rule r {\n  when " + "(" * 10_000 + "x" + ")" * 10_000 + "\n}\n"
    e = policy_error(text)
    assert e.code == "haven::parse::nesting_too_deep"
    assert (e.file, e.line) == ("t.haven", 7)
    assert len(e.rendered) < 2048


def test_a_ten_megabyte_policy(tmp_path: pathlib.Path) -> None:
    text = "// " + "x" * (10 * 1024 * 1024)
    e = policy_error(text)
    assert e.code == "haven::parse::too_large"
    assert (e.line, e.column) == (1, 1)
    assert e.message == f"policy file is too large ({len(text)} bytes, limit 4194304)"
    # The rendering shows a window of the 10 MB line, not all of it.
    assert len(e.rendered) < 2048 and "…" in e.rendered
    big = tmp_path / "big.haven"
    big.write_text(text, encoding="utf-8")
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_file(big)
    assert info.value.code == "haven::parse::too_large"


def test_a_million_element_list_in_an_incident(policy: haven.Policy) -> None:
    e = incident_error(policy, {"category": "sharing_nudes", "others": [{"role": "pupil"}] * 1_000_000})
    assert (e.code, e.key) == ("haven::incident::list_too_long", "others")
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many([{"category": "sharing_nudes"}, {"category": "sharing_nudes", "others": [0] * 1_000_000}])
    assert (info.value.code, info.value.key, info.value.index) == ("haven::incident::list_too_long", "[1].others", 1)


def test_deeply_nested_incidents(policy: haven.Policy) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    e = incident_error(policy, {"category": "sharing_nudes", "facts": deep})
    assert e.code == "haven::incident::too_deep"
    assert e.key.startswith("facts.a.a.")
    nested_list: list[Any] = []
    for _ in range(10_000):
        nested_list = [nested_list]
    e = incident_error(policy, {"category": "sharing_nudes", "others": nested_list})
    assert e.code == "haven::incident::too_deep"


@pytest.mark.parametrize(
    ("record", "code", "key"),
    [
        ({"actor": {"role": "pupil", "age": 2**70}}, "haven::incident::out_of_range", "actor.age"),
        ({"actor": {"role": "pupil", "age": -(2**70)}}, "haven::incident::out_of_range", "actor.age"),
        # Beyond 128 bits there is no number to judge: a value with no JSON form, at its key.
        ({"actor": {"role": "pupil", "age": 10**400}}, "haven::incident::not_json", "actor.age"),
        ({"facts": {"prior_incidents": 2**63}}, "haven::incident::out_of_range", "facts.prior_incidents"),
        ({"facts": {"prior_incidents": -(2**64)}}, "haven::incident::out_of_range", "facts.prior_incidents"),
        ({"actor": {"role": "pupil", "age": 1e308}}, "haven::incident::out_of_range", "actor.age"),
    ],
)
def test_huge_integers_are_out_of_range_never_wrapped(
    policy: haven.Policy, record: dict[str, Any], code: str, key: str
) -> None:
    e = incident_error(policy, {"category": "sharing_nudes", **record})
    assert (e.code, e.key) == (code, key)
    assert len(e.message) < 200


def test_a_huge_key_is_quoted_short(policy: haven.Policy) -> None:
    for record in [
        {"category": "sharing_nudes", "k" * 500_000: 1},
        {"category": "sharing_nudes", "actor": {"k" * 500_000: 1}},
        {"category": "sharing_nudes", "facts": {"é" * 250_000: True}},
    ]:
        e = incident_error(policy, record)
        assert e.code in ("haven::incident::unknown_key", "haven::incident::unknown_fact")
        assert len(e.key) < 64 and len(e.message) < 1024, e.key[:80]


def test_a_policy_file_that_is_not_utf8(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.haven"
    bad.write_bytes(HEADER.encode() + b"// Head\x92s office\n")
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_file(bad)
    e = info.value
    assert e.code == "haven::source::not_utf8"
    assert (e.line, e.column) == (6, 8)
    assert "0x92 (in Windows-1252, `’`)" in e.message
    assert e.help is not None and "UTF-8" in e.help


def test_a_module_that_is_not_utf8_is_an_error_not_the_bundled_copy(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(REPO / "policies" / "std", root / "std")
    shutil.copytree(EXAMPLE_DIR, root / "example")
    vocabulary = root / "std" / "vocabulary.haven"
    vocabulary.write_bytes(vocabulary.read_bytes() + b"// \xa3 5\n")
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_file(root / "example")
    e = info.value
    assert e.code == "haven::source::not_utf8"
    assert e.file == "policies/std/vocabulary.haven"
    assert "(in Windows-1252, `£`)" in e.message


def test_a_str_with_a_lone_surrogate_is_a_located_policy_error(example_text: str) -> None:
    text = example_text.replace("// ", "// \ud83d ", 1)
    e = policy_error(text, "s.haven")
    assert e.code == "haven::source::unpaired_surrogate"
    assert (e.file, e.line) == ("s.haven", 1)
    # A real U+FFFD and a paired surrogate (an emoji) are ordinary text.
    haven.Policy.from_source(example_text.replace("// ", "// \ufffd \U0001f600 ", 1))


def test_bytes_are_not_source_text() -> None:
    with pytest.raises(TypeError):
        haven.Policy.from_source(b"policy x {}")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        haven.check(b"\xff")  # type: ignore[arg-type]
