"""No input can hurt the server (issue #9): each hostile file is written here for real and sent through the real
`qtm ingest` (or `ingest_file`), and each test checks what a user would notice — the exit status, the one line that
names the file, cell and problem, that nothing was stored — and that the machine was not hurt (time, memory)."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from loaders.ingest import OriginalNotKept, ingest_file
from loaders.template import template_rows, write_template
from qtm.regions import DEFAULT_REGIONS_FILE, load_regions
from qtm.registry import load_registry
from qtm.store import Store
from tests.conftest import QTM, run_qtm
from tests.store_helpers import history as history_of

HEADER = "指标名称,地区,年份,数值,计量单位\n"
MEMORY_LIMIT = 1536 * 1024 * 1024  # the address space a `qtm ingest` of a hostile file is given


@pytest.fixture(autouse=True)
def originals(tmp_path, monkeypatch):
    """Originals of stored uploads go to the test's own folder (the environment reaches `qtm` subprocesses too)."""
    folder = tmp_path / "originals"
    monkeypatch.setenv("QTM_ORIGINALS_DIR", str(folder))
    return folder


def write_csv(path: Path, body: str) -> Path:
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def ingest_limited(
    path: Path, env: dict[str, str], timeout: float = 60
) -> tuple[subprocess.CompletedProcess[str], float]:
    """`qtm ingest --json` in a child process whose address space is capped at MEMORY_LIMIT: a file that made it
    allocate more would kill it (a signal, a negative status), not end in a clean refusal."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.monotonic()
    result = subprocess.run(
        [*QTM, "ingest", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        preexec_fn=cap,
        check=False,
    )
    return result, time.monotonic() - started


def only_issue(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    (entry,) = json.loads(result.stdout)["files"]
    (issue,) = entry["issues"]
    assert isinstance(issue, dict)
    return issue


def stored(env: dict[str, str]) -> list[object]:
    data = run_qtm("data", "--json", env=env)
    assert data.returncode == 0, data.stderr
    return list(json.loads(data.stdout)["observations"])


# ---- one budget of cells per file -----------------------------------------------------------------------------


def sheet_xml(rows: str) -> str:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{main}" xmlns:x="{main}"><sheetData>{rows}</sheetData></worksheet>'
    )


def write_workbook_xml(path: Path, sheets: list[str]) -> Path:
    """An .xlsx written part by part, so that a workbook that claims millions of cells stays a few kilobytes."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    numbers = range(1, len(sheets) + 1)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{sheet_type}"/>' for n in numbers
        )
        + "</Types>"
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        + "".join(f'<sheet name="表{n}" sheetId="{n}" r:id="rId{n}"/>' for n in numbers)
        + "</sheets></workbook>"
    )
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in numbers
        )
        + "</Relationships>"
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        for n, rows in zip(numbers, sheets, strict=True):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", sheet_xml(rows))
    return path


#: Ways of writing a sheet of 384 000 × 26 cells (just under the 10-million-cell limit of one sheet) with two cells:
#: as Excel would; with a cell whose own place lies far beyond its row's; with a cell that names no place and so
#: takes the next one, in a row numbered 384 000; with the attributes in another order, quoted and spaced otherwise;
#: with the elements under a namespace prefix.
SPARSE_SHEETS = {
    "two cells named": '<row r="1"><c r="A1"><v>1</v></c></row><row r="384000"><c r="Z384000"><v>1</v></c></row>',
    "a cell beyond its row": '<row r="1"><c r="A1"><v>1</v></c><c r="Z384000"><v>1</v></c></row>',
    "a cell without its place": '<row r="1"><c r="Z1"><v>1</v></c></row><row r="384000"><c><v>1</v></c></row>',
    "attributes reordered": '<row spans="1:1" r="1"><c s="0" r="A1"><v>1</v></c></row>'
    '<row spans="1:26" r="384000"><c t="n" r="Z384000"><v>1</v></c></row>',
    "quoted and spaced": "<row r='1'><c\n r = 'A1'><v>1</v></c></row><row\tr='384000'><c r='Z384000'><v>1</v></c></row>",
    "prefixed": '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
    '<x:row r="384000"><x:c r="Z384000"><x:v>1</x:v></x:c></x:row>',
}


