"""Reading a file into sheets: cell values from A1, plus what a careful reader needs beside them — which cells show
a percent, which ranges are merged, which formulas have no cached value.

.xlsx/.xlsm values come from calamine (fast, Rust); their number formats and formulas from :mod:`loaders.xlsx_parts`.
.xls comes from xlrd, which reads formats and merged ranges itself. CSV is decoded as UTF-8 (with or without BOM)
or GBK. Macros are never run: nothing here evaluates anything.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from loaders.safety import Limits, Refused
from qtm.errors import Place, QtmError

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig reads plain UTF-8 too; gb18030 is a superset of GBK

Position = tuple[int, int]  # 0-based row and column


class UnreadableFile(QtmError):
    """The file cannot be read at all (wrong format, corrupt, unsupported); ``cell``: where, if one cell is to
    blame."""

    status = 422

    def __init__(self, code: str, zh: str, en: str, cell: str | None = None) -> None:
        super().__init__(en, zh, code=code, place=Place(cell=cell) if cell else None)
        self.cell = cell


@dataclass(frozen=True)
class CellError:
    """A cell that holds an Excel error value (#DIV/0!, #NUM! — what Excel shows for a result that is not a finite
    number —, #N/A, #VALUE! …): never a blank, never a number."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Sheet:
    name: str | None  # None for a CSV file
    rows: list[list[object]]  # values from A1; "" or None for an empty cell
    percent_formats: dict[Position, str] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # first row, first col, last row, last col
    uncached_formulas: set[Position] = field(default_factory=set)

    def value(self, row: int, column: int) -> object:
        if row < len(self.rows):
            values = self.rows[row]
            if column < len(values):
                return values[column]
        return None


@lru_cache(maxsize=20_000)
def column_letters(column: int) -> str:
    """Letters of a 0-based column: 0 → A, 26 → AA, 16383 → XFD, and on past Excel's last column (a CSV line may be
    wider, and is then refused by name)."""
    number, text = column + 1, ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        text = chr(65 + remainder) + text
    return text


def ref(row: int, column: int) -> str:
    """A1 reference of a 0-based row and column."""
    return f"{column_letters(column)}{row + 1}"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_grid(path: Path, kind: str, limits: Limits, content: bytes | None = None) -> list[Sheet]:
    """Every sheet of ``path`` — or of its ``content``, when already read — checked by
    :func:`loaders.safety.check_file` as ``kind``.

    No file may hold more than ``limits.max_total_cells`` cells (every sheet together): the extent of each sheet is
    known before its cells are made, and the file is refused (``too_many_cells``) before they would be."""
    if kind == "csv":
        return [_read_csv(path.read_bytes() if content is None else content, limits)]
    if kind == "xls":
        return _read_xls(path, limits, content)
    return _read_xlsx(path, limits, content)


def _too_many_cells(cells: int, limits: Limits, where: str = "") -> Refused:
    return Refused(
        "too_many_cells",
        f"文件{where}的单元格过多（至少 {cells:,} 个，所有工作表合计上限为 {limits.max_total_cells:,} 个）",
        f"the file holds too many cells{' (' + where + ')' if where else ''} (at least {cells:,}; the limit for "
        f"all its sheets together is {limits.max_total_cells:,})",
    )


def _read_csv(data: bytes, limits: Limits) -> Sheet:
    if b"\0" in data[:8192]:
        raise UnreadableFile(
            "not_a_csv", "文件含有二进制内容，不是 CSV 文本", "the file holds binary data, not CSV text"
        )
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(
            "bad_encoding", "CSV 文件既不是 UTF-8 也不是 GBK 编码", "the CSV file is neither UTF-8 nor GBK"
        )
    del data
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[object]] = []
    cells = 0
    try:
        # Row by row, counting: a file that would hold more cells than the limit is refused before it does.
        for row in csv.reader(io.StringIO(text), dialect):
            if len(row) > limits.max_columns:
                raise Refused(
                    "too_many_columns",
                    f"第 {len(rows) + 1} 行有 {len(row):,} 列，超过 {limits.max_columns:,} 列的上限（Excel 最多 XFD 列）",
                    f"line {len(rows) + 1} has {len(row):,} columns, more than the limit of {limits.max_columns:,} "
                    "(Excel's last column is XFD)",
                    ref(len(rows), limits.max_columns),
                )
            cells += max(len(row), 1)
            if cells > limits.max_total_cells:
                raise _too_many_cells(cells, limits)
            rows.append(row)  # type: ignore[arg-type]
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte past the first 8 KB …
        raise UnreadableFile(
            "not_a_csv",
            f"CSV 文件第 {len(rows) + 1} 行无法读取（{exc}）",
            f"line {len(rows) + 1} of the CSV file cannot be read ({exc})",
        ) from exc
    return Sheet(None, rows)


