"""``qtm plans``: draft registry fragments from a plan's text (issue #21)."""

from __future__ import annotations

import click


@click.group()
def plans() -> None:
    """Plans: draft a registry fragment from a plan's text (规划文本 → 目标草稿)."""
