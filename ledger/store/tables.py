"""The database tables: the append-only log tables and the projections rebuilt from them.

`entries`, `tree_nodes` and `checkpoints` are append-only (database triggers
refuse UPDATE and DELETE). Every other table is a projection of the log, except
`api_tokens` and `meta`, which hold credentials and deployment identity.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

APPEND_ONLY_TABLES = ("entries", "tree_nodes", "checkpoints")


class EntryRow(SQLModel, table=True):
    __tablename__ = "entries"
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    entry_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    submission_id: str = Field(sa_column=Column(String(128), nullable=False, unique=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    entry_type: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))


class TreeNodeRow(SQLModel, table=True):
    """Hash of the complete subtree covering leaves [idx << level, (idx + 1) << level)."""

    __tablename__ = "tree_nodes"
    level: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"
    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class PartyRow(SQLModel, table=True):
    __tablename__ = "parties"
    party_id: str = Field(sa_column=Column(String(128), primary_key=True))
    legal_name: str = Field(sa_column=Column(Text, nullable=False))
    registration_number: str = Field(sa_column=Column(String(64), nullable=False))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    roles: str = Field(sa_column=Column(Text, nullable=False))
    registered_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class PartyKeyRow(SQLModel, table=True):
    """A key's life: active for entries with index in (added_at, ended_at)."""

    __tablename__ = "party_keys"
    key_id: str = Field(sa_column=Column(String(64), primary_key=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    added_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    ended_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    end_reason: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))


class ApiTokenRow(SQLModel, table=True):
    """An API token, stored only as its SHA-256."""

    __tablename__ = "api_tokens"
    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


PROJECTION_TABLES = ("party_keys", "parties")
