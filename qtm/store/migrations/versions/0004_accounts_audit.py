"""Accounts (users with a role and, for reporters, their regions) and the audit trail of every write.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("role", sa.Text, nullable=False, comment="viewer, reporter or admin"),
        sa.Column("password_hash", sa.Text, nullable=False, comment="argon2id, salted; never the password"),
        sa.Column("active", sa.Boolean, nullable=False, server_default="1", comment="false once disabled"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'reporter', 'admin')", name="ck_users_role"),
    )
    op.create_table(
        "user_regions",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column(
            "region_code",
            sa.String(6),
            nullable=False,
            comment="A reporter reports for it and the regions under it",
        ),
        sa.PrimaryKeyConstraint("user_id", "region_code"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "user",
            sa.Text,
            nullable=False,
            comment="Who: the logged-in user, or on the command line 'name (os-user)'",
        ),
        sa.Column("action", sa.Text, nullable=False, comment="upload, withdraw, user_add, user_disable …"),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), comment="The batch concerned, if any"),
        sa.Column("address", sa.Text, comment="The client's IP address, for a write made over the web"),
        sa.Column("detail", sa.Text, nullable=False, comment="What was done, as JSON"),
    )


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("user_regions")
    op.drop_table("users")
