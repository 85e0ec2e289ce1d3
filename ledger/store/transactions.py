"""Queries and inserts inside one transaction; rows go in and out as plain values."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, delete, insert, select
from sqlmodel import SQLModel, col

from .ancestry_json import AncestryJson
from .audit_tx import AuditReads
from .claims_tx import AccountRecord, ClaimReads, ClaimWrites
from .declarations_tx import DeclarationReads, DeclarationWrites
from .direct_sql import DirectSql
from .lots_tx import LotReads, LotRecord, LotWrites, Read, TransferRecord, remember
from .sessions_tx import SessionReads, SessionWrites
from .tables import (
    PROJECTION_TABLES,
    CheckpointRow,
    EntryRow,
    MetaRow,
    PartyKeyRow,
    TreeNodeRow,
)

NodeKey = tuple[int, int]
Remembered = TypeVar("Remembered")


@dataclass(frozen=True, slots=True)
class Head:
    """The newest entry: the tree size, its hash and record time (genesis: size 0)."""

    size: int
    entry_hash: bytes | None
    recorded_at: str | None


@dataclass(frozen=True, slots=True)
class Wanted:
    """What an append's checks will read, named before the write lock is taken (see WriteTx.open_append)."""

    parties: Sequence[str] = ()
    keys: Sequence[str] = ()
    lots: Sequence[str] = ()
    transfers: Sequence[str] = ()  # each read with the lot it carries
    meta: Sequence[str] = ()

    @classmethod
    def union(cls, many: Iterable[Wanted]) -> Wanted:
        """Return everything any of `many` wants."""
        many = list(many)
        return cls(*([name for wanted in many for name in getattr(wanted, field)] for field in cls.__slots__))


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


_HEAD_ROW = ("SELECT NULL, idx, NULL, entry_hash, recorded_at"
             " FROM (SELECT idx, entry_hash, recorded_at FROM entries ORDER BY idx DESC LIMIT 1) AS newest")
_SELECT_PARTY = ("SELECT party_id, legal_name, registration_number, country, roles, registered_at"
                 " FROM parties WHERE party_id = ?")
_SELECT_META = "SELECT value FROM meta WHERE name = ?"
_SELECT_KEY = "SELECT key_id, party_id, public_key, added_at, ended_at, end_reason FROM party_keys WHERE key_id = ?"
# The roots of the tree of every entry (merkle.root_keys of the log size): at each level whose bit is
# set in the size, the node just left of the size's boundary. Levels stop at the size's highest bit.
_FRONTIER = ("WITH RECURSIVE head(size) AS (SELECT max(idx) + 1 FROM entries),"
             " levels(level) AS (SELECT 0 FROM head WHERE size > 0"
             " UNION ALL SELECT level + 1 FROM levels, head WHERE (head.size >> (levels.level + 1)) > 0)"
             " SELECT tree_nodes.level, tree_nodes.idx, tree_nodes.hash FROM levels, head, tree_nodes"
             " WHERE ((head.size >> levels.level) & 1) = 1"
             " AND tree_nodes.level = levels.level AND tree_nodes.idx = (head.size >> levels.level) - 1")


