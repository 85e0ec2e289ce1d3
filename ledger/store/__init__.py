"""The only package that talks SQL: tables, migrations and transactions (SQLite or PostgreSQL)."""

from .database import Store
from .transactions import Head, KeyRecord, PartyRecord, ReadTx, StoredCheckpoint, StoredEntry, WriteTx

__all__ = ["Head", "KeyRecord", "PartyRecord", "ReadTx", "Store", "StoredCheckpoint", "StoredEntry", "WriteTx"]
