"""Batches and observations with their history.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n_observations", sa.Integer, nullable=False),
        sa.Column("n_superseded", sa.Integer, nullable=False),
        sa.Column("n_unchanged", sa.Integer, nullable=False),
        sa.Column("n_warnings", sa.Integer, nullable=False),
        sa.Column("report", sa.Text, nullable=False, comment="The full problem report, as JSON"),
    )
    op.create_index("ix_batches_sha256", "batches", ["sha256"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator_id", sa.String(100), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("period", sa.String(7), nullable=False, comment="2024, 2024Q1 or 2024-05"),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False, comment="In the indicator's own unit"),
        sa.Column("value_as_written", sa.Text, nullable=False),
        sa.Column("unit_as_written", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False, comment="Comma-separated, sorted"),
        sa.Column("source", sa.Text),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("superseded_by", sa.Integer, sa.ForeignKey("batches.id"), comment="NULL while current"),
    )
    op.create_index("ix_observations_key", "observations", ["indicator_id", "region_code", "period"])
    op.create_index(
        "ux_observations_current",
        "observations",
        ["indicator_id", "region_code", "period"],
        unique=True,
        sqlite_where=sa.text("superseded_by IS NULL"),
        postgresql_where=sa.text("superseded_by IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("observations")
    op.drop_table("batches")