class ReadTx(LotReads, AncestryJson, DeclarationReads, AuditReads, SessionReads, ClaimReads):
    """Read access inside one transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sql = DirectSql(connection)

    def head(self) -> Head:
        return self.head_and_submissions(())[0]

    def entry(self, index: int) -> StoredEntry | None:
        row = self.sql.one("SELECT idx, data, entry_hash FROM entries WHERE idx = ?", (index,))
        return None if row is None else StoredEntry(row[0], bytes(row[1]), bytes(row[2]))

    def entries(self, start: int, limit: int) -> list[StoredEntry]:
        rows = self.connection.execute(
            select(col(EntryRow.idx), col(EntryRow.data), col(EntryRow.entry_hash))
            .where(col(EntryRow.idx) >= start)
            .order_by(col(EntryRow.idx))
            .limit(limit)
        )
        return [StoredEntry(row.idx, bytes(row.data), bytes(row.entry_hash)) for row in rows]

    def entries_at(self, indices: Sequence[int]) -> list[StoredEntry]:
        """Return the entries at `indices` (sorted, distinct), in index order, a thousand per query."""
        found: list[StoredEntry] = []
        for start in range(0, len(indices), 1000):
            rows = self.connection.execute(
                select(col(EntryRow.idx), col(EntryRow.data), col(EntryRow.entry_hash))
                .where(col(EntryRow.idx).in_(indices[start:start + 1000]))
                .order_by(col(EntryRow.idx))
            )
            found += [StoredEntry(row.idx, bytes(row.data), bytes(row.entry_hash)) for row in rows]
        return found

    def entries_with_leaves(self, start: int, limit: int) -> list[tuple[int, bytes, bytes | None]]:
        """Return (index, entry bytes, stored Merkle leaf) from `start` on, in index order."""
        rows = self.connection.execute(
            select(col(EntryRow.idx), col(EntryRow.data), col(TreeNodeRow.hash))
            .select_from(EntryRow)
            .outerjoin(TreeNodeRow, and_(col(TreeNodeRow.level) == 0, col(TreeNodeRow.idx) == col(EntryRow.idx)))
            .where(col(EntryRow.idx) >= start)
            .order_by(col(EntryRow.idx))
            .limit(limit)
        )
        return [(row[0], bytes(row[1]), None if row[2] is None else bytes(row[2])) for row in rows]

    def entries_by_submission(self, submission_ids: Iterable[str]) -> dict[str, StoredEntry]:
        """Return the stored entries among `submission_ids`, by submission id."""
        return self.head_and_submissions(submission_ids, head=False)[1]

    def head_and_submissions(self, submission_ids: Iterable[str], *, head: bool = True
                             ) -> tuple[Head, dict[str, StoredEntry]]:
        """Return the head and the stored entries among `submission_ids`: what every append reads first.

        One statement: the head rides along the first chunk of the lookup as
        the row without a submission id.
        """
        queries = _head_queries(submission_ids, head)
        return _read_head(self.sql.together(queries))

    def nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        wanted = sorted(set(keys))
        found: dict[NodeKey, bytes] = {}
        for chunk in _chunks(wanted, 200):
            # One primary-key probe per node: SQLite plans a row-value IN over (level, idx) as a full
            # scan, and building the same OR as an expression tree costs milliseconds per proof.
            rows = self.sql.all(nodes_query(len(chunk)), [number for key in chunk for number in key])
            found.update({(level, idx): bytes(value) for level, idx, value in rows})
        return found

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self.connection.execute(select(CheckpointRow).order_by(col(CheckpointRow.tree_size).desc()).limit(1)).first()
        return None if row is None else _checkpoint(row)

    def checkpoints(self) -> list[StoredCheckpoint]:
        return [_checkpoint(row) for row in self.connection.execute(select(CheckpointRow).order_by(col(CheckpointRow.tree_size)))]

    def party(self, party_id: str) -> PartyRecord | None:
        row = self.sql.one(_SELECT_PARTY, (party_id,))
        return None if row is None else _party_from(row)

    def party_keys(self, party_id: str) -> list[KeyRecord]:
        rows = self.connection.execute(select(PartyKeyRow).where(col(PartyKeyRow.party_id) == party_id).order_by(col(PartyKeyRow.added_at)))
        return [_key(row) for row in rows]

    def key(self, key_id: str) -> KeyRecord | None:
        row = self.sql.one(_SELECT_KEY, (key_id,))
        return None if row is None else _key_from(row)

    @staticmethod
    def _key_record(row: object) -> KeyRecord:
        return _key(row)

    def token_party(self, token_hash: str) -> str | None:
        row = self.sql.one("SELECT party_id FROM api_tokens WHERE token_hash = ?", (token_hash,))
        return None if row is None else str(row[0])

    def projection_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return the rows of every projection table in primary-key order."""
        found = {}
        for name in PROJECTION_TABLES:
            table = SQLModel.metadata.tables[name]
            rows = self.connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[name] = [tuple(row) for row in rows]
        return found

    def meta(self, name: str) -> str | None:
        row = self.sql.one(_SELECT_META, (name,))
        return None if row is None else str(row[0])


