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
    merge_summaries,
)

__all__ = [
    "Auditor",
    "Diagnostic",
    "IncidentError",
    "Policy",
    "PolicyError",
    "__version__",
    "audit_html",
    "check",
    "merge_summaries",
]
