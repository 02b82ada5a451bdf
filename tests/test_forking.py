"""A background job forked from a busy web worker (dashboard.jobs) must not inherit a lock another thread held at
the fork, nor the worker's database connections: the job would hang, or two processes would share a connection."""

from __future__ import annotations

import os
import threading

from dashboard.context import Built
from qtm.results_cache import ResultsCache


def _in_a_child_forked_while_busy(holds: threading.Lock, work) -> int:  # type: ignore[no-untyped-def]
    """Fork while another thread holds ``holds``; run ``work`` in the child (10 s at most); its exit status."""
    held, release = threading.Event(), threading.Event()

    def busy() -> None:
        with holds:
            held.set()
            release.wait(30)

    thread = threading.Thread(target=busy)
    thread.start()
    held.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 when the work finished in time
        done = threading.Event()
        threading.Thread(target=lambda: (work(), done.set()), daemon=True).start()
        os._exit(0 if done.wait(10) else 3)
    release.set()
    thread.join()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_judgement_under_way_at_the_fork_does_not_hang_the_child():
    cache = ResultsCache()
    flight = threading.Lock()
    cache._flights[("standings", 1)] = flight  # another thread is computing this key as the fork happens
    assert (
        _in_a_child_forked_while_busy(flight, lambda: cache.get_or_compute(("standings", 1), lambda: 42)) == 0
    )


def test_a_page_being_built_at_the_fork_does_not_hang_the_child():
    built = Built()
    assert _in_a_child_forked_while_busy(built._lock, lambda: built.get("overview", lambda: "page")) == 0


def test_a_forked_child_opens_connections_of_its_own_and_leaves_the_parents_alone(store):
    with store.engine.connect() as connection:  # the pool now keeps a connection of the parent's
        parent = connection.connection.dbapi_connection
    pid = os.fork()
    if pid == 0:
        with store.engine.connect() as connection:
            own = connection.connection.dbapi_connection is not parent
            store.data_version()
        os._exit(0 if own else 4)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    with store.engine.connect() as connection:
        assert connection.connection.dbapi_connection is parent  # still the parent's, and still working
    assert store.data_version() >= 0


def test_a_fork_waits_for_work_that_must_not_be_cut_in_two():
    """The warmer reads the store unforked: a child forked meanwhile would inherit SQLite's mutexes held and hang
    at its first database (seen in CI: an upload's check forked while the warmer read)."""
    import time

    from qtm import forking

    inside, entered = [False], threading.Event()

    def warming() -> None:
        with forking.unforked():
            inside[0] = True
            entered.set()
            time.sleep(0.3)
            inside[0] = False

    thread = threading.Thread(target=warming)
    thread.start()
    assert entered.wait(10)
    pid = os.fork()
    if pid == 0:
        os._exit(3 if inside[0] else 0)  # the child's copy of the flag: was the work under way at the fork?
    thread.join()
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