class WriteTx(ReadTx, LotWrites, DeclarationWrites, SessionWrites, ClaimWrites):
    """The serialised writer's transaction: appends and projection updates.

    Parties, keys, lots, transfers and meta values read here are remembered
    until this transaction changes them: it holds the write lock, so nothing
    else can, and a batch of a thousand entries by one party then reads its
    roles and key once. Every write method forgets the rows it changes.
    """

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._parties: dict[str, PartyRecord | None] = {}
        self._keys: dict[str, KeyRecord | None] = {}
        self._lots: dict[str, LotRecord | None] = {}
        self._transfers: dict[str, TransferRecord | None] = {}
        self._meta: dict[str, str | None] = {}
        self._accounts: dict[str, list[AccountRecord]] = {}

    def party(self, party_id: str) -> PartyRecord | None:
        return _recalled(self._parties, party_id, super().party)

    def key(self, key_id: str) -> KeyRecord | None:
        return _recalled(self._keys, key_id, super().key)

    def lot(self, lot_id: str) -> LotRecord | None:
        return _recalled(self._lots, lot_id, super().lot)

    def transfer(self, transfer_id: str) -> TransferRecord | None:
        return _recalled(self._transfers, transfer_id, super().transfer)

    def accounts(self, holder: str | None = None) -> list[AccountRecord]:
        """Return a holder's accounts, remembered: every receipt, registration and melt asks for them."""
        return super().accounts() if holder is None else _recalled(self._accounts, holder, super().accounts)

    def meta(self, name: str) -> str | None:
        return _recalled(self._meta, name, super().meta)

    def open_append(self, submission_ids: Iterable[str], wanted: Wanted
                    ) -> tuple[Head, dict[str, StoredEntry], dict[NodeKey, bytes]]:
        """Return what an append reads first, all in one round trip to the database.

        That is the head, the stored entries among `submission_ids` and the
        Merkle nodes the next leaf hangs from (the roots of the current tree).
        What `wanted` names is read into this transaction's memory, for the
        checks that follow. Every round trip made under the write lock is
        time in which no other append can run.

        SQLite has no round trips: there the head is read alone, the roots at
        their first use, and what `wanted` names when the checks ask for it.
        """
        heads = _head_queries(submission_ids, True)
        if not self.sql.postgres:
            head, stored = _read_head(self.sql.together(heads))
            return head, stored, _RootsOnFirstUse(self.sql)
        roots: dict[NodeKey, bytes] = {}
        reads: list[Read] = [
            (_FRONTIER, (), lambda rows: roots.update({(level, idx): bytes(value) for level, idx, value in rows})),
            *[(_SELECT_PARTY, (party_id,), partial(remember, self._parties, party_id, _party_from))
              for party_id in sorted(set(wanted.parties))],
            *[(_SELECT_KEY, (key_id,), partial(remember, self._keys, key_id, _key_from))
              for key_id in sorted(set(wanted.keys))],
            *self.lot_reads(sorted(set(wanted.lots)), sorted(set(wanted.transfers))),
            *[(_SELECT_META, (name,), partial(remember, self._meta, name, lambda row: str(row[0])))
              for name in sorted(set(wanted.meta))],
        ]
        results = self.sql.together([*heads, *[(query, params) for query, params, _take in reads]])
        for (_query, _params, take), rows in zip(reads, results[len(heads):], strict=True):
            take(rows)
        head, stored = _read_head(results[:len(heads)])
        return head, stored, roots

    def insert_entries(self, entries: Sequence[Any]) -> None:
        """Insert built entries (ledger.entries.Entry) in one statement."""
        self.sql.many(
            "INSERT INTO entries (idx, entry_hash, data, submission_id, party_id, entry_type, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(e.index, e.entry_hash, e.data, e.signed.submission_id, e.signed.party, e.signed.type, e.recorded_at)
             for e in entries])

    def insert_nodes(self, nodes: Sequence[tuple[NodeKey, bytes]]) -> None:
        self.sql.many("INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?)",
                      [(level, idx, value) for (level, idx), value in nodes])

    def insert_checkpoint(self, size: int, root: bytes, note: str, created_at: str) -> None:
        self.connection.execute(
            insert(CheckpointRow), [{"tree_size": size, "root": root, "note": note, "created_at": created_at}]
        )

    def insert_party(self, party: PartyRecord) -> None:
        self._parties.pop(party.party_id, None)
        self.sql.run("INSERT INTO parties (party_id, legal_name, registration_number, country, roles, registered_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)",
                     (party.party_id, party.legal_name, party.registration_number, party.country,
                      json.dumps(list(party.roles)), party.registered_at))

    def insert_key(self, key: KeyRecord) -> None:
        self._keys.pop(key.key_id, None)
        self.sql.run("INSERT INTO party_keys (key_id, party_id, public_key, added_at, ended_at, end_reason)"
                     " VALUES (?, ?, ?, ?, ?, ?)",
                     (key.key_id, key.party_id, key.public_key, key.added_at, key.ended_at, key.end_reason))

    def end_key(self, key_id: str, at_index: int, reason: str) -> None:
        self._keys.pop(key_id, None)
        self.sql.run("UPDATE party_keys SET ended_at = ?, end_reason = ? WHERE key_id = ?", (at_index, reason, key_id))

    def insert_token(self, token_hash: str, party_id: str, created_at: str) -> None:
        self.sql.run("INSERT INTO api_tokens (token_hash, party_id, created_at) VALUES (?, ?, ?)",
                     (token_hash, party_id, created_at))

    def set_meta(self, name: str, value: str) -> None:
        self._meta.pop(name, None)
        self.connection.execute(insert(MetaRow), [{"name": name, "value": value}])

    def replace_meta(self, name: str, value: str) -> None:
        self.connection.execute(delete(MetaRow).where(col(MetaRow.name) == name))
        self.set_meta(name, value)

    def clear_projections(self) -> None:
        """Empty every projection table, before a rebuild from the log."""
        for remembered in (self._parties, self._keys, self._lots, self._transfers, self._accounts):
            remembered.clear()
        for name in PROJECTION_TABLES:
            self.connection.execute(delete(SQLModel.metadata.tables[name]))


