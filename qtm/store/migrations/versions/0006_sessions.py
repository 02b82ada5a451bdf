"""Login sessions that end: a table of live sessions (a logout deletes its row) and a session version per account,
raised by every change to who the account is (password, role, disabling, enabling), which ends all its sessions.
An index lets the login limit count an address's recent failed logins in the audit trail.

Revision ID: 0006
Revises: 0005 (batch originals)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "session_version",
            sa.Integer,
            nullable=False,
            server_default="0",
            comment="Raised by every change to the account: a session made before it no longer counts",
        ),
    )
    op.create_table(
        "sessions",
        sa.Column(
            "token_hash",
            sa.String(64),
            primary_key=True,
            comment="SHA-256 of the session's random token (the token itself is only in the signed cookie)",
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column(
            "version",
            sa.Integer,
            nullable=False,
            comment="The account's session_version when the password was checked",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_index("ix_audit_address_at", "audit", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_address_at", table_name="audit")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_column("users", "session_version")
