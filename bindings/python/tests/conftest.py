"""Shared fixtures: the example policy from the repository and a few incident records."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import haven

REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE_DIR = REPO / "policies" / "example"


@pytest.fixture(scope="session")
def example_dir() -> pathlib.Path:
    return EXAMPLE_DIR


@pytest.fixture(scope="session")
def example_text() -> str:
    return (EXAMPLE_DIR / "policy.haven").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def policy() -> haven.Policy:
    return haven.Policy.from_file(EXAMPLE_DIR)


def nudes_incident() -> dict[str, Any]:
    """The first example scenario: refer to police or social care immediately."""
    return {
        "category": "sharing_nudes",
        "actor": {"role": "pupil", "age": 12},
        "subject": {"role": "pupil", "age": 11},
        "others": [],
        "facts": {"sexual_acts": True},
    }


def phone_request() -> dict[str, Any]:
    """A permission request: a year 6 pupil using a phone at break."""
    return {
        "activity": "use",
        "time": "break",
        "actor": {"role": "pupil", "year_group": 6},
        "device": {"kind": "phone", "owner": "personal"},
    }
