"""Refusing hostile or broken files before any parser touches them.

Every check here is bounded in time and memory: it reads a few bytes, the zip directory, and the first bytes of each
XML part. What it refuses raises :class:`Refused` with a message for the user.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qtm.config import Settings
from qtm.config import current as settings
from qtm.errors import Place, QtmError

#: Excel's widest sheet (column XFD): a CSV line wider than this came from no spreadsheet.
MAX_COLUMNS = 16_384


class Refused(QtmError):
    """The file is refused without being parsed (``cell``: where, when one cell is to blame)."""

    status = 422

    def __init__(self, code: str, zh: str, en: str, cell: str | None = None) -> None:
        super().__init__(en, zh, code=code, place=Place(cell=cell) if cell else None)
        self.cell = cell


#: The settings' defaults (QTM_MAX_UPLOAD_MB, QTM_MAX_CELLS), the limits of a file read without them.
_DEFAULTS = Settings()


@dataclass(frozen=True)
class Limits:
    """How much a single upload may ask of the machine."""

    max_bytes: int = _DEFAULTS.max_upload_bytes  # QTM_MAX_UPLOAD_MB's default
    max_uncompressed_bytes: int = 400 * 1024 * 1024  # all parts of an xlsx, unpacked
    max_ratio: float = 100.0  # unpacked / packed, for any part over 1 MB unpacked
    max_parts: int = 10_000
    max_cells: int = 10_000_000  # rows × columns of one sheet's used range
    max_total_cells: int = (
        _DEFAULTS.max_cells
    )  # rows × columns of every sheet together, or the cells of a CSV
    max_columns: int = MAX_COLUMNS  # the widest CSV line

    @classmethod
    def from_env(cls) -> Limits:
        """``QTM_MAX_UPLOAD_MB`` sets the size limit (default 20 MB), ``QTM_MAX_CELLS`` the cells of one file
        (default 5 million)."""
        chosen = settings()
        return cls(max_bytes=chosen.max_upload_bytes, max_total_cells=chosen.max_cells)


_MAGIC = [
    (b"\x89PNG", "a PNG image", "PNG 图片"),
    (b"\xff\xd8\xff", "a JPEG image", "JPEG 图片"),
    (b"GIF8", "a GIF image", "GIF 图片"),
    (b"%PDF", "a PDF document", "PDF 文档"),
    (b"Rar!", "a RAR archive", "RAR 压缩包"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "7z 压缩包"),
    (b"\x1f\x8b", "a gzip archive", "gzip 压缩包"),
]
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and old .doc): an OLE2 compound file
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def read_upload(path: Path, limits: Limits) -> bytes:
    """The bytes of ``path``, read once: only a regular file (after following links), and never more than the size
    limit — a link to /dev/zero or a pipe is refused at once, before anything is read. Raises :class:`Refused`, or
    ``OSError`` when the file cannot be opened."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    _check_regular(
        os.stat(path).st_mode
    )  # before opening: opening a device or a pipe can itself have effects
    descriptor = os.open(path, flags)
    try:
        status = os.fstat(descriptor)
        _check_regular(status.st_mode)  # what was opened, in case the path changed in between
        _check_size(status.st_size, limits)
        chunks: list[bytes] = []
        size = 0
        while size <= limits.max_bytes:
            chunk = os.read(descriptor, min(1 << 20, limits.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        _check_size(size, limits)  # the file grew while being read
    finally:
        os.close(descriptor)
    return b"".join(chunks)


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        what = (
            ("目录", "a folder")
            if stat.S_ISDIR(mode)
            else ("管道", "a pipe")
            if stat.S_ISFIFO(mode)
            else ("设备", "a device")
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else ("特殊文件", "a special file")
        )
        raise Refused(
            "not_a_regular_file",
            f"不是普通文件（是{what[0]}），已拒绝",
            f"not a regular file ({what[1]}); refused",
        )


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise Refused(
            "file_too_large",
            f"文件过大（{size / 1048576:.1f} MB），上限为 {limits.max_bytes / 1048576:.0f} MB",
            f"the file is too large ({size / 1048576:.1f} MB; the limit is {limits.max_bytes / 1048576:.0f} MB)",
        )


def check_file(path: Path, limits: Limits, content: bytes | None = None) -> str:
    """Check ``path`` (or its ``content``, already read by :func:`read_upload`) before parsing; return its kind
    ("xlsx", "xls", "csv"). Raises :class:`Refused`."""
    if content is None:
        status = os.stat(path)
        _check_regular(status.st_mode)
        size = status.st_size
    else:
        size = len(content)
    _check_size(size, limits)
    if size == 0:
        raise Refused("empty_file", "文件为空", "the file is empty")
    if content is None:
        with path.open("rb") as handle:
            head = handle.read(8)
    else:
        head = content[:8]
    suffix = path.suffix.lower()
    if suffix not in READ_SUFFIXES:
        raise _unsupported(suffix, head, content)
    for magic, en, zh in _MAGIC:
        if head.startswith(magic):
            raise Refused(
                "not_a_spreadsheet",
                f"文件内容是{zh}，不是 Excel 或 CSV 报表",
                f"the file is {en}, not an Excel or CSV return",
            )
    if suffix in (".xlsx", ".xlsm"):
        if not head.startswith(ZIP_MAGIC):
            raise Refused(
                "not_a_workbook",
                f"文件扩展名为 {suffix}，但内容不是 Excel 工作簿",
                f"the file is named {suffix} but is not an Excel workbook",
            )
        _check_zip(path if content is None else io.BytesIO(content), limits)
        return "xlsx"
    if suffix == ".xls":
        if head.startswith(ZIP_MAGIC):  # an .xlsx saved under the old extension
            _check_zip(path if content is None else io.BytesIO(content), limits)
            return "xlsx"
        if not head.startswith(OLE_MAGIC):
            raise Refused(
                "not_a_workbook",
                "文件扩展名为 .xls，但内容不是 Excel 97-2003 工作簿",
                "the file is named .xls but is not an Excel 97-2003 workbook",
            )
        return "xls"
    if suffix == ".csv":
        if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
            raise Refused(
                "not_a_csv",
                "文件扩展名为 .csv，但内容是 Excel 工作簿",
                "the file is named .csv but is a workbook",
            )
        return "csv"
    raise _unsupported(suffix, head, content)


#: The types qtm reads, by name; what a file is comes from its content.
READ_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


def _unsupported(suffix: str, head: bytes, content: bytes | None) -> Refused:
    """Any other type (.txt, .docx, .pdf …), refused the same way: what the content is, and the types qtm reads."""
    zh, en = "", ""
    for magic, what_en, what_zh in _MAGIC:
        if head.startswith(magic):
            zh, en = f"（内容是{what_zh}）", f" ({what_en})"
    if head.startswith(ZIP_MAGIC):
        if content is not None and b"word/" in content[:65536]:
            zh, en = "（内容是 Word 文档）", " (a Word document)"
        else:
            zh, en = "（内容是压缩包）", " (an archive)"
    elif head.startswith(OLE_MAGIC):
        zh, en = "（内容是 Office 97-2003 文档）", " (an Office 97-2003 document)"
    readable = "、".join(READ_SUFFIXES)
    return Refused(
        "unsupported_type",
        f"无法读取：不支持的文件类型 {suffix or '（无扩展名）'}{zh}；可读取的类型：{readable}",
        f"unreadable: unsupported file type {suffix or '(none)'}{en}; qtm reads {', '.join(READ_SUFFIXES)}",
    )


def _check_zip(source: Path | io.BytesIO, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
            if len(parts) > limits.max_parts:
                raise _bomb(f"{len(parts)} parts")
            total = sum(p.file_size for p in parts)
            if total > limits.max_uncompressed_bytes:
                raise _bomb(f"{total / 1048576:.0f} MB unpacked")
            for part in parts:
                if part.file_size > 1048576 and part.file_size > limits.max_ratio * max(
                    part.compress_size, 1
                ):
                    raise _bomb(f"{part.filename} unpacks {part.file_size // max(part.compress_size, 1)}×")
            names = {p.filename for p in parts}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise Refused(
                    "not_a_workbook",
                    "压缩包不是 Excel 工作簿（缺少 xl/ 部件）",
                    "the archive is not an Excel workbook (it has no xl/ parts)",
                )
            for part in parts:
                if part.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(part) as stream:
                        prologue = stream.read(4096)
                    if _DOCTYPE.search(prologue):
                        raise Refused(
                            "xml_entities",
                            f"工作簿部件 {part.filename} 含有 DOCTYPE/ENTITY 声明，已拒绝（可能是 XML 实体攻击）",
                            f"the part {part.filename} declares a DOCTYPE or entities; refused (XML entity attack)",
                        )
    except zipfile.BadZipFile as exc:
        raise Refused(
            "corrupt_workbook",
            f"工作簿已损坏或不完整（{exc}）",
            f"the workbook is corrupt or truncated ({exc})",
        ) from exc
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise Refused(
            "corrupt_workbook", f"无法读取工作簿（{exc}）", f"cannot read the workbook ({exc})"
        ) from exc


def _bomb(detail: str) -> Refused:
    return Refused(
        "zip_bomb",
        f"工作簿解压后体积异常（{detail}），已拒绝",
        f"the workbook unpacks to an absurd size ({detail}); refused",
    )
