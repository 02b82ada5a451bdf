"""Batches can be withdrawn: a withdrawal is itself a batch, and the upload it withdrew points to it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN with the reference inline: SQLite can add such a column without copying the
    # table (which, with foreign keys on, it could not do under the observations that point at it).
    op.add_column(
        "batches",
        sa.Column(
            "kind",
            sa.Text,
            nullable=False,
            server_default="upload",
            comment="upload, or withdrawal (a batch that withdrew another)",
        ),
    )
    op.add_column(
        "batches",
        sa.Column(
            "withdraws",
            sa.Integer,
            sa.ForeignKey("batches.id"),
            comment="On a withdrawal: the batch it withdrew",
        ),
        inline_references=True,
    )
    op.add_column(
        "batches",
        sa.Column(
            "withdrawn_by",
            sa.Integer,
            sa.ForeignKey("batches.id"),
            comment="On an upload: the withdrawal that withdrew it; NULL while it stands",
        ),
        inline_references=True,
    )


def downgrade() -> None:
    # Values a withdrawal superseded stay superseded (by a batch that then reads as an empty upload): the schema
    # before 0003 cannot say that a batch was withdrawn.
    for name in ("withdrawn_by", "withdraws", "kind"):
        op.drop_column("batches", name)
