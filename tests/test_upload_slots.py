"""A server that cannot be exhausted through /api/upload: each request's checks take one of the machine's job slots
(the background jobs' own, QTM_JOB_SLOTS), a request waits at most QTM_SLOT_WAIT seconds for one (then 503 with
Retry-After, nothing checked or stored), and each check runs in a process of its own whose memory is bounded
(QTM_CHECK_MB): a return that needs more is refused with a clear message, and the server goes on answering."""

from __future__ import annotations

import fcntl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from qtm.store import Store
from tests.conftest import QTM, prepared, served, served_settings, web_client

LANZHOU_HEADER = "指标名称,地区,统计期,数值,计量单位\n"


def lanzhou_return(years: range = range(2010, 2026), repeat: int = 1) -> bytes:
    """Lanzhou's manufacturing pass rate, a value a year (``repeat`` times over: a larger file to read)."""
    line = "制造业产品质量合格率,兰州市,{},{:.2f},%\n"
    rows = "".join(line.format(year, 90 + year % 7) for _ in range(repeat) for year in years)
    return (LANZHOU_HEADER + rows).encode()


def batches(folder: Path) -> int:
    store = Store.open(f"sqlite:///{folder / 'qtm.sqlite'}")
    try:
        return len(store.batches())
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def one_slot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A default server (`qtm serve`) with one job slot, and a wait of one second for it."""
    folder = tmp_path_factory.mktemp("one-slot")
    with served(folder, prepared(folder, {"QTM_JOB_SLOTS": "1", "QTM_SLOT_WAIT": "1"})) as url:
        yield url, folder


def test_an_upload_that_finds_every_slot_taken_is_answered_503_and_checked_once_one_is_free(
    one_slot: tuple[str, Path],
) -> None:
    server, folder = one_slot
    client = web_client(server, "lanzhou")
    before = batches(folder)
    slot = folder / "jobs" / "slots" / "0"  # the machine's only slot, taken here as the jobs take it
    slot.parent.mkdir(parents=True, exist_ok=True)
    with slot.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = client.post(
            server + "/api/upload", files={"files": ("兰州.csv", lanzhou_return())}, timeout=60
        )
        fcntl.flock(held, fcntl.LOCK_UN)
    assert busy.status_code == 503
    assert int(busy.headers["Retry-After"]) > 0
    assert busy.headers["Content-Type"].startswith("application/json")
    refusal = busy.json()
    assert refusal["error"]["code"] == "busy" and refusal["error"]["status"] == 503
    zh, en = refusal["error"]["message"], refusal["error"]["message_en"]
    assert "服务器正忙" in zh and "try again" in en
    assert batches(folder) == before  # nothing checked, nothing stored
    answer = client.post(server + "/api/upload", files={"files": ("兰州.csv", lanzhou_return())}, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json()["files"][0]["status"] == "committed"
    assert batches(folder) == before + 1


@pytest.fixture(scope="module")
def small_checks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A default server whose checks may each use 64 MB (QTM_CHECK_MB): enough for a small return only."""
    folder = tmp_path_factory.mktemp("small-checks")
    with served(folder, prepared(folder, {"QTM_CHECK_MB": "64"})) as url:
        yield url, folder


def test_a_return_that_needs_more_memory_than_a_check_may_use_is_refused_and_the_server_goes_on(
    small_checks: tuple[str, Path],
) -> None:
    server, folder = small_checks
    client = web_client(server, "lanzhou")
    before = batches(folder)
    large = lanzhou_return(
        repeat=20_000
    )  # 320 000 rows, 17 MB: legal, but its check needs far more than 64 MB
    refused = client.post(server + "/api/upload", files={"files": ("大表.csv", large)}, timeout=300)
    assert refused.status_code == 422, refused.text[:500]
    result = refused.json()["files"][0]
    assert result["status"] == "rejected" and result["file"] == "大表.csv" and result["observations"] == []
    [issue] = result["issues"]
    assert issue["code"] == "needs_too_much_memory"
    assert "内存超过单次检查的上限（64 MB）" in issue["message"]
    assert "needs more memory than a check may use (64 MB)" in issue["message"]
    assert batches(folder) == before
    assert client.get(server + "/login", timeout=30).status_code == 200  # the server still answers …
    answer = client.post(server + "/api/upload", files={"files": ("兰州.csv", lanzhou_return())}, timeout=60)
    assert answer.status_code == 200, answer.text[:500]  # … and checks what fits
    assert answer.json()["files"][0]["status"] == "committed"
    assert batches(folder) == before + 1


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"QTM_SLOT_WAIT": "soon"}, "QTM_SLOT_WAIT must be a number of seconds"),
        ({"QTM_SLOT_WAIT": "-1"}, "QTM_SLOT_WAIT must be a number of seconds"),
        ({"QTM_CHECK_MB": "lots"}, "QTM_CHECK_MB must be a number of megabytes"),
        ({"QTM_CHECK_MB": "1"}, "QTM_CHECK_MB must be a number of megabytes (16 or more)"),
    ],
)
@pytest.mark.parametrize("workers", [(), ("--workers", "1")])
def test_a_wrong_slot_wait_or_check_memory_stops_qtm_serve_in_one_line(
    tmp_path: Path, env: dict[str, str], says: str, workers: tuple[str, ...]
) -> None:
    ran = subprocess.run(
        [*QTM, "serve", "--port", "1", *workers],
        env=served_settings(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1
    assert says in ran.stderr and "Traceback" not in ran.stderr
