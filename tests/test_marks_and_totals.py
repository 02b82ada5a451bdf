"""Two silent wrongs of issue #18: a footnote mark glued to a number never changes its digits ('97.8①' is 97.8
with a note, never 97.81), and a total row is stored only for an area the return names or states (全国 is the
country, never the province of the cities listed beside it). Real .xlsx files, ingested into a real SQLite store."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from dashboard.views.upload import preview_view
from loaders.ingest import FileResult, ingest_file
from loaders.labels import TOTAL_WORDS
from loaders.totals import COUNTRY_WORDS
from loaders.values import read_number
from qtm.registry import Registry, load_registry
from qtm.store import Store
from tests.conftest import run_qtm

TODAY = dt.date(2026, 6, 30)
RATE = "制造业产品质量合格率"
COUNT = "市级智能工厂数量"
HEADER = ["指标名称", "地区", "统计期", "数值"]


@pytest.fixture(autouse=True)
def originals(tmp_path, monkeypatch):
    monkeypatch.setenv("QTM_ORIGINALS_DIR", str(tmp_path / "originals"))


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表1"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _ingest(path: Path, registry: Registry, sqlite_url: str, *, dry_run: bool = False) -> FileResult:
    store = Store.open(sqlite_url)
    try:
        return ingest_file(path, registry, store, uploaded_by="t", dry_run=dry_run, today=TODAY)
    finally:
        store.engine.dispose()


def _stored(sqlite_url: str) -> dict[tuple[str, str], float]:
    store = Store.open(sqlite_url)
    try:
        return {(o.region, str(o.period)): o.value for o in store.current()}
    finally:
        store.engine.dispose()


def _issues(result: FileResult) -> list[tuple[str, str, str | None]]:
    return [(i.severity, i.code, i.cell) for i in result.report.issues]


# ---- a mark beside a number is a note, never a digit ----------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "written", "value", "note"),
    [
        (RATE, "97.8①", 97.8, "①"),  # NFKC: 97.81
        (RATE, "97.8¹", 97.8, "¹"),  # NFKC: 97.81
        (RATE, "95⑴", 95, "⑴"),  # NFKC: 95(1), refused
        (COUNT, "1,234※", 1234, "※"),
        (RATE, "92.4⒉", 92.4, "⒉"),  # NFKC: 92.42.
        (RATE, "93❶", 93, "❶"),
        (RATE, "96.5%②", 96.5, "②"),
        (RATE, "９７.８③", 97.8, "③"),  # full-width digits still read
        (RATE, "94.1（注1）", 94.1, "（注1）"),
        (RATE, "90.5a", 90.5, "a"),
        (RATE, "91.2 ▲", 91.2, "▲"),
    ],
)
def test_a_mark_glued_to_a_number_is_a_note_and_never_a_digit(
    tmp_path, registry, sqlite_url, indicator, written, value, note
):
    path = _workbook(tmp_path / "r.xlsx", [HEADER, [indicator, "兰州市", 2024, written]])
    result = _ingest(path, registry, sqlite_url)
    assert result.status == "committed", _issues(result)
    assert _stored(sqlite_url) == {("620100", "2024"): value}
    (observation,) = result.observations
    assert observation.value_as_written.endswith(note)  # the whole cell is kept with the value
    assert _issues(result) == [("warning", "value_note", "D2")]
    (issue,) = result.report.issues
    shown = observation.value_as_written[: -len(note)]
    assert f"D2 的“{shown}{note}”带有注记“{note}”，按 {shown} 读取" in issue.message_zh
    assert f"carries the note {note!r}; read as {shown}" in issue.message_en


def test_full_width_digits_without_a_mark_read_as_before(tmp_path, registry, sqlite_url):
    path = _workbook(
        tmp_path / "r.xlsx", [HEADER, [RATE, "兰州市", 2024, "９７.８"], [RATE, "天水市", 2024, "97.8％"]]
    )
    result = _ingest(path, registry, sqlite_url)
    assert result.status == "committed" and result.report.issues == []
    assert _stored(sqlite_url) == {("620100", "2024"): 97.8, ("620500", "2024"): 97.8}


@pytest.mark.parametrize("written", ["97.8x", "93.5𝟗", "97.8₁", "95(%)", "97.8 percent", "约93", "93.5ab"])
def test_a_number_followed_by_what_is_no_mark_nor_unit_is_refused(tmp_path, registry, sqlite_url, written):
    path = _workbook(tmp_path / "r.xlsx", [HEADER, [RATE, "兰州市", 2024, written]])
    result = _ingest(path, registry, sqlite_url)
    assert result.status == "rejected" and _issues(result) == [("error", "not_a_number", "D2")]
    assert _stored(sqlite_url) == {}


def test_the_upload_preview_shows_the_note_beside_the_value(tmp_path, registry, sqlite_url):
    path = _workbook(
        tmp_path / "r.xlsx", [HEADER, [RATE, "兰州市", 2024, "97.8①"], [RATE, "天水市", 2024, 95]]
    )
    result = _ingest(path, registry, sqlite_url, dry_run=True)
    page = _texts(preview_view(registry, result, "zh"))
    assert "97.8 %（注记“①”）" in page and "原文：97.8①" in page  # beside the value, and in full on hover
    assert "95.0 %" in page and "95.0 %（注记" not in page  # a value with no note shows none
    assert "value_note" in page  # the warning naming the cell is listed too
    assert "97.8 % (note '①')" in _texts(preview_view(registry, result, "en"))


def _texts(component: object) -> str:
    """The text a component shows (and its hover titles), children first."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_texts(child) for child in component)
    children = getattr(component, "children", None)
    title = getattr(component, "title", None)
    return (_texts(children) if children is not None else "") + (f"[{title}]" if title else "")


