"""The store: batches of observations with their history, in SQLite (default) or PostgreSQL.

A later value for the same indicator, region and period supersedes the current one; the earlier row stays, marked
with the batch that superseded it. A batch is stored in one transaction: all of it or nothing.
"""

from qtm.store.database import Store, StoredBatch, StoredObservation

__all__ = ["Store", "StoredBatch", "StoredObservation"]
