"""Typed shapes of haven's JSON contracts, for type checkers (``mypy``, ``pyright``).

At run time these are plain ``dict``\\ s: ``Policy.evaluate`` accepts any mapping in the
shape of :class:`Incident` and returns a ``dict`` in the shape of :class:`Decision` (the
version-1 decision contract, the "answer"). Field names and meanings: DESIGN §4 and §5.
"""

from __future__ import annotations

from typing import Dict, List, Literal, Optional, TypedDict, Union

__all__ = [
    "Action",
    "Decision",
    "Device",
    "FactValue",
    "Incident",
    "Permission",
    "PermissionCondition",
    "Person",
    "PolicyRef",
    "Question",
    "ScenarioResult",
]

FactValue = Union[bool, int, str, None]
"""A fact's value: ``None`` (or leaving the key out) means unknown, never false."""


class Person(TypedDict, total=False):
    """A person in an incident. Other keys are person facts the vocabulary declares."""

    role: Optional[str]
    age: Optional[int]
    year_group: Optional[int]
    """0 = Reception, -1 = Nursery."""
    sen: Optional[bool]
    travels_alone: Optional[bool]
    vulnerable: Optional[bool]


class Device(TypedDict, total=False):
    kind: Optional[str]
    owner: Optional[Literal["personal", "school"]]


class Incident(TypedDict, total=False):
    """An incident record or permission request, version 1. Every key is optional, but
    ``category`` and/or ``activity`` must be given; an unknown key is an error."""

    id: Union[str, int, None]
    category: Optional[str]
    activity: Optional[str]
    actor: Optional[Person]
    subject: Optional[Person]
    reporter: Optional[Person]
    others: Optional[List[Person]]
    device: Optional[Device]
    location: Optional[str]
    time: Optional[str]
    occurred_at: Optional[str]
    """RFC 3339 with its offset, e.g. ``2026-10-23T15:10:00+01:00``."""
    reported_at: Optional[str]
    """RFC 3339 with its offset; actions with a deadline then gain ``due``."""
    facts: Optional[Dict[str, FactValue]]


class _ActionKeys(TypedDict):
    """The keys every action has."""

    modality: Literal["must", "must_not", "should", "should_not", "may"]
    action: str
    target: List[str]
    target_mode: Literal["any", "all"]
    deadline: Optional[str]
    by: Optional[str]
    person: Optional[str]
    rule: Optional[str]
    rules: List[str]
    source: Literal["school", "baseline"]
    layer: str
    cites: List[str]


class Action(_ActionKeys, total=False):
    """One action of a decision."""

    due: Optional[str]
    """When the deadline falls (RFC 3339, UK local time with its offset): present when the
    record carries ``reported_at``; ``None`` when the deadline names no time."""


class PermissionCondition(TypedDict):
    kind: Literal["approval", "consent", "place", "time"]
    value: str


class Permission(TypedDict):
    verdict: Optional[Literal["allowed", "allowed_if", "not_allowed", "not_addressed"]]
    """``None`` while an unanswered question could change it."""
    conditions: List[PermissionCondition]
    rule: Optional[str]
    rules: List[str]
    cites: List[str]


class Question(TypedDict):
    """A fact whose answer could add or change actions."""

    fact: str
    ask: str
    could_add: List[str]


class PolicyRef(TypedDict):
    id: str
    version: Optional[str]


class _DecisionRequired(TypedDict):
    policy: PolicyRef
    status: Literal["complete", "incomplete"]
    breach: Optional[bool]
    permission: Optional[Permission]
    actions: List[Action]
    questions: List[Question]
    notes: List[str]


class Decision(_DecisionRequired, total=False):
    """The decision (the answer), version 1. Actions are sorted: modality, deadline, target."""

    incident_id: Union[str, int]
    """The incident's ``id``, when it had one."""


class ScenarioResult(TypedDict):
    """One scenario's outcome (``Policy.run_scenarios``)."""

    name: str
    cites: str
    passed: bool
    failures: List[str]
