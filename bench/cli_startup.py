"""How long a `qtm` command takes to start, beside a bare Python, measured side by side in one run.

    .venv/bin/python bench/cli_startup.py [--repeat K]

Prints the median wall time of K runs of: `python -c pass`, `qtm --help`, `qtm ingest` of a one-line CSV (into a
fresh SQLite database, with its originals in a temporary folder), and their ratios to the bare Python. Goals
(issue #20): `qtm --help` at most 0.3 s, the one-line ingest at most 0.6 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"qtm --help": 0.3, "qtm ingest (one-line CSV)": 0.6}
ONE_LINE = "indicator,region,period,value,unit\n制造业产品质量合格率,兰州市,2024,94.1,%\n"


def median_seconds(command: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    qtm = [sys.executable, "-m", "qtm_command.cli"]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        csv = base / "return.csv"
        csv.write_text(ONE_LINE, encoding="utf-8")
        database = base / "qtm.sqlite"
        env = {
            **os.environ,
            "QTM_DATABASE_URL": f"sqlite:///{database}",
            "QTM_ORIGINALS_DIR": str(base / "originals"),
        }
        subprocess.run([*qtm, "status"], env=env, capture_output=True, check=True, cwd=ROOT)  # the schema
        bare = median_seconds([sys.executable, "-c", "pass"], env, repeat)
        measured = {
            "qtm --help": median_seconds([*qtm, "--help"], env, repeat),
            "qtm ingest (one-line CSV)": median_seconds([*qtm, "ingest", str(csv)], env, repeat),
        }
    print(f"{'python -c pass':28} {bare:6.3f} s")
    for name, seconds in measured.items():
        verdict = "met" if seconds <= GOALS[name] else "NOT met"
        print(
            f"{name:28} {seconds:6.3f} s  {seconds / bare:5.1f} × bare Python  goal ≤ {GOALS[name]} s: {verdict}"
        )


if __name__ == "__main__":
    main()
