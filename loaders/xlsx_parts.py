"""What calamine does not tell about an .xlsx: number formats that show a percent, formulas with no cached value,
cells holding an error value, and each sheet's true extent — read from the package's XML with bounded memory
(streamed, never unpacked whole).

The extent is the rectangle calamine will allocate: from A1 to the furthest cell, whether the cell names its place
(``<c r="Z9">``) or takes the next one (a cell or row without ``r``). Cells written the way Excel, WPS, LibreOffice
and openpyxl write them are measured with a few fast scans; anything else in a window of the XML is walked tag by
tag, so that no way of writing a cell escapes the measure.
"""

from __future__ import annotations

import io
import operator
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from pathlib import Path

from defusedxml import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}
_CHUNK = 1 << 20
# Patterns start with literal text so that the regex engine can skip ahead quickly through 30 MB of XML.
_ROW = re.compile(rb'<row r="(\d+)"')
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,})\d')  # cells in columns AA and beyond
#: Cells in a column after the n-th (1-based; 0: any) of A–Z, for n = 0 … 25.
_CELL_AFTER = {n: re.compile(rb'<c r="[' + bytes(range(65 + n, 91)) + rb"]\d") for n in range(26)}
#: A cell or row that does not name its place first (``<c s="1" r="B2">``, ``<c>``, ``<row>``).
_ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r=")')
_ODD_ROW = re.compile(rb'<row(?=[\s/>])(?! r=")')
# The careful walk: every start, end and empty tag of a row or a cell, with its attributes.
_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_CELL_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)(\d*)["']""")
#: A cell holding an error value: <c r="D7" t="e"><f>1/0</f><v>#DIV/0!</v></c> (its start, then its end).
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*)>')
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_A1 = re.compile(rb'\br="([A-Z]+\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</")
_UNCACHED = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?)\br="([A-Z]+\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


@dataclass
class SheetParts:
    name: str
    path: str  # inside the package
    #: 0-based (row, column) → format, for the cells that show a percent.
    percent_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, column)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # 0-based (row, column) → #DIV/0! …
    max_row: int = 0  # 1-based: the extent is max_row × max_column cells
    max_column: int = 0
    # The walk's place, for cells and rows that do not name theirs (1-based): an upper bound of calamine's.
    next_row: int = 1
    next_column: int = 1

    @property
    def cells(self) -> int:
        return self.max_row * self.max_column


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + (byte - 64)
    return number


_COLUMNS: dict[bytes, int] = {}


def _position(a1: bytes) -> tuple[int, int]:
    """b"E12" → (11, 4), 0-based."""
    split = 1
    while split < len(a1) and a1[split] >= 65:
        split += 1
    letters = a1[:split]
    column = _COLUMNS.get(letters)
    if column is None:
        column = _COLUMNS[letters] = _column_number(letters) - 1
    return int(a1[split:]) - 1, column


