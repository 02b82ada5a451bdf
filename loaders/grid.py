"""Reading a file into sheets of cells, each cell keeping its A1 reference and its number format."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils.cell import get_column_letter

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig reads plain UTF-8 too; gb18030 is a superset of GBK


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong format, corrupt, unsupported)."""


@dataclass(frozen=True)
class Cell:
    value: object  # str, int, float, datetime or None
    ref: str  # A1 notation, "C7"
    number_format: str | None = None

    @property
    def is_blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class Sheet:
    name: str | None  # None for a CSV file
    rows: list[list[Cell]] = field(default_factory=list)


def ref(row: int, column: int) -> str:
    """A1 reference of a 0-based row and column."""
    return f"{get_column_letter(column + 1)}{row + 1}"


def read_grid(path: Path) -> list[Sheet]:
    """Every sheet of ``path`` as rows of :class:`Cell`; raises :class:`UnreadableFile`."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_read_csv(path)]
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise UnreadableFile(f"unsupported file type {suffix or '(none)'}: use .xlsx, .xlsm, .xls or .csv")


def _read_csv(path: Path) -> Sheet:
    data = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("the CSV file is neither UTF-8 nor GBK text")
    sheet = Sheet(None)
    for r, values in enumerate(csv.reader(io.StringIO(text))):
        sheet.rows.append([Cell(v if v != "" else None, ref(r, c)) for c, v in enumerate(values)])
    return sheet


def _read_xlsx(path: Path) -> list[Sheet]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"not a readable Excel workbook ({exc})") from exc
    sheets: list[Sheet] = []
    try:
        for worksheet in workbook.worksheets:
            sheet = Sheet(worksheet.title)
            for r, row in enumerate(worksheet.iter_rows()):
                sheet.rows.append(
                    [
                        Cell(getattr(cell, "value", None), ref(r, c), getattr(cell, "number_format", None))
                        for c, cell in enumerate(row)
                    ]
                )
            sheets.append(sheet)
    finally:
        workbook.close()
    return sheets
