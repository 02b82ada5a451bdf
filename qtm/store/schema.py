"""The database schema, as SQLAlchemy Core tables. Changes go through a migration in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

REASON_COMMENT = (
    "On a withdrawal: why it was made, as its maker said; NULL for an upload, or when no reason was given"
)

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("n_observations", Integer, nullable=False),
    Column("n_superseded", Integer, nullable=False),
    Column("n_unchanged", Integer, nullable=False),
    Column("n_warnings", Integer, nullable=False),
    Column("report", Text, nullable=False, comment="The full problem report, as JSON"),
    Column(
        "kind",
        Text,
        nullable=False,
        server_default="upload",
        comment="upload, or withdrawal (a batch that withdrew another)",
    ),
    Column("withdraws", Integer, ForeignKey("batches.id"), comment="On a withdrawal: the batch it withdrew"),
    Column(
        "withdrawn_by",
        Integer,
        ForeignKey("batches.id"),
        comment="On an upload: the withdrawal that withdrew it; NULL while it stands",
    ),
    Column(
        "original",
        Text,
        comment="On an upload: the name its original was held under in QTM_ORIGINALS_DIR before the commit "
        "(renamed after it to <id>-<sha256 prefix>); NULL for a withdrawal or an upload stored before 0005",
    ),
    Column("reason", Text, comment=REASON_COMMENT),  # 0007
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator_id", String(100), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("period", String(7), nullable=False, comment="2024, 2024Q1 or 2024-05"),
    Column("period_end", Date, nullable=False),
    Column("value", Float, nullable=False, comment="In the indicator's own unit"),
    Column("value_as_written", Text, nullable=False),
    Column("unit_as_written", Text, nullable=False),
    Column("flags", Text, nullable=False, comment="Comma-separated, sorted"),
    Column("source", Text),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False),
    Column("superseded_by", Integer, ForeignKey("batches.id"), comment="NULL while current"),
)

Index("ix_observations_key", observations.c.indicator_id, observations.c.region_code, observations.c.period)
# At most one current value per indicator, region and period.
Index(
    "ux_observations_current",
    observations.c.indicator_id,
    observations.c.region_code,
    observations.c.period,
    unique=True,
    sqlite_where=observations.c.superseded_by.is_(None),
    postgresql_where=observations.c.superseded_by.is_(None),
)

# ---- accounts and the audit trail (0004) -----------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False, comment="viewer, reporter or admin"),
    Column("password_hash", Text, nullable=False, comment="argon2id, salted; never the password"),
    Column("active", Boolean, nullable=False, server_default="1", comment="false once disabled"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # 0006: raised by every change to the account; a session made before it no longer counts
    Column(
        "session_version",
        Integer,
        nullable=False,
        server_default="0",
        comment="Raised by every change to the account: a session made before it no longer counts",
    ),
    CheckConstraint("role IN ('viewer', 'reporter', 'admin')", name="ck_users_role"),
)

user_regions = Table(
    "user_regions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column(
        "region_code", String(6), nullable=False, comment="A reporter reports for it and the regions under it"
    ),
    PrimaryKeyConstraint("user_id", "region_code"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column(
        "user",
        Text,
        nullable=False,
        comment="Who: the logged-in user, or on the command line 'name (os-user)'",
    ),
    Column("action", Text, nullable=False, comment="upload, withdraw, user_add, user_disable …"),
    Column("batch_id", Integer, ForeignKey("batches.id"), comment="The batch concerned, if any"),
    Column("address", Text, comment="The client's IP address, for a write made over the web"),
    Column("detail", Text, nullable=False, comment="What was done, as JSON"),
)
Index("ix_audit_address_at", audit.c.address, audit.c.at)  # 0006: an address's recent failed logins

# ---- live login sessions (0006) --------------------------------------------------------------------------------

sessions = Table(
    "sessions",
    metadata,
    Column(
        "token_hash",
        String(64),
        primary_key=True,
        comment="SHA-256 of the session's random token (the token itself is only in the signed cookie)",
    ),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column(
        "version",
        Integer,
        nullable=False,
        comment="The account's session_version when the password was checked",
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
