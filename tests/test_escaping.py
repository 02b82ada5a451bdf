"""No forged lines: text stored as typed — a name tried at the login, a file name, who uploaded, why a batch was
withdrawn — prints escaped in every text command and in every ``--json`` output, and the JSON reads back as typed.

The hostile names go in the ways they do in use: failed logins through ``Users.authenticate`` with the client's
address (what the login page calls), uploads through ``ingest_file`` with the name the client gave (what the web
upload calls) and through ``qtm ingest --as``, a withdrawal through ``qtm batches withdraw --reason``. The real
``qtm`` commands then run as subprocesses, and their bytes are read as a terminal would get them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qtm.escaping import UNSAFE, json_text, printable
from tests.conftest import QTM

#: A name whose newline would start a line of its own in ``qtm audit``, looking like a withdrawal by the admin.
FORGED_LINE = 'x\n2026-01-02 03:04:05  withdraw  admin  7  -  {"reason": "forged"}'
CLEAR_SCREEN = "y\x1b[2J\x1b]0;owned\x07"
RIGHT_TO_LEFT = "z\u202eexe.txt"
OTHERS = (
    "w\r\x85\x9b31m\x7f\u2028\u2029\u2066\u200f\u061c\ufeff"  # CR, C1 (NEL, CSI), DEL, separators, bidi, BOM
)
CHINESE = "张三·兰州市"  # stays as it is
HOSTILE = (FORGED_LINE, CLEAR_SCREEN, RIGHT_TO_LEFT, OTHERS)

RETURN = "指标名称,地区,年份,数值,计量单位\n制造业产品质量合格率,甘肃,{year},{value},%\n"


def qtm_bytes(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the real ``qtm``; its standard output as the bytes a terminal gets, decoded as UTF-8 but nothing else
    (no universal newlines: a raw CR or U+2028 stays in the text, to be found)."""
    done = subprocess.run(
        [*QTM, *args], capture_output=True, env={**os.environ, **env}, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.returncode, done.stdout.decode("utf-8")


def assert_no_raw_characters(output: str) -> list[str]:
    """Every line of ``output`` free of control, format, separator and bidirectional characters; the lines."""
    lines = output.split("\n")
    assert lines[-1] == "", "the output ends with its last line's newline"
    for line in lines[:-1]:
        raw = UNSAFE.findall(line)
        assert not raw, f"raw {[unicodedata.name(c, hex(ord(c))) for c in raw]} in {line!r}"
    return lines[:-1]


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A database holding the HOSTILE names as failed logins, file names, uploaders and a withdrawal's reason,
    and an account (renamed in the database itself) whose name carries them; the environment to reach it."""

    tmp_path = tmp_path_factory.mktemp("hostile")
    sqlite_url = f"sqlite:///{tmp_path / 'qtm.sqlite'}"
    env = {"QTM_DATABASE_URL": sqlite_url, "QTM_ORIGINALS_DIR": str(tmp_path / "originals")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QTM_ORIGINALS_DIR", env["QTM_ORIGINALS_DIR"])
        _store_hostile_text(tmp_path, env)
    yield env


def _store_hostile_text(tmp_path: Path, env: dict[str, str]) -> None:
    from loaders.ingest import ingest_file
    from qtm.accounts import Users
    from qtm.registry import load_registry
    from qtm.store import Store

    store = Store.open(env["QTM_DATABASE_URL"])
    users = Users(store)
    for name in (*HOSTILE, CHINESE):
        assert users.authenticate(name, "not the password", address="203.0.113.7") is None
    registry = load_registry()
    for number, name in enumerate(HOSTILE):
        path = tmp_path / f"return{number}.csv"
        path.write_text(RETURN.format(year=2020 + number, value=90 + number), encoding="utf-8")
        stored = ingest_file(path, registry, store, uploaded_by=name, file_name=name, address="203.0.113.7")
        assert stored.status == "committed", stored.report.as_json()
    path = tmp_path / "by-cli.csv"
    path.write_text(RETURN.format(year=2019, value=88), encoding="utf-8")
    assert (
        subprocess.run([*QTM, "ingest", str(path), "--as", FORGED_LINE], env={**os.environ, **env}).returncode
        == 0
    )
    withdrawn = subprocess.run(
        [*QTM, "batches", "withdraw", "1", "--reason", FORGED_LINE + RIGHT_TO_LEFT], env={**os.environ, **env}
    )
    assert withdrawn.returncode == 0
    _account_named(store, "x" + FORGED_LINE.replace(" ", "_") + RIGHT_TO_LEFT)
    store.engine.dispose()


def _account_named(store, name: str) -> None:
    """An account whose name holds what ``qtm users add`` refuses (as a database restored from elsewhere, or
    edited by hand, may hold): added as usual, then renamed in the database itself."""
    from sqlalchemy import update

    from qtm.accounts import Users
    from qtm.store.schema import users

    Users(store).add("plain", "viewer", (), "correct horse battery staple", actor="test")
    with store.engine.begin() as connection:
        connection.execute(update(users).where(users.c.name == "plain").values(name=name))


def test_audit_prints_one_line_per_entry_whatever_the_names_hold(hostile_store):
    _, output = qtm_bytes("audit", env=hostile_store)
    lines = assert_no_raw_characters(output)
    entries = json.loads(qtm_bytes("audit", "--json", env=hostile_store)[1])
    assert len(lines) == 1 + len(entries)  # the header, then one line per entry: nothing forged
    assert sum(line.startswith("2026-01-02 03:04:05") for line in lines) == 0
    failed = [line for line in lines if " login_failed " in line]
    assert len(failed) == len(HOSTILE) + 1
    for shown in (
        "x\\n2026-01-02 03:04:05  withdraw  admin",
        "y\\x1b[2J\\x1b]0;owned\\x07",
        "z\\u202eexe.txt",
    ):
        assert any(shown in line for line in failed), shown
    assert any("w\\r\\x85\\x9b31m\\x7f\\u2028\\u2029\\u2066\\u200f\\u061c\\ufeff" in line for line in failed)
    assert any(CHINESE in line for line in failed)  # Chinese is left alone
    assert all("203.0.113.7" in line for line in failed)


def test_audit_json_reads_back_as_typed_and_shows_nothing_raw(hostile_store):
    _, output = qtm_bytes("audit", "--json", env=hostile_store)
    assert_no_raw_characters(output)
    assert "\\u202e" in output and "\\u0085" in output and "\\u2028" in output and CHINESE in output
    entries = json.loads(output)
    tried = [e["user"] for e in entries if e["action"] == "login_failed"]
    assert sorted(tried) == sorted((*HOSTILE, CHINESE))  # stored as typed, read back as typed
    uploads = [e for e in entries if e["action"] == "upload"]
    assert {e["detail"]["file"] for e in uploads} >= set(HOSTILE)


def test_batches_history_and_users_list_print_one_line_per_row(hostile_store):
    _, output = qtm_bytes("batches", env=hostile_store)
    lines = assert_no_raw_characters(output)
    stored = json.loads(qtm_bytes("batches", "--json", env=hostile_store)[1])["batches"]
    assert len(lines) == 1 + len(stored)
    for shown in ("x\\n2026-01-02 03:04:05  withdraw", "y\\x1b[2J\\x1b]0;owned\\x07", "z\\u202eexe.txt"):
        assert output.count(shown) >= 2, shown  # the file name, and who uploaded it
    withdrawal = next(line for line in lines if " withdrawal " in line)
    assert "reason: x\\n2026-01-02 03:04:05  withdraw" in withdrawal and "\\u202e" in withdrawal
    assert {b["file_name"] for b in stored} >= set(HOSTILE)
    assert any(b["reason"] == FORGED_LINE + RIGHT_TO_LEFT for b in stored)
    assert_no_raw_characters(qtm_bytes("batches", "--json", env=hostile_store)[1])

    _, output = qtm_bytes(
        "history", "--indicator", "制造业产品质量合格率", "--region", "甘肃", env=hostile_store
    )
    lines = assert_no_raw_characters(output)
    revisions = json.loads(
        qtm_bytes(
            "history", "--indicator", "制造业产品质量合格率", "--region", "甘肃", "--json", env=hostile_store
        )[1]
    )["revisions"]
    assert len(lines) == 1 + len(revisions)  # the heading, then one line per revision
    assert any("(x\\n2026-01-02 03:04:05" in line for line in lines)
    assert {r["uploaded_by"] for r in revisions} >= set(HOSTILE)

    _, output = qtm_bytes("users", "list", env=hostile_store)
    lines = assert_no_raw_characters(output)
    accounts = json.loads(qtm_bytes("users", "list", "--json", env=hostile_store)[1])
    assert len(lines) == len(accounts) == 1
    assert lines[0].startswith("xx\\n2026-01-02_03:04:05__withdraw") and "\\u202e" in lines[0]
    assert accounts[0]["name"] == "x" + FORGED_LINE.replace(" ", "_") + RIGHT_TO_LEFT


@given(st.text())
@example(FORGED_LINE + CLEAR_SCREEN + RIGHT_TO_LEFT + OTHERS + CHINESE)
@example("\U000e0001\U0001d173\ud800")  # a tag, a musical format character beyond the BMP, a lone surrogate
def test_escaped_text_has_no_raw_character_and_json_reads_back(text):
    shown = printable(text)
    assert not UNSAFE.search(shown) and "\n" not in shown
    assert [c for c in shown if not UNSAFE.match(c)] == list(shown)
    written = json_text({"name": text, "names": [text]})
    assert not UNSAFE.search(written.replace("\n", ""))
    assert json.loads(written) == {"name": text, "names": [text]}


def test_ordinary_text_is_left_as_it_is():
    for text in (CHINESE, "甘肃省 2023 年", "a\\nb (a backslash and an n)", "Ünïcödé café", "全角　空格"):
        assert printable(text) == text
        assert json.loads(json_text(text)) == text and (text in json_text(text) or "\\" in text)


def test_every_format_and_control_character_of_unicode_is_escaped():
    unsafe = [
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in {"Cc", "Cf", "Zl", "Zp"}
    ]
    assert len(unsafe) > 200
    assert all(printable(c).startswith("\\") for c in unsafe)
