"""Long work off the web workers (dashboard.jobs): a report pack is drawn in a job of its own while the worker goes
on answering, on one machine (diskcache) and with Celery workers on Redis; uploads are checked and stored in jobs
that know who asked from the session, not from the page."""

from __future__ import annotations

import io
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import psutil
import pytest

from reports.report_pack import read_manifest
from tests.conftest import QTM, empty_redis, log_in, served_settings, serving, web_client

pytestmark = pytest.mark.browser
REDIS_DB = 10  # a database of its own on the shared Redis, flushed first; never 0
TARGET = "/target/gansu_manufacturing_pass_rate_2025"


@pytest.fixture(scope="module")
def one_thread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One gunicorn worker with one thread (anything long done in the request would hold the whole server), and
    one job at a time."""
    env = {"QTM_DEBUG_WORKER_HEADER": "1", "QTM_JOB_SLOTS": "1"}
    with serving(tmp_path_factory.mktemp("jobs"), env, ("--workers", "1", "--threads", "1")) as url:
        yield url


@pytest.fixture(scope="module")
def celery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server sending its jobs to Celery on Redis, and one `qtm worker` running them; (url, the worker's log)."""
    folder = tmp_path_factory.mktemp("celery")
    env = {"QTM_JOBS": "celery", "QTM_REDIS_URL": empty_redis(REDIS_DB), "QTM_LIVE_SECONDS": "1"}
    with serving(folder, env) as url, (folder / "worker.log").open("w") as log:
        worker = subprocess.Popen(
            [*QTM, "worker", "--concurrency", "1"],
            env=served_settings(folder, env),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield url, folder / "worker.log"
        finally:
            worker.terminate()
            worker.wait(timeout=60)


def _jobs_of(worker: int) -> list[psutil.Process]:
    """Processes forked from the web worker ``worker`` (same command line), that is its background jobs."""
    parent = psutil.Process(worker)
    return [p for p in parent.children(recursive=True) if _command(p) == parent.cmdline()]


def _command(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.NoSuchProcess:  # ended meanwhile
        return []


def _pack_rows(data: bytes) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = read_manifest(archive.read("manifest.csv"))
        assert set(archive.namelist()) == {r["file"] for r in rows} | {"manifest.csv", "report.docx"}
    return rows


def test_a_pack_is_drawn_in_a_job_while_the_only_thread_keeps_answering(page, one_thread):
    page.goto(one_thread + "/")
    page.wait_for_selector(".card-slot")
    cards = page.locator(".card-slot").count()
    with page.expect_download(timeout=300_000) as download:
        page.click("#pack-link")
        page.wait_for_selector("#pack-busy", state="visible")
        assert page.locator("#pack-link").is_disabled()  # pressed once is enough
        with urlopen(one_thread + TARGET, timeout=60) as answered:
            jobs = _jobs_of(int(answered.headers["X-QTM-Worker"]))
            assert answered.status == 200
        assert jobs and all(job.is_running() for job in jobs)  # answered while the pack was being drawn
        counted = page.wait_for_function(
            "() => (document.querySelector('#pack-busy').textContent.match(/(\\d+)\\/(\\d+) 张/) || [])[2]"
        )
    rows = _pack_rows(download.value.path().read_bytes())
    assert len({(r["target"], r["region"]) for r in rows}) == cards
    assert int(counted.json_value()) == len(rows)  # the page counted the images being drawn, of all of them
    page.wait_for_selector("#pack-busy", state="hidden")
    assert page.locator("#pack-link").is_enabled()


def test_a_pack_can_be_cancelled_and_its_drawing_stops(page, one_thread):
    page.goto(one_thread + "/")
    page.wait_for_selector("#pack-link")
    downloads: list[object] = []
    page.on("download", lambda download: downloads.append(download))
    page.click("#pack-link")
    page.wait_for_selector("#pack-cancel", state="visible")
    worker = int(urlopen(one_thread + "/login", timeout=60).headers["X-QTM-Worker"])
    jobs = _jobs_of(worker)
    assert jobs
    page.click("#pack-cancel")
    page.wait_for_selector("#pack-busy", state="hidden")
    psutil.wait_procs(jobs, timeout=30)
    assert not any(job.is_running() and job.status() != psutil.STATUS_ZOMBIE for job in jobs)
    assert page.locator("#pack-link").is_enabled() and not downloads


def test_two_officials_pressing_the_same_button_at_once_each_get_the_pack_one_drawn_at_a_time(
    browser, one_thread
):
    pages = [browser.new_page() for _ in range(2)]
    for page in pages:
        page.goto(one_thread + "/region/620000")
        page.wait_for_selector("#pack-link")
    worker = int(urlopen(one_thread + "/login", timeout=60).headers["X-QTM-Worker"])
    waits = [page.expect_download(timeout=300_000) for page in pages]
    downloads = [wait.__enter__() for wait in waits]
    for page in pages:
        page.click("#pack-link")
    drawing_at_once, seen = 0, set()
    while any(page.locator("#pack-busy").is_visible() for page in pages):
        jobs = _jobs_of(worker)
        seen |= {job.pid for job in jobs}
        drawing_at_once = max(drawing_at_once, sum(1 for job in jobs if _draws(job)))
        time.sleep(0.2)
    for wait in waits:
        wait.__exit__(None, None, None)
    for download in downloads:
        assert {r["region"] for r in _pack_rows(download.value.path().read_bytes())} == {"620000"}
    assert len(seen) == 2 and drawing_at_once == 1  # two jobs, one slot (QTM_JOB_SLOTS=1)
    for page in pages:
        page.close()


def _draws(job: psutil.Process) -> bool:
    """Whether the job runs a Chromium (it draws)."""
    try:
        return any("chrom" in child.name() for child in job.children(recursive=True))
    except psutil.NoSuchProcess:
        return False


def _drop_as_lanzhou(page, url: str, folder: Path, region: str, value: float, status: str) -> None:
    """Log in as Lanzhou's reporter and drop a one-value return for ``region``; wait for its preview."""
    dropped = folder / f"{region}2024.csv"
    dropped.write_text(
        f"指标名称,地区,统计期,数值,计量单位\n制造业产品质量合格率,{region},2024,{value},%\n",
        encoding="utf-8",
    )
    log_in(page, url, "lanzhou")
    page.goto(url + "/upload")
    page.set_input_files("input[type=file]", [str(dropped)])
    page.wait_for_selector(f"#preview .file-preview[data-status={status}]", timeout=120_000)


def test_celery_workers_check_and_store_an_upload_as_the_logged_in_reporter(page, celery, tmp_path):
    url, worker_log = celery
    _drop_as_lanzhou(page, url, tmp_path, "兰州市", 93.1, "would-commit")
    page.click("[data-action=commit]")
    page.wait_for_selector(".commit-result li[data-status=committed]", timeout=120_000)
    assert "lanzhou" in page.locator("#batches tr[data-batch]").first.inner_text()
    assert "background_callback_" in worker_log.read_text()  # the worker ran them, not the web server
    audit = web_client(url, "admin").get(url + "/api/audit", timeout=60).json()
    stored = [e for e in audit if e["user"] == "lanzhou" and e["batch"] is not None]
    assert stored and stored[0]["address"] == "127.0.0.1"  # the client's address, as the request had it


def test_celery_refuses_a_region_outside_the_reporters_own(page, celery, tmp_path):
    url, _ = celery
    _drop_as_lanzhou(page, url, tmp_path, "上海市", 95.0, "rejected")
    assert page.locator("[data-action=commit]").is_disabled()


def test_celery_draws_the_region_pack(page, celery):
    url, _ = celery
    page.goto(url + "/region/620000")
    page.wait_for_selector("#pack-link")
    with page.expect_download(timeout=300_000) as download:
        page.click("#pack-link")
    rows = _pack_rows(download.value.path().read_bytes())
    assert {r["region"] for r in rows} == {"620000"}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "QTM_JOBS=celery"),
        ({"QTM_JOBS": "celery"}, "needs QTM_REDIS_URL"),
        (
            {"QTM_JOBS": "celery", "QTM_REDIS_URL": "redis://127.0.0.1:1/0"},
            "cannot reach Redis at redis://127.0.0.1:1/0",
        ),
        ({"QTM_JOBS": "threads"}, "QTM_JOBS must be diskcache"),
    ],
)
def test_qtm_worker_says_in_one_line_what_it_needs(tmp_path, env, says):
    settings = served_settings(tmp_path, {"QTM_JOBS": "", "QTM_REDIS_URL": "", **env})
    ran = subprocess.run(
        [*QTM, "worker"], env=settings, capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode != 0
    assert says in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.parametrize("workers", [(), ("--workers", "1")])
@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"QTM_JOB_SLOTS": "many"}, "QTM_JOB_SLOTS must be a whole number"),
        ({"QTM_JOBS": "celery", "QTM_REDIS_URL": ""}, "QTM_JOBS=celery needs QTM_REDIS_URL"),
    ],
)
def test_a_wrong_job_setting_stops_qtm_serve_in_one_line(tmp_path, env, says, workers):
    settings = served_settings(tmp_path, env)
    ran = subprocess.run(
        [*QTM, "serve", "--port", "1", *workers],
        env=settings,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1
    assert says in ran.stderr and "Traceback" not in ran.stderr