def _read_xlsx(path: Path, limits: Limits, content: bytes | None) -> list[Sheet]:
    from concurrent.futures import ThreadPoolExecutor

    from loaders.xlsx_parts import read_parts

    _check_extents(path, limits, content)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Number formats and formulas are read while calamine parses the values (it releases the GIL).
        formats = pool.submit(read_parts, path, extent=False, content=content)
        sheets = _calamine_sheets(path, limits, content)
        try:
            parts = formats.result()
        except (OSError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
            raise _structure_unreadable(exc) from exc
    for grid in sheets:
        found = parts.get(str(grid.name))
        if found is not None:
            grid.percent_formats = found.percent_formats
            grid.uncached_formulas = found.uncached_formulas
            for (r, c), text in found.errors.items():  # calamine reads an error cell as blank: it is not
                if r < len(grid.rows) and c < len(grid.rows[r]):
                    grid.rows[r][c] = CellError(text)
    return sheets


def _check_extents(path: Path, limits: Limits, content: bytes | None) -> None:
    """Refuse a workbook whose sheets span too many cells, before calamine allocates any of them: calamine holds a
    sheet as a dense rectangle, and two cells at A1 and XFD1048576 would need gigabytes — as would 32 sheets each
    with a cell at A1 and one at Z384000. The scan stops at the first sheet beyond the budget."""
    from loaders.xlsx_parts import read_parts

    try:
        extents = read_parts(path, formats=False, content=content, max_cells=limits.max_total_cells)
    except (OSError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:  # SyntaxError: ParseError
        raise _structure_unreadable(exc) from exc
    total = 0
    for extent in extents.values():
        cells = extent.max_row * extent.max_column
        if cells > limits.max_cells:
            raise _too_large(extent.name, cells, limits)
        total += cells
        if total > limits.max_total_cells:
            raise _too_many_cells(total, limits)


def _calamine_sheets(path: Path, limits: Limits, content: bytes | None) -> list[Sheet]:
    """Every sheet's values, read by calamine, each text kept once (see :func:`_rows`)."""
    from python_calamine import CalamineError, CalamineWorkbook

    sheets: list[Sheet] = []
    strings: dict[str, str] = {}  # one copy of each text: a long return repeats its names, periods and units
    total = 0
    try:
        workbook = (
            CalamineWorkbook.from_path(str(path))
            if content is None
            else CalamineWorkbook.from_filelike(io.BytesIO(content))
        )
        try:
            for name in workbook.sheet_names:
                sheet = workbook.get_sheet_by_name(name)
                cells = sheet.height * sheet.width
                if cells > limits.max_cells:
                    raise _too_large(name, cells, limits)
                total += cells
                if total > limits.max_total_cells:
                    raise _too_many_cells(total, limits)
                sheets.append(Sheet(name, _rows(sheet, strings), merged=_merged(sheet.merged_cell_ranges)))
                del sheet  # calamine's copy of the cells, as large as the rows
        finally:
            workbook.close()
    except CalamineError as exc:
        raise UnreadableFile(
            "corrupt_workbook",
            f"工作簿已损坏或无法读取（{exc}）",
            f"the workbook is corrupt or cannot be read ({exc})",
        ) from exc
    return sheets


def _structure_unreadable(exc: Exception) -> UnreadableFile:
    return UnreadableFile(
        "corrupt_workbook",
        f"工作簿结构无法读取（{exc}）",
        f"the workbook's structure cannot be read ({exc})",
    )


def _rows(sheet: CalamineSheet, strings: dict[str, str]) -> list[list[object]]:
    """The sheet's values from A1, as ``to_python(skip_empty_area=False)`` gives them, each text kept once.

    Row by row, keeping one copy of each text as it comes: a long return of 100 000 rows writes the same names,
    periods and units over and over, and calamine gives a new string for every cell — made all at once, they would
    double the memory an ingest needs. Rows from ``iter_rows`` begin at A1 when the data begin in column A (checked
    by the count of rows and columns); otherwise the values come from ``to_python``, then share their texts."""
    start, end = sheet.start, sheet.end
    keep = strings.setdefault
    if start is not None and end is not None and start[1] == 0:
        rows: list[list[object]] = [
            [keep(v, v) if v.__class__ is str else v for v in row] for row in sheet.iter_rows()
        ]
        if len(rows) == end[0] + 1 and all(len(row) == end[1] + 1 for row in rows):
            return rows
        del rows
    rows = sheet.to_python(skip_empty_area=False)  # type: ignore[assignment]
    for row in rows:
        for index, value in enumerate(row):
            if value.__class__ is str:
                row[index] = keep(value, value)
    return rows


def _too_large(sheet: str, cells: int, limits: Limits) -> Refused:
    return Refused(
        "sheet_too_large",
        f"工作表“{sheet}”的范围过大（约 {cells:,} 个单元格，上限 {limits.max_cells:,}）",
        f"sheet {sheet!r} spans too many cells (about {cells:,}; the limit is {limits.max_cells:,})",
    )


def _merged(ranges: list[tuple[tuple[int, int], tuple[int, int]]] | None) -> list[tuple[int, int, int, int]]:
    return [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges or []]


def _read_xls(path: Path, limits: Limits, content: bytes | None) -> list[Sheet]:
    import xlrd

    try:
        book = (
            xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
            if content is None
            else xlrd.open_workbook(file_contents=content, formatting_info=True, on_demand=True)
        )
    except (
        xlrd.XLRDError,
        xlrd.compdoc.CompDocError,
        AssertionError,
        IndexError,
        ValueError,
        OSError,
    ) as exc:
        raise UnreadableFile(
            "corrupt_workbook",
            f"Excel 97-2003 工作簿已损坏或无法读取（{exc}）",
            f"the .xls workbook cannot be read ({exc})",
        ) from exc
    sheets: list[Sheet] = []
    total = 0
    try:
        for index in range(book.nsheets):
            source = book.sheet_by_index(index)
            if source.nrows * source.ncols > limits.max_cells:
                raise _too_large(source.name, source.nrows * source.ncols, limits)
            total += source.nrows * source.ncols
            if total > limits.max_total_cells:
                raise _too_many_cells(total, limits)
            rows: list[list[object]] = []
            percent: dict[Position, str] = {}
            for r in range(source.nrows):
                row: list[object] = []
                for c in range(source.ncols):
                    cell = source.cell(r, c)
                    value: object = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        value = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                    elif cell.ctype == xlrd.XL_CELL_NUMBER:
                        number_format = book.format_map[book.xf_list[cell.xf_index].format_key].format_str
                        if "%" in number_format:
                            percent[(r, c)] = number_format
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        value = CellError(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        value = None
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        value = bool(cell.value)
                    row.append(value)
                rows.append(row)
            merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in source.merged_cells]
            sheets.append(Sheet(source.name, rows, percent, merged))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets
