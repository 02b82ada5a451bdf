"""Write docs/ingest.md's tables of problem codes from the catalogue (qtm.problems.CATALOGUE).

    python scripts/write_problem_codes.py          rewrite the tables between their markers
    python scripts/write_problem_codes.py --check  exit 1, saying so, when docs/ingest.md differs from that

Each table sits between ``<!-- problem-codes:STAGE -->`` and ``<!-- /problem-codes:STAGE -->`` (STAGE: check,
refused); codes that mean the same, one after the other, share a row."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qtm.problems import CATALOGUE, ProblemCode, Stage  # noqa: E402

INGEST = ROOT / "docs" / "ingest.md"
STAGES: tuple[Stage, ...] = ("check", "refused")


def rows(stage: Stage) -> list[list[ProblemCode]]:
    """The catalogue's codes of ``stage`` in order, those that mean the same one after the other grouped."""
    grouped: list[list[ProblemCode]] = []
    for entry in (e for e in CATALOGUE if e.stage == stage):
        last = grouped[-1][0] if grouped else None
        same = last is not None and (last.severity, last.meaning_zh, last.meaning_en) == (
            entry.severity,
            entry.meaning_zh,
            entry.meaning_en,
        )
        if same:
            grouped[-1].append(entry)
        else:
            grouped.append([entry])
    return grouped


def table(stage: Stage) -> str:
    """The Markdown table of ``stage``'s codes: with their severity for the checks (the refusals are all errors)."""
    severity = stage == "check"
    head = (
        "| code | severity | 含义 | meaning |\n|---|---|---|---|"
        if severity
        else ("| code | 含义 | meaning |\n|---|---|---|")
    )
    lines = [head]
    for group in rows(stage):
        first = group[0]
        codes = ", ".join(f"`{e.code}`" for e in group)
        cells = [codes, first.severity] if severity else [codes]
        lines.append("| " + " | ".join([*cells, first.meaning_zh, first.meaning_en]) + " |")
    return "\n".join(lines)


def rendered(text: str) -> str:
    """``text`` (docs/ingest.md) with each table between its markers written afresh."""
    for stage in STAGES:
        start, end = f"<!-- problem-codes:{stage} -->", f"<!-- /problem-codes:{stage} -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        found = pattern.search(text)
        if found is None:
            raise SystemExit(f"{INGEST}: the markers {start} … {end} are missing")
        text = text[: found.start()] + f"{start}\n{table(stage)}\n{end}" + text[found.end() :]
    return text


def main(argv: list[str]) -> int:
    current = INGEST.read_text(encoding="utf-8")
    wanted = rendered(current)
    if "--check" in argv:
        if wanted != current:
            print(
                f"{INGEST} differs from the catalogue: run python scripts/write_problem_codes.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        INGEST.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
