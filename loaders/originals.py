"""The originals of stored uploads, kept byte for byte in ``QTM_ORIGINALS_DIR``, and never apart from their batch.

An upload's original is kept in three steps, so that a process killed at any moment (kill -9, a power cut) leaves
either a batch with its original or no batch and a file recognisably left over:

1. **hold**: the bytes are written, synced, to ``held-<sha256 prefix>-<random>.<ext>`` — a new name of the server's
   choosing — and the file stays locked (``flock``) by the committing process until step 3 is done;
2. **commit**: the batch is stored with that name in its row (``batches.original``), in the same transaction;
3. **mark**: the file is renamed to ``<batch id, 6 digits>-<sha256 prefix>.<ext>``.

Killed before 2 ends, no batch names the held file: an *orphan*. Killed between 2 and 3, the batch names its held
file: its original is there, *unmarked*. :func:`check` finds both, and batches whose original is missing (deleted
by hand, or lost to a version of qtm before this scheme); :func:`sweep` (at ``qtm serve``'s start and in
``qtm db check --fix``) removes orphans once they are :data:`ORPHAN_AGE` old and nobody holds their lock, and marks
unmarked originals. Files named for a batch that the database does not have (a database restored from an older
backup) are reported, never removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qtm.config import current as settings
from qtm.errors import QtmError
from qtm.store import Store

#: Where the originals of stored uploads are kept (``QTM_ORIGINALS_DIR``), each under a name the server chooses.
#: An orphan younger than this is left alone: a commit may be on its way (the lock protects it too).
ORPHAN_AGE = dt.timedelta(minutes=30)

_MARKED = re.compile(r"(\d{6,})-([0-9a-f]{16})\.(?:xlsx|xls|csv|bin)")
_HELD = re.compile(r"held-[0-9a-f]{16}-[0-9a-f]{16}\.(?:xlsx|xls|csv|bin)")
_PENDING = ".pending-"  # what qtm before schema 0005 wrote before its commit


class OriginalNotKept(QtmError):
    """The original of an upload cannot be kept (``QTM_ORIGINALS_DIR`` is not writable): nothing is stored."""


def originals_dir() -> Path:
    """``QTM_ORIGINALS_DIR``, or data/originals/."""
    return settings().originals_dir


def marked_name(batch_id: int, sha256: str, suffix: str) -> str:
    """The name an upload's original has once its batch is committed: ``000042-<16 hex digits of sha256>.xlsx``."""
    return f"{batch_id:06d}-{sha256[:16]}{suffix}"


@dataclass
class Held:
    """An upload's original, written and synced under its held name, locked by this process until released."""

    path: Path
    descriptor: int

    def mark(self, batch_id: int, sha256: str) -> Path:
        """Step 3: rename the file for its committed batch. Should that fail, the batch still names its held file
        (the original is kept, and the next sweep marks it): the held path is returned."""
        marked = self.path.with_name(marked_name(batch_id, sha256, self.path.suffix))
        try:
            os.replace(self.path, marked)
            _sync_folder(marked.parent)
        except OSError:
            return self.path
        return marked

    def discard(self) -> None:
        """Remove the file: no batch was stored."""
        self.path.unlink(missing_ok=True)

    def discard_unless_recorded(self, store: Store) -> None:
        """After a commit that failed in an unknown way: remove the file unless a batch names it after all; when
        the database cannot say, leave it (a sweep removes it once it is an orphan)."""
        try:
            recorded = store.batch_of_original(self.path.name) is not None
        except Exception:
            return
        if not recorded:
            self.discard()

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.descriptor)


def hold(folder: Path, content: bytes, sha256: str, suffix: str) -> Held:
    """Step 1: write ``content`` to a new held file in ``folder``, synced to disk with its folder entry, and locked.
    Raises :class:`OriginalNotKept` when it cannot be written."""
    path = folder / f"held-{sha256[:16]}-{secrets.token_hex(8)}{suffix}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _not_kept(folder, exc) from exc
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        view = memoryview(content)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
        _sync_folder(folder)
    except BaseException as exc:
        path.unlink(missing_ok=True)
        os.close(descriptor)
        if isinstance(exc, OSError):
            raise _not_kept(folder, exc) from exc
        raise
    return Held(path, descriptor)


