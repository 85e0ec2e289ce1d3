"""Queries and inserts inside one transaction; rows go in and out as plain values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, text, update

from .audit_tx import AuditReads
from .declarations_tx import DeclarationReads, DeclarationWrites
from .lots_tx import LotReads, LotWrites
from .tables import (
    PROJECTION_TABLES,
    ApiTokenRow,
    CheckpointRow,
    EntryRow,
    MetaRow,
    PartyKeyRow,
    PartyRow,
    SQLModel,
    TreeNodeRow,
)

NodeKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Head:
    """The newest entry: the tree size, its hash and record time (genesis: size 0)."""

    size: int
    entry_hash: bytes | None
    recorded_at: str | None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    index: int
    data: bytes
    entry_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: str


@dataclass(frozen=True, slots=True)
class PartyRecord:
    party_id: str
    legal_name: str
    registration_number: str
    country: str
    roles: tuple[str, ...]
    registered_at: int


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    party_id: str
    public_key: bytes
    added_at: int
    ended_at: int | None
    end_reason: str | None

    def active_at(self, index: int) -> bool:
        """Return whether an entry at `index` may be signed with this key.

        A key signs the entries after the one that added it, up to and
        including the one that ends it (a party may retire or revoke a key
        with that very key).
        """
        return self.added_at < index and (self.ended_at is None or index <= self.ended_at)


class ReadTx(LotReads, DeclarationReads, AuditReads):
    """Read access inside one transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def head(self) -> Head:
        row = self.connection.execute(
            select(EntryRow.idx, EntryRow.entry_hash, EntryRow.recorded_at).order_by(EntryRow.idx.desc()).limit(1)
        ).first()
        if row is None:
            return Head(0, None, None)
        return Head(row.idx + 1, bytes(row.entry_hash), row.recorded_at)

    def entry(self, index: int) -> StoredEntry | None:
        row = self.connection.execute(
            select(EntryRow.idx, EntryRow.data, EntryRow.entry_hash).where(EntryRow.idx == index)
        ).first()
        return None if row is None else StoredEntry(row.idx, bytes(row.data), bytes(row.entry_hash))

    def entries(self, start: int, limit: int) -> list[StoredEntry]:
        rows = self.connection.execute(
            select(EntryRow.idx, EntryRow.data, EntryRow.entry_hash)
            .where(EntryRow.idx >= start)
            .order_by(EntryRow.idx)
            .limit(limit)
        )
        return [StoredEntry(row.idx, bytes(row.data), bytes(row.entry_hash)) for row in rows]

    def entries_with_leaves(self, start: int, limit: int) -> list[tuple[int, bytes, bytes | None]]:
        """Return (index, entry bytes, stored Merkle leaf) from `start` on, in index order."""
        rows = self.connection.execute(
            select(EntryRow.idx, EntryRow.data, TreeNodeRow.hash)
            .select_from(EntryRow)
            .outerjoin(TreeNodeRow, and_(TreeNodeRow.level == 0, TreeNodeRow.idx == EntryRow.idx))
            .where(EntryRow.idx >= start)
            .order_by(EntryRow.idx)
            .limit(limit)
        )
        return [(row[0], bytes(row[1]), None if row[2] is None else bytes(row[2])) for row in rows]

    def entry_by_submission(self, submission_id: str) -> StoredEntry | None:
        row = self.connection.execute(
            select(EntryRow.idx, EntryRow.data, EntryRow.entry_hash).where(EntryRow.submission_id == submission_id)
        ).first()
        return None if row is None else StoredEntry(row.idx, bytes(row.data), bytes(row.entry_hash))

    def nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        wanted = sorted(set(keys))
        found: dict[NodeKey, bytes] = {}
        for chunk in _chunks(wanted, 200):
            # One primary-key probe per node: SQLite plans a row-value IN over (level, idx) as a full
            # scan, and building the same OR as an expression tree costs milliseconds per proof.
            where = " OR ".join(f"(level = :l{n} AND idx = :i{n})" for n in range(len(chunk)))
            params = {name: value for n, (level, idx) in enumerate(chunk)
                      for name, value in ((f"l{n}", level), (f"i{n}", idx))}
            rows = self.connection.execute(text(f"SELECT level, idx, hash FROM tree_nodes WHERE {where}"), params)
            found.update({(row.level, row.idx): bytes(row.hash) for row in rows})
        return found

    def node_count(self) -> int:
        return int(self.connection.execute(select(func.count()).select_from(TreeNodeRow)).scalar_one())

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self.connection.execute(select(CheckpointRow).order_by(CheckpointRow.tree_size.desc()).limit(1)).first()
        return None if row is None else _checkpoint(row)

    def checkpoints(self) -> list[StoredCheckpoint]:
        return [_checkpoint(row) for row in self.connection.execute(select(CheckpointRow).order_by(CheckpointRow.tree_size))]

    def party(self, party_id: str) -> PartyRecord | None:
        row = self.connection.execute(select(PartyRow).where(PartyRow.party_id == party_id)).first()
        if row is None:
            return None
        return PartyRecord(
            row.party_id, row.legal_name, row.registration_number, row.country, tuple(json.loads(row.roles)), row.registered_at
        )

    def party_keys(self, party_id: str) -> list[KeyRecord]:
        rows = self.connection.execute(select(PartyKeyRow).where(PartyKeyRow.party_id == party_id).order_by(PartyKeyRow.added_at))
        return [_key(row) for row in rows]

    def key(self, key_id: str) -> KeyRecord | None:
        row = self.connection.execute(select(PartyKeyRow).where(PartyKeyRow.key_id == key_id)).first()
        return None if row is None else _key(row)

    @staticmethod
    def _key_record(row: object) -> KeyRecord:
        return _key(row)

    def token_party(self, token_hash: str) -> str | None:
        row = self.connection.execute(select(ApiTokenRow.party_id).where(ApiTokenRow.token_hash == token_hash)).first()
        return None if row is None else str(row.party_id)

    def projection_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return the rows of every projection table in primary-key order."""
        found = {}
        for name in PROJECTION_TABLES:
            table = SQLModel.metadata.tables[name]
            rows = self.connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[name] = [tuple(row) for row in rows]
        return found

    def meta(self, name: str) -> str | None:
        row = self.connection.execute(select(MetaRow.value).where(MetaRow.name == name)).first()
        return None if row is None else str(row.value)


class WriteTx(ReadTx, LotWrites, DeclarationWrites):
    """The serialised writer's transaction: appends and projection updates."""

    def insert_entries(self, entries: Sequence[Any]) -> None:
        """Insert built entries (ledger.entries.Entry) in one statement."""
        if entries:
            self.connection.execute(insert(EntryRow), [
                {"idx": e.index, "entry_hash": e.entry_hash, "data": e.data, "submission_id": e.signed.submission_id,
                 "party_id": e.signed.party, "entry_type": e.signed.type, "recorded_at": e.recorded_at}
                for e in entries])

    def insert_nodes(self, nodes: Sequence[tuple[NodeKey, bytes]]) -> None:
        if nodes:
            self.connection.execute(
                insert(TreeNodeRow), [{"level": level, "idx": idx, "hash": value} for (level, idx), value in nodes]
            )

    def insert_checkpoint(self, size: int, root: bytes, note: str, created_at: str) -> None:
        self.connection.execute(
            insert(CheckpointRow), [{"tree_size": size, "root": root, "note": note, "created_at": created_at}]
        )

    def insert_party(self, party: PartyRecord) -> None:
        self.connection.execute(
            insert(PartyRow),
            [{"party_id": party.party_id, "legal_name": party.legal_name, "registration_number": party.registration_number,
              "country": party.country, "roles": json.dumps(list(party.roles)), "registered_at": party.registered_at}],
        )

    def insert_key(self, key: KeyRecord) -> None:
        self.connection.execute(
            insert(PartyKeyRow),
            [{"key_id": key.key_id, "party_id": key.party_id, "public_key": key.public_key, "added_at": key.added_at,
              "ended_at": key.ended_at, "end_reason": key.end_reason}],
        )

    def end_key(self, key_id: str, at_index: int, reason: str) -> None:
        self.connection.execute(
            update(PartyKeyRow).where(PartyKeyRow.key_id == key_id).values(ended_at=at_index, end_reason=reason)
        )

    def insert_token(self, token_hash: str, party_id: str, created_at: str) -> None:
        self.connection.execute(
            insert(ApiTokenRow), [{"token_hash": token_hash, "party_id": party_id, "created_at": created_at}]
        )

    def set_meta(self, name: str, value: str) -> None:
        self.connection.execute(insert(MetaRow), [{"name": name, "value": value}])

    def replace_meta(self, name: str, value: str) -> None:
        self.connection.execute(delete(MetaRow).where(MetaRow.name == name))
        self.set_meta(name, value)

    def clear_projections(self) -> None:
        """Empty every projection table, before a rebuild from the log."""
        for name in PROJECTION_TABLES:
            self.connection.execute(delete(SQLModel.metadata.tables[name]))


def _chunks(items: Sequence[NodeKey], size: int) -> Iterator[Sequence[NodeKey]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _checkpoint(row: object) -> StoredCheckpoint:
    return StoredCheckpoint(row.tree_size, bytes(row.root), row.note, row.created_at)  # type: ignore[attr-defined]


def _key(row: object) -> KeyRecord:
    return KeyRecord(
        row.key_id, row.party_id, bytes(row.public_key), row.added_at, row.ended_at, row.end_reason  # type: ignore[attr-defined]
    )
