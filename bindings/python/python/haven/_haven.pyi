"""Type stubs for ``haven._haven``, the native half of the ``haven`` package.

Incident records and decisions are plain JSON-like data: an incident is a ``dict`` in
the shape of the version-1 incident contract, a decision a ``dict`` in the shape of the
version-1 decision contract (``policy``, ``incident_id`` when the record has an ``id``,
``status``, ``breach``, ``permission``, ``actions``, ``questions``, ``notes``).
"""

import datetime
import os
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, final

from haven.types import Decision, Incident, ScenarioResult

__all__ = [
    "Auditor",
    "Diagnostic",
    "IncidentError",
    "Policy",
    "PolicyError",
    "__version__",
    "_bench_native",
    "_check_panic_handling",
    "audit_html",
    "check",
    "diff",
    "merge_summaries",
]

__version__: str

# The incident record, version 1 (docs/contract.md, docs/schema/incident.v1.json), and the
# decision: `TypedDict`s in `haven.types` (`Incident`, `Person`, `Device`, `Decision`).

@final
class Policy:
    """A compiled policy: compile once, evaluate many, from any number of threads."""

    @staticmethod
    def from_file(
        path: str | os.PathLike[str], *, today: datetime.date | None = None
    ) -> Policy:
        """Compile ``policy.haven`` at ``path`` (a file, or a directory holding one).

        Raises ``PolicyError`` if it does not compile, ``OSError`` if it cannot be read.
        """

    @staticmethod
    def from_source(
        text: str,
        name: str = "<source>",
        *,
        modules: str | os.PathLike[str] | None = None,
        today: datetime.date | None = None,
        calendar: str | None = None,
    ) -> Policy:
        """Compile policy source text; ``name`` labels it in diagnostics.

        ``use``/``extends`` resolve from ``modules`` (a policies directory) when given,
        then from the copies of ``policies/`` bundled into the module. ``calendar`` is the
        school's ``calendar.toml`` text: decisions on records carrying ``reported_at`` then
        give each deadline its ``due`` time on the school's term dates (``from_file`` reads
        ``calendar.toml`` beside the policy itself).
        """

    @staticmethod
    def bundled(id: str, *, today: datetime.date | None = None) -> Policy:
        """Compile a policy bundled into the module (``"kenilworth_2022"``, ``"baseline"``, …).

        Raises ``ValueError`` for an id that is not a bundled policy (see ``bundled_ids``).
        """

    @staticmethod
    def bundled_ids() -> list[str]:
        """The ids of the bundled policies, sorted."""

    def run_scenarios(self, text: str) -> list[ScenarioResult]:
        """Run the scenarios of a ``scenarios.toml`` text: one result per scenario, in order.

        Raises ``ValueError`` when the text is not a scenario file.
        """

    @property
    def id(self) -> str:
        """The policy id, e.g. ``"kenilworth_2022"``."""

    @property
    def version(self) -> str | None:
        """The version string from the policy header, if any."""

    @property
    def title(self) -> str | None:
        """The title from the policy header, if any."""

    @property
    def warnings(self) -> list[Diagnostic]:
        """Warnings found while compiling."""

    def evaluate(self, incident: Incident | Mapping[str, Any]) -> Decision:
        """Evaluate one incident record; return the decision.

        Raises ``IncidentError`` if the record is invalid (unknown key, wrong type, a
        value with no JSON form, not a dict or other mapping).
        """

    def evaluate_many(
        self, incidents: Iterable[Incident | Mapping[str, Any]]
    ) -> list[Decision]:
        """Evaluate every record, with the GIL released while evaluating.

        Returns the decisions in input order. The first invalid record raises
        ``IncidentError`` with ``index`` set and ``key`` prefixed, e.g. ``[17].actor.age``.
        """

    def explain(
        self, incident: Incident | Mapping[str, Any], why_not: str | None = None
    ) -> dict[str, Any]:
        """Why the decision is what it is: the decision with ``explain`` (rules, cited
        sentences, layers, conditions that held, counterfactuals) and ``next_questions``,
        as ``haven explain --format json`` prints it. With ``why_not`` (``"refer police"``,
        ``"must_not confiscate_device"``, ``"allowed"``): the minimal fact changes that would
        make it so, or why no incident can, as ``haven explain --why-not``. Raises
        ``IncidentError`` for an invalid record, ``ValueError`` for a ``why_not`` that names
        no action or verdict.
        """
    def next_questions(self, incident: Incident | Mapping[str, Any]) -> dict[str, Any]:
        """The open questions grouped by the action they settle (``groups``) and ordered
        best first (``questions``), as the ``next_questions`` of ``haven explain``."""

