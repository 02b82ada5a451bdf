"""Each upload records the file its original was kept under before the commit (see loaders/originals.py): a batch
and its original are then never apart, whenever a process is killed.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "batches",
        sa.Column(
            "original",
            sa.Text,
            comment="On an upload: the name its original was held under in QTM_ORIGINALS_DIR before the commit "
            "(renamed after it to <id>-<sha256 prefix>); NULL for a withdrawal or an upload stored before 0005",
        ),
    )


def downgrade() -> None:
    op.drop_column("batches", "original")
