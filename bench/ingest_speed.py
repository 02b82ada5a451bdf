"""Ingest speed and memory on a 100 000-row long-format return, measured side by side in one run.

    .venv/bin/python bench/ingest_speed.py [--rows N] [--repeat K] [--scale 10000,100000,1000000] [--no-pandas]

Builds (once, cached in bench/.cache/) a real .xlsx return with a merged title row over the header, a
percent-formatted value column for rates, Chinese text and a unit column. Then times, median of K runs each, the
runs of the two sides taking turns (so that a machine busy with other work slows both alike):
  - python-calamine merely reading the file (from_path, the sheet, to_python),
  - qtm ingesting it end to end: refuse-checks, parse, locate, check, normalise with pint, store in a fresh SQLite,
and pandas.read_excel(engine="openpyxl") merely reading it, once (--no-pandas: not at all). Memory: the peak
resident size (VmHWM) above the resident size before the work, each side in a fresh child process — what calamine
itself needs to read the file, and what qtm needs to ingest it. Then qtm's cost per row at 10 000, 100 000 and
1 000 000 rows (each file built once and cached too; the largest ingested once, with the upload limits raised).

Each figure is printed beside its goal (issues #3, #10, #18): qtm ≤ 2 × calamine's read, peak memory ≤ 1.25 × what
calamine needs for the file, the cost per row flat from 10 000 to 1 000 000 rows (the largest at most 1.25 × the
smallest), and qtm ≤ 0.35 × pandas + openpyxl.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"


def build_return(rows: int) -> Path:
    """A long-format return of ``rows`` values (invented figures, for timing only)."""
    path = CACHE / f"long_return_{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from qtm.registry import load_registry

    CACHE.mkdir(parents=True, exist_ok=True)
    registry = load_registry()
    indicators = list(registry.indicators.values())
    regions = [r for r in registry.regions if r.level in ("prefecture", "district", "province")]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("月报")
    sheet.merged_cells.add("A1:H1") if hasattr(sheet, "merged_cells") else None
    title = WriteOnlyCell(sheet, value="2010—2025年各地区质量指标月度统计（测试数据，非官方统计）")
    sheet.append([title])
    sheet.append(["序号", "指标名称", "地区", "统计期", "数值", "计量单位", "标记", "备注"])
    # 192 months from 2010 hold 294 912 rows; a larger return reaches further back (always ending by 2025).
    months = max(192, -(-rows // (len(indicators) * len(regions))))
    first_year = 2010 if months == 192 else 2026 - -(-months // 12)
    count = 0
    for indicator in indicators:
        for r_index, region in enumerate(regions):
            for month in range(months):
                if count >= rows:
                    break
                year, m = first_year + month // 12, month % 12 + 1
                period = f"{year}年{m}月"
                if indicator.kind == "rate":
                    value = WriteOnlyCell(
                        sheet, value=round(0.90 + 0.0003 * (month % 192) + 0.001 * (r_index % 7), 4)
                    )
                    value.number_format = "0.00%"
                    unit = None
                elif indicator.kind == "count":
                    value, unit = WriteOnlyCell(sheet, value=10 + month + r_index), "家"
                elif indicator.kind == "duration":
                    value, unit = WriteOnlyCell(sheet, value=float(100 + month % 50 + r_index)), "小时"
                else:
                    value, unit = WriteOnlyCell(sheet, value=80 + 0.01 * month), None
                count += 1
                sheet.append([count, indicator.name.zh, region.name_zh, period, value, unit, None, None])
    # merged title: write_only sheets cannot merge; add the merge by reopening is slow, so note it in the XML below
    workbook.save(path)
    _add_title_merge(path)
    return path


def _add_title_merge(path: Path) -> None:
    """Insert <mergeCells> for the title row (write-only mode cannot merge)."""
    import shutil
    import zipfile

    temporary = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(
                    b"</sheetData>",
                    b'</sheetData><mergeCells count="1"><mergeCell ref="A1:H1"/></mergeCells>',
                    1,
                )
            target.writestr(item, data)
    shutil.move(temporary, path)


def median_time(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read_pandas_openpyxl(path: Path) -> None:
    import pandas as pd

    pd.read_excel(path, engine="openpyxl", header=None)


def read_calamine(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    workbook.get_sheet_by_index(0).to_python()
    workbook.close()


def bench_limits():  # type: ignore[no-untyped-def]
    """The upload limits, raised enough for the largest bench file (1 000 000 rows: 8 M cells, about 27 MB that
    unpack to about 410 MB)."""
    from loaders.safety import Limits

    return Limits(
        max_bytes=200 * 1024 * 1024, max_uncompressed_bytes=1024 * 1024 * 1024, max_total_cells=10_000_000
    )


def ingest_qtm(path: Path, timings: list[float] | None = None) -> int:
    """Ingest into a fresh SQLite database. The registry is loaded and the empty database created (migrated)
    before the clock starts: they are set-up, not the ingest of a return."""
    from loaders.ingest import ingest_file
    from qtm.registry import load_registry
    from qtm.store import Store

    registry = load_registry()
    with tempfile.TemporaryDirectory() as directory:
        os.environ.setdefault("QTM_ORIGINALS_DIR", str(CACHE / "originals"))
        store = Store.open(f"sqlite:///{directory}/bench.sqlite")
        started = time.perf_counter()
        result = ingest_file(path, registry, store, uploaded_by="bench", limits=bench_limits())
        if timings is not None:
            timings.append(time.perf_counter() - started)
        store.engine.dispose()
    if result.status != "committed":
        raise SystemExit(
            f"bench file not committed: {[i.describe(path.name) for i in result.report.issues[:5]]}"
        )
    return len(result.observations)


_MEMORY_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from pathlib import Path
import bench.ingest_speed as b
import tempfile
from loaders.ingest import ingest_file  # imports first: they are not the ingest's memory
from qtm.registry import load_registry
from qtm.store import Store
import python_calamine, openpyxl, sqlalchemy, defusedxml
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
registry = load_registry()
directory = tempfile.mkdtemp()
store = Store.open(f"sqlite:///{{directory}}/bench.sqlite")
import os
os.environ["QTM_ORIGINALS_DIR"] = directory + "/originals"
before = status('VmRSS:')
result = ingest_file(Path({path!r}), registry, store, uploaded_by="bench", limits=b.bench_limits())
print(json.dumps({{"before": before, "peak": status('VmHWM:'), "rows": len(result.observations)}}))
"""


