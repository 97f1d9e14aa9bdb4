"""Every error path: what is raised, and what it carries."""

from __future__ import annotations

import pathlib
import types
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import haven

from conftest import nudes_incident

BROKEN = (
    'policy broken "Broken" {\n  version "1"\n  use std/vocabulary\n}\n\n'
    'rule r {\n  cites "§1": "Tell the DSL."\n  when category is sharing_nudez\n  must notify dsl\n}\n'
)


def test_exceptions_are_value_errors() -> None:
    assert issubclass(haven.PolicyError, ValueError)
    assert issubclass(haven.IncidentError, ValueError)
    assert haven.PolicyError.__module__ == "haven"
    assert haven.IncidentError.__module__ == "haven"


def test_malformed_policy_raises_policy_error_with_position() -> None:
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_source(BROKEN, name="broken.haven")
    e = info.value
    assert isinstance(e, ValueError)
    assert e.code == "haven::check::unknown_category"
    assert (e.file, e.line, e.column) == ("broken.haven", 8, 20)
    assert e.help == "did you mean `sharing_nudes`?"
    assert "sharing_nudez" in e.rendered
    assert str(e).startswith("broken.haven:8:20: error[haven::check::unknown_category]")
    assert e.message and e.message in str(e)
    assert e.diagnostics and all(isinstance(d, haven.Diagnostic) for d in e.diagnostics)
    assert e.diagnostics[0].code == e.code


def test_every_error_is_reported() -> None:
    text = BROKEN.replace('  cites "§1": "Tell the DSL."\n', "")
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_source(text, name="broken.haven")
    e = info.value
    codes = [d.code for d in e.diagnostics if d.severity == "error"]
    assert codes == ["haven::check::missing_citation", "haven::check::unknown_category"]
    assert e.code == codes[0]
    assert "(and 1 more error)" in str(e)
    assert e.rendered.count("error[") == 2


def test_syntax_error_raises_policy_error() -> None:
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_source("policy {", name="x.haven")
    assert info.value.code == "haven::parse::syntax"
    assert info.value.line == 1


def test_from_file_with_an_error_names_the_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "policy.haven").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(haven.PolicyError) as info:
        haven.Policy.from_file(tmp_path)
    assert info.value.file is not None and info.value.file.endswith("policy.haven")


