"""Sharing one policy across threads, big batches, and the GIL."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import haven

from conftest import nudes_incident, phone_request


def templates() -> list[dict[str, Any]]:
    return [
        nudes_incident(),
        phone_request(),
        {"category": "cyberbullying", "actor": {"role": "pupil", "age": 9}},
        {"category": "staff_misuse_concern", "actor": {"role": "headteacher"}},
        {"category": "filter_bypass", "actor": {"role": "pupil"}, "facts": {"deliberate": True}},
    ]


def test_eight_threads_evaluate_one_policy(policy: haven.Policy) -> None:
    records = templates()
    expected = [policy.evaluate(r) for r in records]
    start = threading.Barrier(8)

    def work(seed: int) -> tuple[list[tuple[int, haven.Decision]], list[haven.Decision]]:
        start.wait()
        singles = []
        for i in range(400):
            j = (seed + i) % len(records)
            singles.append((j, policy.evaluate(records[j])))
        batch = policy.evaluate_many(records * 200)
        return singles, batch

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert len(results) == 8
    for singles, batch in results:
        assert all(decision == expected[j] for j, decision in singles)
        assert batch == expected * 200


def test_threads_compile_and_evaluate_at_once(example_text: str) -> None:
    def work(_: int) -> str:
        policy = haven.Policy.from_source(example_text)
        return str(policy.evaluate(nudes_incident())["breach"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(work, range(16))) == {"True"}


def test_evaluate_many_over_100_000_incidents(policy: haven.Policy) -> None:
    n = 100_000
    records = [dict(t, id=i) for i, t in enumerate(itertools.islice(itertools.cycle(templates()), n))]
    decisions = policy.evaluate_many(records)
    assert len(decisions) == n
    assert [d["incident_id"] for d in decisions] == list(range(n))
    for i in (0, 1, 2, 3, 4, 54_321, n - 1):
        assert decisions[i] == policy.evaluate(records[i])


def test_evaluate_many_accepts_a_generator_of_100_000(policy: haven.Policy) -> None:
    n = 100_000
    gen = ({"activity": "use", "actor": {"role": "pupil"}, "id": i} for i in range(n))
    decisions = policy.evaluate_many(gen)
    assert len(decisions) == n
    assert decisions[-1]["incident_id"] == n - 1


def test_the_gil_is_released_during_evaluate_many(policy: haven.Policy) -> None:
    """Another Python thread keeps running while a long batch is evaluated.

    A ticker thread records when it runs. If evaluate_many held the GIL throughout, the
    ticker could not run between the call's start and end (at most at its very edges);
    ticks in the middle half of the call prove that the GIL was released.
    """
    ticks: list[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0002)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        batch = [nudes_incident()] * 20_000
        while True:
            ticks.clear()
            t0 = time.perf_counter()
            decisions = policy.evaluate_many(batch)
            t1 = time.perf_counter()
            if t1 - t0 >= 0.2 or len(batch) >= 1_000_000:
                break
            batch = batch * 2
    finally:
        stop.set()
        thread.join()
    assert len(decisions) == len(batch)
    quarter = (t1 - t0) / 4
    middle = [t for t in ticks if t0 + quarter < t < t1 - quarter]
    assert middle, f"no other thread ran during the middle of a {t1 - t0:.3f}s batch"


def test_a_panic_in_rust_is_an_ordinary_exception() -> None:
    with pytest.raises(RuntimeError, match="internal error"):
        haven._haven._check_panic_handling()
