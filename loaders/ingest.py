"""Ingesting returns: refuse hostile files, read every sheet, check every value, and store each accepted file as one
batch — all of it, or nothing if it has any error — keeping the file's original bytes for audit."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import gc
import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar

from loaders import originals
from loaders.checks import Places, check_columns, plausibility_warnings
from loaders.columns import ValueColumn, table_columns
from loaders.grid import Sheet, UnreadableFile, read_grid, ref
from loaders.labels import NEAR, Classifier, split_unit, text_key
from loaders.originals import OriginalNotKept as OriginalNotKept
from loaders.originals import originals_dir
from loaders.safety import Limits, Refused, check_file, read_upload
from loaders.tables import Table, find_tables
from loaders.totals import Area
from qtm.observations import Observation
from qtm.problems import Report
from qtm.registry import Registry
from qtm.store import NothingChanged, Store

_SUFFIXES = {"xlsx": ".xlsx", "xls": ".xls", "csv": ".csv"}
_P = ParamSpec("_P")
_R = TypeVar("_R")

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


@dataclass
class Reading:
    observations: list[Observation]
    #: Where each observation's value was written: sheet, 0-based row and column.
    places: Places
    report: Report
    kind: str = ""  # "xlsx", "xls" or "csv", as sniffed
    #: Indices of the observations read from a 上年实际 column (stored only where the store has none).
    previous: set[int] = field(default_factory=set)


def _cycle_collection_paused(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function``, run with Python's cycle collector paused (and resumed after, if it ran before). Reading a
    return makes hundreds of thousands of objects — rows, values, observations — that form no cycles; as they are
    made, the collector would walk every live object again and again for nothing (a tenth of an ingest's time)."""

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return paused


@_cycle_collection_paused
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
    kind, sheets = _sheets(path, limits, content)
    report = Report()
    columns = _value_columns(sheets, registry, classifier or Classifier(registry), report)
    del sheets  # the cell grids are no longer needed: free them before the observations are made
    found_tables = columns is not None
    previous: set[int] = set()
    observations, places = check_columns(
        _one_by_one(columns or []), registry, report, today or dt.date.today(), previous
    )
    if scope is not None:
        _check_scope(observations, places, registry, scope, report)
    if found_tables and not observations and report.ok:
        _nothing_to_store(report)
    return Reading(observations, places, report, kind, previous)


def _sheets(path: Path, limits: Limits, content: bytes | None) -> tuple[str, list[Sheet]]:
    """The file's kind and its sheets, read from ``content`` (or from the file, read the same way); raises
    :class:`UnreadableFile` when it is refused or cannot be read at all."""
    try:
        if content is None:
            try:
                content = read_upload(path, limits)
            except OSError as exc:
                raise UnreadableFile(
                    "unreadable", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"
                ) from exc
        kind = check_file(path, limits, content)
        return kind, read_grid(path, kind, limits, content)
    except Refused as refused:
        raise UnreadableFile(refused.code, refused.zh, refused.en, refused.cell) from refused


def _value_columns(
    sheets: list[Sheet], registry: Registry, classifier: Classifier, report: Report
) -> list[ValueColumn] | None:
    """The columns of values of every table of the sheets (instruction sheets skipped), their context columns
    reported; None, with an error, when no sheet holds a table."""
    tables = [
        table for sheet in sheets if not _is_instructions(sheet) for table in find_tables(sheet, classifier)
    ]
    if not tables:
        report.error(
            "no_table",
            "未找到数据表：需要“指标名称、地区、统计期、数值”等表头，或以统计期、指标、地区为列的宽表",
            "no table found: expected headers such as indicator, region, period and value, "
            "or a wide table with periods, indicators or regions across",
        )
        return None
    for table in tables:
        _skipped_columns(table, registry, report)
    return [column for table in tables for column in table_columns(table, _jurisdiction(table, classifier))]


def _nothing_to_store(report: Report) -> None:
    """A file with nothing to store is not accepted, even when every value was only skipped with a warning
    (blank, an error value, an untracked indicator): an empty batch would say a return was received."""
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


def _one_by_one(columns: list[ValueColumn]) -> Iterator[ValueColumn]:
    """The columns in order, each let go of by the list as it is handed out: once checked, a column's values are
    freed before the next one's observations are made."""
    columns.reverse()
    while columns:
        yield columns.pop()


def _check_scope(
    observations: list[Observation],
    places: Places,
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


def _jurisdiction(table: Table, classifier: Classifier) -> Area:
    """The area a table states (its 地区 or 填报单位 line, its title), which its 全省, 全市, 合计 … rows stand for;
    without one, :class:`loaders.totals.Area` tells from the regions the rows name (全国 is always the country)."""
    regions = classifier.registry.regions
    stated = regions.resolve(str(table.context.region[0])) if table.context.region is not None else None
    return Area(regions, stated)


@_cycle_collection_paused
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
    current = _against_store(reading, store, registry) if report.ok and observations else {}
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


def _against_store(
    reading: Reading, store: Store, registry: Registry
) -> dict[tuple[str, str, str], Observation]:
    """The current stored values of the indicators read, by key; ``reading`` checked against them: a 上年实际
    value that differs from the stored one is left out, and jumps and falls are warned about."""
    indicators = {o.indicator for o in reading.observations}
    stored = [o for i in sorted(indicators) for o in store.current(indicator=i)]
    current = {o.key: o for o in stored}
    if reading.previous:
        _previous_year(reading, current, registry, reading.report)
    plausibility_warnings(reading.observations, reading.places, stored, registry, reading.report)
    return current


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
    """Store the file's values as one batch and keep its original under a name the server chooses
    (:mod:`loaders.originals`): held and synced before the commit, named in the batch's row by the commit, renamed
    for the batch after it — a kill at any moment leaves a batch with its original, or no batch and an orphan.
    Whether the file changes anything is decided again under the write lock: of two identical files at once, one
    is a duplicate."""
    held = _hold_original(originals_dir(), content, result.sha256, suffix)
    result.report.close()
    try:
        try:
            committed = store.commit_batch_if_changed(
                file_name=result.file,
                sha256=result.sha256,
                uploaded_by=uploaded_by,
                records=result.observations,
                report=result.report.as_json(),
                n_warnings=len(result.report.warnings),
                address=address,
                original=held.path.name,
            )
        except NothingChanged:
            held.discard()
            return _duplicate(result, store)
        except BaseException:
            held.discard_unless_recorded(store)
            raise
        result.batch_id, result.original = committed.batch_id, held.mark(committed.batch_id, result.sha256)
    finally:
        held.release()  # the lock that kept a sweep off the file while the commit ran
    return result


def _previous_year(
    reading: Reading, current: dict[tuple[str, str, str], Observation], registry: Registry, report: Report
) -> list[Observation]:
    """Observations without the 上年实际 values that differ from the stored ones (each warned about, naming the
    cell and both values): a form's previous-year column fills a gap, it never revises a stored value."""
    kept: list[Observation] = []
    places = Places()
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
    reading.places = places
    return reading.observations


def _unchanged(observation: Observation, current: Observation | None) -> bool:
    """True when storing ``observation`` would change nothing: the same value and flags are current."""
    return current is not None and current.value == observation.value and current.flags == observation.flags


def _hold_original(folder: Path, content: bytes, sha256: str, suffix: str) -> originals.Held:
    """The upload's bytes, written, synced and locked under a held name in ``folder`` before the commit."""
    return originals.hold(folder, content, sha256, suffix)
