"""The pages read only the series they show (the cost follows the registry, not the history stored), and judge
every target exactly as `qtm status` does from the whole store."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders.ingest import ingest_file
from qtm import PROJECT_ROOT
from qtm.assessment import assess
from qtm.standings import Filters, in_region, overview, standing_of, sub_regions

AS_OF = [dt.date(2024, 6, 30), dt.date(2025, 6, 30), dt.date(2026, 11, 29)]


@pytest.fixture
def demo_store(store, registry):
    for path in sorted((PROJECT_ROOT / "data" / "demo").glob("*.csv")):
        assert ingest_file(path, registry, store, uploaded_by="test").status == "committed", path
    return store


@pytest.mark.parametrize("as_of", AS_OF)
def test_every_page_judges_as_qtm_status_does(demo_store, registry, as_of):
    known = [o for o in demo_store.current() if o.period.end <= as_of]
    expected = {(r.target, r.region): r for r in assess(registry, known, as_of)}
    cards = overview(registry, demo_store, Filters(as_of=as_of))
    assert {(s.target.id, s.region) for s in cards} == {
        (t.id, t.jurisdiction) for t in registry.targets.values()
    }
    judged = list(cards)
    for parent in ("620000", "100000", "310000"):
        judged += in_region(registry, demo_store, parent, as_of)
        for target in registry.targets.values():
            judged += sub_regions(registry, demo_store, target, parent, as_of)
    compared = 0
    for standing in judged:
        if (standing.target.id, standing.region) in expected:
            assert standing.result == expected[(standing.target.id, standing.region)], standing.target.id
            compared += 1
    assert compared > len(registry.targets) * 2


def test_one_standing_reads_only_its_series(demo_store, registry):
    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    standing = standing_of(registry, demo_store, target, "620100", dt.date(2025, 6, 30))
    assert standing.series and {(o.indicator, o.region) for o in standing.series} == {
        (target.indicator, "620100")
    }


def test_a_status_filter_narrows_the_cards_after_judging(demo_store, registry):
    every = overview(registry, demo_store, Filters(as_of=dt.date(2025, 6, 30)))
    status = every[0].status
    only = overview(registry, demo_store, Filters(as_of=dt.date(2025, 6, 30), status=status))
    assert only == [s for s in every if s.status == status]