_CALAMINE_MEMORY_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
import bench.ingest_speed as b
import python_calamine
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
before = status('VmRSS:')
b.read_calamine(__import__('pathlib').Path({path!r}))
print(json.dumps({{"before": before, "peak": status('VmHWM:')}}))
"""


def peak_memory(path: Path, child: str = _MEMORY_CHILD) -> dict[str, int]:
    """VmHWM above the resident size before the work, in a fresh child process: qtm's ingest, or ``child``."""
    code = child.format(root=str(ROOT), path=str(path))
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


#: The goals, as ratios (issues #3 and #18).
GOAL_TIME = 2.0  # qtm's whole ingest / calamine's bare read
GOAL_MEMORY = 1.25  # qtm's peak / calamine's peak for the same file
GOAL_FLAT = 1.25  # the largest cost per row / the smallest, from 10 000 to 1 000 000 rows
GOAL_PANDAS = 0.35  # qtm's whole ingest / pandas + openpyxl's bare read


def verdict(ratio: float, goal: float) -> str:
    return f"{ratio:5.2f} × (goal ≤ {goal:g} ×: {'met' if ratio <= goal else 'not met'})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--scale",
        default="10000,100000,1000000",
        help="row counts at which to print qtm's cost per row (comma-separated; empty: none)",
    )
    parser.add_argument("--no-pandas", action="store_true", help="do not time pandas + openpyxl (slow)")
    args = parser.parse_args()
    path = build_return(args.rows)
    size = path.stat().st_size
    ingest_qtm(path)  # warm caches (imports, pint) so that each side is timed on the same footing
    read_calamine(path)
    t_calamine, t_qtm = side_by_side(path, args.repeat)
    memory = peak_memory(path)
    growth = memory["peak"] - memory["before"]
    bare = peak_memory(path, _CALAMINE_MEMORY_CHILD)
    bare_growth = bare["peak"] - bare["before"]
    print(f"file: {path.name}, {args.rows:,} rows, {size / 1e6:.1f} MB")
    print(
        f"time  : calamine reads it in {t_calamine:5.2f} s; qtm ingests it in {t_qtm:5.2f} s "
        f"= {verdict(t_qtm / t_calamine, GOAL_TIME)}"
    )
    print(
        f"memory: calamine needs {bare_growth / 1e6:5.1f} MB; qtm peak {growth / 1e6:5.1f} MB "
        f"= {verdict(growth / bare_growth, GOAL_MEMORY)}  ({growth / size:.1f} × the file)"
    )
    if not args.no_pandas:
        t_pandas = median_time(lambda: read_pandas_openpyxl(path), 1)
        print(
            f"pandas: pandas + openpyxl reads it in {t_pandas:5.2f} s; qtm "
            f"= {verdict(t_qtm / t_pandas, GOAL_PANDAS)}"
        )
    print("where qtm's time goes (one run):")
    for stage, seconds in stages(path).items():
        print(f"  {stage:38}: {seconds:6.2f} s")
    points = [int(n) for n in args.scale.split(",") if n.strip()]
    if points:
        print_scale(points, args.repeat)
    shutil.rmtree(CACHE / "originals", ignore_errors=True)


