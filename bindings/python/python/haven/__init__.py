"""haven: evaluate UK school online-safety policies written in the haven language.

Compile a policy once, then evaluate incident records (dicts in the shape of the
version-1 incident contract) to decisions (dicts in the shape of the version-1
decision contract)::

    import haven

    policy = haven.Policy.from_file("policies/example")
    decision = policy.evaluate({"category": "sharing_nudes", "actor": {"role": "pupil", "age": 12}})
    decision["status"]   # "complete" or "incomplete"

Everything runs in the native module ``haven._haven`` (haven-core compiled from Rust);
this package only re-exports it.
"""

from haven._haven import (
    Diagnostic,
    IncidentError,
    Policy,
    PolicyError,
    __version__,
    check,
)

__all__ = [
    "Diagnostic",
    "IncidentError",
    "Policy",
    "PolicyError",
    "__version__",
    "check",
]
