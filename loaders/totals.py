"""Total rows: which area a row written 全国, 全省, 全市, 合计, 总计 … stands for, or why that cannot be told.

全国 is always the country. The other total words stand for the return's own area: the one it states (its title,
a 地区 or 填报单位 line), or else the single parent of every region its rows name — which then names no region
above it (rows 兰州市, 天水市 and 全省 are Gansu; rows 甘肃省, 兰州市 and 合计 are refused: is 合计 Gansu, or
China?). A word of a level (全省, 全市, 全区, 全州, 全县) cannot mean the country, so a 全国 row beside it leaves it
clear; a word whose level does not fit the area (全市 in a return about a province) is refused. A refused total row
is an error at its cell whose message names the candidates; never a value stored for a region the return does not
name or state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loaders.labels import TOTAL_WORDS, stub_text
from qtm.regions import Region, Regions
from qtm.units import normalise_text

#: Words for the country, whatever the return's area: a national row beside the province's is the country's.
COUNTRY_WORDS = frozenset({"全国", "全国合计", "全国总计", "全国平均"})
#: 全省 fits an area whose name ends with 省, 全市 one ending with 市 (a prefecture, or 上海市), and so on.
_LEVEL_OF_WORD = re.compile(r"^全([省市区州县])")


@dataclass(frozen=True)
class UnclearTotal:
    """A total word written in a row whose area the return does not make clear: refused at its cell with these
    messages (by :class:`loaders.checks.Checker`). Compared and hashed by all its fields, as cell values are."""

    written: str
    zh: str
    en: str

    def __str__(self) -> str:
        return self.written


def region_written(regions: Regions, written: object) -> Region | None:
    """The region a cell names: a code, a name or short name ('兰 州' too), '310118青浦区', '兰州市（含兰州新区）'."""
    if written is None:
        return None
    if isinstance(written, float) and written.is_integer():
        written = int(written)
    text = "".join(normalise_text(str(written)).split())
    if not text:
        return None
    region = regions.resolve(text)
    if region is None and len(text) > 6 and text[:6].isdigit():  # '310118青浦区'
        region = regions.resolve(text[:6]) or regions.resolve(text[6:])
    if region is None and ("(" in text or "（" in text):  # '兰州市（含兰州新区）'
        region = regions.resolve(re.sub(r"[（(][^）)]*[）)]", "", text))
    return region


def is_total_word(written: object) -> bool:
    return isinstance(written, str) and (
        stub_text(written) in TOTAL_WORDS or stub_text(written) in COUNTRY_WORDS
    )


@dataclass(frozen=True)
class Area:
    """The area a table states (None when it states none), with the regions known: it tells what its total rows
    stand for."""

    regions: Regions
    stated: Region | None = None

    def totals(self, written: list[object]) -> list[object]:
        """A table's region cells with each total word replaced by the code of the area it stands for, or by an
        :class:`UnclearTotal` saying why it cannot be told; other cells unchanged."""
        words = {v for v in set(written) if is_total_word(v)}
        if not words:
            return written
        country = next((r for r in self.regions if r.level == "country"), None)
        named = {
            r for v in set(written) if v not in words and (r := region_written(self.regions, v)) is not None
        }
        if country is not None and any(stub_text(w) in COUNTRY_WORDS for w in words):
            named.add(country)  # a 全国 row names the country, above every other area
        meaning = {word: self._meaning(str(word), named, country) for word in words}
        return [meaning.get(v, v) for v in written]

    def _meaning(self, word: str, named: set[Region], country: Region | None) -> str | UnclearTotal:
        key = stub_text(word)
        if key in COUNTRY_WORDS:
            return country.code if country is not None else word
        level = _LEVEL_OF_WORD.match(key)
        if level is not None:  # 全省 cannot mean the country: a 全国 row beside it leaves it clear
            named = {r for r in named if r.level != "country"}
        area = self.stated or _sole_parent(self.regions, named)
        if area is None:
            return _unclear(word, _candidates(self.regions, named))
        if level is not None and not area.name_zh.endswith(level.group(1)):
            how = "本表所述" if self.stated is not None else "表中各地区的上级"
            return UnclearTotal(
                word,
                f"“{word}”与本表地区“{area.name_zh}”（{how}）的级别不符，无法确定所指地区"
                "（请改为该地区名称，或注明“地区：…”）",
                f"{word!r} does not fit the return's area, {area.name_en} ({area.name_zh}); which area it stands "
                "for cannot be told (write the area's name, or add 地区：… above the table)",
            )
        return area.code


def _sole_parent(regions: Regions, named: set[Region]) -> Region | None:
    """The one parent of every named region (none of which can then be it or above it); None if there is none."""
    parents = {r.parent for r in named}
    if len(parents) != 1 or None in parents:
        return None
    (parent,) = parents
    return regions.get(parent) if parent is not None and parent in regions else None


def _candidates(regions: Regions, named: set[Region]) -> list[Region]:
    """The areas a total row might stand for: the parents of the regions named, and those named above others."""
    above = {code for r in named for code in _ancestors(regions, r)}
    codes = {r.parent for r in named if r.parent is not None} | {r.code for r in named if r.code in above}
    return sorted((regions.get(c) for c in codes if c in regions), key=lambda r: r.code)


def _ancestors(regions: Regions, region: Region) -> set[str]:
    found: set[str] = set()
    parent = region.parent
    while parent is not None and parent in regions and parent not in found:
        found.add(parent)
        parent = regions.get(parent).parent
    return found


def _unclear(word: str, candidates: list[Region]) -> UnclearTotal:
    if not candidates:
        return UnclearTotal(
            word,
            f"“{word}”指本表所属地区，但表中未说明是哪个地区（请在表头上方注明“地区：…”）",
            f"{word!r} means the return's own area, which the return does not name (add 地区：… above the table)",
        )
    return UnclearTotal(
        word,
        f"“{word}”指本表所属地区，但表中未说明是哪个地区，可能是：{'、'.join(r.name_zh for r in candidates)}"
        "（请改为该地区名称，或在表头上方注明“地区：…”）",
        f"{word!r} means the return's own area, which the return does not state; it could be "
        f"{' or '.join(r.name_en for r in candidates)} (write the area's name, or add 地区：… above the table)",
    )