@pytest.mark.parametrize("shape", sorted(SPARSE_SHEETS))
def test_a_tiny_workbook_of_32_sparse_sheets_is_refused_quickly_in_bounded_memory(
    shape, tmp_path, sqlite_url
):
    # Before the budget, each sheet passed the per-sheet check and the 32 of them drove ingest to 3.9 GB.
    path = write_workbook_xml(tmp_path / "稀疏.xlsx", [SPARSE_SHEETS[shape]] * 32)
    assert path.stat().st_size < 30_000
    env = {"QTM_DATABASE_URL": sqlite_url}
    result, seconds = ingest_limited(path, env)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])  # refused, not killed
    assert seconds < 30
    issue = only_issue(result)
    assert issue["code"] == "too_many_cells"
    assert "limit" in str(issue["message"]) and "上限" in str(issue["message"])
    assert "Traceback" not in result.stderr
    assert stored(env) == []


def test_a_workbook_written_in_unusual_ways_still_reads(tmp_path, sqlite_url):
    """Cells without their place, attributes in another order, single quotes: measured with care, read as usual."""

    def text(value: str) -> str:
        return f"<is><t>{value}</t></is>"

    header = "".join(f'<c t="inlineStr">{text(v)}</c>' for v in ("指标名称", "地区", "年份", "数值"))
    rows = (
        f"<row>{header}</row>"
        f"<row><c t='inlineStr'>{text('制造业产品质量合格率')}</c><c t=\"inlineStr\">{text('甘肃')}</c>"
        "<c><v>2023</v></c><c><v>93.5</v></c></row>"
        f'<row spans="1:4" r="3"><c t="inlineStr" r="A3">{text("制造业产品质量合格率")}</c>'
        f'<c s="0" t="inlineStr" r="B3">{text("兰州市")}</c><c r = "C3"><v>2023</v></c><c r="D3"><v>92.1</v></c></row>'
    )
    path = write_workbook_xml(tmp_path / "unusual.xlsx", [rows])
    env = {"QTM_DATABASE_URL": sqlite_url}
    result, _seconds = ingest_limited(path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted((o["region"], o["value"]) for o in stored(env)) == [("620000", 93.5), ("620100", 92.1)]


def test_one_sheet_beyond_its_own_limit_is_still_named(tmp_path, sqlite_url):
    path = write_workbook_xml(
        tmp_path / "一张.xlsx", ['<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>1</v></c></row>']
    )
    result, _seconds = ingest_limited(path, {"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2 and only_issue(result)["code"] == "sheet_too_large"


def test_the_cell_budget_is_a_setting_and_counts_every_sheet(tmp_path, sqlite_url):
    workbook = Workbook()
    for number, region in enumerate(("甘肃", "兰州市", "天水市")):
        sheet = workbook.active if number == 0 else workbook.create_sheet()
        sheet.title = region
        sheet.append(["指标名称", "地区", "年份", "数值"])
        for year in range(2019, 2024):
            sheet.append(["制造业产品质量合格率", region, year, 93.0])
    path = tmp_path / "三张表.xlsx"
    workbook.save(path)  # 3 sheets of 6 × 4 = 24 cells: 72 in all
    env = {"QTM_DATABASE_URL": sqlite_url, "QTM_MAX_CELLS": "60"}
    result, _seconds = ingest_limited(path, env)
    assert result.returncode == 2 and only_issue(result)["code"] == "too_many_cells"
    assert "60" in str(only_issue(result)["message"]) and stored(env) == []
    result, _seconds = ingest_limited(path, {**env, "QTM_MAX_CELLS": "72"})
    assert result.returncode == 0, result.stdout
    assert len(stored(env)) == 15


def test_a_csv_of_six_million_empty_cells_is_refused(tmp_path, sqlite_url):
    path = tmp_path / "逗号.csv"
    path.write_text(("," * 9_999 + "\n") * 600)  # 6 MB: 600 lines of 10 000 empty cells
    env = {"QTM_DATABASE_URL": sqlite_url}
    result, seconds = ingest_limited(path, env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert only_issue(result)["code"] == "too_many_cells" and seconds < 30
    assert stored(env) == []


# ---- only regular files, never more bytes than the limit --------------------------------------------------------


def test_a_link_to_dev_zero_and_a_pipe_are_refused_at_once(tmp_path, sqlite_url):
    zero = tmp_path / "z.csv"
    zero.symlink_to("/dev/zero")
    pipe = tmp_path / "p.csv"
    os.mkfifo(pipe)  # nobody ever writes to it: reading it would wait for ever
    env = {"QTM_DATABASE_URL": sqlite_url}
    for path, what in ((zero, "device"), (pipe, "pipe")):
        started = time.monotonic()
        result = run_qtm("ingest", str(path), env=env, timeout=30)
        assert time.monotonic() - started < 15
        assert result.returncode == 2, result.stderr
        assert f"{path.name}: error not_a_regular_file:" in result.stderr and what in result.stderr
        assert "Traceback" not in result.stderr
    assert stored(env) == []


def test_a_file_far_over_the_size_limit_is_refused_without_being_read(tmp_path, sqlite_url):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(8 * 1024**3)  # 8 GB, sparse: reading it whole would take the machine's memory
    result, seconds = ingest_limited(path, {"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2 and only_issue(result)["code"] == "file_too_large" and seconds < 15


def test_a_folder_is_not_a_return(tmp_path, sqlite_url):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    result = run_qtm("ingest", str(folder), "--json", env={"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2 and only_issue(result)["code"] == "not_a_regular_file"


# ---- a CSV of any width -----------------------------------------------------------------------------------------


def test_a_header_of_20000_columns_is_one_line_naming_the_file_and_cell(tmp_path, sqlite_url):
    # Columns past ZZZ (18 278) ended in a traceback from openpyxl's column letters.
    path = tmp_path / "wide.csv"
    path.write_text(
        ",".join(["指标名称", "地区", *["2024年"] * 19_998])
        + "\n"
        + ",".join(["制造业产品质量合格率", "甘肃", *["93"] * 19_998])
        + "\n",
        encoding="utf-8",
    )
    env = {"QTM_DATABASE_URL": sqlite_url}
    result = run_qtm("ingest", str(path), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wide.csv!XFE1: error too_many_columns:"), result.stderr
    assert "20,000" in lines[0] and "16,384" in lines[0]
    assert "Traceback" not in result.stderr and stored(env) == []


def test_a_csv_field_beyond_the_csv_modules_limit_is_a_clear_refusal(tmp_path, sqlite_url):
    path = write_csv(tmp_path / "long.csv", '制造业产品质量合格率,甘肃,2023,"' + "9" * 200_000 + '",%\n')
    result = run_qtm("ingest", str(path), "--json", env={"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2 and only_issue(result)["code"] == "not_a_csv"
    assert "Traceback" not in result.stderr


# ---- values finite and plausible --------------------------------------------------------------------------------


def test_values_that_overflow_or_cannot_be_are_errors_by_cell(tmp_path, sqlite_url):
    path = write_csv(
        tmp_path / "absurd.csv",
        "拖拉机平均故障间隔时间,全国,2024,1e308,天\n"  # 1e308 days is infinity in hours
        "拖拉机平均故障间隔时间,全国,2023,1e999,小时\n"  # not even a float
        "市级智能工厂数量,上海,2024,12.5,家\n"  # half a factory
        "市级智能工厂数量,上海,2023,2e9,家\n"  # two billion factories in one city
        "装载机平均失效间隔时间,全国,2024,2000000,小时\n",  # 228 years between failures
    )
    env = {"QTM_DATABASE_URL": sqlite_url}
    result = run_qtm("ingest", str(path), "--json", env=env)
    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert [(i["severity"], i["code"], i["cell"]) for i in entry["issues"]] == [
        ("error", "value_not_finite", "D2"),
        ("error", "value_not_finite", "D3"),
        ("error", "not_a_whole_number", "D4"),
        ("error", "implausible_value", "D5"),
        ("error", "implausible_value", "D6"),
    ]
    assert "1e308" in entry["issues"][0]["message"]
    assert stored(env) == []


def test_an_unusually_large_value_is_stored_with_a_warning(tmp_path, registry, sqlite_url):
    path = write_csv(tmp_path / "large.csv", "专精特新企业数量,全国,2024,2000000,家\n")
    result = ingest_file(path, registry, Store.open(sqlite_url), uploaded_by="t")
    assert result.status == "committed"
    assert [(i.severity, i.code, i.cell) for i in result.report.issues] == [
        ("warning", "unusually_large_value", "D2")
    ]


def write_xlsx_with_cells(path: Path, values: list[str]) -> Path:
    """A return of MTBF values whose value cells are then rewritten in the XML: error values and numbers that are not
    finite, as a broken formula or another program leaves them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表1"
    sheet.append(["指标名称", "地区", "统计期", "数值", "计量单位"])
    for number in range(len(values)):
        sheet.append(["拖拉机平均故障间隔时间", "甘肃", 2015 + number, 1000 + number, "小时"])
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for number, value in enumerate(values):
        cell = f'<c r="D{number + 2}" t="n"><v>{1000 + number}</v></c>'
        assert cell in xml
        if value.startswith("#"):
            xml = xml.replace(cell, f'<c r="D{number + 2}" t="e"><f>1/0</f><v>{value}</v></c>')
        else:
            xml = xml.replace(cell, f'<c r="D{number + 2}"><v>{value}</v></c>')
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_error_values_nan_and_infinity_in_excel_are_errors_not_blanks(tmp_path, sqlite_url):
    # Before, #DIV/0! and #NUM! read as blank: the file "committed" an empty batch with exit 0.
    path = write_xlsx_with_cells(tmp_path / "errors.xlsx", ["#DIV/0!", "#NUM!", "NaN", "inf", "1e999"])
    env = {"QTM_DATABASE_URL": sqlite_url}
    result = run_qtm("ingest", str(path), "--json", env=env)
    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["status"] == "rejected"
    assert [(i["code"], i["sheet"], i["cell"]) for i in entry["issues"]] == [
        ("cell_error", "表1", "D2"),
        ("cell_error", "表1", "D3"),
        ("value_not_finite", "表1", "D4"),
        ("value_not_finite", "表1", "D5"),
        ("value_not_finite", "表1", "D6"),
    ]
    assert "#DIV/0!" in entry["issues"][0]["message"]
    assert stored(env) == [] and json.loads(run_qtm("batches", "--json", env=env).stdout) == {"batches": []}


def test_a_file_whose_every_value_is_skipped_is_not_an_empty_batch(tmp_path, sqlite_url):
    path = write_csv(
        tmp_path / "blank.csv", "制造业产品质量合格率,甘肃,2023,—,%\n制造业产品质量合格率,甘肃,2024,,%\n"
    )
    env = {"QTM_DATABASE_URL": sqlite_url}
    result = run_qtm("ingest", str(path), "--json", env=env)
    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert [(i["severity"], i["code"]) for i in entry["issues"]] == [
        ("error", "no_values"),
        ("warning", "missing_value"),
        ("warning", "missing_value"),
    ]
    assert json.loads(run_qtm("batches", "--json", env=env).stdout) == {"batches": []}


# ---- what a file says never reaches a terminal raw --------------------------------------------------------------


def test_terminal_escapes_and_bidi_overrides_in_cells_are_shown_escaped(tmp_path, sqlite_url):
    title = "\x1b]0;pwned\x07"  # sets the terminal's title
    path = write_csv(
        tmp_path / "escape.csv",
        f"制造业产品质量合格率,{title}火星,2023,93.5,%\n"
        "制造业产品质量合格率,甘肃,2023,约\u202e39\x9b2J,%\n",  # a right-to-left override and a C1 CSI
    )
    env = {"QTM_DATABASE_URL": sqlite_url}
    result = run_qtm("ingest", str(path), env=env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in output
    assert "\\x1b]0;pwned\\x07火星" in result.stderr
    assert "\\u202e39\\x9b2J" in result.stderr
    as_json = run_qtm("ingest", str(path), "--json", env=env).stdout
    assert "\u202e" not in as_json and "\x9b" not in as_json and "\\\\u202e" in as_json


# ---- no formula in what qtm writes ------------------------------------------------------------------------------


def test_template_text_that_would_start_a_formula_is_written_as_text(tmp_path, sqlite_url):
    regions_file = tmp_path / "regions.csv"
    hostile = '=HYPERLINK("http://evil.example/","兰州")'
    lines = DEFAULT_REGIONS_FILE.read_text(encoding="utf-8").splitlines()
    rewritten = [
        line.replace("620100,兰州市,", f'620100,"{hostile.replace(chr(34), chr(34) * 2)}",', 1)
        for line in lines
    ]
    regions_file.write_text("\n".join(rewritten) + "\n", encoding="utf-8")
    registry = load_registry(regions=load_regions(regions_file))
    assert registry.regions.get("620100").name_zh == hostile
    rows = template_rows(registry, plan="gansu_2023_2025", regions=["620100", "620000"])
    path = tmp_path / "template.xlsx"
    write_template(registry, rows, path, "+1 甘肃省 2023—2025")

    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets), "no cell is a formula"
    workbook = load_workbook(path)
    data = workbook["填报"]
    assert (
        data["A1"].value == "+1 甘肃省 2023—2025" and data["A1"].data_type == "s" and data["A1"].quotePrefix
    )
    hostile_cells = [c for row in data.iter_rows(min_row=3) for c in row if c.value == hostile]
    assert hostile_cells and all(c.data_type == "s" and c.quotePrefix for c in hostile_cells)
    listed = [c for row in workbook["_lists"].iter_rows() for c in row if c.value == hostile]
    assert listed and all(c.data_type == "s" and c.quotePrefix for c in listed)
    plain = data.cell(3, 1)
    assert not plain.quotePrefix  # other text is written as it was

    # The text reads back exactly: a filled template still ingests, numbers as numbers.
    for row in data.iter_rows(min_row=3):
        row[3].value = 93.5 if row[0].value == "制造业产品质量合格率" else None
    workbook.save(path)
    store = Store.open(sqlite_url)
    result = ingest_file(path, registry, store, uploaded_by="t", today=dt.date(2026, 6, 30))
    assert result.status == "committed", [i.describe(path.name) for i in result.report.issues]
    assert {(o.region, o.value) for o in store.current()} == {("620100", 93.5), ("620000", 93.5)}


# ---- re-uploads: a duplicate only when it would change nothing --------------------------------------------------


def test_re_uploading_an_earlier_file_after_a_wrong_correction_restores_its_values(
    tmp_path, registry, database_url
):
    store = Store.open(database_url)
    first = write_csv(tmp_path / "a.csv", "制造业产品质量合格率,甘肃,2023,93.1,%\n")
    wrong = write_csv(tmp_path / "b.csv", "制造业产品质量合格率,甘肃,2023,99.9,%\n")
    assert ingest_file(first, registry, store, uploaded_by="a").status == "committed"
    assert ingest_file(wrong, registry, store, uploaded_by="b").status == "committed"
    again = ingest_file(first, registry, store, uploaded_by="a")
    assert again.status == "committed", again.report.as_json()
    assert [o.value for o in store.current()] == [93.1]
    history = history_of(store, "manufacturing_pass_rate", "620000", "2023")
    assert [h.observation.value for h in history] == [93.1, 99.9, 93.1]
    assert [h.superseded_by is None for h in history] == [False, False, True]

    # Now it would change nothing: a duplicate, nothing stored — also from a file with other bytes.
    duplicate = ingest_file(first, registry, store, uploaded_by="a")
    assert duplicate.status == "duplicate"
    assert [i.code for i in duplicate.report.issues] == ["duplicate_file"]
    same_values = write_csv(tmp_path / "c.csv", "制造业产品质量合格率,甘肃省,2023,93.10,%\n")
    assert ingest_file(same_values, registry, store, uploaded_by="c").status == "duplicate"
    assert len(store.batches()) == 3

    # A flag is a change: the same value marked provisional is stored.
    path = tmp_path / "flagged.csv"
    path.write_text(
        "指标名称,地区,年份,数值,计量单位,标记\n制造业产品质量合格率,甘肃,2023,93.1,%,初步\n",
        encoding="utf-8",
    )
    assert ingest_file(path, registry, store, uploaded_by="d").status == "committed"
    assert [sorted(o.flags) for o in store.current()] == [["provisional"]]


# ---- originals kept for audit, under names the server chooses ---------------------------------------------------


def test_the_original_is_kept_under_a_name_the_server_chooses(tmp_path, registry, sqlite_url, originals):
    store = Store.open(sqlite_url)
    workbook = Workbook()
    workbook.active.append(["指标名称", "地区", "年份", "数值"])
    workbook.active.append(["制造业产品质量合格率", "甘肃", 2023, 93.5])
    path = tmp_path / "return.xls"  # an .xlsx under the old extension: kept as what it is
    workbook.save(path)
    content = path.read_bytes()

    dry = ingest_file(path, registry, store, uploaded_by="t", dry_run=True, file_name="../../etc/passwd")
    assert dry.status == "would-commit" and not originals.exists()

    result = ingest_file(path, registry, store, uploaded_by="t", file_name="../../etc/passwd")
    assert result.status == "committed" and result.batch_id is not None
    name = f"{result.batch_id:06d}-{result.sha256[:16]}.xlsx"
    assert sorted(p.name for p in originals.iterdir()) == [name]
    assert result.original == originals / name and (originals / name).read_bytes() == content
    assert (
        store.batches()[0].file_name == "../../etc/passwd"
    )  # recorded as the client said, never used as a path

    assert ingest_file(path, registry, store, uploaded_by="t").status == "duplicate"
    rejected = write_csv(tmp_path / "bad.csv", "制造业产品质量合格率,火星,2023,93.5,%\n")
    assert ingest_file(rejected, registry, store, uploaded_by="t").status == "rejected"
    assert sorted(p.name for p in originals.iterdir()) == [name]  # nothing kept for what was not stored


def test_no_batch_is_stored_when_its_original_cannot_be_kept(tmp_path, sqlite_url, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("QTM_ORIGINALS_DIR", str(blocker / "originals"))
    path = write_csv(tmp_path / "good.csv", "制造业产品质量合格率,甘肃,2023,93.5,%\n")
    env = {"QTM_DATABASE_URL": sqlite_url}
    result = run_qtm("ingest", str(path), env=env)
    assert result.returncode == 1
    assert "QTM_ORIGINALS_DIR" in result.stderr and "nothing was stored" in result.stderr
    assert "Traceback" not in result.stderr
    assert stored(env) == []
    with pytest.raises(OriginalNotKept):
        ingest_file(path, load_registry(), Store.open(sqlite_url), uploaded_by="t")


# ---- scope: who may report for which region ---------------------------------------------------------------------


def test_values_outside_the_uploaders_regions_refuse_the_whole_file(tmp_path, registry, database_url):
    store = Store.open(database_url)
    path = write_csv(
        tmp_path / "mixed.csv",
        "制造业产品质量合格率,兰州市,2023,93.5,%\n"
        "制造业产品质量合格率,上海,2023,95.1,%\n"
        "制造业产品质量合格率,天水市,2023,92.0,%\n"
        "制造业产品质量合格率,上海,2022,94.8,%\n",
    )
    gansu = lambda code: code.startswith("62")  # noqa: E731  (a reporter for Gansu and the regions under it)
    result = ingest_file(path, registry, store, uploaded_by="甘肃", scope=gansu)
    assert result.status == "rejected"
    assert [(i.code, i.cell) for i in result.report.errors] == [
        ("region_out_of_scope", "D3"),
        ("region_out_of_scope", "D5"),
    ]
    assert result.report.errors[0].message == "无权上报该地区：上海市 / you may not report for Shanghai"
    assert store.current() == [] and store.batches() == []

    inside = write_csv(tmp_path / "gansu.csv", "制造业产品质量合格率,兰州市,2023,93.5,%\n")
    assert ingest_file(inside, registry, store, uploaded_by="甘肃", scope=gansu).status == "committed"
    everywhere = ingest_file(path, registry, store, uploaded_by="admin", scope=lambda code: True)
    assert everywhere.status == "committed"


def test_the_address_of_an_upload_reaches_the_store(tmp_path, registry, sqlite_url):
    store = Store.open(sqlite_url)
    path = write_csv(tmp_path / "web.csv", "制造业产品质量合格率,甘肃,2023,93.5,%\n")
    result = ingest_file(path, registry, store, uploaded_by="web", address="203.0.113.7")
    assert result.status == "committed"
    if not hasattr(store, "audit"):
        pytest.skip("this store keeps no audit trail of addresses yet")
    entries = [e for e in store.audit() if getattr(e, "batch", None) == result.batch_id]
    assert entries and entries[0].address == "203.0.113.7"
