"""Recognising labels: the words officials use for fields, notes and totals, and indicators, regions and periods
written in headers, stubs and titles."""

from __future__ import annotations

import difflib
import re

from loaders.grid import is_blank
from loaders.values import MISSING_MARKERS, read_number, read_period
from qtm.regions import Region, Regions
from qtm.registry import Indicator, Registry
from qtm.units import is_known_unit, normalise_text

#: Header words, after NFKC and with spaces removed, for each field. "value" marks a column of values.
FIELD_WORDS: dict[str, frozenset[str]] = {
    "indicator": frozenset(
        {"指标", "指标名称", "项目", "项目名称", "统计指标", "指标项", "indicator", "indicatorname", "item"}
    ),
    "region": frozenset(
        {
            "地区",
            "地区名称",
            "区划",
            "行政区划",
            "区划代码",
            "行政区划代码",
            "地区代码",
            "单位名称",
            "区域",
            "抽样区域",
            "区",
            "县",
            "县区",
            "县市区",
            "市县",
            "区县市",
            "市州",
            "区县",
            "地市",
            "省份",
            "填报地区",
            "填报单位",
            "报送单位",
            "上报单位",
            "region",
            "regioncode",
            "area",
            "province",
        }
    ),
    "period": frozenset(
        {
            "年份",
            "年度",
            "统计期",
            "时间",
            "期别",
            "报告期",
            "统计时间",
            "统计年度",
            "月份",
            "季度",
            "period",
            "year",
            "time",
            "date",
        }
    ),
    "value": frozenset(
        {
            "数值",
            "本期",
            "值",
            "本年实际",
            "本期数",
            "指标值",
            "数据",
            "实际值",
            "完成值",
            "本期实际",
            "本年",
            "合格率",
            "value",
            "amount",
            "actual",
        }
    ),
    "unit": frozenset({"单位", "计量单位", "unit", "units"}),
    "flags": frozenset({"标记", "标志", "数据标记", "数据状态", "状态", "flags", "flag", "status"}),
    "source": frozenset({"来源", "数据来源", "出处", "资料来源", "source"}),
    "ignored": frozenset(
        {"序号", "代码", "编号", "备注", "说明", "no", "no.", "code", "note", "notes", "remark"}
    ),
}


FIELD_OF = {word: name for name, words in FIELD_WORDS.items() for word in words}


NOTE_PREFIXES = (
    "注",
    "说明",
    "填表人",
    "审核人",
    "报出日期",
    "单位负责人",
    "统计负责人",
    "资料来源",
    "数据来源",
    "联系电话",
    "制表人",
    "负责人",
    "备注",
    "note",
    "source:",
)


NOTE_FIRST = frozenset(p[0] for p in NOTE_PREFIXES)


#: How close (difflib ratio) a heading must be to an indicator's name to be taken for that name mistyped.
NEAR = 0.75


#: A form's column of the previous period's values beside 本年实际 (read as the period before the form's own).
PREVIOUS_WORDS = frozenset({"上年实际", "上年实际数", "上年数", "去年实际", "上年同期实际"})


#: Sub-column labels of comparisons printed beside a value (营业收入 → 1-本月 | 上年同期 | 增长速度(%)).
COMPARISON_WORDS = (
    "上年",
    "去年",
    "同期",
    "同比",
    "环比",
    "增长",
    "增速",
    "增幅",
    "增减",
    "比上年",
    "百分点",
    "排名",
    "位次",
)


#: Words of a row that stand for the return's own area (loaders.totals): never 全国, which is always the country.
TOTAL_WORDS = frozenset(
    {
        "合计",
        "总计",
        "全省",
        "全市",
        "全区",
        "全州",
        "全县",
        "全省合计",
        "全市合计",
        "全省平均",
        "全市平均",
        "总体",
        "平均",
        "total",
    }
)


_UNIT_IN_LABEL = re.compile(r"^(?P<base>.*?)[（(](?P<unit>[^()（）]{1,12})[)）]$")


_HIERARCHY = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|其中[：:]?|#|\*)+"
)


#: The office that reports for an area, written after the area's name: 兰州市市场监督管理局, 天水市市场监管局,
#: 甘肃省市场监管局, 平凉市统计局 … (the area is the name before it).
_OFFICE = re.compile(
    r"(?:市场监督管理|市场监管|质量技术监督|质监|统计|工业和信息化|工信|经济和信息化|经信|农业农村|交通运输|"
    r"商务|发展和改革|发改)(?:局|厅|委|委员会)(?:分局)?$|(?:人民)?政府$"
)


