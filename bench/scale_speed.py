"""Page cost against the size of the store: 20 000, 200 000 and 2 000 000 observations, SQLite and PostgreSQL.

    .venv/bin/python bench/scale_speed.py [--sizes 20000,200000,2000000] [--databases sqlite,postgresql]
                                          [--repeat K] [--postgres postgresql+psycopg://postgres@127.0.0.1/test]

Each store holds synthetic observations (invented, for timing only): every indicator × every region × months,
quarters and years from 1990, each value stored, then revised in later batches until the store holds the size
asked for (the history counts: revisions stay stored). Stores are built through the ordinary commit path once and
kept (SQLite in bench/.cache/, PostgreSQL in databases named qtm_bench_<size>).

For each store, in a fresh child process (one app worker's view: it opens the store and serves pages):
  - the overview, a target page and a region page: server time of the page's layout in a request, the first
    (cold: nothing cached) and the median of K warm ones;
  - the same statuses recomputed from all current observations in pandas (read_sql of every current row, then each
    target judged from its group), median of K — the naive way, for the ratio;
  - the worker's peak memory (VmHWM).
Goals (issue #12): each page's warm median ≤ 150 ms at 2 000 000 observations, and ≥ 10 × faster than the pandas
recomputation; printed, not asserted, with how each figure grows from the smallest store to the largest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
CHUNK = 250_000  # observations per batch while building a store
TARGET_PAGE = "gansu_manufacturing_pass_rate_2025"
REGION_PAGE = "620000"


def _keys(registry) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Every (indicator, region, period) of the synthetic store, yearly, quarterly and monthly from 1990."""
    periods = []
    for year in range(1990, 2026):
        periods.append(str(year))
        periods += [f"{year}Q{q}" for q in range(1, 5)]
        periods += [f"{year}-{m:02d}" for m in range(1, 13)]
    pairs = [(i, r.code) for i in registry.indicators for r in registry.regions]
    return [(i, r, p) for i, r in pairs for p in periods]


def _value(indicator, revision: int, index: int) -> float:  # type: ignore[no-untyped-def]
    """A plausible value for the indicator's kind (rates 80–99, counts whole, others positive), different in
    every revision (so that each revision is stored)."""
    base = 80 + (index * 7919 % 1900) / 100 + revision * 0.01
    if indicator.kind == "rate":
        return round(base, 2) if indicator.unit == "percent" else round(base / 100, 4)
    if indicator.kind == "count":
        return float(int(base * 100))
    return round(base, 2)


def build(url: str, size: int) -> None:
    """Fill the empty store at ``url`` with ``size`` observations, in batches through Store.commit_batch."""
    from qtm.observations import Observation
    from qtm.periods import Period
    from qtm.registry import load_registry
    from qtm.store import Store

    registry = load_registry()
    store = Store.open(url)
    keys = _keys(registry)
    periods: dict[str, Period] = {}
    stored, revision = 0, 0
    while stored < size:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + min(CHUNK, size - stored)]
            records = [
                Observation(
                    i,
                    r,
                    periods.setdefault(p, Period.parse(p)),
                    _value(registry.indicators[i], revision, start + n),
                    flags=frozenset({"synthetic"}),
                )
                for n, (i, r, p) in enumerate(chunk)
            ]
            store.commit_batch(
                file_name=f"synthetic-{revision}-{start}.csv",
                sha256=f"{size:x}-{revision}-{start}".ljust(64, "0")[:64],
                uploaded_by="bench",
                records=records,
                report=[],
                n_warnings=0,
            )
            stored += len(records)
            if stored >= size:
                break
        revision += 1
    store.engine.dispose()


def sqlite_store(size: int) -> str:
    path = CACHE / f"scale_{size}.sqlite"
    url = f"sqlite:///{path}"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        build(f"sqlite:///{partial}", size)
        partial.rename(path)
    return url


def postgres_store(server: str, size: int) -> str:
    """A database qtm_bench_<size> on ``server``, built once (a marker table says it is complete)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"qtm_bench_{size}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    if exists:
        with create_engine(url).connect() as connection:
            done = connection.execute(text("SELECT to_regclass('bench_complete')")).scalar()
        if done:
            return url
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    build(url, size)
    with create_engine(url).begin() as connection:
        connection.execute(text("CREATE TABLE bench_complete (at timestamp DEFAULT now())"))
        connection.execute(text("ANALYZE"))
    return url


_CHILD = r"""
import json, statistics, sys, time
sys.path.insert(0, {root!r})
import datetime as dt
import dash
from dashboard.app import create_app
from qtm.registry import load_registry
from qtm.store import Store
import bench.scale_speed as b

