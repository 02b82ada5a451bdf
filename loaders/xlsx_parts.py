"""What calamine does not tell about an .xlsx: number formats that show a percent, formulas with no cached value,
and each sheet's true extent — read from the package's XML with bounded memory (streamed, never unpacked whole).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}
_CHUNK = 1 << 20
# Patterns start with literal text so that the regex engine can skip ahead quickly through 30 MB of XML.
_ROW = re.compile(rb'row r="(\d+)"')
_WIDE_CELL = re.compile(
    rb' r="([A-Z]{2,3})\d'
)  # cells in columns AA and beyond (rows have r="5": no letters)
_UNCACHED = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?)\br="([A-Z]+\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


@dataclass
class SheetParts:
    name: str
    path: str  # inside the package
    percent_formats: dict[tuple[int, int], str] = field(
        default_factory=dict
    )  # 0-based (row, column) → format
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, column)
    max_row: int = 0
    max_column: int = 26  # 1-based; columns A–Z are not scanned for (they cannot make a sheet absurd)


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + (byte - 64)
    return number


_COLUMNS: dict[bytes, int] = {}


def _position(a1: bytes) -> tuple[int, int]:
    """b"E12" → (11, 4), 0-based."""
    split = 1 if a1[1] < 65 else (2 if a1[2] < 65 else 3)
    letters = a1[:split]
    column = _COLUMNS.get(letters)
    if column is None:
        column = _COLUMNS[letters] = _column_number(letters) - 1
    return int(a1[split:]) - 1, column


def read_parts(path: Path, *, extent: bool = True, formats: bool = True) -> dict[str, SheetParts]:
    """Per sheet name: the extent of the data (``extent``), and percent-formatted cells and formulas without a
    cached value (``formats``). The two can be read apart: the extent must be known before calamine allocates a
    sheet, while the formats can be read while calamine works (it releases the GIL)."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        sheets = _sheet_paths(archive, names)
        percent_styles = _percent_styles(archive) if formats and "xl/styles.xml" in names else {}
        result: dict[str, SheetParts] = {}
        for name, part in sheets.items():
            parts = SheetParts(name, part)
            if part in names:
                _scan_sheet(archive, part, percent_styles, parts, extent=extent, formulas=formats)
            result[name] = parts
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
) -> None:
    style_patterns: list[re.Pattern[bytes]] = []
    if percent_styles:
        ids = b"|".join(str(s).encode() for s in sorted(percent_styles))
        # Excel, WPS and openpyxl write r before s; other writers may not, or may prefix the namespace.
        style_patterns = [
            re.compile(rb'<c r="([A-Z]+\d+)" s="(' + ids + rb')"'),
            re.compile(rb'<(?:\w+:)?c\b[^>]*?\bs="(' + ids + rb')"[^>]*?\br="([A-Z]+\d+)"'),
            re.compile(rb'<\w+:c\b[^>]*?\br="([A-Z]+\d+)"[^>]*?\bs="(' + ids + rb')"'),
        ]
    tail = b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            data = tail + chunk
            if chunk:
                # Cut after the last complete row so that no match is split between two windows.
                end = data.rfind(b"row>")
                cut = end + 4 if end >= 0 else max(data.rfind(b"<"), 0)
                window, tail = data[:cut], data[cut:]
            else:
                window, tail = data, b""
            _scan_window(window, style_patterns, percent_styles, out, extent, formulas)
            if not chunk:
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
        rows = _ROW.findall(window)
        if rows:
            out.max_row = max(out.max_row, *map(int, rows))
        wide = _WIDE_CELL.findall(window)
        if wide:
            out.max_column = max(out.max_column, *map(_column_number, set(wide)))
    if style_patterns:
        common, reversed_order, prefixed = style_patterns
        formats = out.percent_formats
        for cell, style in common.findall(window):
            formats[_position(cell)] = percent_styles[int(style)]
        if b' s="' in window and window.count(b"<c s=") + window.count(b":c ") > 0:
            for style, cell in reversed_order.findall(window):
                formats.setdefault(_position(cell), percent_styles[int(style)])
            for cell, style in prefixed.findall(window):
                formats.setdefault(_position(cell), percent_styles[int(style)])
    if formulas and (b"<f" in window or b":f>" in window):
        for match in _UNCACHED.finditer(window):
            out.uncached_formulas.add(_position(match.group(2)))
