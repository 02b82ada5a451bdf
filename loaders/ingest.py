"""Ingesting returns: refuse hostile files, read every sheet, check every value, and store each accepted file as one
batch — all of it, or nothing if it has any error — keeping the file's original bytes for audit."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loaders.checks import check_columns, plausibility_warnings
from loaders.columns import ValueColumn, table_columns
from loaders.grid import Sheet, UnreadableFile, read_grid, ref
from loaders.labels import NEAR, Classifier, split_unit, stub_text, text_key
from loaders.safety import Limits, Refused, check_file, read_upload
from loaders.tables import Table, find_tables
from qtm import PROJECT_ROOT
from qtm.errors import QtmError
from qtm.observations import Observation
from qtm.problems import Report
from qtm.registry import Registry
from qtm.store import NothingChanged, Store

#: Where the originals of stored uploads are kept (``QTM_ORIGINALS_DIR``), each under a name the server chooses.
DEFAULT_ORIGINALS_DIR = PROJECT_ROOT / "data" / "originals"
_SUFFIXES = {"xlsx": ".xlsx", "xls": ".xls", "csv": ".csv"}

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
    original: Path | None = None  # where the file's bytes were kept, once stored

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


class OriginalNotKept(QtmError):
    """The original of an upload cannot be kept (``QTM_ORIGINALS_DIR`` is not writable): nothing is stored."""


@dataclass
class Reading:
    observations: list[Observation]
    #: Where each observation's value was written: sheet, 0-based row and column.
    places: list[tuple[str | None, int, int]]
    report: Report
    kind: str = ""  # "xlsx", "xls" or "csv", as sniffed
    #: Indices of the observations read from a 上年实际 column (stored only where the store has none).
    previous: set[int] = field(default_factory=set)


def read_return(
    path: Path,
    registry: Registry,
    *,
    today: dt.date | None = None,
    limits: Limits | None = None,
    classifier: Classifier | None = None,
    content: bytes | None = None,
    scope: Callable[[str], bool] | None = None,
) -> Reading:
    """Read one return into checked observations and its problem report.

    ``content``: the file's bytes, when already read (by :func:`loaders.safety.read_upload`); otherwise the file is
    read here, the same way. ``scope``: the regions the uploader may report for; a value for any other region is an
    error (``region_out_of_scope``) at its cell.

    Raises :class:`UnreadableFile` when the file is refused or cannot be read at all.
    """
    limits = limits or Limits.from_env()
    try:
        if content is None:
            try:
                content = read_upload(path, limits)
            except OSError as exc:
                raise UnreadableFile(
                    "unreadable", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"
                ) from exc
        kind = check_file(path, limits, content)
        sheets = read_grid(path, kind, limits, content)
    except Refused as refused:
        raise UnreadableFile(refused.code, refused.zh, refused.en, refused.cell) from refused
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
    for _sheet, table in tables:
        _skipped_columns(table, registry, report)
    columns: list[ValueColumn] = [
        column
        for _sheet, table in tables
        for column in table_columns(table, _jurisdiction(table, classifier))
    ]
    del tables, sheets  # the cell grids are no longer needed: free them before the observations are made
    previous: set[int] = set()
    observations, places = check_columns(columns, registry, report, today or dt.date.today(), previous)
    if scope is not None:
        _check_scope(observations, places, registry, scope, report)
    if found_tables and not observations and report.ok:
        # A file with nothing to store is not accepted, even when every value was only skipped with a warning
        # (blank, an error value, an untracked indicator): an empty batch would say a return was received.
        if report.warnings:
            report.error(
                "no_values",
                "表中没有可导入的数值：所有数值均为空白或已跳过（见各条提示）",
                "no values to import: every value is blank or was skipped (see the warnings)",
            )
        else:
            report.error(
                "no_values",
                "表中没有可导入的数值：未识别出监测目录中的指标、地区和统计期",
                "no values to import: no indicator, region and period of the registry were recognised",
            )
    return Reading(observations, places, report, kind, previous)


_TYPO_CHECKED = 200  # headings checked for a mistyped indicator name, per table
_LISTED = 20  # context columns named in the warning, per table


def _skipped_columns(table: Table, registry: Registry, report: Report) -> None:
    """Columns of context beside the values (抽查批次数, 不合格率) in one line; a heading that looks like an
    indicator's name mistyped is an error with its closest names."""
    if not table.skipped:
        return
    names = registry.indicator_names()
    context: list[tuple[str, str]] = []
    for number, (label, cell) in enumerate(table.skipped):
        base = split_unit(label)[0]
        near = len(base) >= 4 and number < _TYPO_CHECKED
        close = difflib.get_close_matches(base, names, n=3, cutoff=NEAR) if near else []
        if close:
            hint = "、".join(close)
            report.error(
                "unknown_indicator",
                f"未知指标“{label}”，是否为：{hint}",
                f"unknown indicator {label!r}; did you mean: {hint}",
                table.sheet.name,
                cell,
            )
        else:
            context.append((label, cell))
    if context and any(c.is_measure for c in table.columns):
        labels = [label for label, _cell in context[:_LISTED]]
        more_zh = f" 等 {len(context)} 列" if len(context) > _LISTED else ""
        more_en = f" and {len(context) - _LISTED} more" if len(context) > _LISTED else ""
        report.warning(
            "context_columns_skipped",
            f"以下列不是监测指标，作为说明性数据跳过：{'、'.join(labels)}{more_zh}",
            f"columns that are no indicator of the registry, read as context and skipped: "
            f"{', '.join(labels)}{more_en}",
            table.sheet.name,
            context[0][1],
        )


