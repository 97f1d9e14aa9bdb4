"""haven: evaluate UK school online-safety policies written in the haven language.

Compile a policy once, then evaluate incident records (dicts in the shape of the
version-1 incident contract) to decisions (dicts in the shape of the version-1
decision contract)::

    import haven

    policy = haven.Policy.from_file("policies/example")
    decision = policy.evaluate({"category": "sharing_nudes", "actor": {"role": "pupil", "age": 12}})
    decision["status"]   # "complete" or "incomplete"

Incident histories are audited with ``haven.Auditor`` (see docs/history.md), and on
Spark with ``haven.spark`` (``pip install haven[spark]``).
A bundled policy needs no files: ``haven.Policy.bundled("kenilworth_2022")``. The shapes of
incidents and decisions are ``TypedDict``\ s in :mod:`haven.types` (``Incident``,
``Decision``). ``python -m haven check | eval | test`` is a small command line. ``Policy.explain``
(``why_not=``), ``Policy.next_questions`` and ``haven.diff`` give what ``haven explain`` and
``haven diff`` print with ``--format json``.

Everything runs in the native module ``haven._haven`` (haven-core compiled from Rust);
this package only re-exports it.
"""

from haven._haven import (
    Auditor,
    Diagnostic,
    IncidentError,
    Policy,
    PolicyError,
    __version__,
    audit_html,
    check,
    diff,
    merge_summaries,
)
from haven.types import Decision, Incident

__all__ = [
    "Auditor",
    "Decision",
    "Diagnostic",
    "Incident",
    "IncidentError",
    "Policy",
    "PolicyError",
    "__version__",
    "audit_html",
    "check",
    "diff",
    "merge_summaries",
]