def _not_kept(folder: Path, exc: OSError) -> OriginalNotKept:
    return OriginalNotKept(
        f"cannot keep the original of the upload in {folder} (QTM_ORIGINALS_DIR): {exc.strerror or exc}; "
        "nothing was stored"
    )


def _sync_folder(folder: Path) -> None:
    """Make the folder's entries (a new or renamed file) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ---- checking and sweeping the folder ------------------------------------------------------------------------


@dataclass
class Inventory:
    """What :func:`check` found in the originals folder, against the batches of the database."""

    folder: Path
    uploads: int = 0
    missing: list[int] = field(default_factory=list)  # uploads whose original is nowhere
    unmarked: list[tuple[int, Path]] = field(default_factory=list)  # committed, still under the held name
    orphans: list[Path] = field(default_factory=list)  # held (or .pending-) files no batch names
    strays: list[Path] = field(default_factory=list)  # named for a batch the database does not have


def check(store: Store, folder: Path) -> Inventory:
    """Every upload's original in ``folder``, and every file there that no upload owns.

    The database is read before the folder is listed, and every finding is confirmed on its own file or row: a
    commit that ends while the check runs is never taken for a batch without its original."""
    uploads = store.upload_originals()
    names = set(_listing(folder))
    found = Inventory(folder, uploads=len(uploads))
    marked = {(int(m[1]), m[2]) for m in map(_MARKED.fullmatch, names) if m}
    owned: set[str] = set()
    for batch_id, sha256, held in uploads:
        if held is not None:
            owned.add(held)
        if (batch_id, sha256[:16]) in marked:
            continue
        if held is not None and (held in names or (folder / held).exists()):
            found.unmarked.append((batch_id, folder / held))
        elif not _marked_exists(folder, batch_id, sha256):
            found.missing.append(batch_id)
    known = {(batch_id, sha256[:16]) for batch_id, sha256, _ in uploads}
    for name in sorted(names):
        if (_HELD.fullmatch(name) and name not in owned) or name.startswith(_PENDING):
            if store.batch_of_original(name) is None:  # a commit may have ended since the batches were read
                found.orphans.append(folder / name)
        elif (m := _MARKED.fullmatch(name)) and (int(m[1]), m[2]) not in known:
            batch = store.batch(int(m[1]))
            if batch is None or batch.sha256[:16] != m[2]:
                found.strays.append(folder / name)
    return found


def _listing(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def _marked_exists(folder: Path, batch_id: int, sha256: str) -> bool:
    return any(
        (folder / marked_name(batch_id, sha256, s)).exists() for s in (".xlsx", ".xls", ".csv", ".bin")
    )


@dataclass
class Swept:
    removed: list[Path] = field(default_factory=list)  # orphans removed
    marked: list[tuple[Path, Path]] = field(default_factory=list)  # held originals renamed for their batch
    kept: list[Path] = field(default_factory=list)  # orphans left: too young, or locked by a running commit


def sweep(store: Store, found: Inventory, *, older_than: dt.timedelta = ORPHAN_AGE) -> Swept:
    """Remove the orphans ``found`` that are at least ``older_than`` old and that no running commit holds, and
    rename every unmarked original for its batch. Files named for a batch are never removed."""
    swept = Swept()
    oldest = time.time() - older_than.total_seconds()
    for path in found.orphans:
        with _unheld(path) as free:
            old = free and _modified(path) <= oldest
            if old and store.batch_of_original(path.name) is None:
                path.unlink(missing_ok=True)
                swept.removed.append(path)
            elif path.exists():
                swept.kept.append(path)
    for batch_id, path in found.unmarked:
        batch = store.batch(batch_id)
        with _unheld(path) as free:
            if free and batch is not None and path.exists():
                marked = path.with_name(marked_name(batch_id, batch.sha256, path.suffix))
                os.replace(path, marked)
                swept.marked.append((path, marked))
    if swept.removed or swept.marked:
        _sync_folder(found.folder)
    return swept


@contextlib.contextmanager
def _unheld(path: Path) -> Iterator[bool]:
    """Whether no process holds ``path``'s lock (a commit in progress); the lock is held by us meanwhile."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
