"""The table of plain unit words answers exactly as pint does, so a one-line return needs no pint at all."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtm import units
from qtm.units import PLAIN_UNITS, convert, converts, is_dimensionless, is_known_unit, registry


def _by_pint(word: str):
    """``word`` as pint alone reads it (the table bypassed)."""
    cleaned = units.normalise_text(word).strip("()（）")
    if cleaned.lower() in {"%", "percent", "pct", "百分比", "百分率"}:
        return registry().percent
    if cleaned in {"", "无", "—", "-"}:
        return registry().dimensionless
    return registry().parse_units(cleaned)


@pytest.mark.parametrize("word", sorted(PLAIN_UNITS))
def test_each_plain_word_has_pints_dimension_and_size(word):
    plain, unit = PLAIN_UNITS[word], _by_pint(word)
    assert str(unit.dimensionality).replace("dimensionless", "") == plain.dimension
    base = registry().Quantity(1.0, unit).to_base_units()
    assert base.magnitude == pytest.approx(plain.size)
    assert is_dimensionless(word) == bool(unit.dimensionless)


def test_conversions_between_plain_words_equal_pints():
    words = sorted(PLAIN_UNITS)
    for a, b in itertools.product(words, words):
        source, target = _by_pint(a), _by_pint(b)
        assert converts(a, b) == source.is_compatible_with(target), (a, b)
        if converts(a, b):
            expected = registry().Quantity(37.5, source).to(target).magnitude
            assert convert(37.5, a, b) == pytest.approx(expected, rel=1e-12), (a, b)


@given(st.text(alphabet="合格率兰州市产品质量监督抽查企业数量万家个小时%（）()", min_size=1, max_size=6))
def test_text_with_other_ideographs_is_no_unit_as_pint_says(text):
    """The shortcut that refuses 合格率 without pint refuses only what pint refuses."""
    try:
        units.parse_unit.__wrapped__(text)
        by_pint = True
    except Exception:
        by_pint = False
    assert is_known_unit(text) == by_pint


def test_a_one_line_check_of_plain_units_never_builds_pints_registry():
    """The words returns write most are answered from the table: pint (half a second) is not even imported."""
    script = (
        "import sys; from qtm.units import convert, converts, is_known_unit, is_dimensionless;"
        "assert convert(94.1, '%', '％') == 94.1 and converts('家', '个') and is_known_unit('小时');"
        "assert not is_known_unit('合格率') and is_dimensionless('%');"
        "assert convert(2, '小时', '分钟') == 120;"
        "print('pint' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
