"""Draw docs/layouts/*.png: one picture of each layout class the reader understands (docs/ingest.md, "Layouts the
reader understands"), drawn from a corpus file of that class with its cells coloured by what the reader finds in
them — the header, the columns of labels, the values it reads, the context it takes from above, the columns of
context it skips.

    .venv/bin/python scripts/render_layouts.py [--out docs/layouts] [--only NAME]

Reads the corpus files in tests/corpus/files/ with qtm's own reader; renders offline with the system Chromium
(scripts/system-deps.sh installs it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loaders.columns import table_columns  # noqa: E402
from loaders.grid import Position, Sheet, column_letters, read_grid  # noqa: E402
from loaders.labels import Classifier  # noqa: E402
from loaders.safety import Limits, check_file  # noqa: E402
from loaders.tables import Table, find_tables  # noqa: E402
from loaders.values import format_percent  # noqa: E402
from qtm.registry import load_registry  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "files"

#: The picture of each class: its file in docs/layouts/ and the corpus file it is drawn from.
LAYOUTS: list[tuple[str, str]] = [
    ("long", "long_clean.xlsx"),
    ("wide-regions-by-year", "wide_regions_by_year.xlsx"),
    ("multirow-header", "multirow_header.xlsx"),
    ("form-zonghe", "form_zonghe.xlsx"),
    ("group-over-periods", "group_year_heading.xlsx"),
    ("title-and-heading", "compose_title_measure.xlsx"),
    ("previous-year", "form_previous_year.xlsx"),
    ("yearbook", "yearbook_bilingual.xlsx"),
    ("nbs-export", "nbs_export.csv"),
    ("groups-over-sub-headings", "groups_two_measures.xlsx"),
    ("scale-words", "scale_in_header.xlsx"),
    ("tables-stacked", "tables_stacked.xlsx"),
    ("tables-side-by-side", "tables_side_by_side_reporter.xlsx"),
    ("offices-old-xls", "bureau_legacy.xls"),
    ("groups-completed-by-title", "title_groups_periods.xlsx"),
    ("found-by-content", "found_by_content.xlsx"),
]

ROLES = {
    "context": ("说明（标题、填报单位、单位）", "context stated above"),
    "header": ("表头", "header"),
    "label": ("标签列（指标、地区、统计期、单位）", "labels"),
    "value": ("读取的数值", "values read"),
    "skipped": ("说明性列，跳过", "context columns, skipped"),
}

STYLE = """
body { margin: 0; background: #fff; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
figure { display: inline-block; margin: 0; padding: 12px; }
table.sheet { border-collapse: collapse; font-size: 13px; }
table.sheet td, table.sheet th { border: 1px solid #c8ccd2; padding: 3px 8px; white-space: nowrap; }
table.sheet th { background: #eef0f3; color: #59616b; font-weight: normal; font-size: 11px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.context { background: #e4ecf7; } td.header { background: #fbe3c4; font-weight: 600; }
td.label { background: #dcefdc; } td.value { background: #fff6c9; color: #0b3d91; font-weight: 600; }
td.skipped { background: #e9e9e9; color: #8a8a8a; }
figcaption { margin-top: 8px; font-size: 12px; color: #444; }
span.key { display: inline-block; width: 12px; height: 12px; border: 1px solid #aaa; margin: 0 4px 0 12px;
           vertical-align: -2px; }
"""


def roles_of(sheet: Sheet, tables: list[Table]) -> dict[Position, str]:
    """What the reader makes of each cell it uses: context, header, label, value or skipped."""
    roles: dict[Position, str] = {}
    for table in tables:
        for row in table.header_rows:
            for column in table.columns:
                if column.labels:
                    roles[(row, column.index)] = "header"
        labels = [
            c.index for c in table.columns if c.field in ("indicator", "region", "period", "unit", "flags")
        ]
        skipped = [c.index for c in table.columns if c.labels and not c.is_measure and c.field is None]
        for value_column in table_columns(table, None):
            for row in value_column.rows:
                roles[(row, value_column.column)] = "value"
                roles.update({(row, c): "label" for c in labels})
                roles.update({(row, c): "skipped" for c in skipped if c > table.stub})
        context = table.context
        for stated in (context.indicator, context.region, context.period, context.unit):
            if stated is not None:
                roles[_position(stated[1])] = "context"
    return roles


def _position(cell: str) -> Position:
    letters = cell.rstrip("0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return int(cell[len(letters) :]) - 1, column - 1


def shown(sheet: Sheet, row: int, column: int) -> str:
    """A cell as Excel shows it: a percent-formatted number as its percentage, a date as a date."""
    value = sheet.value(row, column)
    if value is None:
        return ""
    if isinstance(value, float) and (row, column) in sheet.percent_formats:
        return format_percent(value * 100, sheet.percent_formats[(row, column)])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


def sheet_html(sheet: Sheet, roles: dict[Position, str]) -> str:
    """The sheet as a spreadsheet looks: column letters, row numbers, merged cells spanning."""
    width = max((len(r) for r in sheet.rows), default=0)
    spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in sheet.merged}
    covered = {
        (r, c)
        for (r0, c0), (rows, columns) in spans.items()
        for r in range(r0, r0 + rows)
        for c in range(c0, c0 + columns)
        if (r, c) != (r0, c0)
    }
    lines = ["<tr><th></th>" + "".join(f"<th>{column_letters(c)}</th>" for c in range(width)) + "</tr>"]
    for row in range(len(sheet.rows)):
        cells = [f"<th>{row + 1}</th>"]
        for column in range(width):
            if (row, column) in covered:
                continue
            rows, columns = spans.get((row, column), (1, 1))
            text = shown(sheet, row, column)
            classes = [roles.get((row, column), "")]
            if isinstance(sheet.value(row, column), int | float):
                classes.append("num")
            span = (f' rowspan="{rows}"' if rows > 1 else "") + (
                f' colspan="{columns}"' if columns > 1 else ""
            )
            cells.append(f'<td class="{" ".join(c for c in classes if c)}"{span}>{html.escape(text)}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return '<table class="sheet">' + "".join(lines) + "</table>"


def page_html(name: str, sheets: list[tuple[Sheet, dict[Position, str]]]) -> str:
    legend = "".join(
        f'<span class="key" style="background: var(--{role})"></span>{zh} / {en}'
        for role, (zh, en) in ROLES.items()
    )
    colours = "figure { --context: #e4ecf7; --header: #fbe3c4; --label: #dcefdc; --value: #fff6c9; --skipped: #e9e9e9; }"
    tables = "".join(
        (f"<p>{html.escape(sheet.name)}</p>" if len(sheets) > 1 and sheet.name else "")
        + sheet_html(sheet, roles)
        for sheet, roles in sheets
    )
    caption = f"<figcaption>{html.escape(name)}<br>{legend}</figcaption>"
    return f"<!doctype html><meta charset='utf-8'><style>{STYLE}{colours}</style><figure>{tables}{caption}</figure>"


def read(name: str) -> list[tuple[Sheet, dict[Position, str]]]:
    """The corpus file's sheets, each with what the reader makes of its cells."""
    path = CORPUS / name
    limits = Limits.from_env()
    content = path.read_bytes()
    sheets = read_grid(path, check_file(path, limits, content), limits, content)
    classifier = Classifier(load_registry())
    return [(sheet, roles_of(sheet, find_tables(sheet, classifier))) for sheet in sheets]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "layouts")
    parser.add_argument("--only", help="draw only this picture (its name without .png)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 600}, device_scale_factor=1)
        for picture, name in LAYOUTS:
            if args.only and args.only != picture:
                continue
            page.set_content(page_html(name, read(name)))
            page.locator("figure").screenshot(path=str(args.out / f"{picture}.png"))
            print(args.out / f"{picture}.png")
        browser.close()


if __name__ == "__main__":
    main()
