"""``python -m haven``: check, evaluate and test policies without the Rust CLI.

    python -m haven check policies/kenilworth_2022 [more ...] [--format human|plain|json]
    python -m haven eval  policies/kenilworth_2022 incident.json   # or a bundled id, or - for stdin
    python -m haven test  policies/kenilworth_2022 [more ...]

Exit codes follow ``haven``: 0 success, 1 policy errors or failing scenarios, 2 usage,
3 incident rejected, 4 file not readable.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Optional, Sequence

from haven._haven import IncidentError, Policy, PolicyError, check

OK, FAILURE, USAGE, REJECTED, IO = 0, 1, 2, 3, 4


def _policy_file(path: pathlib.Path) -> pathlib.Path:
    return path / "policy.haven" if path.is_dir() else path


def _modules_root(file: pathlib.Path) -> Optional[pathlib.Path]:
    """The nearest ancestor directory holding ``std/vocabulary.haven`` (as the CLI finds it)."""
    for directory in file.resolve().parents:
        if (directory / "std" / "vocabulary.haven").is_file():
            return directory
    return None


def _load(spec: str) -> Policy:
    """A policy from a path, or else a bundled policy id (``kenilworth_2022``)."""
    path = pathlib.Path(spec)
    if path.exists():
        return Policy.from_file(path)
    return Policy.bundled(spec)


def _check(args: argparse.Namespace) -> int:
    failed = False
    as_json: list[dict[str, object]] = []
    for spec in args.policies:
        file = _policy_file(pathlib.Path(spec))
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as e:
            print(f"error: cannot read `{file}`: {e}", file=sys.stderr)
            return IO
        except UnicodeDecodeError as e:
            print(f"error: `{file}` is not UTF-8 text: {e}", file=sys.stderr)
            return FAILURE
        diagnostics = check(text, str(file), modules=_modules_root(file))
        errors = sum(1 for d in diagnostics if d.severity == "error")
        warnings = len(diagnostics) - errors
        failed = failed or errors > 0 or (args.deny_warnings and warnings > 0)
        if args.format == "json":
            as_json.extend(
                {
                    "severity": d.severity,
                    "code": d.code,
                    "message": d.message,
                    "help": d.help,
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                }
                for d in diagnostics
            )
            continue
        for d in diagnostics:
            if args.format == "plain":
                where = f"{d.file}:{d.line}:{d.column}: " if d.line is not None else ""
                help_text = f" (help: {d.help})" if d.help else ""
                print(f"{where}{d.severity}[{d.code}]: {d.message}{help_text}", file=sys.stderr)
            else:
                print(d.rendered, file=sys.stderr)
        status = "failed" if errors else "ok"
        print(
            f"{file}: {status} ({errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''})",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps(as_json, indent=2, ensure_ascii=False))
    return FAILURE if failed else OK


def _eval(args: argparse.Namespace) -> int:
    try:
        policy = _load(args.policy)
    except PolicyError as e:
        print(e.rendered, file=sys.stderr)
        return FAILURE
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return USAGE
    try:
        if args.incident == "-":
            raw = sys.stdin.read()
        else:
            raw = pathlib.Path(args.incident).read_text(encoding="utf-8")
    except OSError as e:
        print(f"error: cannot read `{args.incident}`: {e}", file=sys.stderr)
        return IO
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as e:
        print(f"error: the incident is not JSON: {e}", file=sys.stderr)
        return REJECTED
    try:
        decision = policy.evaluate(record)
    except IncidentError as e:
        print(f"error[{e.code}]: {e.message}", file=sys.stderr)
        return REJECTED
    print(json.dumps(decision, indent=2, ensure_ascii=False))
    return OK


def _test(args: argparse.Namespace) -> int:
    passed = failed = 0
    for spec in args.policies:
        file = _policy_file(pathlib.Path(spec))
        try:
            policy = Policy.from_file(file)
        except PolicyError as e:
            print(e.rendered, file=sys.stderr)
            failed += 1
            continue
        scenarios = file.with_name("scenarios.toml")
        try:
            text = scenarios.read_text(encoding="utf-8")
        except OSError as e:
            print(f"error: cannot read `{scenarios}`: {e}", file=sys.stderr)
            return IO
        try:
            results = policy.run_scenarios(text)
        except ValueError as e:
            print(f"error: `{scenarios}`: {e}", file=sys.stderr)
            failed += 1
            continue
        print(f"\nrunning {len(results)} scenarios for {policy.id}")
        for r in results:
            if r["passed"]:
                passed += 1
                print(f"test {policy.id}::{r['name']} ... ok")
            else:
                failed += 1
                print(f"test {policy.id}::{r['name']} ... FAILED")
                for why in r["failures"]:
                    print(f"    {why}")
    outcome = "ok" if failed == 0 else "FAILED"
    print(f"\ntest result: {outcome}. {passed} passed; {failed} failed")
    return OK if failed == 0 else FAILURE


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m haven",
        description="Check, evaluate and test haven online-safety policies.",
        epilog="Exit codes: 0 success, 1 policy errors or failing scenarios, 2 usage, "
        "3 incident rejected, 4 file not readable.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p_check = commands.add_parser("check", help="report every error and warning with its location")
    p_check.add_argument("policies", nargs="+", help="policy files or directories")
    p_check.add_argument("--format", choices=["human", "plain", "json"], default="human")
    p_check.add_argument("--deny-warnings", action="store_true", help="treat warnings as errors")
    p_check.set_defaults(run=_check)
    p_eval = commands.add_parser("eval", help="evaluate one incident (JSON) against a policy")
    p_eval.add_argument("policy", help="policy file or directory, or a bundled policy id")
    p_eval.add_argument("incident", help="incident JSON file, or - for standard input")
    p_eval.set_defaults(run=_eval)
    p_test = commands.add_parser("test", help="run the scenarios.toml beside each policy")
    p_test.add_argument("policies", nargs="+", help="policy files or directories")
    p_test.set_defaults(run=_test)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
