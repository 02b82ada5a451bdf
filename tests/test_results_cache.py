"""Judgements computed once per data version and shared by every worker through Redis; without Redis, or with
Redis gone, each process computes its own and nothing fails."""

from __future__ import annotations

import datetime as dt

import pytest

from qtm.observations import Observation
from qtm.periods import Period
from qtm.results_cache import ResultsCache
from qtm.standings import Filters, overview
from tests.conftest import empty_redis

REDIS_DB = 13  # a database of its own on the shared Redis, flushed first; never 0


@pytest.fixture
def redis_url() -> str:
    return empty_redis(REDIS_DB)


def test_a_second_worker_reads_what_the_first_computed(redis_url):
    first, second = ResultsCache(redis_url), ResultsCache(redis_url)
    calls: list[str] = []
    assert first.get_or_compute(("k", 1), lambda: calls.append("first") or [1, 2]) == [1, 2]
    assert second.get_or_compute(("k", 1), lambda: calls.append("second") or [9]) == [1, 2]
    assert calls == ["first"]


def test_without_redis_each_process_computes_and_nothing_fails():
    gone = ResultsCache("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert gone.get_or_compute(("k",), lambda: 42) == 42
    assert gone.get_or_compute(("k",), lambda: 43) == 42  # its own copy


def test_a_commit_makes_the_overview_new_in_every_worker(store, registry):
    """The cache key holds the data version: a value stored after the first look is seen at once."""
    as_of = dt.date(2025, 6, 30)
    target = registry.targets["gansu_manufacturing_pass_rate_2025"]

    def latest() -> float | None:
        card = next(s for s in overview(registry, store, Filters(as_of=as_of)) if s.target.id == target.id)
        return card.result.latest.value if card.result.latest else None

    before = latest()
    store.commit_batch(
        file_name="a.csv",
        sha256="a" * 64,
        uploaded_by="test",
        records=[Observation(target.indicator, "620000", Period.parse("2024"), 93.9)],
        report=[],
        n_warnings=0,
    )
    assert before != 93.9 and latest() == 93.9


def test_pages_asking_at_once_after_a_commit_compute_once():
    import threading
    import time

    cache, calls, start = ResultsCache(None), [], threading.Barrier(8)

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "judged"

    def ask(out: list[str]) -> None:
        start.wait()
        out.append(cache.get_or_compute(("overview", 7), slow))

    answers: list[str] = []
    threads = [threading.Thread(target=ask, args=(answers,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["judged"] * 8 and len(calls) == 1
