"""Ingesting returns: read, check and store each file as one batch — all of it, or nothing if it has any error."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loaders.checks import check_rows
from loaders.grid import UnreadableFile, read_grid
from loaders.long_table import find_header, read_rows
from qtm.observations import Observation
from qtm.problems import Report
from qtm.registry import Registry
from qtm.store import Store

Status = Literal["committed", "would-commit", "rejected", "duplicate", "unreadable"]


@dataclass
class FileResult:
    file: str
    sha256: str
    status: Status
    observations: list[Observation] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    batch_id: int | None = None

    def as_json(self, registry: Registry) -> dict[str, object]:
        """The per-file shape of ``qtm ingest --json``."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "status": self.status,
            "observations": [o.as_json(registry.indicators[o.indicator].unit) for o in self.observations],
            "issues": self.report.as_json(),
        }


def read_return(
    path: Path, registry: Registry, today: dt.date | None = None
) -> tuple[list[Observation], Report]:
    """Read one return into checked observations and its problem report (raises UnreadableFile)."""
    today = today or dt.date.today()
    report = Report()
    observations: list[Observation] = []
    found_table = False
    for sheet in read_grid(path):
        header = find_header(sheet)
        if header is None:
            continue
        found_table = True
        observations += check_rows(read_rows(sheet, *header), registry, report, today)
    if not found_table:
        report.error(
            "no_table",
            "未找到数据表：需要“指标、地区、年份、数值”等表头",
            "no table found: expected headers such as indicator, region, period, value",
        )
    return observations, report


def ingest_file(
    path: Path,
    registry: Registry,
    store: Store,
    *,
    uploaded_by: str,
    dry_run: bool = False,
    file_name: str | None = None,
    today: dt.date | None = None,
) -> FileResult:
    """Read, check and (unless ``dry_run``) store one file. A file with any error stores nothing."""
    name = file_name or path.name
    try:
        content = path.read_bytes()
    except OSError as exc:
        result = FileResult(name, "", "unreadable")
        result.report.error(
            "unreadable", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"
        )
        return result
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        observations, report = read_return(path, registry, today)
    except UnreadableFile as exc:
        result = FileResult(name, sha256, "unreadable")
        result.report.error("unreadable", f"无法读取文件：{exc}", f"cannot read the file: {exc}")
        return result
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
