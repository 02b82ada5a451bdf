"""Settings: every QTM_* variable is read in one place, documented, and a bad one stops a command in one line."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from qtm import PROJECT_ROOT
from qtm.config import VARIABLES, Settings
from qtm.errors import ConfigError
from tests.conftest import run_qtm

CODE = ("qtm", "dashboard", "loaders")
NAMES = {variable.name for variable in VARIABLES}


def _environment_reads(path: Path) -> list[tuple[int, str]]:
    """(line, variable) for every ``os.environ``/``os.getenv`` use of a QTM_ name in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("QTM_"):
            found.append((node.lineno, node.value))
    text = path.read_text(encoding="utf-8")
    reads_environment = "os.environ" in text or "getenv" in text
    return found if reads_environment else []


def test_no_module_but_the_settings_reads_a_qtm_variable_from_the_environment():
    readers = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} {name}"
        for folder in CODE
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if path != PROJECT_ROOT / "qtm" / "config.py"
        for line, name in _environment_reads(path)
        if name in NAMES
    ]
    assert readers == []


def test_every_variable_the_code_names_is_a_setting():
    named = {
        match
        for folder in CODE
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        for match in re.findall(r"\bQTM_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8"))
    }
    internal = {"QTM_STORE", "QTM_LIVE"}  # Flask config keys, not environment variables
    assert named - internal - NAMES == set()


@pytest.mark.parametrize(
    ("variable", "text", "says"),
    [
        (
            "QTM_MAX_UPLOAD_MB",
            "twenty",
            "QTM_MAX_UPLOAD_MB must be a number of megabytes above 0, not 'twenty'",
        ),
        ("QTM_LIVE_SECONDS", "0.1", "QTM_LIVE_SECONDS must be a number of seconds (1 or more), not '0.1'"),
        ("QTM_PROXY_HOPS", "-1", "QTM_PROXY_HOPS must be a whole number of proxies, 0 or more, not '-1'"),
        ("QTM_ANONYMOUS_VIEW", "maybe", "QTM_ANONYMOUS_VIEW must be 1 or 0 (on or off), not 'maybe'"),
        ("QTM_LOGIN_LIMIT", "lots", "QTM_LOGIN_LIMIT must read like '10 per minute', not 'lots'"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_the_value_and_what_is_allowed(variable, text, says):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({variable: text})
    assert str(refused.value) == says


def test_unset_and_empty_variables_take_the_defaults():
    assert Settings.from_env({}) == Settings.from_env({name: "" for name in NAMES}) == Settings()


def test_a_bad_setting_stops_any_command_with_one_line_before_it_does_anything(tmp_path):
    database = tmp_path / "qtm.sqlite"
    ran = run_qtm("status", env={"QTM_DATABASE_URL": f"sqlite:///{database}", "QTM_MAX_UPLOAD_MB": "twenty"})
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [
        "qtm: error: QTM_MAX_UPLOAD_MB must be a number of megabytes above 0, not 'twenty'"
    ]
    assert not database.exists()
