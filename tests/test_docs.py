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


def test_every_issue_code_is_documented():
    loaders = [p for p in SOURCES if p.parts[-2] == "loaders"]
    codes = set()
    for path in loaders:
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\.(?:error|warning)\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'Refused\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'UnreadableFile\(\s*"([a-z_]+)"', text))
    assert len(codes) > 20, codes
    for code in sorted(codes):
        assert f"`{code}`" in INGEST, f"issue code {code} is not documented in docs/ingest.md"