# Characters a number can be followed by: every character whose NFKC form holds a digit (①, ¹, ⑴, ⒈, ㉑, ½, 𝟗 …)
# but the digits 0-9 and ０-９ themselves (which continue the number a person sees), the marks officials use, letters,
# units, and any other character.
_NUMBER_DIGITS = set("0123456789０１２３４５６７８９")
DIGIT_LIKE = sorted(
    char
    for char in map(chr, range(0x110000))
    if not unicodedata.is_normalized("NFKC", char)  # NFKC leaves 0-9 alone, and no other digit
    and char not in _NUMBER_DIGITS
    and any(digit in unicodedata.normalize("NFKC", char) for digit in "0123456789")
)
MARKS = st.one_of(
    st.sampled_from(DIGIT_LIKE),
    st.sampled_from(list("*＊※△▲#＃†abcepxyzE%％.,，．-+()（）[]注 ")),
    st.characters(exclude_characters="".join(_NUMBER_DIGITS)),
)
_FULL_WIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, float]:
    """A number as an official writes it (an integer, a decimal, with thousands commas, a percentage, in full-width
    digits) and the value it means."""
    whole = draw(st.integers(0, 10**7))
    decimals = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=3)))
    commas = draw(st.booleans())
    text = (f"{whole:,}" if commas else str(whole)) + (f".{decimals}" if decimals else "")
    value = float(text.replace(",", ""))
    if draw(st.booleans()):
        text += draw(st.sampled_from(["%", "％"]))
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return text, value


@given(written_numbers(), st.lists(MARKS, min_size=1, max_size=3).map("".join), st.booleans())
@example(("97.8", 97.8), "①", False)
@example(("97.8", 97.8), "¹", False)
@example(("95", 95.0), "⑴", False)
@example(("1,234", 1234.0), "※", False)
@example(("92.4", 92.4), "⒉", False)
@example(("9", 9.0), "½", False)
@example(("21", 21.0), "㉑", False)
@example(("97", 97.0), "e", False)
@settings(max_examples=600)
def test_a_number_with_a_mark_reads_as_the_number_written_or_nothing(number, mark, spaced):
    text, value = number
    reading = read_number(text + (" " if spaced else "") + mark)
    assert reading.value is None or reading.value == value, (text, mark, reading)


_RATES = st.tuples(st.integers(0, 99), st.text("0123456789", min_size=0, max_size=2))


@given(st.lists(st.tuples(_RATES, st.sampled_from(DIGIT_LIKE + list("*※△▲#a"))), min_size=1, max_size=5))
@settings(max_examples=25)
def test_no_mark_changes_a_stored_value(tmp_path_factory, registry, rows):
    """The same property through the real path: a workbook of rates with marks, ingested into SQLite."""
    folder = tmp_path_factory.mktemp("marks")
    cities = ["兰州市", "嘉峪关市", "金昌市", "白银市", "天水市"]
    written = {}
    body: list[list[object]] = [HEADER]
    for city, ((whole, decimals), mark) in zip(cities, rows, strict=False):
        number = f"{whole}.{decimals}" if decimals else str(whole)
        written[registry.regions.resolve(city).code] = float(number)
        body.append([RATE, city, 2024, number + mark])
    result = _ingest(_workbook(folder / "r.xlsx", body), registry, f"sqlite:///{folder / 'q.sqlite'}")
    for observation in result.observations:
        assert observation.value == written[observation.region], observation
    if result.status == "committed":
        assert {r: v for (r, _p), v in _stored(f"sqlite:///{folder / 'q.sqlite'}").items()} == written


