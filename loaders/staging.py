"""Returns uploaded through the browser, held on the server between their preview and their commit.

A staged file is kept under a token (the sha256 of its bytes) in a folder every worker on the machine shares
(``QTM_STAGING_DIR``, default ``data/staging/``); a commit reads and checks it again, so what is stored is
always what the checks passed on the database as it is then. Files older than a day are swept away.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from qtm import PROJECT_ROOT

DEFAULT_FOLDER = PROJECT_ROOT / "data" / "staging"
MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{64}$")


class StagingRefused(ValueError):
    """An upload refused before it is even written: too large, or not base64."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class StagedFile:
    token: str
    name: str
    path: Path


def safe_name(name: str) -> str:
    """The upload's own name, reduced to a plain file name (no folders, no control characters), suffix kept."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*').strip(" .")
    return cleaned[:120] or "return"


class Staging:
    def __init__(self, folder: Path | None = None, max_bytes: int | None = None) -> None:
        self.folder = folder or Path(os.environ.get("QTM_STAGING_DIR") or DEFAULT_FOLDER)
        megabytes = float(os.environ.get("QTM_MAX_UPLOAD_MB", "20") or 20)
        self.max_bytes = max_bytes if max_bytes is not None else int(megabytes * 1024 * 1024)

    def put_data_url(self, name: str, contents: str) -> StagedFile:
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
        return self.put(name, content)

    def put(self, name: str, content: bytes) -> StagedFile:
        self.sweep()
        token = hashlib.sha256(content).hexdigest()
        folder = self.folder / token
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe_name(name)
        if not path.exists():
            partial = path.with_name(path.name + ".part")
            partial.write_bytes(content)
            partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
        return StagedFile(token, path.name, path)

    def get(self, token: str, name: str) -> StagedFile | None:
        """The staged file, or None when the token is malformed or the file is gone (committed, swept)."""
        if not _TOKEN.match(token):
            return None
        path = self.folder / token / safe_name(name)
        return StagedFile(token, path.name, path) if path.is_file() else None

    def discard(self, token: str) -> None:
        if _TOKEN.match(token):
            shutil.rmtree(self.folder / token, ignore_errors=True)

    def sweep(self) -> None:
        """Remove staged files older than a day (uploads previewed and never committed)."""
        if not self.folder.is_dir():
            return
        cutoff = time.time() - MAX_AGE_SECONDS
        for entry in self.folder.iterdir():
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
