"""No sheet, however odd, makes the loader raise: it reads what it can and reports the rest."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.checks import check_columns
from loaders.columns import table_columns
from loaders.grid import Sheet
from loaders.labels import Classifier
from loaders.tables import find_tables
from qtm.problems import Report

WORDS = [
    *"指标名称 地区 年份 数值 计量单位 合计 全省 兰州市 甘肃省 2024年 2024年第一季度 一季度 制造业产品质量合格率".split(),
    *"合格率(%) 市级智能工厂（家） 注： 填表人： — - % 家 小时 续表 计量单位：% 地区：全国 2020-2024年 上年同期".split(),
    *["", " ", "97.8%", "1,234", "abc", "甲", "乙", "1"],
]
cells = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.text(max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.booleans(),
)
grids = st.lists(st.lists(cells, min_size=0, max_size=7), min_size=0, max_size=14)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    grids,
    st.lists(
        st.tuples(st.integers(0, 13), st.integers(0, 6), st.integers(0, 3), st.integers(0, 3)), max_size=3
    ),
)
def test_any_grid_reads_without_raising(registry, rows, merges):
    merged = [(r, c, r + dr, c + dc) for r, c, dr, dc in merges]
    sheet = Sheet("Sheet1", rows, merged=merged)
    classifier = Classifier(registry)
    report = Report()
    columns = [column for table in find_tables(sheet, classifier) for column in table_columns(table, None)]
    observations, places = check_columns(columns, registry, report, dt.date(2026, 6, 30))
    report.close()
    assert len(observations) == len(places)
    for issue in report.issues:
        assert issue.message_zh and issue.message_en
