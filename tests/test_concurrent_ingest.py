"""Uploads at once, in separate processes (the real ``qtm ingest``), into one database: every one commits, in turn.

Eight returns that change the same indicators, regions and periods, started together, all commit; the history of a
shared value holds all eight revisions in the order their batches committed, and no driver noise reaches stderr.
Two identical files at once store their values once.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path

import pytest

from qtm.store import Store
from tests.conftest import QTM
from tests.store_helpers import history as history_of

HEADER = "指标名称,地区,年份,数值,计量单位\n"
#: Provinces and years: each return holds 3 × 31 × 24 = 2 232 values, all of them in every return, so that the
#: commits (a few hundredths of a second each) overlap when the eight start together.
REGIONS = (
    "北京市 天津市 河北省 山西省 内蒙古自治区 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省 江西省 山东省 "
    "河南省 湖北省 湖南省 广东省 广西壮族自治区 海南省 重庆市 四川省 贵州省 云南省 西藏自治区 陕西省 青海省 "
    "宁夏回族自治区 新疆维吾尔自治区 甘肃省 上海市"
).split()
INDICATORS = ("制造业产品质量合格率", "食品抽检合格率", "主要农产品例行监测合格率")
YEARS = range(2000, 2024)
N_VALUES = len(INDICATORS) * len(REGIONS) * len(YEARS)
SHARED_KEY = ("manufacturing_pass_rate", "620000", "2023")  # 制造业产品质量合格率, 甘肃省, 2023


def value(step: int, year: int) -> float:
    return round(90 + 0.01 * step + 0.001 * (year - 2000), 3)


def write_return(path: Path, step: int) -> Path:
    """A return touching the same keys as every other, with values of its own (``step`` apart, small steps)."""
    lines = [
        f"{indicator},{region},{year},{value(step, year):.3f},%\n"
        for indicator in INDICATORS
        for region in REGIONS
        for year in YEARS
    ]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def ingest_at_once(files: list[Path], database_url: str) -> list[tuple[int, dict, str]]:
    """Start one ``qtm ingest --json`` per file, all together; their exit codes, JSON answers and stderr."""
    env = {**os.environ, "QTM_DATABASE_URL": database_url}
    Store.open(
        database_url
    ).engine.dispose()  # migrated once, before: the race is the uploads', not migrations'
    processes = [
        subprocess.Popen(
            [*QTM, "ingest", str(path), "--json", "--as", f"user{index}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for index, path in enumerate(files)
    ]
    finished = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        finished.append((process.returncode, json.loads(out) if out.strip() else {}, err))
    return finished


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_eight_uploads_of_the_same_values_at_once_all_commit_in_turn(tmp_path, request, backend):
    database_url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))
    files = [write_return(tmp_path / f"return{step}.csv", step) for step in range(8)]
    finished = ingest_at_once(files, database_url)
    for code, answer, err in finished:
        assert code == 0, err
        assert [f["status"] for f in answer["files"]] == ["committed"], answer
        assert "error ignored" not in err and "Traceback" not in err, err
        assert err.strip() == "", err
    store = Store.open(database_url)
    try:
        uploads = store.batches()
        assert len(uploads) == 8
        # Each batch superseded every value of the one that committed before it (the first: none).
        assert sorted(b.n_superseded for b in uploads) == [0] + [N_VALUES] * 7
        history = history_of(store, *SHARED_KEY)
        assert len(history) == 8
        # Oldest first, in the order the batches committed: each revision superseded by the next one's batch.
        assert [h.batch_id for h in history] == sorted(b.id for b in uploads)
        for earlier, later in itertools.pairwise(history):
            assert earlier.superseded_by == later.batch_id
        assert history[-1].superseded_by is None
        # The current value is the last committed file's.
        last = next(b for b in uploads if b.id == history[-1].batch_id)
        step = int(last.file_name.removeprefix("return").removesuffix(".csv"))
        current = {o.key: o.value for o in store.current(indicator=SHARED_KEY[0])}
        assert current[SHARED_KEY] == pytest.approx(value(step, 2023))
        assert len(current) == len(REGIONS) * len(YEARS)
        audit = [e for e in store.audit() if e.action == "upload"]
        assert len(audit) == 8
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_two_identical_files_at_once_store_their_values_once(tmp_path, request, backend):
    database_url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))
    first = write_return(tmp_path / "a.csv", 3)
    second = tmp_path / "b.csv"
    second.write_bytes(first.read_bytes())
    finished = ingest_at_once([first, second], database_url)
    statuses = []
    for code, answer, err in finished:
        assert code == 0, err
        assert err.strip() == "", err
        statuses += [f["status"] for f in answer["files"]]
    store = Store.open(database_url)
    try:
        # Writers take turns, and whether a file changes anything is decided under the write lock: one batch, and
        # the other file is a duplicate — never an empty batch.
        assert sorted(statuses) == ["committed", "duplicate"]
        stored = store.batches()
        assert [b.n_observations for b in stored] == [N_VALUES]
        assert all(b.n_superseded == 0 for b in stored)
        assert len(history_of(store, *SHARED_KEY)) == 1
    finally:
        store.engine.dispose()
