"""Indicator ids say what their names say: the machinery reliability indicators are MTBF (平均失效间隔时间), not MTTF.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RENAMED = {
    f"{machine}_mttf{suffix}": f"{machine}_mtbf{suffix}"
    for machine in ("excavator", "loader", "bulldozer", "dump_truck")
    for suffix in ("", "_standard")
}

observations = sa.table("observations", sa.column("indicator_id", sa.String))


def _rename(mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        op.execute(observations.update().where(observations.c.indicator_id == old).values(indicator_id=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
