#!/usr/bin/env python3
"""The workspace's `rust-version` is the one its locked dependencies need.

Reads `cargo metadata --locked` and takes the highest `rust-version` any locked package
declares among those the workspace members (except haven-peers, never built by CI) use,
dev-dependencies of the members included. Fails when `[workspace.package] rust-version`
differs: lower is a promise the lockfile breaks, higher is a needless demand.

With HAVEN_MSRV_BUILD=1 it also installs that toolchain (rustup, minimal profile) and runs
`cargo +VERSION check --locked` on the default members, the proof a declared number cannot give.
"""
import json
import os
import subprocess
import sys

EXCLUDED = {"haven-peers"}


def version_tuple(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    members = [i for i in meta["workspace_members"] if packages[i]["name"] not in EXCLUDED]
    declared = {packages[i]["rust_version"] for i in members}
    if len(declared) != 1:
        sys.exit(f"msrv: members declare different rust-version values: {sorted(map(str, declared))}")
    declared = declared.pop()
    seen, stack = set(), list(members)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            kinds = {k["kind"] for k in dep["dep_kinds"]}
            # Every kind for a member; normal and build dependencies below it.
            if pid in members or kinds & {None, "build"}:
                stack.append(dep["pkg"])
    locked = [
        (version_tuple(packages[i]["rust_version"]), f'{packages[i]["name"]} {packages[i]["version"]}')
        for i in seen
        if packages[i].get("rust_version") and i not in members
    ]
    top = max(v for v, _ in locked)
    which = ", ".join(sorted(n for v, n in locked if v == top))
    need = ".".join(map(str, top[:2])) if top[2] == 0 else ".".join(map(str, top))
    if version_tuple(declared) != top:
        sys.exit(
            f"msrv: workspace rust-version is {declared}, but the locked dependencies need {need} "
            f"({which}): set rust-version = \"{need}\" in Cargo.toml"
        )
    print(f"msrv: rust-version {declared} is the highest the locked dependencies declare ({which})")
    if os.environ.get("HAVEN_MSRV_BUILD") == "1":
        subprocess.run(["rustup", "toolchain", "install", declared, "--profile", "minimal"], check=True)
        subprocess.run(["cargo", f"+{declared}", "check", "--locked", "--quiet"], check=True)
        print(f"msrv: cargo +{declared} check --locked passed")


if __name__ == "__main__":
    main()