# ---- total rows: 全国 is the country; 全省, 合计 … only the area the return names or states ----------------------


def _rates(rows: list[tuple[str, float]], above: list[list[object]] | None = None) -> list[list[object]]:
    return [*(above or []), HEADER, *([RATE, region, 2024, value] for region, value in rows)]


def test_the_national_row_is_the_countrys_never_the_provinces(tmp_path, registry, sqlite_url):
    path = _workbook(
        tmp_path / "r.xlsx",
        [["2024年制造业产品质量合格率"], ["地区", "合格率(%)"], ["全国", 93.93], ["兰州市", 94.1]],
    )
    result = _ingest(path, registry, sqlite_url)
    assert result.status == "committed", _issues(result)
    assert _stored(sqlite_url) == {("100000", "2024"): 93.93, ("620100", "2024"): 94.1}


def test_the_national_row_stays_the_countrys_in_a_province_return(tmp_path, registry, sqlite_url):
    rows = _rates([("全国", 93.93), ("全省", 93.4), ("兰州市", 94.1)], above=[["地区：甘肃省"]])
    result = _ingest(_workbook(tmp_path / "r.xlsx", rows), registry, sqlite_url)
    assert result.status == "committed", _issues(result)
    assert _stored(sqlite_url) == {
        ("100000", "2024"): 93.93,
        ("620000", "2024"): 93.4,
        ("620100", "2024"): 94.1,
    }


def test_a_province_total_under_its_cities_is_the_province(tmp_path, registry, sqlite_url):
    rows = _rates([("兰州市", 94.1), ("天水市", 92.6), ("全省", 93.4)])
    result = _ingest(_workbook(tmp_path / "r.xlsx", rows), registry, sqlite_url)
    assert result.status == "committed", _issues(result)
    assert _stored(sqlite_url)[("620000", "2024")] == 93.4


def test_a_province_total_beside_the_national_row_is_still_the_province(tmp_path, registry, sqlite_url):
    rows = _rates([("全国", 93.93), ("兰州市", 94.1), ("天水市", 92.6), ("全省", 93.4)])
    result = _ingest(_workbook(tmp_path / "r.xlsx", rows), registry, sqlite_url)
    assert result.status == "committed", _issues(result)
    assert _stored(sqlite_url)[("620000", "2024")] == 93.4
    assert _stored(sqlite_url)[("100000", "2024")] == 93.93


@pytest.mark.parametrize(
    ("rows", "candidates"),
    [
        ([("甘肃省", 93.0), ("兰州市", 94.1), ("合计", 93.4)], ["全国", "甘肃省"]),  # 合计 of what?
        ([("全国", 93.93), ("兰州市", 94.1), ("合计", 93.4)], ["全国", "甘肃省"]),
        ([("兰州市", 94.1), ("浦东新区", 95.0), ("合计", 93.4)], ["上海市", "甘肃省"]),
    ],
)
def test_a_total_whose_area_is_unclear_is_refused_naming_the_candidates(
    tmp_path, registry, sqlite_url, rows, candidates
):
    result = _ingest(_workbook(tmp_path / "r.xlsx", _rates(rows)), registry, sqlite_url)
    assert result.status == "rejected"
    assert _issues(result) == [("error", "unknown_region", "B4")]
    message = result.report.issues[0].message_zh
    assert "合计" in message and all(name in message for name in candidates), message
    assert _stored(sqlite_url) == {}


@pytest.mark.parametrize(
    ("above", "rows"),
    [
        ([["地区：甘肃省"]], [("兰州市", 94.1), ("全市", 93.4)]),  # 全市 in a province's return
        ([["2024年上海市各区质量统计表"]], [("浦东新区", 95.0), ("全省", 93.4)]),  # 全省 in a city's
        ([], [("兰州市", 94.1), ("天水市", 92.6), ("全市", 93.4)]),  # cities above 全市: a province's table
    ],
)
def test_a_total_whose_level_contradicts_the_area_is_refused(tmp_path, registry, sqlite_url, above, rows):
    result = _ingest(_workbook(tmp_path / "r.xlsx", _rates(rows, above)), registry, sqlite_url)
    assert result.status == "rejected"
    (issue,) = result.report.issues
    assert (issue.code, issue.cell) == ("unknown_region", f"B{len(above) + len(rows) + 1}")
    assert "级别不符" in issue.message_zh and "does not fit" in issue.message_en
    assert _stored(sqlite_url) == {}


