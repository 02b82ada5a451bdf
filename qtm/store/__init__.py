"""The store: batches of observations with their history, in SQLite (default) or PostgreSQL.

A later value for the same indicator, region and period supersedes the current one; the earlier row stays, marked
with the batch that superseded it. A batch is stored in one transaction: all of it or nothing. A batch can be
withdrawn, by a withdrawal that is itself a batch: its values stop being current and the values they had replaced
are current again; nothing is deleted. Every write leaves a row in the audit trail, in the same transaction.
"""

from qtm.store.audit import AuditEntry
from qtm.store.database import NothingChanged, Store, StoredBatch, StoredObservation, WithdrawResult

__all__ = ["AuditEntry", "NothingChanged", "Store", "StoredBatch", "StoredObservation", "WithdrawResult"]
