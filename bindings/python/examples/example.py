"""Usage example, type-checked with `mypy --strict` (see run-tests.sh) and run by it too.

Run from anywhere: python bindings/python/examples/example.py [POLICY_DIR]
"""

from __future__ import annotations

import pathlib
import sys

import haven

POLICIES = pathlib.Path(__file__).resolve().parents[3] / "policies"


def describe(decision: haven.Decision) -> list[str]:
    """One line per action, e.g. `must refer police, childrens_social_care (immediately)`."""
    lines = []
    for action in decision["actions"]:
        words = [action["modality"], action["action"], ", ".join(action["target"])]
        if action["deadline"]:
            words.append(f"({action['deadline']})")
        lines.append(" ".join(w for w in words if w))
    return lines


def main(argv: list[str]) -> int:
    policy_dir = pathlib.Path(argv[1]) if len(argv) > 1 else POLICIES / "example"
    try:
        policy = haven.Policy.from_file(policy_dir)
    except haven.PolicyError as err:
        print(err.rendered, file=sys.stderr)
        return 1
    print(f"{policy.id} version {policy.version}: {len(policy.warnings)} warning(s)")

    incident: haven.Incident = {
        "category": "sharing_nudes",
        "actor": {"role": "pupil", "age": 12},
        "subject": {"role": "pupil", "age": 11},
        "facts": {"sexual_acts": True},
    }
    decision = policy.evaluate(incident)
    print(decision["status"], "breach" if decision["breach"] else "no breach")
    for line in describe(decision):
        print(" ", line)
    for question in decision["questions"]:
        print("  ?", question["ask"])

    try:
        policy.evaluate({"category": "sharing_nudes", "actor": {"agee": 12}})
    except haven.IncidentError as err:
        print(f"rejected: {err.key}: {err.message}")

    decisions = policy.evaluate_many([incident] * 3)
    print(len(decisions), "decisions from one batch")

    diagnostics: list[haven.Diagnostic] = haven.check("policy broken {", name="broken.haven")
    for d in diagnostics:
        print(f"{d.severity} {d.code} at line {d.line}, column {d.column}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