@pytest.mark.parametrize(
    "above",
    [
        [["填报单位：甘肃省市场监督管理局"]],
        [["地区：甘肃省"]],
        [["2024年甘肃省各市州制造业产品质量合格率"]],
    ],
)
def test_a_total_stands_for_the_area_the_return_states(tmp_path, registry, sqlite_url, above):
    rows = _rates([("甘肃省", 93.4), ("兰州市", 94.1), ("合计", 93.4)], above)
    result = _ingest(_workbook(tmp_path / "r.xlsx", rows), registry, sqlite_url)
    assert result.status == "committed", _issues(result)
    assert _stored(sqlite_url)[("620000", "2024")] == 93.4


def test_the_command_line_stores_the_national_row_as_the_countrys_and_the_mark_as_a_note(
    tmp_path, sqlite_url
):
    path = _workbook(
        tmp_path / "r.xlsx",
        [["2024年制造业产品质量合格率"], ["地区", "合格率(%)"], ["全国", "93.93"], ["兰州市", "94.1①"]],
    )
    env = {"QTM_DATABASE_URL": sqlite_url}
    ingested = run_qtm("ingest", str(path), "--json", env=env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    (entry,) = json.loads(ingested.stdout)["files"]
    assert [(i["code"], i["cell"]) for i in entry["issues"]] == [("value_note", "B4")]
    stored = json.loads(run_qtm("data", "--json", env=env).stdout)["observations"]
    assert sorted((o["region"], o["value"]) for o in stored) == [("100000", 93.93), ("620100", 94.1)]


# ---- the property: no value is ever stored for a region the return does not name or state -------------------------

_REGISTRY = load_registry()
_REGIONS = sorted(_REGISTRY.regions, key=lambda r: r.code)
_WORDS = sorted(TOTAL_WORDS | COUNTRY_WORDS)


@st.composite
def returns(draw: st.DrawFn) -> tuple[list[list[object]], list[tuple[str, str | None]], str | None]:
    """A return of region rows (names, short names, codes) and total words, perhaps stating its area (in a 地区 line,
    a 填报单位 line or the title): its rows, what each row names (a region code, or None for a total word) and the
    area stated."""
    regions = draw(st.lists(st.sampled_from(_REGIONS), min_size=0, max_size=5, unique=True))
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=0, max_size=2, unique=True))
    stated = draw(st.one_of(st.none(), st.sampled_from(_REGIONS)))
    rows: list[tuple[str, str | None, str]] = []
    for region in regions:
        written = draw(st.sampled_from([region.name_zh, region.code, *region.short]))
        rows.append((written, region.code, written))
    rows += [(word, None, word) for word in words]
    rows = draw(st.permutations(rows))
    above: list[list[object]] = []
    if stated is not None:
        line = draw(st.sampled_from(["地区：{}", "填报单位：{}市场监督管理局", "2024年{}质量统计表"]))
        above = [[line.format(stated.name_zh)]]
    body = [[RATE, written, 2024, 50 + index] for index, (written, _code, _w) in enumerate(rows)]
    return [*above, HEADER, *body], [(w, code) for w, code, _ in rows], stated.code if stated else None


def _parent_of_all(codes: set[str]) -> str | None:
    parents = {_REGISTRY.regions.get(code).parent for code in codes}
    return parents.pop() if len(parents) == 1 else None


@given(returns())
@settings(max_examples=60)
def test_no_value_is_stored_for_a_region_the_return_does_not_name_or_state(tmp_path_factory, registry, drawn):
    rows, meant, stated = drawn
    folder = tmp_path_factory.mktemp("totals")
    result = _ingest(
        _workbook(folder / "r.xlsx", rows), registry, f"sqlite:///{folder / 'q.sqlite'}", dry_run=True
    )
    named = {code for _w, code in meant if code is not None}
    if any(w in COUNTRY_WORDS for w, code in meant if code is None):
        named.add("100000")
    for observation in result.observations:
        written, code = meant[int(observation.value) - 50]
        if code is not None:
            assert observation.region == code
        elif written in COUNTRY_WORDS:
            assert observation.region == "100000", (written, observation)
        else:
            level = written[1] if written.startswith("全") else None
            considered = {c for c in named if c != "100000"} if level else named
            area = stated or _parent_of_all(considered)
            assert observation.region == area, (written, stated, named, observation)
            assert level is None or _REGISTRY.regions.get(area).name_zh.endswith(level)