def vm(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

registry = load_registry()
store = Store.open({url!r})
app = create_app(registry, store)
layouts = {{page["path_template"] or page["path"]: page["layout"] for page in dash.page_registry.values()}}
pages = {{
    "overview": ("/", lambda: layouts["/"]()),
    "target": ("/target/" + b.TARGET_PAGE, lambda: layouts["/target/<target_id>"](target_id=b.TARGET_PAGE)),
    "region": ("/region/" + b.REGION_PAGE, lambda: layouts["/region/<code>"](code=b.REGION_PAGE)),
}}
out = {{"observations": b.count(store)}}
for name, (path, build) in pages.items():
    times = []
    for _ in range({repeat} + 1):
        with app.server.test_request_context(path):
            start = time.perf_counter()
            build()
            times.append(time.perf_counter() - start)
    out[name] = {{"cold": times[0], "warm": statistics.median(times[1:])}}
def median_time(function):
    times = []
    for _ in range({repeat}):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
from qtm.standings import Filters, overview
out["peak_memory"] = vm("VmHWM:")  # the worker's, before the pandas recomputation below raises it
out["statuses"] = median_time(lambda: overview(registry, store, Filters()))
import qtm.results_cache as rc
def recomputed():
    rc._shared = None  # nothing cached: the cost of the first request after a commit
    store._cache.clear()
    overview(registry, store, Filters())
out["statuses_cold"] = median_time(recomputed)
out["pandas"] = median_time(lambda: b.recompute_in_pandas(registry, store))
print(json.dumps(out))
"""


def count(store) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from qtm.store.schema import observations

    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(observations)).scalar_one())


def recompute_in_pandas(registry, store) -> None:  # type: ignore[no-untyped-def]
    """The naive way: every current observation read into pandas, then each target judged in its jurisdiction."""
    import datetime as dt

    import pandas as pd
    from sqlalchemy import select

    from qtm.observations import Observation
    from qtm.periods import Period
    from qtm.progress import judge
    from qtm.store.schema import observations

    c = observations.c
    query = select(c.indicator_id, c.region_code, c.period, c.value).where(c.superseded_by.is_(None))
    with store.engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    groups = frame.groupby(["indicator_id", "region_code"])
    today = dt.date.today()
    for target in registry.targets.values():
        key = (target.indicator, target.jurisdiction)
        rows = groups.get_group(key) if key in groups.groups else frame.iloc[:0]
        series = [Observation(target.indicator, target.jurisdiction, Period.parse(p), v) for p, v in
                  zip(rows["period"], rows["value"], strict=True)]  # fmt: skip
        series = [o for o in series if o.period.end <= today]
        judge(target, registry.indicators[target.indicator], target.jurisdiction, series, today, [])


def measure(url: str, repeat: int) -> dict:
    code = _CHILD.format(root=str(ROOT), url=url, repeat=repeat)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000,200000,2000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("QTM_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1/test"),
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for database in args.databases.split(","):
        rows = []
        for size in sizes:
            started = time.perf_counter()
            url = sqlite_store(size) if database == "sqlite" else postgres_store(args.postgres, size)
            built = time.perf_counter() - started
            result = measure(url, args.repeat)
            rows.append(result)
            print(f"{database} · {result['observations']:>9,} observations (store ready in {built:.0f} s)")
            for page in ("overview", "target", "region"):
                warm, cold = result[page]["warm"] * 1000, result[page]["cold"] * 1000
                goal = "met" if warm <= 150 else "not met"
                print(
                    f"  {page:9} server time: warm median {warm:7.1f} ms · cold {cold:7.1f} ms (goal ≤ 150 ms: {goal})"
                )
            ours, cold, naive = (result[k] * 1000 for k in ("statuses", "statuses_cold", "pandas"))
            ratio = naive / cold
            print(
                f"  every target's status: qtm {ours:7.1f} ms once computed for the data version, {cold:7.1f} ms "
                f"computed afresh · recomputed in pandas from all observations {naive:8.1f} ms = {ratio:6.1f} × "
                f"qtm afresh (goal ≥ 10 ×: {'met' if ratio >= 10 else 'not met'})"
            )
            print(f"  worker peak memory {result['peak_memory'] / 1e6:.0f} MB")
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            grown = last["observations"] / first["observations"]
            print(
                f"{database}: from {first['observations']:,} to {last['observations']:,} observations ({grown:.0f} ×):"
            )
            for page in ("overview", "target", "region"):
                print(f"  {page:9} warm × {last[page]['warm'] / first[page]['warm']:.2f}")
            print(f"  statuses  × {last['statuses_cold'] / first['statuses_cold']:.2f} (computed afresh)")
            print(f"  pandas    × {last['pandas'] / first['pandas']:.2f}")
            print(f"  memory    × {last['peak_memory'] / first['peak_memory']:.2f}")


if __name__ == "__main__":
    main()