def test_missing_file_is_file_not_found(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        haven.Policy.from_file(tmp_path / "nowhere")
    assert info.value.filename.endswith("nowhere")


def test_unknown_module_is_a_policy_error() -> None:
    with pytest.raises(haven.PolicyError):
        haven.Policy.from_source('policy x "X" {\n  use std/nothing_here\n}\n')


def test_wrong_argument_types_are_type_errors(policy: haven.Policy) -> None:
    with pytest.raises(TypeError):
        haven.Policy.from_source(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        haven.check(b"policy")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        policy.evaluate_many(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="use evaluate"):
        policy.evaluate_many(nudes_incident())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="use evaluate"):
        policy.evaluate_many(types.MappingProxyType(nudes_incident()))  # type: ignore[arg-type]


def raises_incident_error(policy: haven.Policy, record: Any) -> haven.IncidentError:
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate(record)
    e = info.value
    assert isinstance(e, ValueError)
    assert str(e) == e.message
    assert e.code.startswith("haven::incident::")
    assert e.expected
    assert e.index is None
    return e


def test_unknown_key(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": {"role": "pupil", "agee": 12}})
    assert (e.key, e.code) == ("actor.agee", "haven::incident::unknown_key")
    assert "did you mean `age`" in e.message
    assert "`age`" in e.expected


def test_unknown_top_level_key_and_fact(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "catgory": "x"})
    assert e.key == "catgory"
    e = raises_incident_error(policy, {"category": "sharing_nudes", "facts": {"adult_involve": True}})
    assert (e.key, e.code) == ("facts.adult_involve", "haven::incident::unknown_fact")


def test_unknown_value(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudez"})
    assert (e.key, e.code) == ("category", "haven::incident::unknown_value")


def test_wrong_type(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": {"age": "12"}})
    assert (e.key, e.code) == ("actor.age", "haven::incident::wrong_type")
    assert "0 to 120" in e.expected
    e = raises_incident_error(policy, {"category": "sharing_nudes", "others": {"role": "pupil"}})
    assert e.key == "others"


def test_missing_category_and_activity(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {})
    assert e.code == "haven::incident::missing_category"


@pytest.mark.parametrize("record", [None, 42, "sharing_nudes", ["category"], ("a", "b")])
def test_non_dict_input(policy: haven.Policy, record: Any) -> None:
    e = raises_incident_error(policy, record)
    assert (e.key, e.code, e.expected) == ("", "haven::incident::wrong_type", "an object (a dict)")
    assert type(record).__name__ in e.message


@pytest.mark.parametrize(
    ("value", "found"),
    [(object(), "object"), (b"12", "bytes"), (1j, "complex")],
)
def test_values_with_no_json_form(policy: haven.Policy, value: Any, found: str) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": {"age": value}})
    assert (e.key, e.code) == ("actor.age", "haven::incident::not_json")
    assert found in e.message


def test_a_set_is_read_as_a_list_and_judged_by_the_core(policy: haven.Policy) -> None:
    # pythonize reads any sequence or set as a list; core then names the key and the type.
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": {"age": {1, 2}}})
    assert (e.key, e.code) == ("actor.age", "haven::incident::wrong_type")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats(policy: haven.Policy, value: float) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "facts": {"prior_incidents": value}})
    assert (e.key, e.code, e.expected) == ("facts.prior_incidents", "haven::incident::not_json", "a finite number")


class Broken(Mapping[str, Any]):
    """A mapping whose items cannot be read."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("broken")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("broken")

    def __len__(self) -> int:
        return 1


def test_a_mapping_that_cannot_be_read(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": Broken()})
    assert (e.key, e.code) == ("actor", "haven::incident::not_json")
    assert "broken" in e.message


def test_a_record_changed_while_it_is_read_is_safe(policy: haven.Policy) -> None:
    record: dict[str, Any] = {"category": "sharing_nudes"}

    class Meddler(Mapping[str, Any]):
        """Reading it adds keys to the record being converted."""

        def __getitem__(self, key: str) -> Any:
            raise KeyError(key)

        def __iter__(self) -> Iterator[str]:
            record.update({f"k{i}": i for i in range(100)})
            return iter(())

        def __len__(self) -> int:
            return 0

    record["actor"] = Meddler()
    record["facts"] = {}
    # The reader takes each mapping's keys and values before reading them: the change is
    # not seen, and nothing crashes.
    assert policy.evaluate(record)["status"] in ("complete", "incomplete")
    record = {"category": "sharing_nudes", "actor": Meddler(), "facts": {}}
    assert len(policy.evaluate_many([record])) == 1


def test_non_string_key(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": {1: "pupil"}})
    assert e.key == "actor"
    assert "not a string" in e.message


def test_lone_surrogate(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "actor": {"role": "\ud800"}})
    assert e.key == "actor.role"


def test_deep_nesting_and_cycles_are_errors_not_crashes(policy: haven.Policy) -> None:
    deep: dict[str, Any] = {"category": "sharing_nudes"}
    node = deep
    for _ in range(100):
        node["facts"] = {}
        node = node["facts"]
    e = raises_incident_error(policy, deep)
    assert e.code == "haven::incident::too_deep"
    cyclic: dict[str, Any] = {"category": "sharing_nudes", "actor": {}}
    cyclic["actor"]["self"] = cyclic
    e = raises_incident_error(policy, cyclic)
    assert e.code == "haven::incident::too_deep"
    listy: list[Any] = []
    listy.append(listy)
    e = raises_incident_error(policy, {"category": "sharing_nudes", "others": listy})
    assert e.code == "haven::incident::too_deep"


def test_too_many_people_is_an_error(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudes", "others": [{"role": "pupil"}] * 5000})
    assert (e.key, e.code) == ("others", "haven::incident::list_too_long")


def test_evaluate_many_names_the_bad_record_by_index(policy: haven.Policy) -> None:
    records: list[Any] = [nudes_incident() for _ in range(5000)]
    records[4321] = {"category": "sharing_nudes", "actor": {"role": "pupil", "age": "x"}}
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many(records)
    e = info.value
    assert e.index == 4321
    assert e.key == "[4321].actor.age"
    assert e.code == "haven::incident::wrong_type"
    assert e.message.startswith("incident [4321]: ")


def test_evaluate_many_names_a_non_dict_by_index(policy: haven.Policy) -> None:
    records: list[Any] = [nudes_incident(), nudes_incident(), None]
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many(records)
    assert (info.value.index, info.value.key) == (2, "[2]")
    records = [nudes_incident(), {"category": "sharing_nudes", "actor": {"age": float("nan")}}]
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many(records)
    assert (info.value.index, info.value.key) == (1, "[1].actor.age")


def test_evaluate_many_reports_the_first_bad_record_in_input_order(policy: haven.Policy) -> None:
    # Record 1 fails haven-core's validation, record 2 cannot even be converted: 1 comes first.
    records: list[Any] = [nudes_incident(), {"category": "nope"}, {"category": "sharing_nudes", "actor": {1: 2}}]
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many(records)
    assert (info.value.index, info.value.code) == (1, "haven::incident::unknown_value")

    def bad_then_raising() -> Iterator[Any]:
        yield {"category": "nope"}
        raise KeyError("later")

    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many(bad_then_raising())
    assert info.value.index == 0


def test_an_error_raised_by_the_iterable_propagates(policy: haven.Policy) -> None:
    def records() -> Iterator[dict[str, Any]]:
        yield nudes_incident()
        raise KeyError("from the generator")

    with pytest.raises(KeyError, match="from the generator"):
        policy.evaluate_many(records())


def test_errors_leave_the_policy_usable(policy: haven.Policy) -> None:
    for bad in ({"category": "x"}, None, {"category": "sharing_nudes", "actor": {"age": {1}}}):
        with pytest.raises(haven.IncidentError):
            policy.evaluate(bad)  # type: ignore[arg-type]
    assert policy.evaluate(nudes_incident())["breach"] is True


def test_incident_errors_pickle_like_value_errors(policy: haven.Policy) -> None:
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate({"category": "x"})
    assert info.value.args == (info.value.message,)


HOSTILE = pathlib.Path(__file__).resolve().parents[3] / "crates/haven-cli/tests/fixtures/hostile"


def test_a_record_reports_every_error_with_core_codes(policy: haven.Policy) -> None:
    """The hostile-record fixture the CLI test reads: the same keys and codes, in order."""
    import json

    record = json.loads((HOSTILE / "several-errors.json").read_text(encoding="utf-8"))
    expected = (HOSTILE / "several-errors.expected").read_text(encoding="utf-8").splitlines()
    e = raises_incident_error(policy, record)
    assert [f"{x['key']} {x['code']}" for x in e.errors] == expected
    assert (e.key, e.code) == tuple(expected[0].split(" "))
    # In evaluate_many, every key is prefixed with the record's index.
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate_many([nudes_incident(), record])
    assert [x["key"] for x in info.value.errors][:2] == ["[1].zzz", "[1].category"]


def test_a_single_error_is_also_listed(policy: haven.Policy) -> None:
    e = raises_incident_error(policy, {"category": "sharing_nudez"})
    assert [x["code"] for x in e.errors] == ["haven::incident::unknown_value"]
