"""Periods, units and cell values read the way officials write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.grid import CellError, column_letters, ref
from loaders.values import read_flags, read_number, read_period
from qtm.periods import Period
from qtm.units import convert, converts, parse_unit


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("2024", "2024"),
        ("2024年", "2024"),
        ("2024年第一季度", "2024Q1"),
        ("2024年一季度", "2024Q1"),
        ("2024Q1", "2024Q1"),
        ("2024年5月", "2024-05"),
        ("2024-05", "2024-05"),
        (2024, "2024"),
        (2024.0, "2024"),
        ("２０２４年", "2024"),
        ("2024年1-12月", "2024"),
        ("2024年1-3月", "2024Q1"),
        ("2024年10-12月", "2024Q4"),
        ("2024年第四季度", "2024Q4"),
    ],
)
def test_periods_in_every_written_form(written, canonical):
    period = read_period(written)
    assert period is not None and str(period) == canonical


@pytest.mark.parametrize(
    "written", ["2024年第五季度", "2024年13月", "明年", "", None, 12.5, "2024年1-6月", "2024年2-4月"]
)
def test_impossible_periods_are_not_read(written):
    assert read_period(written) is None


@given(st.integers(1900, 2200), st.one_of(st.none(), st.integers(1, 4)))
def test_a_period_round_trips_through_its_canonical_text(year, quarter):
    period = Period(year, quarter=quarter)
    assert Period.parse(str(period)) == period


def test_periods_sort_chronologically():
    periods = [Period.parse(p) for p in ["2024-05", "2024Q1", "2023", "2024"]]
    assert [str(p) for p in sorted(periods)] == ["2023", "2024", "2024Q1", "2024-05"]


@pytest.mark.parametrize(
    ("raw", "number_format", "value", "unit"),
    [
        (0.978, "0.0%", 97.8, "%"),
        ("97.8%", None, 97.8, "%"),
        ("97.8％", None, 97.8, "%"),
        ("1,234", None, 1234, None),
        ("１２３４", None, 1234, None),
        (93.65, "General", 93.65, None),
        (0.98, "0%", 98, "%"),
    ],
)
def test_numbers_as_the_official_sees_them(raw, number_format, value, unit):
    reading = read_number(raw, number_format)
    assert reading.value == pytest.approx(value) and reading.unit_in_cell == unit


@pytest.mark.parametrize("raw", [None, "", "—", "-", "/", "－"])
def test_no_data_markers_are_missing_not_errors(raw):
    reading = read_number(raw)
    assert reading.missing and not reading.not_a_number


@pytest.mark.parametrize("raw", ["九十", "97.8 percent points", "n.a.x", True])
def test_text_where_a_number_belongs(raw):
    assert read_number(raw).not_a_number


@pytest.mark.parametrize("raw", [float("inf"), float("-inf"), float("nan"), "1e999", "-1e400%"])
def test_numbers_that_are_not_finite_are_said_to_be_so(raw):
    reading = read_number(raw)
    assert reading.not_finite and reading.value is None and not reading.missing


@pytest.mark.parametrize("raw", [CellError("#DIV/0!"), CellError("#NUM!"), CellError("#N/A")])
def test_an_excel_error_value_is_neither_blank_nor_a_number(raw):
    reading = read_number(raw)
    assert reading.error_value and not reading.missing and reading.as_written == raw.text


@pytest.mark.parametrize(
    ("column", "letters"),
    [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (16383, "XFD"), (18277, "ZZZ"), (18278, "AAAA")],
)
def test_column_letters_go_on_past_excels_last_column(column, letters):
    assert column_letters(column) == letters
    assert ref(4, column) == f"{letters}5"


def test_full_width_percent_is_a_percent_not_a_bare_number():
    # pint alone would drop '％' and read 98 as dimensionless (shared/reference/toolchain.md).
    assert convert(98, "％", "dimensionless") == pytest.approx(0.98)
    assert convert(0.978, "dimensionless", "percent") == pytest.approx(97.8)


@pytest.mark.parametrize(
    ("a", "b"), [("家", "count"), ("个", "count"), ("小时", "hour"), ("天", "hour"), ("%", "percent")]
)
def test_chinese_units_convert(a, b):
    assert converts(a, b)


def test_units_that_must_not_mix():
    assert not converts("%", "hour")
    assert not converts("小时", "count")
    assert parse_unit("pct") == parse_unit("%")  # not picocarat
    assert convert(2, "天", "hour") == 48


def test_flags_in_chinese_and_english():
    assert read_flags("初步, revised") == (frozenset({"provisional", "revised"}), [])
    assert read_flags("合成") == (frozenset({"synthetic"}), [])
    assert read_flags("whatever") == (frozenset(), ["whatever"])


@pytest.mark.parametrize(
    ("raw", "value", "unit", "note"),
    [
        ("97.8①", 97.8, None, "①"),  # NFKC alone reads 97.81
        ("97.8¹", 97.8, None, "¹"),
        ("95⑴", 95, None, "⑴"),  # NFKC alone reads 95(1)
        ("1,234※", 1234, None, "※"),
        ("97.8%*", 97.8, "%", "*"),
        ("１２３４家①", 1234, "家", "①"),
        ("93.5 (注1)", 93.5, None, "(注1)"),
        ("９７.８", 97.8, None, None),
    ],
)
def test_a_footnote_mark_is_a_note_and_never_a_digit(raw, value, unit, note):
    reading = read_number(raw)
    assert (reading.value, reading.unit_in_cell, reading.note) == (value, unit, note)
    assert reading.as_written.endswith(note or "")  # the mark is kept with the value as written


@pytest.mark.parametrize("raw", ["97.8₁", "97.8𝟗", "97.8ⅰ", "97.8x", "97.8ab", "①97.8", "97.8①%"])
def test_a_number_beside_something_that_is_no_mark_is_not_a_number(raw):
    reading = read_number(raw)
    assert reading.not_a_number and reading.value is None
