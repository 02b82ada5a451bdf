"""A withdrawal's reason in a column of its own (batches.reason), where before it was kept in the withdrawal's
report (the JSON of its one ``withdrawal`` entry). The reasons of withdrawals made before are moved there.

Revision ID: 0007
Revises: 0006 (sessions)
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# As the tables are at this revision (not qtm.store.schema, which follows later revisions).
_batches = sa.table(
    "batches",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.Text),
    sa.column("report", sa.Text),
    sa.column("reason", sa.Text),
)
_COMMENT = (
    "On a withdrawal: why it was made, as its maker said; NULL for an upload, or when no reason was given"
)


def upgrade() -> None:
    op.add_column("batches", sa.Column("reason", sa.Text, comment=_COMMENT))
    connection = op.get_bind()
    for batch_id, report_text in _withdrawals(connection):
        report = json.loads(report_text)
        reason = None
        for entry in _withdrawal_entries(report):
            found = entry.pop("reason", None)
            reason = str(found) if found is not None else reason
        connection.execute(
            sa.update(_batches)
            .where(_batches.c.id == batch_id)
            .values(reason=reason, report=json.dumps(report, ensure_ascii=False))
        )


def downgrade() -> None:
    connection = op.get_bind()
    reasons = dict(
        connection.execute(
            sa.select(_batches.c.id, _batches.c.reason).where(_batches.c.kind == "withdrawal")
        ).all()
    )
    for batch_id, report_text in _withdrawals(connection):
        report = json.loads(report_text)
        for entry in _withdrawal_entries(report):
            entry["reason"] = reasons.get(batch_id)
        connection.execute(
            sa.update(_batches)
            .where(_batches.c.id == batch_id)
            .values(report=json.dumps(report, ensure_ascii=False))
        )
    op.drop_column("batches", "reason")


def _withdrawals(connection: sa.Connection) -> list[tuple[int, str]]:
    """Every withdrawal batch, as (id, its report as stored)."""
    query = sa.select(_batches.c.id, _batches.c.report).where(_batches.c.kind == "withdrawal")
    return [(int(row.id), str(row.report)) for row in connection.execute(query)]


def _withdrawal_entries(report: Any) -> list[dict[str, Any]]:
    """The entries of a withdrawal's report that describe the withdrawal (one, as qtm writes them)."""
    entries = report if isinstance(report, list) else []
    return [e for e in entries if isinstance(e, dict) and e.get("code") == "withdrawal"]
