"""Ingesting returns: refuse hostile files, read every sheet, check every value, and store each accepted file as one
batch — all of it, or nothing if it has any error."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loaders.checks import check_columns, plausibility_warnings
from loaders.columns import ValueColumn, table_columns
from loaders.grid import Sheet, UnreadableFile, read_grid
from loaders.labels import Classifier, stub_text, text_key
from loaders.safety import Limits, Refused, check_file
from loaders.tables import Table, find_tables
from qtm.observations import Observation
from qtm.problems import Report
from qtm.registry import Registry
from qtm.store import Store

Status = Literal["committed", "would-commit", "rejected", "duplicate", "unreadable"]

#: Sheets that explain a form rather than hold data.
INSTRUCTION_SHEETS = frozenset(
    {
        "说明",
        "填表说明",
        "填报说明",
        "使用说明",
        "指标解释",
        "目录",
        "封面",
        "instructions",
        "readme",
        "notes",
        "_lists",
        "选项",
    }
)


@dataclass
class FileResult:
    file: str
    sha256: str
    status: Status
    observations: list[Observation] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    batch_id: int | None = None

    @property
    def readable(self) -> bool:
        return self.status != "unreadable"

    def as_json(self, registry: Registry) -> dict[str, object]:
        """The per-file shape of ``qtm ingest --json`` (an unreadable file is reported as rejected)."""
        units = {i.id: i.unit for i in registry.indicators.values()}
        return {
            "file": self.file,
            "sha256": self.sha256,
            "status": "rejected" if self.status == "unreadable" else self.status,
            "observations": [o.as_json(units[o.indicator]) for o in self.observations],
            "issues": self.report.as_json(),
        }


@dataclass
class Reading:
    observations: list[Observation]
    places: list[tuple[str | None, int, int]]
    report: Report


def read_return(
    path: Path,
    registry: Registry,
    *,
    today: dt.date | None = None,
    limits: Limits | None = None,
    classifier: Classifier | None = None,
) -> Reading:
    """Read one return into checked observations and its problem report.

    Raises :class:`UnreadableFile` when the file is refused or cannot be read at all.
    """
    limits = limits or Limits.from_env()
    try:
        kind = check_file(path, limits)
        sheets = read_grid(path, kind, limits)
    except Refused as refused:
        raise UnreadableFile(refused.code, refused.zh, refused.en) from refused
    classifier = classifier or Classifier(registry)
    report = Report()
    tables = [
        (sheet, table)
        for sheet in sheets
        if not _is_instructions(sheet)
        for table in find_tables(sheet, classifier)
    ]
    if not tables:
        report.error(
            "no_table",
            "未找到数据表：需要“指标名称、地区、统计期、数值”等表头，或以统计期、指标、地区为列的宽表",
            "no table found: expected headers such as indicator, region, period and value, "
            "or a wide table with periods, indicators or regions across",
        )
    found_tables = bool(tables)
    columns: list[ValueColumn] = [
        column
        for _sheet, table in tables
        for column in table_columns(table, _jurisdiction(table, classifier))
    ]
    del tables, sheets  # the cell grids are no longer needed: free them before the observations are made
    observations, places = check_columns(columns, registry, report, today or dt.date.today())
    if found_tables and not observations and report.ok and not report.warnings:
        report.error(
            "no_values",
            "表中没有可导入的数值：未识别出监测目录中的指标、地区和统计期",
            "no values to import: no indicator, region and period of the registry were recognised",
        )
    return Reading(observations, places, report)


def _is_instructions(sheet: Sheet) -> bool:
    return sheet.name is not None and text_key(sheet.name) in INSTRUCTION_SHEETS


def _jurisdiction(table: Table, classifier: Classifier) -> str | None:
    """The area a return covers, which 全省, 全市, 合计 … stand for: its 地区 line or title, else the common parent
    of the regions it lists."""
    regions = classifier.registry.regions
    if table.context.region is not None:
        region = regions.resolve(str(table.context.region[0]))
        if region is not None:
            return region.code
    region_columns = [c.index for c in table.columns if c.field == "region"]
    if not region_columns:
        return None
    parents = set()
    for row in table.sheet.rows[table.first_data_row :][:500]:
        if region_columns[0] < len(row):
            region = regions.resolve(stub_text(row[region_columns[0]]))
            if region is not None and region.parent is not None and region.level != "province":
                parents.add(region.parent)
    return parents.pop() if len(parents) == 1 else None


def ingest_file(
    path: Path,
    registry: Registry,
    store: Store,
    *,
    uploaded_by: str,
    dry_run: bool = False,
    file_name: str | None = None,
    today: dt.date | None = None,
    limits: Limits | None = None,
) -> FileResult:
    """Read, check and (unless ``dry_run``) store one file. A file with any error stores nothing."""
    name = file_name or path.name
    try:
        content = path.read_bytes() if path.stat().st_size <= (limits or Limits.from_env()).max_bytes else b""
    except OSError as exc:
        result = FileResult(name, "", "unreadable")
        result.report.error(
            "unreadable", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"
        )
        return result
    sha256 = hashlib.sha256(content).hexdigest() if content else ""
    try:
        reading = read_return(path, registry, today=today, limits=limits)
    except UnreadableFile as exc:
        result = FileResult(name, sha256, "unreadable")
        result.report.error(exc.code, exc.zh, exc.en)
        return result
    observations, report = reading.observations, reading.report
    if report.ok and observations:
        indicators = {o.indicator for o in observations}
        stored = [o for i in sorted(indicators) for o in store.current(indicator=i)]
        plausibility_warnings(observations, reading.places, stored, registry, report)
    report.close()
    if not report.ok:
        return FileResult(name, sha256, "rejected", observations, report)
    previous = store.find_batch(sha256)
    if previous is not None:
        report.warning(
            "duplicate_file",
            f"同一文件已于 {previous.uploaded_at:%Y-%m-%d %H:%M} 导入（批次 {previous.id}），本次未存储",
            f"the same file was stored on {previous.uploaded_at:%Y-%m-%d %H:%M} UTC (batch {previous.id}); "
            "nothing stored",
        )
        return FileResult(name, sha256, "duplicate", observations, report, previous.id)
    if dry_run:
        return FileResult(name, sha256, "would-commit", observations, report)
    committed = store.commit_batch(
        file_name=name,
        sha256=sha256,
        uploaded_by=uploaded_by,
        records=observations,
        report=report.as_json(),
        n_warnings=len(report.warnings),
    )
    return FileResult(name, sha256, "committed", observations, report, committed.batch_id)