def side_by_side(path: Path, repeat: int) -> tuple[float, float]:
    """Median times of calamine's bare read and of qtm's ingest, the runs taking turns."""
    calamine: list[float] = []
    qtm: list[float] = []
    for _ in range(repeat):
        calamine.append(median_time(lambda: read_calamine(path), 1))
        ingest_qtm(path, qtm)
    return statistics.median(calamine), statistics.median(qtm)


def print_scale(points: list[int], repeat: int) -> None:
    """qtm's cost per row at each size, and the largest beside the smallest."""
    print("qtm's cost per row as the return grows:")
    costs: list[float] = []
    for rows in points:
        scaled = build_return(rows)
        per_row: list[float] = []
        # The largest file once (it takes a while); smaller ones the median of --repeat runs.
        for _ in range(1 if rows >= 1_000_000 else repeat):
            ingest_qtm(scaled, per_row)
        seconds = statistics.median(per_row)
        costs.append(seconds / rows)
        print(
            f"  {rows:>9,} rows ({scaled.stat().st_size / 1e6:5.1f} MB): {seconds:7.2f} s = "
            f"{seconds / rows * 1e6:5.1f} µs per row"
        )
    if len(costs) > 1:
        print(
            f"  cost per row, the largest / the smallest = {verdict(max(costs) / min(costs), GOAL_FLAT)} (flat)"
        )


def stages(path: Path) -> dict[str, float]:
    """The ingest taken apart, stage by stage, to show where the time goes (with the cycle collector paused, as
    the ingest pauses it)."""
    import gc

    gc.disable()
    try:
        return _stages(path)
    finally:
        gc.enable()


def _stages(path: Path) -> dict[str, float]:
    import datetime as dt

    from loaders import columns, grid, labels, tables
    from loaders.checks import check_columns, plausibility_warnings
    from loaders.safety import check_file
    from loaders.xlsx_parts import read_parts
    from qtm.problems import Report
    from qtm.registry import load_registry
    from qtm.store import Store

    registry = load_registry()
    timings: dict[str, float] = {}

    def timed(name: str, function):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        value = function()
        timings[name] = time.perf_counter() - started
        return value

    timed("refusal checks (size, magic, zip)", lambda: check_file(path, bench_limits()))
    sheets = timed(
        "read (extent scan, then calamine ∥ formats)", lambda: grid.read_grid(path, "xlsx", bench_limits())
    )
    timed("  of which: the extent scan", lambda: read_parts(path, formats=False))
    classifier = labels.Classifier(registry)
    found = timed("find the table and its header", lambda: tables.find_tables(sheets[0], classifier))
    values = timed("columns of values + coordinates", lambda: columns.table_columns(found[0], None))
    report = Report()
    observations, places = timed(
        "check + normalise (pint factors)", lambda: check_columns(values, registry, report, dt.date.today())
    )
    timed(
        "plausibility (jumps, totals)",
        lambda: plausibility_warnings(observations, places, [], registry, report),
    )
    with tempfile.TemporaryDirectory() as directory:
        store = Store.open(f"sqlite:///{directory}/stages.sqlite")
        timed(
            "store in SQLite (one transaction)",
            lambda: store.commit_batch(
                file_name=path.name,
                sha256="0" * 64,
                uploaded_by="bench",
                records=observations,
                report=[],
                n_warnings=0,
            ),
        )
        store.engine.dispose()
    return timings


if __name__ == "__main__":
    main()
