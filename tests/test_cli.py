"""The `qtm` command as people and scripts use it: batches and their withdrawal, and `qtm status` for an official."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from tests.conftest import run_qtm

HEADER = "indicator,region,period,value,unit\n"


def write_csv(path: Path, body: str) -> Path:
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def current(env: dict[str, str]) -> dict[tuple[str, str], float]:
    data = json.loads(run_qtm("data", "--json", "--indicator", "manufacturing_pass_rate", env=env).stdout)
    return {(o["region"], o["period"]): o["value"] for o in data["observations"]}


def test_a_withdrawn_upload_gives_way_to_the_values_before_it(tmp_path, database_url):
    env = {"QTM_DATABASE_URL": database_url}
    first = write_csv(
        tmp_path / "first.csv",
        "制造业产品质量合格率,甘肃,2023,93.5,%\n制造业产品质量合格率,甘肃,2024,93.8,%\n",
    )
    revised = write_csv(
        tmp_path / "revised.csv",
        "制造业产品质量合格率,甘肃,2023,93.6,%\n制造业产品质量合格率,兰州市,2023,94.0,%\n",
    )
    assert run_qtm("ingest", str(first), "--as", "李四", env=env).returncode == 0
    assert run_qtm("ingest", str(revised), "--as", "王五", env=env).returncode == 0
    assert current(env) == {("620000", "2023"): 93.6, ("620000", "2024"): 93.8, ("620100", "2023"): 94.0}

    listed = json.loads(run_qtm("batches", "--json", env=env).stdout)["batches"]
    assert [
        (b["id"], b["kind"], b["uploaded_by"], b["file_name"], b["n_observations"], b["n_superseded"])
        for b in listed
    ] == [(1, "upload", "李四", "first.csv", 2, 0), (2, "upload", "王五", "revised.csv", 2, 1)]
    assert all(b["withdrawn_by"] is None for b in listed)

    withdrawn = run_qtm("batches", "withdraw", "2", "--as", "张三", "--reason", "填错了年份", env=env)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "batch 2 (revised.csv) withdrawn by batch 3" in withdrawn.stdout
    assert "2 values withdrawn, 1 earlier values current again" in withdrawn.stdout
    # Gansu's 2023 value falls back to the first upload's; Lanzhou's, new in the withdrawn file, is gone.
    assert current(env) == {("620000", "2023"): 93.5, ("620000", "2024"): 93.8}

    listed = json.loads(run_qtm("batches", "--json", env=env).stdout)["batches"]
    assert [(b["id"], b["kind"], b["withdraws"], b["withdrawn_by"]) for b in listed] == [
        (1, "upload", None, None),
        (2, "upload", None, 3),
        (3, "withdrawal", 2, None),
    ]
    assert (listed[2]["uploaded_by"], listed[2]["reason"], listed[2]["n_superseded"]) == (
        "张三",
        "填错了年份",
        2,
    )
    table = run_qtm("batches", env=env).stdout.splitlines()
    assert table[0].split() == [
        "id", "kind", "when", "(UTC)", "by", "stored", "superseded", "unchanged", "warnings", "file"
    ]  # fmt: skip
    assert "revised.csv" in table[2] and "withdrawn by batch 3" in table[2]
    assert table[3].split()[:2] == ["3", "withdrawal"] and "填错了年份" in table[3]

    # The file can be ingested again once its batch is withdrawn.
    again = run_qtm("ingest", str(revised), "--json", env=env)
    assert json.loads(again.stdout)["files"][0]["status"] == "committed"
    assert current(env)[("620100", "2023")] == 94.0


def test_a_withdrawal_that_cannot_be_made_says_why_in_one_line_and_changes_nothing(tmp_path, database_url):
    env = {"QTM_DATABASE_URL": database_url}
    upload = write_csv(tmp_path / "r.csv", "制造业产品质量合格率,甘肃,2023,93.5,%\n")
    assert run_qtm("ingest", str(upload), env=env).returncode == 0
    assert run_qtm("batches", "withdraw", "1", env=env).returncode == 0
    before = run_qtm("batches", "--json", env=env).stdout
    for args, message in [
        (["1"], "qtm: error: batch 1 (r.csv) was already withdrawn by batch 2"),
        (["2"], "qtm: error: batch 2 is the withdrawal of batch 1, not an upload"),
        (["7"], "qtm: error: there is no batch 7"),
    ]:
        refused = run_qtm("batches", "withdraw", *args, env=env)
        assert refused.returncode == 1 and refused.stdout == ""
        assert len(refused.stderr.splitlines()) == 1 and refused.stderr.startswith(message), refused.stderr
    assert run_qtm("batches", "withdraw", "first", env=env).returncode == 2  # not a batch id: a usage error
    assert run_qtm("batches", "--json", env=env).stdout == before


def test_no_batches_yet(sqlite_url):
    env = {"QTM_DATABASE_URL": sqlite_url}
    listed = run_qtm("batches", env=env)
    assert listed.returncode == 0 and "no batches" in listed.stdout
    assert json.loads(run_qtm("batches", "--json", env=env).stdout) == {"batches": []}


def test_status_reads_as_plain_words_for_an_official(sqlite_url, registry):
    from qtm.formatting import STATUS_LABELS

    env = {"QTM_DATABASE_URL": sqlite_url}
    assert run_qtm("demo", env=env).returncode == 0
    shown = run_qtm("status", "--as-of", "2026-11-22", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "截至 2026-11-22 / as of 2026-11-22"
    # A heading per plan, by its Chinese title.
    assert registry.plans["gansu_2023_2025"].title.zh in lines
    # Under each target, its promise, deadline and id; then a line per region, by name, with the status in Chinese
    # and English and the latest value with its unit and period.
    rows = json.loads(run_qtm("status", "--as-of", "2026-11-22", "--json", env=env).stdout)
    gansu = next(
        r for r in rows if r["target"] == "gansu_manufacturing_pass_rate_2025" and r["region"] == "620000"
    )
    heading = next(i for i, line in enumerate(lines) if "[gansu_manufacturing_pass_rate_2025]" in line)
    assert (
        "制造业产品质量合格率" in lines[heading]
        and "≥ 94" in lines[heading]
        and "期限 2025-12-31" in lines[heading]
    )
    zh, en = STATUS_LABELS[gansu["status"]]
    region_line = lines[heading + 1]
    assert region_line.split()[:3] == ["甘肃省", zh, en]
    assert f"% ({gansu['latest']['period']})" in region_line and str(gansu["latest"]["value"]) in region_line
    # After the deadline, while the deadline's value is awaited, where the data so far were heading.
    national = next(i for i, line in enumerate(lines) if "[national_manufacturing_pass_rate_2025]" in line)
    assert lines[national + 1].split()[:3] == ["全国", "待数据", "Awaiting"]
    assert "待2025年数据；按2024年数据：" in lines[national + 1]
    # Readable in a terminal: no ids in every row, no line wider than a wide window.
    assert max(width(line) for line in lines) <= 140
    targets = {r["target"] for r in rows}
    assert all(sum(line.endswith(f"[{t}]") for line in lines) == 1 for t in targets)
    assert sum(line.startswith("    ") for line in lines) == len(rows)  # a line per target and region