def _check_scope(
    observations: list[Observation],
    places: list[tuple[str | None, int, int]],
    registry: Registry,
    scope: Callable[[str], bool],
    report: Report,
) -> None:
    """An error at the cell of every value for a region the uploader may not report for."""
    allowed: dict[str, bool] = {}
    for observation, (sheet, row, column) in zip(observations, places, strict=True):
        code = observation.region
        if code not in allowed:
            allowed[code] = bool(scope(code))
        if not allowed[code]:
            region = registry.regions.get(code)
            report.error(
                "region_out_of_scope",
                f"无权上报该地区：{region.name_zh}",
                f"you may not report for {region.name_en}",
                sheet,
                ref(row, column),
            )


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
    scope: Callable[[str], bool] | None = None,
    address: str | None = None,
) -> FileResult:
    """Read, check and (unless ``dry_run``) store one file. A file with any error stores nothing.

    The file is read once, and only if it is a regular file within the size limit; what is checked, hashed, stored
    and kept as the original are the same bytes. ``scope``: the regions the uploader may report for (a value for
    any other refuses the file). ``address``: where the upload came from, recorded with the batch when the store
    records addresses. A file that would change nothing — every value equals the current one, flags included — is a
    duplicate and stores nothing; any other file is stored, even one stored before (re-uploading an earlier file
    after a wrong correction restores its values).
    """
    name = file_name or path.name
    limits = limits or Limits.from_env()
    try:
        content = read_upload(path, limits)
    except OSError as exc:
        result = FileResult(name, "", "unreadable")
        result.report.error(
            "unreadable", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"
        )
        return result
    except Refused as refused:
        result = FileResult(name, "", "unreadable")
        result.report.error(refused.code, refused.zh, refused.en, cell=refused.cell)
        return result
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        reading = read_return(path, registry, today=today, limits=limits, content=content, scope=scope)
    except UnreadableFile as exc:
        result = FileResult(name, sha256, "unreadable")
        result.report.error(exc.code, exc.zh, exc.en, cell=exc.cell)
        return result
    observations, report = reading.observations, reading.report
    current: dict[tuple[str, str, str], Observation] = {}
    if report.ok and observations:
        indicators = {o.indicator for o in observations}
        stored = [o for i in sorted(indicators) for o in store.current(indicator=i)]
        current = {o.key: o for o in stored}
        if reading.previous:
            observations = _previous_year(reading, current, registry, report)
        plausibility_warnings(observations, reading.places, stored, registry, report)
    if not report.ok:
        report.close()
        return FileResult(name, sha256, "rejected", observations, report)
    if all(_unchanged(o, current.get(o.key)) for o in observations):
        return _duplicate(FileResult(name, sha256, "duplicate", observations, report), store)
    if dry_run:
        report.close()
        return FileResult(name, sha256, "would-commit", observations, report)
    result = FileResult(name, sha256, "committed", observations, report)
    return _commit(result, store, content, _SUFFIXES.get(reading.kind, ".bin"), uploaded_by, address)


