"""Python data in, Python data out: the conversions the binding does."""

from __future__ import annotations

import enum
import json
import types
from collections.abc import Iterator, Mapping
from typing import Any, TypedDict

import pytest

import haven

from conftest import nudes_incident, phone_request

CONTRACT_KEYS = ["policy", "status", "breach", "permission", "actions", "questions", "notes"]


def test_decision_is_plain_data_in_contract_order(policy: haven.Policy) -> None:
    decision = policy.evaluate(nudes_incident())
    assert list(decision) == CONTRACT_KEYS
    assert decision["policy"] == {"id": "example", "version": "1"}
    assert decision["breach"] is True
    assert decision["permission"] is None
    # Only JSON types come back, so the decision survives a JSON round trip unchanged.
    assert json.loads(json.dumps(decision)) == decision
    refer = [a for a in decision["actions"] if a["action"] == "refer"]
    assert refer and refer[0]["target"] == ["police", "childrens_social_care"]
    assert refer[0]["deadline"] == "immediately"
    assert refer[0]["modality"] == "must"


def test_permission_request(policy: haven.Policy) -> None:
    decision = policy.evaluate(phone_request())
    assert decision["breach"] is False
    permission = decision["permission"]
    assert permission is not None
    assert permission["verdict"] == "allowed_if"


def test_none_means_unknown(policy: haven.Policy) -> None:
    record: dict[str, Any] = {"category": "sharing_nudes", "actor": {"role": "pupil", "age": None},
                              "facts": {"sexual_acts": None}, "device": None}
    decision = policy.evaluate(record)
    assert decision["status"] == "incomplete"
    assert decision["questions"]


def test_true_is_a_bool_not_an_int(policy: haven.Policy) -> None:
    # Python's True is an int; it must reach haven as JSON `true`.
    record = {"category": "sharing_nudes", "facts": {"prior_incidents": True}}
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate(record)
    assert info.value.key == "facts.prior_incidents"
    assert info.value.code == "haven::incident::wrong_type"
    assert "`true`" in info.value.message
    # ...and 1 is an int, not a bool.
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate({"category": "sharing_nudes", "facts": {"sexual_acts": 1}})
    assert info.value.key == "facts.sexual_acts"
    assert "number 1" in info.value.message


def test_ints_and_bools_decide(policy: haven.Policy) -> None:
    base = {"category": "staff_misuse_concern", "actor": {"role": "teacher"}}
    few = policy.evaluate({**base, "facts": {"prior_incidents": 0, "significant_harm_risk": False}})
    many = policy.evaluate({**base, "facts": {"prior_incidents": 5, "significant_harm_risk": False}})
    assert "escalate" not in {a["action"] for a in few["actions"]}
    assert "escalate" in {a["action"] for a in many["actions"]}


def test_person_lists_and_nesting(policy: haven.Policy) -> None:
    record = nudes_incident()
    record["subject"] = {"role": "pupil", "age": 15}
    record["facts"] = {"sexual_acts": True}
    # An under-13 among `others` triggers the referral criterion.
    record["others"] = [{"role": "pupil", "age": 14}, {"role": "pupil", "age": 12, "sen": True}]
    referred = policy.evaluate(record)
    assert "refer" in {a["action"] for a in referred["actions"]}
    # A tuple is a list too.
    record["others"] = ({"role": "pupil", "age": 14}, {"role": "pupil", "age": 12})
    assert policy.evaluate(record) == referred


def test_a_bad_person_in_a_list_is_named_by_index(policy: haven.Policy) -> None:
    record = nudes_incident()
    record["others"] = [{"role": "pupil"}, {"role": "pupil", "age": "twelve"}]
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate(record)
    assert info.value.key == "others[1].age"


def test_float_that_is_whole_is_still_not_an_int(policy: haven.Policy) -> None:
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate({"category": "sharing_nudes", "actor": {"age": 12.5}})
    assert info.value.key == "actor.age"
    assert info.value.code == "haven::incident::out_of_range"


class Role(str, enum.Enum):
    PUPIL = "pupil"


class Age(enum.IntEnum):
    TWELVE = 12


def test_str_and_int_subclasses_convert_by_value(policy: haven.Policy) -> None:
    plain = policy.evaluate(nudes_incident())
    record = nudes_incident()
    record["actor"] = {"role": Role.PUPIL, "age": Age.TWELVE}
    assert policy.evaluate(record) == plain


@pytest.mark.parametrize("incident_id", ["INC-0042", 42, 2**63 - 1, 2**64 - 1, -7])
def test_incident_id_is_echoed_exactly(policy: haven.Policy, incident_id: Any) -> None:
    decision = policy.evaluate({**nudes_incident(), "id": incident_id})
    assert decision["incident_id"] == incident_id
    assert type(decision["incident_id"]) is type(incident_id)
    assert list(decision)[:2] == ["policy", "incident_id"]


def test_an_int_beyond_64_bits_is_judged_by_the_core(policy: haven.Policy) -> None:
    with pytest.raises(haven.IncidentError) as info:
        policy.evaluate({"category": "sharing_nudes", "actor": {"age": 10**30}})
    assert info.value.key == "actor.age"
    assert info.value.code == "haven::incident::out_of_range"


def test_the_input_is_not_modified(policy: haven.Policy) -> None:
    record = nudes_incident()
    snapshot = json.dumps(record, sort_keys=True)
    policy.evaluate(record)
    policy.evaluate_many([record, record])
    assert json.dumps(record, sort_keys=True) == snapshot


def test_decisions_are_independent_objects(policy: haven.Policy) -> None:
    first, second = policy.evaluate_many([nudes_incident(), nudes_incident()])
    assert first == second
    first["actions"].clear()
    assert second["actions"]
    assert policy.evaluate(nudes_incident())["actions"]


def test_evaluate_many_matches_evaluate(policy: haven.Policy) -> None:
    records = [nudes_incident(), phone_request(), {"category": "cyberbullying"}]
    assert policy.evaluate_many(records) == [policy.evaluate(r) for r in records]
    assert policy.evaluate_many(iter(records)) == policy.evaluate_many(tuple(records))
    assert policy.evaluate_many(r for r in records) == policy.evaluate_many(records)
    assert policy.evaluate_many([]) == []


class Person(TypedDict, total=False):
    role: str
    age: int


class Incident(TypedDict, total=False):
    category: str
    actor: Person
    subject: Person
    others: list[Person]
    facts: dict[str, bool]


class ReadOnly(Mapping[str, Any]):
    """A mapping that is not a dict."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_typed_dicts_and_other_mappings(policy: haven.Policy) -> None:
    plain = policy.evaluate(nudes_incident())
    typed: Incident = {
        "category": "sharing_nudes",
        "actor": {"role": "pupil", "age": 12},
        "subject": {"role": "pupil", "age": 11},
        "others": [],
        "facts": {"sexual_acts": True},
    }
    assert policy.evaluate(typed) == plain
    record = nudes_incident()
    record["actor"] = types.MappingProxyType(record["actor"])
    assert policy.evaluate(ReadOnly(record)) == plain
    assert policy.evaluate_many([ReadOnly(record), typed]) == [plain, plain]
