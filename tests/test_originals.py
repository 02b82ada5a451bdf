"""Originals and their batches are never apart, whenever ``qtm ingest`` is killed (kill -9), and ``qtm db check``
says so; what a killed commit leaves is recognised, and swept once old enough and held by nobody.

The kills are real: ``qtm ingest`` runs as a subprocess on a real return and gets SIGKILL at chosen points, reached
without any hook in qtm — while its commit waits for the write lock the test holds (so no batch can exist yet), and
the moment its batch appears in the database (polled from the test).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from qtm import PROJECT_ROOT
from qtm.store import Store
from qtm.store.schema import batches
from tests.conftest import QTM, run_qtm, served, served_settings

RETURN = PROJECT_ROOT / "tests" / "corpus" / "files" / "long_clean.xlsx"  # a real return, committed whole
BIG_RETURN = PROJECT_ROOT / "data" / "demo" / "gansu_synthetic.csv"  # hundreds of values: a longer commit
HOURS_AGO = time.time() - 2 * 3600
DEADLINE = 120  # seconds a step may take on a loaded machine before the test gives up (never an assertion)


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    env = {"QTM_DATABASE_URL": url, "QTM_ORIGINALS_DIR": str(tmp_path / "originals")}
    upgraded = run_qtm("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    return env


def ingest(path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*QTM, "ingest", str(path)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def uploads(env: dict[str, str]) -> list[dict[str, object]]:
    listed = run_qtm("batches", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout)["batches"])


def files(env: dict[str, str]) -> list[str]:
    folder = Path(env["QTM_ORIGINALS_DIR"])
    return sorted(os.listdir(folder)) if folder.exists() else []


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_qtm("db", "check", *args, env=env)


@contextlib.contextmanager
def write_lock(url: str) -> Iterator[None]:
    """The database's write lock, held by the test as another committing process would hold it
    (:meth:`Store.writing`: on SQLite ``BEGIN IMMEDIATE``, on PostgreSQL the advisory lock every batch write takes)."""
    store = Store.open(url, migrate=False)
    try:
        with store.writing():
            yield
    finally:
        store.engine.dispose()


def wait_for(condition, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"qtm ingest ended (exit {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} after {DEADLINE} s")
        time.sleep(0.005)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def test_a_kill_while_the_commit_waits_leaves_no_batch_and_an_orphan_that_is_swept_once_old(
    tmp_path, database_url
):
    env = environment(tmp_path, database_url)
    size = RETURN.stat().st_size
    with write_lock(database_url):
        process = ingest(RETURN, env)
        folder = Path(env["QTM_ORIGINALS_DIR"])
        wait_for(
            lambda: any(p.name.startswith("held-") and p.stat().st_size == size for p in folder.glob("*")),
            process,
            "original held before the commit",
        )
        kill(process)  # its commit waits for the lock the test holds: no batch can have been stored
    assert process.returncode == -signal.SIGKILL
    assert uploads(env) == []
    [orphan] = files(env)
    assert orphan.startswith("held-") and orphan.endswith(".xlsx")

    found = check(env)
    assert found.returncode == 0, found.stdout  # an orphan is no batch without its original
    assert re.search(rf"orphan: {orphan}, \d+ min old, no batch names it", found.stdout), found.stdout
    assert "every upload has its original" in found.stdout

    fixed = check(env, "--fix")  # too young: a commit could still be on its way
    assert fixed.returncode == 0 and "removed" not in fixed.stdout and files(env) == [orphan]
    os.utime(Path(env["QTM_ORIGINALS_DIR"]) / orphan, (HOURS_AGO, HOURS_AGO))
    fixed = check(env, "--fix")
    assert fixed.returncode == 0 and f"removed orphan: {orphan}" in fixed.stdout
    assert files(env) == [] and "orphan" not in check(env).stdout

    stored = run_qtm("ingest", str(RETURN), env=env)  # the same return, not killed this time
    assert stored.returncode == 0, stored.stderr
    [batch] = uploads(env)
    assert files(env) == [f"{batch['id']:06d}-{str(batch['sha256'])[:16]}.xlsx"]
    assert (Path(env["QTM_ORIGINALS_DIR"]) / files(env)[0]).read_bytes() == RETURN.read_bytes()
    assert check(env).returncode == 0


def test_a_kill_the_moment_the_batch_is_committed_leaves_the_batch_with_its_original(tmp_path, sqlite_url):
    env = environment(tmp_path, sqlite_url)
    engine = create_engine(sqlite_url)

    def committed() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(select(func.count()).select_from(batches)).scalar())

    process = ingest(BIG_RETURN, env)
    wait_for(committed, process, "batch in the database")
    kill(process)
    engine.dispose()

    [batch] = uploads(env)
    [kept] = files(
        env
    )  # under its held name (killed before the rename) or its batch's name: either is its own
    assert (Path(env["QTM_ORIGINALS_DIR"]) / kept).read_bytes() == BIG_RETURN.read_bytes()
    found = check(env)
    assert found.returncode == 0, found.stdout
    assert "every upload has its original" in found.stdout and "orphan" not in found.stdout
    assert check(env, "--fix").returncode == 0
    assert files(env) == [f"{batch['id']:06d}-{str(batch['sha256'])[:16]}.csv"]


def test_db_check_finds_each_state_a_kill_or_a_hand_can_leave_and_fix_repairs_only_what_is_safe(
    tmp_path, sqlite_url
):
    env = environment(tmp_path, sqlite_url)
    assert run_qtm("ingest", str(RETURN), env=env).returncode == 0
    [batch] = uploads(env)
    folder = Path(env["QTM_ORIGINALS_DIR"])
    [marked] = files(env)
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        held = connection.execute(
            text("SELECT original FROM batches WHERE id = :id"), {"id": batch["id"]}
        ).scalar()
    engine.dispose()
    assert held.startswith("held-") and held.endswith(".xlsx")

    # Killed between the commit and the rename (what a kill leaves, made by hand): the batch has its original.
    os.replace(folder / marked, folder / held)
    found = check(env)
    assert (
        found.returncode == 0
        and f"not renamed: {held} is the original of batch {batch['id']}" in found.stdout
    )
    # Files no upload owns: a commit of an older qtm killed mid-way, and one named for a batch the database lacks.
    (folder / ".pending-abc123.xlsx").write_bytes(b"left by qtm before 0005")
    (folder / "000099-0123456789abcdef.csv").write_bytes(b"a batch of a newer database")
    for name in (".pending-abc123.xlsx", "000099-0123456789abcdef.csv"):
        os.utime(folder / name, (HOURS_AGO, HOURS_AGO))
    found = check(env)
    assert re.search(r"orphan: \.pending-abc123\.xlsx, 1\d\d min old", found.stdout), found.stdout
    assert "no batch: 000099-0123456789abcdef.csv" in found.stdout

    fixed = check(env, "--fix")
    assert fixed.returncode == 0
    assert (
        f"renamed: {held} -> {marked}" in fixed.stdout
        and "removed orphan: .pending-abc123.xlsx" in fixed.stdout
    )
    assert files(env) == [marked, "000099-0123456789abcdef.csv"]  # a file named for a batch is never removed

    # The original deleted (by hand, or lost to an older qtm killed after its commit): exit 1, naming the batch.
    (folder / marked).unlink()
    missing = check(env)
    assert missing.returncode == 1
    assert f"missing: batch {batch['id']} has no original" in missing.stdout
    assert "every upload has its original" not in missing.stdout


def test_an_orphan_a_running_commit_holds_is_never_removed(tmp_path, sqlite_url):
    env = environment(tmp_path, sqlite_url)
    folder = Path(env["QTM_ORIGINALS_DIR"])
    folder.mkdir()
    orphan = folder / "held-0123456789abcdef-0123456789abcdef.xlsx"
    orphan.write_bytes(RETURN.read_bytes())
    os.utime(orphan, (HOURS_AGO, HOURS_AGO))  # old enough, but a commit (this test) still holds its lock
    with orphan.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        fixed = check(env, "--fix")
        assert fixed.returncode == 0 and "removed" not in fixed.stdout and orphan.exists()
    fixed = check(env, "--fix")
    assert f"removed orphan: {orphan.name}" in fixed.stdout and not orphan.exists()


def test_serve_sweeps_old_orphans_as_it_starts(tmp_path):
    settings = served_settings(tmp_path)
    folder = Path(settings["QTM_ORIGINALS_DIR"])
    folder.mkdir()
    old, young = (folder / f"held-0123456789abcdef-{n * 16}.csv" for n in ("a", "b"))
    for path in (old, young):
        path.write_bytes(b"left by a commit that never ended")
    os.utime(old, (HOURS_AGO, HOURS_AGO))
    with served(tmp_path, settings):
        assert not old.exists() and young.exists()
    assert "removed 1 left by commits that never ended" in (tmp_path / "server.log").read_text()
