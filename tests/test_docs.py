"""The documentation keeps up with the code: every command, setting and issue code is documented."""

from __future__ import annotations

import re

from qtm import PROJECT_ROOT
from qtm.config import VARIABLES
from qtm_command.cli import main

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
INGEST = (PROJECT_ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
SOURCES = [p for folder in ("qtm", "loaders", "dashboard") for p in (PROJECT_ROOT / folder).rglob("*.py")]


def test_every_command_is_in_the_readme():
    for name in main.commands:  # type: ignore[attr-defined]
        assert f"`qtm {name}" in README, f"qtm {name} is not documented in README.md"


def test_every_setting_is_in_the_readme():
    settings = {variable.name for variable in VARIABLES}  # tests/test_settings.py: no other module reads any
    assert len(settings) > 20, settings
    for setting in sorted(settings):
        assert f"`{setting}`" in README, f"{setting} is not documented in README.md"


def test_every_issue_code_is_in_the_catalogue_and_documented():
    """Every code a check reports (the loaders', and the web upload's own) is in qtm.problems.CATALOGUE with the
    severity it is reported with, and in docs/ingest.md; the catalogue holds no code nothing reports."""
    from qtm.problems import CODES

    checks = [p for p in SOURCES if p.parts[-2] == "loaders" or p.name == "api.py"]
    codes: dict[str, set[str]] = {}
    for path in checks:
        text = path.read_text(encoding="utf-8")
        for severity in ("error", "warning"):
            for code in re.findall(rf'\.{severity}\(\s*"([a-z_]+)"', text):
                codes.setdefault(code, set()).add(severity)
        for code in re.findall(r'(?:Refused|UnreadableFile)\(\s*"([a-z_]+)"', text):
            codes.setdefault(code, set()).add("error")
    assert len(codes) > 20, codes
    for code, severities in sorted(codes.items()):
        assert code in CODES, f"issue code {code} is not in the catalogue (qtm/problems.py)"
        assert severities == {CODES[code].severity}, (
            f"{code} is reported as {severities}, catalogued otherwise"
        )
        assert f"`{code}`" in INGEST, f"issue code {code} is not documented in docs/ingest.md"
    assert set(CODES) == set(codes), f"catalogued but never reported: {set(CODES) - set(codes)}"


def test_the_tables_of_codes_are_written_from_the_catalogue():
    """docs/ingest.md's tables are what scripts/write_problem_codes.py writes (run it after changing a code)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "write_problem_codes", PROJECT_ROOT / "scripts" / "write_problem_codes.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.rendered(INGEST) == INGEST, (
        "docs/ingest.md differs: run python scripts/write_problem_codes.py"
    )
    assert "| `zip_bomb` | 压缩包" in INGEST  # Chinese and English, both from the catalogue