@lru_cache(maxsize=256)
def nodes_query(count: int) -> str:
    """Return the SQL that `ReadTx.nodes` sends for `count` keys (level, idx pairs as parameters)."""
    return "SELECT level, idx, hash FROM tree_nodes WHERE " + " OR ".join(["(level = ? AND idx = ?)"] * count)


class _RootsOnFirstUse(dict[NodeKey, bytes]):
    """The roots of the tree, read when the first of them is asked for (an even index asks for none)."""

    def __init__(self, sql: DirectSql) -> None:
        super().__init__()
        self._sql: DirectSql | None = sql

    def __missing__(self, key: NodeKey) -> bytes:
        if self._sql is not None:
            self.update({(level, idx): bytes(value) for level, idx, value in self._sql.all(_FRONTIER)})
            self._sql = None
            if key in self:
                return self[key]
        raise KeyError(key)


def _recalled(memory: dict[str, Remembered], name: str, read: Callable[[str], Remembered]) -> Remembered:
    """Return what `memory` holds for `name`, reading it with `read` and keeping it the first time."""
    if name not in memory:
        memory[name] = read(name)
    return memory[name]


def _head_queries(submission_ids: Iterable[str], head: bool) -> list[tuple[str, list[str]]]:
    """Return the statements of `head_and_submissions`: the head row rides along the first chunk of ids."""
    wanted = sorted(set(submission_ids))
    queries = []
    for number, start in enumerate(range(0, max(len(wanted), 1), 500)):
        chunk = wanted[start:start + 500]
        parts = [_HEAD_ROW] if head and number == 0 else []
        if chunk:
            parts.append("SELECT submission_id, idx, data, entry_hash, NULL FROM entries"
                         f" WHERE submission_id IN ({', '.join('?' * len(chunk))})")
        if parts:
            queries.append((" UNION ALL ".join(parts), chunk))
    return queries


def _read_head(results: Iterable[list[tuple[Any, ...]]]) -> tuple[Head, dict[str, StoredEntry]]:
    """Return the head and stored entries from the rows of `_head_queries` (the head: no submission id)."""
    newest, found = Head(0, None, None), {}
    for rows in results:
        for row in rows:
            if row[0] is None:
                newest = Head(row[1] + 1, bytes(row[3]), row[4])
            else:
                found[row[0]] = StoredEntry(row[1], bytes(row[2]), bytes(row[3]))
    return newest, found


def _party_from(row: tuple[Any, ...]) -> PartyRecord:
    return PartyRecord(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5])


def _key_from(row: tuple[Any, ...]) -> KeyRecord:
    return KeyRecord(row[0], row[1], bytes(row[2]), row[3], row[4], row[5])


def _chunks(items: Sequence[NodeKey], size: int) -> Iterator[Sequence[NodeKey]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _checkpoint(row: object) -> StoredCheckpoint:
    return StoredCheckpoint(row.tree_size, bytes(row.root), row.note, row.created_at)  # type: ignore[attr-defined]


def _key(row: object) -> KeyRecord:
    return KeyRecord(
        row.key_id, row.party_id, bytes(row.public_key), row.added_at, row.ended_at, row.end_reason  # type: ignore[attr-defined]
    )
