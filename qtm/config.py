"""Settings, read from the environment once, with defaults that serve a single machine with nothing installed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qtm import PROJECT_ROOT

DEFAULT_DATABASE_FILE = PROJECT_ROOT / "data" / "qtm.sqlite"


@dataclass(frozen=True)
class Settings:
    database_url: str
    registry_file: Path
    regions_file: Path

    @classmethod
    def from_env(cls) -> Settings:
        """``QTM_DATABASE_URL`` (default: SQLite under data/), ``QTM_REGISTRY``, ``QTM_REGIONS``."""
        return cls(
            database_url=os.environ.get("QTM_DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE_FILE}",
            registry_file=Path(os.environ.get("QTM_REGISTRY") or PROJECT_ROOT / "targets.yaml"),
            regions_file=Path(os.environ.get("QTM_REGIONS") or PROJECT_ROOT / "data" / "regions.csv"),
        )
