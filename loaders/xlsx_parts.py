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
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_WIDE_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{2,3})\d+"')  # columns AA and beyond are rare
_UNCACHED = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?)\br="([A-Z]+\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


@dataclass
class SheetParts:
    name: str
    path: str  # inside the package
    percent_formats: dict[str, str] = field(default_factory=dict)  # A1 ref → number format
    uncached_formulas: set[str] = field(default_factory=set)  # A1 refs
    max_row: int = 0
    max_column: int = 26  # 1-based; columns A–Z are not scanned for (they cannot make a sheet absurd)


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + (byte - 64)
    return number


def read_parts(path: Path) -> dict[str, SheetParts]:
    """Per sheet name: percent-formatted cells, formulas without a cached value, and the extent of the data."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        sheets = _sheet_paths(archive, names)
        percent_styles = _percent_styles(archive) if "xl/styles.xml" in names else {}
        result: dict[str, SheetParts] = {}
        for name, part in sheets.items():
            parts = SheetParts(name, part)
            if part in names:
                _scan_sheet(archive, part, percent_styles, parts)
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


def _scan_sheet(archive: zipfile.ZipFile, part: str, percent_styles: dict[int, str], out: SheetParts) -> None:
    style_pattern = None
    if percent_styles:
        alternatives = b"|".join(str(s).encode() for s in sorted(percent_styles))
        style_pattern = re.compile(
            rb'<(?:\w+:)?c\b(?=[^>]*?\bs="(' + alternatives + rb')")[^>]*?\br="([A-Z]+\d+)"'
        )
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
            _scan_window(window, style_pattern, percent_styles, out)
            if not chunk:
                break


def _scan_window(
    window: bytes, style_pattern: re.Pattern[bytes] | None, percent_styles: dict[int, str], out: SheetParts
) -> None:
    for match in _ROW.finditer(window):
        row = int(match.group(1))
        if row > out.max_row:
            out.max_row = row
    for match in _WIDE_CELL.finditer(window):
        out.max_column = max(out.max_column, _column_number(match.group(1)))
    if style_pattern is not None:
        for match in style_pattern.finditer(window):
            out.percent_formats[match.group(2).decode()] = percent_styles[int(match.group(1))]
    if b"<f" in window or b":f>" in window:
        for match in _UNCACHED.finditer(window):
            out.uncached_formulas.add(match.group(2).decode())
