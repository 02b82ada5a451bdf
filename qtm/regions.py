"""Regions: GB/T 2260 six-digit codes with their names, short forms and parent, read from ``data/regions.csv``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qtm import PROJECT_ROOT
from qtm.errors import ConfigError
from qtm.units import normalise_text

DEFAULT_REGIONS_FILE = PROJECT_ROOT / "data" / "regions.csv"
_COLUMNS = ["code", "name_zh", "name_en", "short", "parent", "level"]
_LEVELS = {"country", "province", "prefecture", "district", "county"}


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    parent: str | None
    level: str
    short: tuple[str, ...] = field(default=())

    def names(self) -> tuple[str, ...]:
        """Every way this region may be written: code, full name, English name and short forms."""
        return (self.code, self.name_zh, self.name_en, *self.short)


class Regions:
    """The set of known regions, looked up by code or by any of their names."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in regions}
        self._by_name: dict[str, Region] = {}
        for region in regions:
            for name in region.names():
                self._by_name[_key(name)] = region

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region:
        """The region with this GB/T 2260 code; ``KeyError`` when unknown."""
        return self._by_code[code]

    def resolve(self, text: str) -> Region | None:
        """The region written as ``text`` (code, name, short name, English name), or ``None``."""
        return self._by_name.get(_key(text))

    def children(self, code: str) -> list[Region]:
        return [r for r in self._by_code.values() if r.parent == code]

    def all_names(self) -> list[str]:
        """Every accepted spelling, for suggestions."""
        return sorted({n for r in self for n in r.names()})


def _key(name: str) -> str:
    # '北 京' (yearbook alignment) and '北京' are the same name.
    return "".join(normalise_text(name).split()).casefold()


def load_regions(path: Path = DEFAULT_REGIONS_FILE) -> Regions:
    """Read the regions file (``#`` lines are comments); raises :class:`ConfigError` naming file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the regions file ({exc.strerror})") from exc
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if reader.fieldnames != _COLUMNS:
        raise ConfigError(f"{path}: the header must be {','.join(_COLUMNS)}, found {reader.fieldnames}")
    regions: list[Region] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        code = row["code"].strip()
        where = f"{path}: row {number} ({code or 'no code'})"
        if len(code) != 6 or not code.isdigit():
            raise ConfigError(f"{where}: code must be six digits (GB/T 2260)")
        if code in seen:
            raise ConfigError(f"{where}: code is listed twice")
        if row["level"] not in _LEVELS:
            raise ConfigError(f"{where}: level must be one of {sorted(_LEVELS)}")
        seen.add(code)
        short = tuple(s.strip() for s in row["short"].split("|") if s.strip())
        regions.append(
            Region(
                code,
                row["name_zh"].strip(),
                row["name_en"].strip(),
                row["parent"].strip() or None,
                row["level"],
                short,
            )
        )
    for region in regions:
        if region.parent is not None and region.parent not in seen:
            raise ConfigError(f"{path}: {region.code} names parent {region.parent}, which is not listed")
    return Regions(regions)
