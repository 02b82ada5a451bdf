"""How fast the overview page's data come back with 100 000 observations stored, with and without the store's
in-process cache, measured side by side in one run.

    .venv/bin/python bench/overview_speed.py [--repeat K]

Ingests the 100 000-row return of bench/ingest_speed.py (built once, cached in bench/.cache/) into a fresh SQLite
database, then times, median of K runs each: reading the current observations with a cold cache (a new Store, as
after another worker's upload) and with a warm one, and building the overview rows (every target's latest value
and status) both ways.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from bench.ingest_speed import build_return, median_time
    from loaders.ingest import ingest_file
    from qtm.registry import load_registry
    from qtm.standings import Filters, overview
    from qtm.store import Store

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    registry = load_registry()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/overview.sqlite"
        store = Store.open(url)
        result = ingest_file(build_return(100_000), registry, store, uploaded_by="bench")
        assert result.status == "committed", result.report.as_json()[:3]

        def cold_store() -> Store:
            return Store(store.engine)  # a new Store shares the engine but not the cache

        read_cold = median_time(lambda: cold_store().current(), args.repeat)
        store.current()
        read_warm = median_time(store.current, args.repeat)
        page_cold = median_time(lambda: overview(registry, cold_store(), Filters()), args.repeat)
        page_warm = median_time(lambda: overview(registry, store, Filters()), args.repeat)
        print(f"observations stored               : {len(store.current())}")
        print(f"current observations, cold cache   : {read_cold:7.3f} s")
        print(
            f"current observations, warm cache   : {read_warm:7.4f} s   ratio warm/cold {read_warm / read_cold:.4f}"
        )
        print(f"overview rows + statuses, cold     : {page_cold:7.3f} s")
        print(
            f"overview rows + statuses, warm     : {page_warm:7.3f} s   ratio warm/cold {page_warm / page_cold:.3f}"
        )
        store.engine.dispose()


if __name__ == "__main__":
    main()
