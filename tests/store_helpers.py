"""What tests ask of a store that the program itself never does, through the store's public methods."""

from __future__ import annotations

from qtm.store import Store, StoredObservation


def history(store: Store, indicator: str, region: str, period: str) -> list[StoredObservation]:
    """Every value ever stored for one indicator, region and period, oldest first."""
    return [h for h in store.history_for(indicator, region) if h.observation.period.text == period]
