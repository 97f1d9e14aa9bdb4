"""The README's example runs, against the seed school it names, and prints what it says."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import re

from conftest import REPO

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Example", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has an ## Example python block"
    code = match.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    lines = out.getvalue().splitlines()
    assert lines[0] == "not_allowed"
    assert any(line.startswith("must ") for line in lines[1:])
