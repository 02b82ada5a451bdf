"""The `qtm` command as people and scripts use it: batches and their withdrawal, and `qtm status` for an official."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import QTM, run_qtm

LOGIN = getpass.getuser()  # the login name the qtm subprocesses run under
PASSWORD = "correct horse battery staple"

HEADER = "indicator,region,period,value,unit\n"


def write_csv(path: Path, body: str) -> Path:
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.fixture(autouse=True)
def _originals_elsewhere(tmp_path, monkeypatch):
    """The originals of what these tests store are kept in the test's folder, not in the project's data/."""
    monkeypatch.setenv("QTM_ORIGINALS_DIR", str(tmp_path / "originals"))
    monkeypatch.setenv("QTM_STAGING_DIR", str(tmp_path / "staging"))


def recorded(name: str) -> str:
    """What qtm records for --as NAME: the name with the login it was typed under."""
    return name if name == LOGIN else f"{name} ({LOGIN})"


def qtm_with_input(*args: str, env: dict[str, str], stdin: str) -> subprocess.CompletedProcess[str]:
    """``qtm`` with ``stdin`` on its standard input (run_qtm gives it none)."""
    return subprocess.run(
        [*QTM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


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
    ] == [
        (1, "upload", recorded("李四"), "first.csv", 2, 0),
        (2, "upload", recorded("王五"), "revised.csv", 2, 1),
    ]
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
        recorded("张三"),
        "填错了年份",
        2,
    )
    table = run_qtm("batches", env=env).stdout.splitlines()
    assert table[0].split() == [
        "批次", "id", "类型", "kind", "时间（北京时间）", "填报人", "by", "新存", "stored", "取代", "superseded",
        "未变", "unchanged", "警告", "warnings", "文件", "file",
    ]  # fmt: skip
    assert "revised.csv" in table[2] and "withdrawn by batch 3" in table[2]
    assert table[3].split()[:3] == ["3", "撤回", "withdrawal"] and "填错了年份" in table[3]
    assert "撤回批次 2" in table[3] and "撤回 2 个数值" in table[3]

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
    assert "待2025年数据；按2024年数据，" in lines[national + 1]
    # Readable in a terminal: no ids in every row, no line wider than a wide window.
    assert max(width(line) for line in lines) <= 140
    targets = {r["target"] for r in rows}
    assert all(sum(line.endswith(f"[{t}]") for line in lines) == 1 for t in targets)
    assert sum(line.startswith("    ") for line in lines) == len(rows)  # a line per target and region


def test_status_json_says_whom_each_target_binds(sqlite_url, registry):
    # issue #17: every row carries "binds"; a region below the target's jurisdiction is a "reference", printed as
    # 对照参考 and never counted.
    env = {"QTM_DATABASE_URL": sqlite_url}
    assert run_qtm("demo", env=env).returncode == 0
    rows = json.loads(run_qtm("status", "--as-of", "2026-11-22", "--json", env=env).stdout)
    assert all(isinstance(r["binds"], bool) for r in rows)
    for r in rows:
        own = r["region"] == registry.targets[r["target"]].jurisdiction
        assert r["binds"] is own and (r["status"] == "reference") is (not own), r
    lanzhou = [r for r in rows if r["region"] == "620100"]
    assert lanzhou and all(r["status"] == "reference" for r in lanzhou)
    by_plan = json.loads(run_qtm("status", "--by", "plan", "--json", "--as-of", "2026-11-22", env=env).stdout)
    assert sum(sum(v.values()) for v in by_plan.values()) == sum(r["binds"] for r in rows)
    assert not any("reference" in v for v in by_plan.values())
    lines = run_qtm("status", "--as-of", "2026-11-22", env=env).stdout.splitlines()
    lanzhou_lines = [line for line in lines if line.strip().startswith("兰州市")]
    assert lanzhou_lines and all("对照参考" in line and "已达成" not in line for line in lanzhou_lines)


# ---- accounts, the audit trail, history ------------------------------------------------------------------------


def test_accounts_are_managed_on_the_command_line_and_every_change_is_audited(sqlite_url):
    from qtm.accounts import Users
    from qtm.store import Store

    env = {"QTM_DATABASE_URL": sqlite_url}
    added = qtm_with_input(
        "users", "add", "boss", "--role", "admin", "--password-stdin", env=env, stdin=PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added boss: admin\n"
    added = qtm_with_input(
        "users", "add", "lz", "--role", "reporter", "--region", "兰州", "--region", "620100", "--password-stdin",
        "--as", "张三", env=env, stdin=" spaces count too \r\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added lz: reporter for 620100\n"

    # The password comes on standard input only, is checked, and is never printed.
    for args, stdin, code, message in [
        (["users", "add", "x", "--role", "viewer"], PASSWORD, 2, "--password-stdin"),
        (["users", "add", "x", "--role", "viewer", "--password-stdin"], "s3cr3t\n", 1, "too short"),
        (["users", "add", "x", "--role", "viewer", "--password-stdin"], "\n", 1, "the password is empty"),
        (["users", "add", "lz", "--role", "viewer", "--password-stdin"], PASSWORD, 1, "already a user named 'lz'"),
        (["users", "add", "x", "--role", "reporter", "--password-stdin"], PASSWORD, 1, "needs at least one region"),
        (["users", "add", "x", "--role", "reporter", "--region", "999999", "--password-stdin"], PASSWORD, 1,
         "unknown region code '999999'"),
        (["users", "add", "x", "--role", "root", "--password-stdin"], PASSWORD, 2, "root"),
        (["users", "disable", "boss"], "", 1, "last active admin"),
        (["users", "set-role", "nobody", "viewer"], "", 1, "there is no user named 'nobody'"),
    ]:  # fmt: skip
        refused = qtm_with_input(*args, env=env, stdin=stdin)
        assert refused.returncode == code, (args, refused.stderr)
        assert message in refused.stderr and refused.stdout == "", (args, refused.stderr)
        if code == 1:
            assert len(refused.stderr.splitlines()) == 1 and refused.stderr.startswith("qtm: error: ")
        assert "s3cr3t" not in refused.stderr + refused.stdout

    listed = json.loads(run_qtm("users", "list", "--json", env=env).stdout)
    assert listed == [
        {"name": "boss", "role": "admin", "regions": [], "active": True},
        {"name": "lz", "role": "reporter", "regions": ["620100"], "active": True},
    ]
    assert run_qtm("users", "set-role", "lz", "reporter", "--region", "620000", env=env).returncode == 0
    changed = qtm_with_input(
        "users", "set-password", "lz", "--password-stdin", env=env, stdin=PASSWORD + "2\n"
    )
    assert changed.returncode == 0 and changed.stdout == "password changed for lz\n"
    assert run_qtm("users", "disable", "lz", "--as", "boss", env=env).returncode == 0
    table = run_qtm("users", "list", env=env).stdout.splitlines()
    assert [line.split() for line in table] == [
        ["boss", "admin", "active"],
        ["lz", "reporter", "disabled", "620000"],
    ]

    store = Store.open(sqlite_url)
    accounts = Users(store)
    assert accounts.authenticate("lz", PASSWORD + "2") is None  # disabled
    assert run_qtm("users", "enable", "lz", env=env).returncode == 0
    assert accounts.authenticate("lz", " spaces count too ") is None  # replaced by set-password
    assert accounts.authenticate("lz", PASSWORD + "2") is not None  # the line end is not part of it
    assert accounts.authenticate("boss", PASSWORD) is not None

    trail = json.loads(run_qtm("audit", "--json", env=env).stdout)
    assert [(e["action"], e["user"], e["batch"], e["address"]) for e in reversed(trail)] == [
        ("user_add", LOGIN, None, None),
        ("user_add", recorded("张三"), None, None),
        ("user_set_role", LOGIN, None, None),
        ("user_set_password", LOGIN, None, None),
        ("user_disable", recorded("boss"), None, None),
        ("login_failed", "lz", None, None),  # the attempts above: while disabled, then with the old password
        ("user_enable", LOGIN, None, None),
        ("login_failed", "lz", None, None),
    ]
    assert [e["detail"]["reason"] for e in trail if e["action"] == "login_failed"] == [
        "wrong password",
        "account disabled",
    ]
    assert trail[-2]["detail"] == {"name": "lz", "role": "reporter", "regions": ["620100"]}
    everything = run_qtm("audit", env=env).stdout + json.dumps(trail)
    assert PASSWORD not in everything and "spaces count" not in everything and "argon2" not in everything
    assert len(json.loads(run_qtm("audit", "--json", "--limit", "2", env=env).stdout)) == 2
    store.engine.dispose()


def test_uploads_and_withdrawals_are_in_the_audit_trail_and_withdraw_is_a_command_of_its_own(
    tmp_path, database_url
):
    env = {"QTM_DATABASE_URL": database_url}
    upload = write_csv(tmp_path / "r.csv", "制造业产品质量合格率,甘肃,2023,93.5,%\n")
    assert run_qtm("ingest", str(upload), "--as", "李四", env=env).returncode == 0
    assert (
        run_qtm("ingest", str(upload), "--dry-run", env=env).returncode == 0
    )  # stores nothing, audits nothing
    withdrawn = run_qtm("withdraw", "1", "--reason", "wrong year", env=env)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "batch 1 (r.csv) withdrawn by batch 2" in withdrawn.stdout
    refused = run_qtm("withdraw", "1", env=env)
    assert refused.returncode == 1 and refused.stderr.startswith(
        "qtm: error: batch 1 (r.csv) was already withdrawn"
    )
    trail = json.loads(run_qtm("audit", "--json", env=env).stdout)
    assert [(e["action"], e["user"], e["batch"]) for e in trail] == [
        ("withdraw", LOGIN, 1),
        ("upload", recorded("李四"), 1),
    ]
    assert trail[0]["detail"]["reason"] == "wrong year" and trail[0]["detail"]["withdrawal_batch"] == 2
    assert trail[1]["detail"]["file"] == "r.csv" and trail[1]["detail"]["stored"] == 1
    assert trail[0]["at"] >= trail[1]["at"]
    shown = run_qtm("audit", env=env).stdout.splitlines()
    assert shown[0].split() == [
        "时间（北京时间）", "操作", "action", "用户", "by", "批次", "batch", "地址", "address", "详情", "detail"
    ]  # fmt: skip
    assert shown[1].split()[2:5] == ["撤回批次", "withdraw", LOGIN]
    assert "理由：wrong year" in shown[1] and "{" not in shown[1]  # details read, not JSON


def test_history_shows_every_revision_with_its_batch_and_what_became_of_it(tmp_path, sqlite_url):
    env = {"QTM_DATABASE_URL": sqlite_url}
    first = write_csv(
        tmp_path / "first.csv",
        "制造业产品质量合格率,甘肃,2023,93.5,%\n制造业产品质量合格率,甘肃,2024,93.8,%\n",
    )
    revised = write_csv(tmp_path / "revised.csv", "制造业产品质量合格率,甘肃,2023,93.6,%\n")
    wrong = write_csv(tmp_path / "wrong.csv", "制造业产品质量合格率,甘肃,2024,39.8,%\n")
    for path in (first, revised, wrong):
        assert run_qtm("ingest", str(path), env=env).returncode == 0
    assert run_qtm("withdraw", "3", env=env).returncode == 0
    shown = run_qtm("history", "--indicator", "制造业产品质量合格率", "--region", "甘肃", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    history = json.loads(shown.stdout)
    assert (history["indicator"], history["region"], history["unit"]) == (
        "manufacturing_pass_rate",
        "620000",
        "percent",
    )
    assert [
        (
            r["period"],
            r["value"],
            r["batch"],
            r["file_name"],
            r["current"],
            r["superseded_by"],
            r["withdrawn"],
        )
        for r in history["revisions"]
    ] == [
        ("2023", 93.5, 1, "first.csv", False, 2, False),
        ("2023", 93.6, 2, "revised.csv", True, None, False),
        ("2024", 93.8, 1, "first.csv", True, None, False),
        ("2024", 39.8, 3, "wrong.csv", False, 4, True),
    ]
    assert all(r["uploaded_by"] == LOGIN and r["flags"] == [] for r in history["revisions"])
    text = run_qtm("history", "--indicator", "manufacturing_pass_rate", "--region", "620000", env=env).stdout
    lines = text.splitlines()
    assert "[manufacturing_pass_rate]" in lines[0] and "甘肃省" in lines[0]
    assert "93.5" in lines[1] and "batch 1 (first.csv" in lines[1] and "superseded by batch 2" in lines[1]
    assert "93.6" in lines[2] and lines[2].endswith("current")
    assert "39.8" in lines[4] and "withdrawn by batch 4" in lines[4]
    nothing = run_qtm("history", "--indicator", "manufacturing_pass_rate", "--region", "上海", env=env)
    assert nothing.returncode == 0 and "no values stored" in nothing.stdout
    assert run_qtm("history", "--indicator", "nonsense", "--region", "甘肃", env=env).returncode == 2
    assert run_qtm("history", "--region", "甘肃", env=env).returncode == 2  # --indicator is required


def test_json_output_is_valid_json_even_for_a_value_too_large_for_a_float(sqlite_url):
    from qtm.observations import Observation
    from qtm.periods import Period
    from qtm.store import Store

    env = {"QTM_DATABASE_URL": sqlite_url}
    store = Store.open(sqlite_url)
    values = {"2021": 1e308, "2022": float("inf"), "2023": float("-inf")}
    store.commit_batch(
        file_name="huge.csv",
        sha256="h" * 64,
        uploaded_by="tester",
        records=[
            Observation("manufacturing_pass_rate", "620000", Period.parse(p), v, str(v), "%")
            for p, v in values.items()
        ],
        report=[{"severity": "warning", "code": "huge", "value": float("nan")}],
        n_warnings=1,
    )
    store.engine.dispose()
    outputs = {
        "data": run_qtm("data", "--json", env=env),
        "history": run_qtm(
            "history", "--indicator", "manufacturing_pass_rate", "--region", "620000", "--json", env=env
        ),
        "status": run_qtm("status", "--json", "--as-of", "2024-06-30", env=env),
        "audit": run_qtm("audit", "--json", env=env),
        "batches": run_qtm("batches", "--json", env=env),
    }
    for name, shown in outputs.items():
        assert shown.returncode == 0, (name, shown.stderr)
        assert "Infinity" not in shown.stdout and "NaN" not in shown.stdout, name
        json.loads(shown.stdout)  # strict JSON
    data = json.loads(outputs["data"].stdout)["observations"]
    assert [(o["period"], o["value"]) for o in data] == [("2021", 1e308), ("2022", None), ("2023", None)]
    revisions = json.loads(outputs["history"].stdout)["revisions"]
    assert [r["value"] for r in revisions] == [1e308, None, None]