def _duplicate(result: FileResult, store: Store) -> FileResult:
    """Every value equals the current one: nothing is stored, and the report says so (naming the earlier batch
    when this very file was stored before)."""
    previous = store.find_batch(result.sha256)
    if previous is not None:
        result.report.warning(
            "duplicate_file",
            f"同一文件已于 {previous.uploaded_at:%Y-%m-%d %H:%M} 导入（批次 {previous.id}），"
            "各数值与现有数值相同，本次未存储",
            f"the same file was stored on {previous.uploaded_at:%Y-%m-%d %H:%M} UTC (batch {previous.id}) "
            "and every value equals the current one; nothing stored",
        )
    else:
        result.report.warning(
            "duplicate_file",
            "各数值与现有数值（含标记）完全相同，本次未存储",
            "every value equals the current one, flags included; nothing stored",
        )
    result.report.close()
    result.status = "duplicate"
    result.batch_id = previous.id if previous else None
    return result


def _commit(
    result: FileResult, store: Store, content: bytes, suffix: str, uploaded_by: str, address: str | None
) -> FileResult:
    """Store the file's values as one batch and keep its original under a name the server chooses. Whether it
    changes anything is decided again under the write lock: of two identical files at once, one is a duplicate."""
    folder = Path(os.environ.get("QTM_ORIGINALS_DIR") or DEFAULT_ORIGINALS_DIR)
    pending = _hold_original(folder, content, suffix)  # before the commit: no batch without its original
    result.report.close()
    try:
        committed = store.commit_batch_if_changed(
            file_name=result.file,
            sha256=result.sha256,
            uploaded_by=uploaded_by,
            records=result.observations,
            report=result.report.as_json(),
            n_warnings=len(result.report.warnings),
            address=address,
        )
    except NothingChanged:
        pending.unlink(missing_ok=True)
        return _duplicate(result, store)
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    original = folder / f"{committed.batch_id:06d}-{result.sha256[:16]}{suffix}"
    os.replace(pending, original)
    result.batch_id, result.original = committed.batch_id, original
    return result


def _previous_year(
    reading: Reading, current: dict[tuple[str, str, str], Observation], registry: Registry, report: Report
) -> list[Observation]:
    """Observations without the 上年实际 values that differ from the stored ones (each warned about, naming the
    cell and both values): a form's previous-year column fills a gap, it never revises a stored value."""
    kept: list[Observation] = []
    places: list[tuple[str | None, int, int]] = []
    for index, (observation, place) in enumerate(zip(reading.observations, reading.places, strict=True)):
        stored = current.get(observation.key) if index in reading.previous else None
        if stored is not None and not math.isclose(
            stored.value, observation.value, rel_tol=1e-9, abs_tol=1e-9
        ):
            indicator = registry.indicators[observation.indicator]
            sheet, row, column = place
            report.warning(
                "previous_year_differs",
                f"上年实际 {indicator.name.zh} {observation.period} 为 {observation.value:g}，与已存储的 "
                f"{stored.value:g} 不同，未存储（如需修订请单独上报）",
                f"the previous year's {indicator.name.en} for {observation.period} is {observation.value:g}, "
                f"but {stored.value:g} is stored; not stored (report a revision on its own)",
                sheet,
                ref(row, column),
            )
            continue
        kept.append(observation)
        places.append(place)
    reading.observations[:] = kept
    reading.places[:] = places
    return reading.observations


def _unchanged(observation: Observation, current: Observation | None) -> bool:
    """True when storing ``observation`` would change nothing: the same value and flags are current."""
    return current is not None and current.value == observation.value and current.flags == observation.flags


def _hold_original(folder: Path, content: bytes, suffix: str) -> Path:
    """Write the upload's bytes to a temporary file in ``folder`` (renamed once the batch has its id)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=".pending-", suffix=suffix, dir=folder)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OriginalNotKept(
            f"cannot keep the original of the upload in {folder} (QTM_ORIGINALS_DIR): {exc.strerror or exc}; "
            "nothing was stored"
        ) from exc
    return Path(name)
