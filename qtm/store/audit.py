"""The audit trail: one row per write (an upload, a withdrawal, a change to an account, a failed login), written in
the same transaction as the write itself, so that a write without its row, or a row without its write, cannot be.
Rows are only ever added."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from qtm.store.schema import audit

#: The longest ``user`` or ``address`` kept: what a client sends is cut to this.
MAX_TEXT = 200


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime  # in UTC
    user: str  # who: the logged-in user, or on the command line "name (os-user)"
    action: str  # upload, withdraw, user_add, user_enable, user_disable, user_set_role, user_set_password …
    batch: int | None  # the batch concerned, if any
    address: str | None  # the client's address, for a write made over the web
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The documented shape of ``qtm audit --json`` and ``/api/audit``."""
        return {
            "at": self.at.isoformat(),
            "user": self.user,
            "action": self.action,
            "batch": self.batch,
            "address": self.address,
            "detail": self.detail,
        }


def record(
    connection: Connection,
    *,
    user: str,
    action: str,
    batch: int | None = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Add one audit row, in the caller's transaction."""
    connection.execute(
        audit.insert().values(
            at=at or dt.datetime.now(dt.UTC),
            user=user[:MAX_TEXT],
            action=action,
            batch_id=batch,
            address=address[:MAX_TEXT] if address is not None else None,
            detail=json.dumps(_finite(detail or {}), ensure_ascii=False, allow_nan=False),
        )
    )


def read(connection: Connection, limit: int | None = None) -> list[AuditEntry]:
    """The audit rows, newest first; at most ``limit`` of them."""
    query = select(audit).order_by(audit.c.id.desc())
    if limit is not None:
        query = query.limit(max(0, limit))
    return [_entry(row._mapping) for row in connection.execute(query)]


def _entry(row: Any) -> AuditEntry:
    at = row["at"]
    if at.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        at = at.replace(tzinfo=dt.UTC)
    try:
        detail = json.loads(row["detail"])
    except ValueError:
        detail = {"text": row["detail"]}
    return AuditEntry(
        at=at,
        user=row["user"],
        action=row["action"],
        batch=row["batch_id"],
        address=row["address"],
        detail=detail if isinstance(detail, dict) else {"value": detail},
    )


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite made None: the detail is always valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_finite(v) for v in (sorted(value, key=str) if isinstance(value, set | frozenset) else value)]
    return value
