"""The only package that talks SQL: tables, migrations and transactions (SQLite or PostgreSQL)."""

from .claims_tx import AccountRecord, Movement
from .database import Store
from .declarations_tx import AuditJob, CertificateRecord, DeclarationRecord
from .lots_tx import Ancestry, LotFilter, LotRecord, TransferRecord, TransformationRecord
from .transactions import Head, KeyRecord, PartyRecord, ReadTx, StoredCheckpoint, StoredEntry, Wanted, WriteTx

__all__ = [
    "AccountRecord", "Movement", "AuditJob", "CertificateRecord", "DeclarationRecord",
    "Ancestry", "LotFilter", "LotRecord", "TransferRecord", "TransformationRecord","Head", "KeyRecord", "PartyRecord", "ReadTx", "Store", "StoredCheckpoint", "StoredEntry", "Wanted",
    "WriteTx"]
