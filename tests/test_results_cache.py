"""Judgements computed once per data version in each process; nothing of them goes through Redis, where whoever
can write could plant a pickle that every worker would run."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import ClassVar

import redis

from qtm.observations import Observation
from qtm.periods import Period
from qtm.results_cache import ResultsCache
from qtm.standings import Filters, overview
from tests.conftest import empty_redis

REDIS_DB = 13  # a database of its own on the shared Redis, flushed first; never 0


class _Planted:
    """What an attacker with write access to Redis would leave: unpickling it runs a command."""

    ran: ClassVar[list[str]] = []

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_Planted.ran.append, ("unpickled",))


def test_a_value_planted_in_redis_is_never_read_or_unpickled(monkeypatch, store, registry):
    url = empty_redis(REDIS_DB)
    monkeypatch.setenv("QTM_REDIS_URL", url)
    client = redis.Redis.from_url(url)
    as_of = dt.date(2025, 6, 30)
    overview(
        registry, store, Filters(as_of=as_of)
    )  # whatever keys the cache would use now exist in this process
    for key in [*client.keys("*"), b"qtm:results:*"]:
        client.set(key, pickle.dumps(_Planted()))
    monkeypatch.setattr("qtm.results_cache._shared", None)  # a fresh worker
    assert overview(registry, store, Filters(as_of=as_of))
    assert _Planted.ran == []
    assert client.keys("qtm:results:*") in ([], [b"qtm:results:*"])  # nothing of ours was written either


def test_each_process_computes_its_own_and_keeps_it():
    cache = ResultsCache()
    assert cache.get_or_compute(("k",), lambda: 42) == 42
    assert cache.get_or_compute(("k",), lambda: 43) == 42  # its own copy


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

    cache, calls, start = ResultsCache(), [], threading.Barrier(8)

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
