"""qtm — the quality-target monitor.

The ``qtm`` package is the domain core: the target registry, regions, periods, units, observations and the
store. It knows neither Excel (see ``loaders``) nor Dash (see ``dashboard``); ``qtm_command.cli`` wires them together.
"""

from pathlib import Path

__version__ = "0.1.0"

#: The repository (or source tree) root, where ``targets.yaml`` and ``data/`` live.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
