"""Returns uploaded through the browser, held on the server between their preview and their commit.

Each preview stages its file under a token of its own (random: 64 hex digits) in a folder every worker on the
machine shares (``QTM_STAGING_DIR``, default ``data/staging/``)::

    staging/<token>/return.xlsx      the bytes, under the server's own name (``return`` + the checked extension)
    staging/<token>/staged.json      who staged it, on which page load, and the name people see (its label)

So staging is per user and per page: two officials previewing the same bytes hold two staged files, and one's
commit leaves the other's in place. A commit names only the token; the file is handed out only to the user and the
page that staged it, and the name stored with the batch is the label kept at upload time — never a name the page
sends with the commit. A commit reads and checks the file again, so what is stored is always what the checks
passed on the database as it is then. Staged files older than a day are swept away.

Names: an upload's own name is never a path on the server (it may be long — 84 Chinese characters are more than
the 255 bytes a file name may take — or hold folders, control or bidirectional characters). :func:`disk_name` is
the server's name for the bytes; :func:`label` is the name people see: at most :data:`LABEL_CHARACTERS`
characters, control and bidirectional characters removed, its extension kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from qtm.config import current as settings
from qtm.errors import QtmError

MAX_AGE_SECONDS = 24 * 3600
#: The longest label (the name people see for an upload), its extension included.
LABEL_CHARACTERS = 80
#: What a label shows of a name too long to show whole: its head, this, and its extension.
ELLIPSIS = "…"
_TOKEN = re.compile(r"^[0-9a-f]{64}$")
#: An extension the server keeps on its own name for the bytes (the file's type is read from it, then checked
#: against the content): a dot and up to 16 ASCII letters or digits.
_EXTENSION = re.compile(r"^\.[0-9a-z]{1,16}$")
#: Characters a label never holds besides control and bidirectional ones (those are not printable): folder
#: separators and what file systems and Content-Disposition headers take amiss.
_REMOVED = set('\\/<>:"|?*')
_META = "staged.json"


class StagingRefused(QtmError, ValueError):
    """An upload refused before it is even written: too large, or not base64."""

    code = "staging_refused"
    status = 413

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en, zh)


@dataclass(frozen=True)
class StagedFile:
    token: str
    label: str  # the name people see (and the batch keeps)
    path: Path  # the bytes, under the server's own name
    owner: str  # the user who staged it
    page: str  # the page load it was staged on


def label(name: str) -> str:
    """The name people see for an upload named ``name``: its last part (no folders), without control or
    bidirectional characters, at most LABEL_CHARACTERS long — a longer name keeps its head and its extension
    (``head…​.xlsx``)."""
    cleaned = _cleaned(name)
    if not cleaned:
        return "return" + extension(name)
    if len(cleaned) <= LABEL_CHARACTERS:
        return cleaned
    suffix = os.path.splitext(cleaned)[1]
    if len(suffix) > 17:  # not an extension: a dot in a long name
        suffix = ""
    head = cleaned[: LABEL_CHARACTERS - len(ELLIPSIS) - len(suffix)].rstrip(" .")
    return head + ELLIPSIS + suffix


def extension(name: str) -> str:
    """The extension of ``name`` in lower case (``.xlsx``), or "" when it has none a file name may carry."""
    suffix = os.path.splitext(_cleaned(name))[1].lower()
    return suffix if _EXTENSION.match(suffix) else ""


def _cleaned(name: str) -> str:
    """``name``'s last part (no folders), without control, bidirectional or other characters a label never holds."""
    base = re.split(r"[\\/]", name)[-1]
    return "".join(c for c in base if c.isprintable() and c not in _REMOVED).strip(" .")


def disk_name(stem: str, name: str) -> str:
    """The server's own name for the bytes of an upload named ``name``: ``stem`` and the upload's extension."""
    return stem + extension(name)


class Staging:
    def __init__(self, folder: Path | None = None, max_bytes: int | None = None) -> None:
        self.folder = folder or settings().staging_dir
        self.max_bytes = max_bytes if max_bytes is not None else settings().max_upload_bytes

    def put_data_url(self, name: str, contents: str, *, owner: str, page: str) -> StagedFile:
        """Stage a file sent as a data URL (``data:…;base64,…``, as the browser's upload sends it). The size is
        checked before decoding, so an oversized upload never takes its size in memory twice."""
        _, _, encoded = contents.partition(",")
        if len(encoded) * 3 // 4 > self.max_bytes:
            limit = self.max_bytes // (1024 * 1024)
            raise StagingRefused(f"文件超过 {limit} MB 上限", f"the file is larger than the {limit} MB limit")
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise StagingRefused("上传内容无法解码", "the upload could not be decoded") from None
        return self.put(name, content, owner=owner, page=page)

    def put(self, name: str, content: bytes, *, owner: str, page: str) -> StagedFile:
        """Stage ``content`` uploaded as ``name`` by ``owner`` on page load ``page``, under a new token."""
        self.sweep()
        token = secrets.token_hex(32)
        folder = self.folder / token
        folder.mkdir(parents=True)
        path = folder / disk_name("return", name)
        path.write_bytes(content)
        staged = StagedFile(token, label(name), path, owner, page)
        meta = {"owner": owner, "page": page, "label": staged.label, "file": path.name}
        written = folder / (_META + ".part")
        written.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        written.replace(folder / _META)  # last and atomic: a file with its record is whole
        return staged

    def get(self, token: object, *, owner: str, page: str) -> StagedFile | None:
        """The file staged under ``token`` by ``owner`` on page load ``page``; None when the token is malformed,
        the file is gone (committed, swept) or another user or page staged it."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return None
        folder = self.folder / token
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("owner") != owner or meta.get("page") != page:
            return None
        path = folder / str(meta.get("file"))
        if path.parent != folder or not path.is_file():
            return None
        return StagedFile(token, str(meta.get("label")), path, owner, page)

    def discard(self, token: str) -> None:
        if _TOKEN.match(token):
            shutil.rmtree(self.folder / token, ignore_errors=True)

    def sweep(self) -> None:
        """Remove what was staged more than a day ago (uploads previewed and never committed)."""
        if not self.folder.is_dir():
            return
        cutoff = time.time() - MAX_AGE_SECONDS
        for entry in self.folder.iterdir():
            try:
                if entry.lstat().st_mtime >= cutoff:
                    continue
            except OSError:
                continue  # removed meanwhile
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