def read_parts(
    path: Path,
    *,
    extent: bool = True,
    formats: bool = True,
    content: bytes | None = None,
    max_cells: int | None = None,
) -> dict[str, SheetParts]:
    """Per sheet name: the extent of the data (``extent``), and percent-formatted cells, formulas without a cached
    value and cells holding an error value (``formats``). The two can be read apart: the extent must be known before
    calamine allocates a sheet, while the formats can be read while calamine works (it releases the GIL).

    ``content``: the file's bytes, when already read. ``max_cells``: stop measuring once the sheets together exceed
    this many cells (the file will be refused: there is no need to measure the rest)."""
    with zipfile.ZipFile(path if content is None else io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        sheets = _sheet_paths(archive, names)
        percent_styles = _percent_styles(archive) if formats and "xl/styles.xml" in names else {}
        result: dict[str, SheetParts] = {}
        total = 0
        for name, part in sheets.items():
            parts = SheetParts(name, part)
            result[name] = parts
            if part in names:
                budget = None if max_cells is None else max_cells - total
                _scan_sheet(
                    archive, part, percent_styles, parts, extent=extent, formulas=formats, budget=budget
                )
            total += parts.cells
            if max_cells is not None and total > max_cells:
                break
        return result


def _sheet_paths(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter(
            f"{_PKG_REL}Relationship"
        ):
            target = rel.get("Target", "")
            full = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[rel.get("Id", "")] = full
    paths: dict[str, str] = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        rel_id = sheet.get(f"{_REL}id", "")
        paths[sheet.get("name", "")] = targets.get(rel_id, "")
    return paths


def _percent_styles(archive: zipfile.ZipFile) -> dict[int, str]:
    """Style index (the ``s`` of a cell) → its number format, for the formats that show a percent."""
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    codes = dict(_BUILTIN_PERCENT)
    for fmt in styles.iter(f"{_MAIN}numFmt"):
        code = fmt.get("formatCode", "")
        if "%" in re.sub(r'"[^"]*"|\\.', "", code):  # a literal "%" in quotes is not a percent format
            codes[int(fmt.get("numFmtId", "0"))] = code
    cell_xfs = styles.find(f"{_MAIN}cellXfs")
    if cell_xfs is None:
        return {}
    found = {}
    for index, xf in enumerate(cell_xfs.iter(f"{_MAIN}xf")):
        number_format = int(xf.get("numFmtId", "0"))
        if number_format in codes:
            found[index] = codes[number_format]
    return found


def _scan_sheet(
    archive: zipfile.ZipFile,
    part: str,
    percent_styles: dict[int, str],
    out: SheetParts,
    *,
    extent: bool,
    formulas: bool,
    budget: int | None = None,
) -> None:
    style_patterns: list[re.Pattern[bytes]] = []
    if percent_styles:
        ids = b"|".join(str(s).encode() for s in sorted(percent_styles))
        # Excel, WPS and openpyxl write r before s; other writers may not, or may prefix the namespace.
        style_patterns = [
            re.compile(rb'<c r="([A-Z]+)(\d+)" s="(' + ids + rb')"'),
            re.compile(rb'<(?:\w+:)?c\b[^>]*?\bs="(' + ids + rb')"[^>]*?\br="([A-Z]+\d+)"'),
            re.compile(rb'<\w+:c\b[^>]*?\br="([A-Z]+\d+)"[^>]*?\bs="(' + ids + rb')"'),
        ]
    tail = b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            data = tail + chunk
            if chunk:
                # Cut after the last complete row so that no match is split between two windows; without one, before
                # the last tag ('<' starts markup only: it cannot be inside an attribute's value).
                end = data.rfind(b"</row>")
                cut = end + 6 if end >= 0 else max(data.rfind(b"<"), 0)
                window, tail = data[:cut], data[cut:]
            else:
                window, tail = data, b""
            _scan_window(window, style_patterns, percent_styles, out, extent, formulas)
            if not chunk or (budget is not None and out.cells > budget):
                break


def _scan_window(
    window: bytes,
    style_patterns: list[re.Pattern[bytes]],
    percent_styles: dict[int, str],
    out: SheetParts,
    extent: bool,
    formulas: bool,
) -> None:
    if extent:
        _measure(window, out)
    if not (style_patterns or formulas):
        return
    prefixed = b":" in window  # a namespace prefix (x:c, x:f) needs a colon: most windows have none
    if style_patterns:
        other_orders = b"<c s=" in window or (prefixed and b":c " in window)
        _percent_cells(window, style_patterns, percent_styles, out, other_orders)
    if formulas and (b"<f" in window or (prefixed and b":f>" in window)):
        for match in _UNCACHED.finditer(window):
            out.uncached_formulas.add(_position(match.group(2)))
    if formulas and b't="e"' in window:
        _error_cells(window, out)


def _percent_cells(
    window: bytes,
    style_patterns: list[re.Pattern[bytes]],
    percent_styles: dict[int, str],
    out: SheetParts,
    other_orders: bool,
) -> None:
    """The cells of ``window`` whose style shows a percent; those written r-first (as Excel, WPS and openpyxl write
    them) placed in one go, the others (``other_orders``: s before r, a namespace prefix) one by one."""
    common, reversed_order, prefixed = style_patterns
    formats = out.percent_formats
    found = common.findall(window)
    if found:
        letters, digits, styles = zip(*found, strict=True)
        for distinct in set(letters):
            if distinct not in _COLUMNS:
                _COLUMNS[distinct] = _column_number(distinct) - 1
        rows = map(operator.sub, map(int, digits), repeat(1))
        shown = {str(style).encode(): number_format for style, number_format in percent_styles.items()}
        places = zip(rows, map(_COLUMNS.__getitem__, letters), strict=True)
        formats.update(zip(places, map(shown.__getitem__, styles), strict=True))
    if other_orders:
        for style, cell in reversed_order.findall(window):
            formats.setdefault(_position(cell), percent_styles[int(style)])
        for cell, style in prefixed.findall(window):
            formats.setdefault(_position(cell), percent_styles[int(style)])


def _error_cells(window: bytes, out: SheetParts) -> None:
    """Cells holding an error value, with the value (#DIV/0! …); one pass, never reading a stretch twice."""
    position = 0
    while (start := _ERROR_CELL.search(window, position)) is not None:
        if start.group(1).endswith(b"/"):  # <c r="D7" t="e"/>: no value, blank
            position = start.end()
            continue
        end = _CELL_END.search(window, start.end())
        if end is None:
            return
        found = _A1.search(start.group(1))
        if found is not None:
            value = _VALUE.search(window, start.end(), end.start())
            text = value.group(1).decode("utf-8", "replace").strip() if value else ""
            out.errors[_position(found.group(1))] = text[:20] or "#ERROR"
        position = end.end()


def _measure(window: bytes, out: SheetParts) -> None:
    """Grow ``out``'s extent by the cells of ``window``."""
    if _measure_at_once(window, out):
        return
    if (
        _ODD_CELL.search(window) is None
        and _ODD_ROW.search(window) is None
        and (b":" not in window or (b":c" not in window and b":row" not in window))
    ):
        # Every cell and row names its place first, unprefixed, as Excel, WPS, LibreOffice and openpyxl write them.
        last = _ROW.match(window, max(window.rfind(b'<row r="'), 0))
        if (
            last is not None
        ):  # rows usually come in order: the last is the furthest, unless one lies beyond it
            out.max_row = max(out.max_row, int(last.group(1)))
        # A row or a cell (whose own row can differ from its row's) beyond the furthest row so far.
        while beyond := _beyond(out.max_row).findall(window):
            highest = max(map(int, beyond))
            if highest <= out.max_row:  # only numbers written with leading zeros
                break
            out.max_row = highest
        if b'<c r="' in window and (out.max_column >= 26 or _columns_after(out.max_column).search(window)):
            wide = _WIDE_CELL.findall(window)
            if wide:
                out.max_column = max(out.max_column, *map(_column_number, set(wide)))
            while out.max_column < 26:
                found = _CELL_AFTER[out.max_column].search(window)
                if found is None:
                    break
                out.max_column = max(out.max_column, window[found.start() + 6] - 64)
        out.next_row = max(out.next_row, out.max_row + 1)
        out.next_column = 1 if window.endswith(b"</row>") else out.max_column + 1
        return
    _walk(window, out)


def _measure_at_once(window: bytes, out: SheetParts) -> bool:
    """The usual window, measured in one pass: every cell and row names its place first, unprefixed, the rows come
    in order and no cell lies beyond the last row or right of the columns seen so far — then the extent grows to
    the last row, and True. False, with ``out`` unchanged, for anything else (the first cells of a sheet, a wider
    or further cell, a cell without its place …): :func:`_measure` then measures the window step by step."""
    if (
        out.max_column == 0
        or out.max_column >= 26
        or (b":" in window and (b":c" in window or b":row" in window))
    ):
        return False
    last = _ROW.match(window, max(window.rfind(b'<row r="'), 0))
    furthest = out.max_row if last is None else max(out.max_row, int(last.group(1)))
    if _unusual(furthest, out.max_column).search(window) is not None:
        return False
    out.max_row = furthest
    out.next_row = max(out.next_row, furthest + 1)
    out.next_column = 1 if window.endswith(b"</row>") else out.max_column + 1
    return True


@lru_cache(maxsize=64)
def _unusual(row: int, column: int) -> re.Pattern[bytes]:
    """In one pattern, what keeps a window from being measured at once: a cell or row that does not name its place
    first (as :data:`_ODD_CELL`, :data:`_ODD_ROW`), a row or cell after ``row`` (as :func:`_beyond`), a cell in a
    column after the ``column``-th, 1 to 25 (as :func:`_columns_after`). Written with the common start of each
    alternative taken once, so that the regex engine tries each ``<`` of the XML once, cheaply."""
    after = rb"[A-Z]{2}|[" + bytes(range(65 + column, 91)) + rb"]"
    not_named = rb'(?=[\s/>])(?! r=")'
    further = rb"(?:" + _beyond_digits(row) + rb')"'
    return re.compile(
        rb'<(?:c(?: r="(?:[A-Z]++' + further + rb"|" + after + rb")|" + not_named + rb")"
        rb'|row(?: r="' + further + rb"|" + not_named + rb"))"
    )


def _beyond_digits(row: int) -> bytes:
    """A number after ``row``: longer, or as long and larger (digit by digit)."""
    digits = str(row)
    longer = rb"\d{" + str(len(digits) + 1).encode() + rb",}"
    larger = [
        (digits[:i] + f"[{int(d) + 1}-9]" + "\\d" * (len(digits) - i - 1)).encode()
        for i, d in enumerate(digits)
        if d != "9"
    ]
    return b"|".join([longer, *larger])


@lru_cache(maxsize=64)
def _beyond(row: int) -> re.Pattern[bytes]:
    """Rows and cells after ``row``: a longer number, or as long and larger (digit by digit)."""
    return re.compile(rb'<(?:row r="|c r="[A-Z]+)(' + _beyond_digits(row) + rb')"')


@lru_cache(maxsize=32)
def _columns_after(column: int) -> re.Pattern[bytes]:
    """Cells in a column after the ``column``-th (1-based, at most 25: Y), or in a column of two letters or more."""
    return re.compile(rb'<c r="(?:[A-Z]{2}|[' + bytes(range(65 + column, 91)) + rb"])")


def _walk(window: bytes, out: SheetParts) -> None:
    """The careful measure: every row and cell tag in turn, placing those that do not name their place the way
    calamine does (the next column of the row, the row after the last) — or further, never nearer."""
    row, column = out.next_row, out.next_column
    max_row, max_column = out.max_row, out.max_column
    for match in _TAG.finditer(window):
        closing, name, attributes = match.groups()
        if name == b"row":
            if closing:
                row, column = row + 1, 1
                continue
            found = _CELL_REF.search(attributes)
            if found is not None and found.group(2) and not found.group(1):
                row = max(row, int(found.group(2)))
            if attributes.endswith(b"/"):
                row, column = row + 1, 1
            continue
        if closing:
            continue
        found = _CELL_REF.search(attributes)
        if found is not None and found.group(1) and found.group(2):
            cell_row, cell_column = int(found.group(2)), _column_number(found.group(1))
            max_row, max_column = max(max_row, cell_row), max(max_column, cell_column)
            column = max(column, cell_column)
        else:
            max_row, max_column = max(max_row, row), max(max_column, column)
        column += 1
    out.next_row, out.next_column = row, column
    out.max_row, out.max_column = max_row, max_column