@final
class Diagnostic:
    """One finding of the parser or the checker."""

    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def code(self) -> str:
        """Stable code, e.g. ``haven::check::unknown_role``."""

    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str | None: ...
    @property
    def line(self) -> int | None:
        """1-based line of the primary label."""

    @property
    def column(self) -> int | None:
        """1-based column of the primary label."""

    @property
    def help(self) -> str | None: ...
    @property
    def rendered(self) -> str:
        """The rustc-style rendering with the source line underlined."""

    @property
    def summary(self) -> str:
        """One line, ``error[code] at file:line:column: message`` (the repr)."""

class PolicyError(ValueError):
    """A policy did not compile. The attributes describe its first error."""

    message: str
    code: str
    file: str | None
    line: int | None
    column: int | None
    help: str | None
    rendered: str
    diagnostics: list[Diagnostic]

class IncidentError(ValueError):
    """An incident record was rejected."""

    key: str
    expected: str
    code: str
    message: str
    index: int | None
    errors: list[dict[str, Any]]
    """Every error of the record (the attributes above are the first): ``code``, ``key``,
    ``expected``, ``message``, ``severity``, ``line`` and ``column`` of each, with
    haven-core's codes."""

def check(
    text: str,
    name: str = "<source>",
    *,
    modules: str | os.PathLike[str] | None = None,
    today: datetime.date | None = None,
) -> list[Diagnostic]:
    """Parse and check policy source text: every error and warning, in source order."""

def diff(old: Policy, new: Policy) -> dict[str, Any]:
    """The classes of incidents ``old`` and ``new`` answer differently, each with a
    ``witness`` incident verified under both, as ``haven diff --format json`` prints them."""
def _bench_native(
    policy: Policy, incident: Incident | Mapping[str, Any], n: int, stage: str
) -> float:
    """Benchmark helper: seconds for ``n`` runs of a Rust ``stage`` on ``incident``."""

def _check_panic_handling() -> None:
    """Test hook: panics inside the guard, so always raises ``RuntimeError``."""

@final
class Auditor:
    """Audits history records (JSON text) against one or many schools' policies, each on
    its school calendar (``calendar.toml`` beside the policy unless given)."""

    def __new__(
        cls,
        schools: Mapping[
            str,
            str
            | os.PathLike[str]
            | tuple[str | os.PathLike[str], str | os.PathLike[str] | None],
        ],
    ) -> Auditor:
        """Load several schools: school id -> policy path or (policy path, calendar path)."""

    @staticmethod
    def from_file(
        path: str | os.PathLike[str],
        *,
        calendar: str | os.PathLike[str] | None = None,
        school: str | None = None,
    ) -> Auditor:
        """One school: its id is ``school``, or the policy id."""

    @property
    def schools(self) -> list[str]:
        """The school ids loaded."""

    def audit(self, record: str) -> str:
        """Audit one record; the audit as JSON text. Raises ``ValueError`` naming the key."""

    def audit_lines(
        self, records: list[str], first_line: int = 1
    ) -> tuple[str, list[str]]:
        """Audit many records: (summary JSON, audits of the records with findings)."""

    def report(self, summary: str, findings: list[str]) -> str:
        """The report ``haven audit --format json`` writes, as JSON text."""

    def generate(
        self, school: str, n: int, seed: int
    ) -> tuple[list[str], list[tuple[str, str, list[str], str, bool]]]:
        """Generated records with planted departures, and the planted list."""

    def evaluate_json(self, schools: list[str], incidents: list[str]) -> list[str]:
        """Decisions (JSON text) for incidents (JSON text), each against its school."""

def merge_summaries(summaries: list[str]) -> str:
    """Merge partial audit summaries (JSON text) exactly."""

def audit_html(report: str, max_findings: int = 500) -> str:
    """The offline HTML page for an audit report (JSON text)."""