_FOOTNOTE = re.compile(r"[*①②③④⑤⑥⑦⑧⑨⑩]+$")


def text_key(value: object) -> str:
    """A label as compared: NFKC, no spaces (yearbooks write '北 京' and '指 标 名 称'), case-folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(normalise_text(str(value)).split()).casefold()


def stub_text(value: object) -> str:
    """A row label without hierarchy prefixes (一、 （二） 1、 其中： #) and footnote marks."""
    text = text_key(value)
    return _FOOTNOTE.sub("", _HIERARCHY.sub("", text))


def without_office(text: str) -> str:
    """'兰州市市场监督管理局' → '兰州市': a reporting office's name without the office; other text unchanged."""
    stripped = _OFFICE.sub("", text)
    return stripped if len(stripped) >= 2 else text


def split_unit(label: str) -> tuple[str, str | None]:
    """'合格率(%)' → ('合格率', '%'); '市级智能工厂（家）' → ('市级智能工厂', '家'); '合格率（单位：%）' too;
    other labels unchanged."""
    match = _UNIT_IN_LABEL.match(label)
    if match:
        unit = re.sub(r"^(?:计量)?单位[:：]", "", match["unit"])
        if is_known_unit(unit):
            return match["base"], unit
    return label, None


_QUARTER_ONLY = re.compile(r"^(?:第)?([一二三四1-4])季度$|^q([1-4])$")


_MONTH_ONLY = re.compile(r"^(\d{1,2})月(?:份)?$")


_QUARTER_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def partial_period(label: str) -> tuple[str, int] | None:
    """A column headed by a quarter or a month without its year (一季度, Q2, 5月): the year comes from the title."""
    match = _QUARTER_ONLY.match(label)
    if match:
        return ("quarter", _QUARTER_NUMBERS[match.group(1) or match.group(2)])
    match = _MONTH_ONLY.match(label)
    if match and 1 <= int(match.group(1)) <= 12:
        return ("month", int(match.group(1)))
    return None


def is_note_row(values: list[object]) -> bool:
    for value in values[:4]:
        if is_blank(value):
            continue
        if isinstance(value, str):
            text = value.lstrip()
            if text[:1] in NOTE_FIRST or text[:1].lower() in NOTE_FIRST:
                key = normalise_text(text).lower()
                return key.startswith(NOTE_PREFIXES) and text_key(text) not in FIELD_OF
        return False
    return False


class Classifier:
    """Recognises labels: field words, periods, indicators and regions of the registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._indicator_names = sorted(
            {
                text_key(n): i
                for i in registry.indicators.values()
                for n in (i.name.zh, i.name.en, *i.aliases)
            }.items(),
            key=lambda item: -len(item[0]),
        )
        self._names = [name for name, _indicator in self._indicator_names]
        #: The measures of the registry's names: every ending of a name that is no name itself (合格率, 总体合格率,
        #: 满意度, 指数, 数量, 平均故障间隔时间 …); a sub-heading that is none (抽检批次, 不合格率) is context.
        self._measures = frozenset(
            name[start:] for name in self._names for start in range(1, len(name) - 1)
        ) - frozenset(self._names)
        self._region_names = sorted(
            {
                text_key(n): r
                for r in registry.regions
                for n in (r.name_zh, *r.short)
                if len(text_key(n)) >= 2
            }.items(),
            key=lambda item: -len(item[0]),
        )

    def kind(self, value: object) -> str:
        """'blank', 'field', 'period', 'indicator', 'region', 'number', 'marker' or 'text'."""
        if is_blank(value):
            return "blank"
        if isinstance(value, bool):
            return "text"
        if isinstance(value, int | float):
            return "period" if read_period(value) is not None and float(value).is_integer() else "number"
        key = text_key(value)
        base, _unit = split_unit(key)
        if base in FIELD_OF or key in FIELD_OF:
            return "field"
        if key in MISSING_MARKERS:
            return "marker"
        if read_period(value) is not None or partial_period(key) is not None:
            return "period"
        if self.indicator(base) is not None:
            return "indicator"
        if self.region(value) is not None:
            return "region"
        if _looks_numeric(key) or read_number(value).value is not None:  # '0.9万家', '97.8①', '1,234'
            return "number"
        return "text"

    def indicator(self, label: str) -> Indicator | None:
        return self.registry.resolve_indicator(label)

    def region(self, value: object) -> Region | None:
        """The region a label names: its name, short name or code, or the office that reports for it
        (兰州市市场监督管理局, 天水市市场监管局)."""
        key = stub_text(value)
        regions = self.registry.regions
        return regions.resolve(key) or regions.resolve(without_office(key))

    def is_measure(self, label: str) -> bool:
        """Whether a sub-heading is a measure the registry's names end with (合格率, 满意度, 数量), so that the
        heading above it names the measured thing ('主要农产品例行监测' over 合格率)."""
        return len(label) >= 2 and label in self._measures

    def composed(self, label: str, around: str) -> Indicator | None:
        """The one indicator a column heading names together with the title or group heading around it: the title
        names the object and the column the measure ('2024年甘肃省制造业产品质量监督抽查各市州情况' over 合格率 →
        制造业产品质量合格率), or the heading names the object and the title the measure ('甘肃省公路抽检指标总体
        合格率' over 高速（含一级）公路). Every candidate is a registry name or alias; None unless exactly one
        indicator is named."""
        label = text_key(label)
        if len(label) < 2 or (label in FIELD_OF and FIELD_OF[label] != "value"):
            return None
        texts = text_key(around)
        found: set[str] = set()
        for name, indicator in self._indicator_names:
            if name == label or len(name) <= len(label):
                continue
            if name.endswith(label):
                rest = name[: -len(label)]
            elif name.startswith(label):
                rest = name[len(label) :]
            else:
                continue
            if len(rest) >= 2 and rest in texts:
                found.add(indicator.id)
        if len(found) != 1:
            return None
        return self.registry.indicators[found.pop()]

    def near_indicator(self, label: str) -> bool:
        """Whether a heading looks like an indicator's name mistyped (制造业产品质量合各率)."""
        return len(label) >= 4 and bool(difflib.get_close_matches(label, self._names, n=1, cutoff=NEAR))

    def indicator_in(self, text: str) -> Indicator | None:
        """The one indicator a title names, or None (none, or several)."""
        key = text_key(text)
        found: dict[str, Indicator] = {}
        covered: list[tuple[int, int]] = []
        for name, indicator in self._indicator_names:
            start = key.find(name)
            if start < 0 or any(a <= start < b for a, b in covered):
                continue
            covered.append((start, start + len(name)))
            found[indicator.id] = indicator
        return next(iter(found.values())) if len(found) == 1 else None

    def region_in(self, text: str) -> Region | None:
        """The most specific region a title names, when the others it names are its ancestors."""
        key = text_key(text)
        found = [region for name, region in self._region_names if name in key]
        if not found:
            return None
        regions = self.registry.regions
        deepest = max(found, key=lambda r: _depth(regions, r))
        ancestors = set(_ancestors(regions, deepest))
        return deepest if all(r.code in ancestors or r is deepest for r in found) else None


def _depth(regions: Regions, region: Region) -> int:
    return len(_ancestors(regions, region))


def _ancestors(regions: Regions, region: Region) -> list[str]:
    chain = []
    current: Region | None = region
    while current is not None and current.parent is not None:
        chain.append(current.parent)
        current = regions.get(current.parent) if current.parent in regions else None
    return chain


def _looks_numeric(key: str) -> bool:
    body = key.rstrip("%").replace(",", "")
    try:
        float(body)
    except ValueError:
        return False
    return True


_PERIOD_IN_TITLE = re.compile(r"(\d{4})年(?:第?([一二三四1-4])季度|(\d{1,2})月(?!\s*[-—~至到]))?")


_MONTH_SPAN_IN_TITLE = re.compile(r"\d{4}年\d{1,2}[-—~至到]\d{1,2}月")
_RANGE_IN_TITLE = re.compile(r"\d{4}\s*年?\s*[-—~至到]\s*\d{4}|\d{1,2}\s*[-—~至到]\s*\d{1,2}\s*月")


def period_in(text: str) -> str | None:
    """The one period a title states ('2024年', '2024年第一季度'); None for none, several or a range."""
    normal = "".join(normalise_text(text).split())
    spans = {m.group(0) for m in _MONTH_SPAN_IN_TITLE.finditer(normal)}  # 2024年1-12月 is the year 2024
    if len(spans) == 1 and read_period(next(iter(spans))) is not None:
        return next(iter(spans))
    if _RANGE_IN_TITLE.search(normal):
        return None
    found = {m.group(0) for m in _PERIOD_IN_TITLE.finditer(normal)}
    if len(found) != 1:
        return None
    (written,) = found
    return written if read_period(written) is not None else None
