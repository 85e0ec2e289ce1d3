"""Lot, transfer and transformation projections: reads and writes inside a transaction."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from json.scanner import make_scanner
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select
from sqlmodel import col
from sqlalchemy.sql import Select

from . import ancestry_json
from .direct_sql import DirectSql
from .tables import LotAccessRow, LotEdgeRow, LotOriginRow, LotRow, TransferRow


Read = tuple[str, Sequence[Any], Callable[[list[tuple[Any, ...]]], None]]  # a query, its parameters, who takes its rows


@dataclass(frozen=True, slots=True)
class LotRecord:
    lot_id: str
    created_entry: int
    created_by: str
    created_at: str
    origin_kind: str
    holder: str
    owner: str
    status: str
    mass_g: int
    material_family: str
    consumer_stage: str
    attributes: dict[str, Any]
    composition: dict[str, int]
    origins: dict[str, int] = field(default_factory=dict)
    consumed_entry: int | None = None
    open_transfer: str | None = None
    discrepancy: bool = False
    site: str | None = None  # the holder's site the lot is at, where the holder names sites (mass balance)


@dataclass(frozen=True, slots=True)
class TransferRecord:
    transfer_id: str
    lot_id: str
    sender: str
    receiver: str
    declared_g: int
    lot_mass_g: int
    transport_reference: str
    transfers_ownership: bool
    dispatched_entry: int
    dispatched_at: str
    status: str
    closed_entry: int | None = None
    closed_at: str | None = None
    weighed_g: int | None = None
    outcome: dict[str, Any] | None = None
    discrepancy: bool = False


@dataclass(frozen=True, slots=True)
class TransformationRecord:
    entry_index: int
    actor: str
    kind: str
    recorded_at: str
    input_g: int
    additions_g: int
    output_g: int
    losses_g: int
    unaccounted_g: int
    material_family: str


@dataclass(frozen=True, slots=True)
class Ancestry:
    lots: list[LotRecord]
    edges: list[tuple[str, str, int]]
    transfers: list[TransferRecord]
    transformations: list[TransformationRecord]


@dataclass(frozen=True, slots=True)
class LotFilter:
    holder: str | None = None
    status: str | None = None
    material_family: str | None = None
    country: str | None = None
    created_from: str | None = None
    created_until: str | None = None
    visible_to: str | None = None


_LOT_COLUMNS = ("lot_id", "created_entry", "created_by", "created_at", "origin_kind", "holder", "owner", "status",
                "mass_g", "material_family", "consumer_stage", "attributes", "composition", "consumed_entry",
                "open_transfer", "discrepancy", "site")
_TRANSFER_COLUMNS = ("transfer_id", "lot_id", "sender", "receiver", "declared_g", "lot_mass_g", "transport_reference",
                     "transfers_ownership", "dispatched_entry", "dispatched_at", "status", "closed_entry", "closed_at",
                     "weighed_g", "outcome", "discrepancy")
# What json.loads runs after its checks, for `_loads`. typeshed declares make_scanner as the C scanner's
# class, whose constructor it types as taking another scanner; at run time it takes the decoder.
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_SORTED_JSON = json.JSONEncoder(sort_keys=True)  # json.dumps(..., sort_keys=True) without a new encoder a call
_BOOLEANS = frozenset({"discrepancy", "transfers_ownership"})
_SELECT_LOTS_WHERE = (f"SELECT {', '.join(f'lots.{name}' for name in _LOT_COLUMNS)}, lot_origins.country,"
                      " lot_origins.grams FROM lots LEFT JOIN lot_origins ON lot_origins.lot_id = lots.lot_id WHERE ")
_SELECT_LOT = _SELECT_LOTS_WHERE + "lots.lot_id = ?"
_SELECT_TRANSFER = f"SELECT {', '.join(_TRANSFER_COLUMNS)} FROM transfers WHERE transfer_id = ?"
_SELECT_LOT_OF_TRANSFER = _SELECT_LOTS_WHERE + "lots.lot_id = (SELECT lot_id FROM transfers WHERE transfer_id = ?)"
_INSERT_LOT = (f"INSERT INTO lots ({', '.join(_LOT_COLUMNS)}, created_mass_g)"
               f" VALUES ({', '.join('?' * (len(_LOT_COLUMNS) + 1))})")
_INSERT_TRANSFER = (f"INSERT INTO transfers ({', '.join(_TRANSFER_COLUMNS)})"
                    f" VALUES ({', '.join('?' * len(_TRANSFER_COLUMNS))})")
_INSERT_TRANSFORMATION = (f"INSERT INTO transformations ({', '.join(TransformationRecord.__slots__)})"
                          f" VALUES ({', '.join('?' * len(TransformationRecord.__slots__))})")
_ANCESTRY_EDGES = f"{ancestry_json.WALK} SELECT child, parent, entry_index FROM walk"
_SELECT_LOTS_IN = f"SELECT {', '.join(_LOT_COLUMNS)} FROM lots WHERE lot_id IN ({{ids}})"
_SELECT_ORIGINS_IN = "SELECT lot_id, country, grams FROM lot_origins WHERE lot_id IN ({ids})"
_SELECT_TRANSFERS_IN = f"SELECT {', '.join(_TRANSFER_COLUMNS)} FROM transfers WHERE lot_id IN ({{ids}})"
_SELECT_TRANSFORMATIONS_IN = (f"SELECT {', '.join(TransformationRecord.__slots__)} FROM transformations"
                              " WHERE entry_index IN ({ids})")
_CAN_READ_LOT = (
    "WITH RECURSIVE descendants(lot_id) AS (SELECT CAST(? AS VARCHAR) AS lot_id"
    " UNION SELECT lot_edges.child FROM lot_edges JOIN descendants ON lot_edges.parent = descendants.lot_id)"
    " SELECT lot_access.lot_id FROM lot_access"
    " WHERE lot_access.party_id = ? AND lot_access.lot_id IN (SELECT descendants.lot_id FROM descendants) LIMIT 1"
)


class LotReads:
    connection: Connection
    sql: DirectSql

    def lot(self, lot_id: str) -> LotRecord | None:
        return _lots_from(self.sql.all(_SELECT_LOT, (lot_id,))).get(lot_id)

    def lots(self, where: LotFilter, after: str | None, limit: int) -> list[LotRecord]:
        """Return lots matching `where`, ordered by creation entry then id, after the cursor `after`."""
        query = select(LotRow)
        if where.holder:
            query = query.where(col(LotRow.holder) == where.holder)
        if where.status:
            query = query.where(col(LotRow.status) == where.status)
        if where.material_family:
            query = query.where(col(LotRow.material_family) == where.material_family)
        if where.created_from:
            query = query.where(col(LotRow.created_at) >= where.created_from)
        if where.created_until:
            query = query.where(col(LotRow.created_at) < where.created_until)
        if where.country:
            query = query.where(exists().where(and_(col(LotOriginRow.lot_id) == col(LotRow.lot_id),
                                                    col(LotOriginRow.country) == where.country)))
        if where.visible_to:
            query = query.where(col(LotRow.lot_id).in_(self._visible_ids(where.visible_to)))
        if after:
            position = self.connection.execute(select(col(LotRow.created_entry)).where(col(LotRow.lot_id) == after)).scalar()
            if position is not None:
                query = query.where(or_(col(LotRow.created_entry) > position,
                                        and_(col(LotRow.created_entry) == position, col(LotRow.lot_id) > after)))
        rows = self.connection.execute(query.order_by(col(LotRow.created_entry), col(LotRow.lot_id)).limit(limit)).all()
        origins = self._origins([row.lot_id for row in rows])
        return [self._lot(row, origins.get(row.lot_id, {})) for row in rows]

    def can_read_lot(self, party_id: str, lot_id: str) -> bool:
        """Return whether the party had the lot, or any lot made from it, in its hands."""
        return self.sql.one(_CAN_READ_LOT, (lot_id, party_id)) is not None

    def ancestry(self, lot_id: str) -> Ancestry:
        """Return the lot and all its ancestors with the edges, transfers and transformations between them.

        One recursive query walks the graph once and yields its edges, hence
        the ancestors' ids; the rest read by those ids (sent as one parameter),
        so the cost does not grow with one round trip per node. Lots come in
        creation order (ties by id), edges by child then parent.
        """
        with _bulk():
            return self._ancestry(lot_id)

    def _ancestry(self, lot_id: str) -> Ancestry:
        edges = sorted(self.sql.all(_ANCESTRY_EDGES, (lot_id,)))
        ids = sorted({lot_id, *(parent for _child, parent, _index in edges)})
        lot_rows = sorted(self.sql.all(_SELECT_LOTS_IN.format(ids=self.sql.values("VARCHAR")), (self.sql.listed(ids),)),
                          key=lambda row: (row[1], row[0]))
        origins: dict[str, dict[str, int]] = {}
        for owner, country, grams in self.sql.all(_SELECT_ORIGINS_IN.format(ids=self.sql.values("VARCHAR")),
                                                  (self.sql.listed(ids),)):
            origins.setdefault(owner, {})[country] = grams
        transfers = sorted(self.sql.all(_SELECT_TRANSFERS_IN.format(ids=self.sql.values("VARCHAR")),
                                        (self.sql.listed(ids),)), key=lambda row: row[8])
        made_by = sorted({row[1] for row in lot_rows})
        transformations = sorted(self.sql.all(_SELECT_TRANSFORMATIONS_IN.format(ids=self.sql.values("BIGINT")),
                                              (self.sql.listed(made_by),)))
        return Ancestry(
            [_lot_record(row, origins.get(row[0], {})) for row in lot_rows],
            [(child, parent, index) for child, parent, index in edges],
            [_transfer_record(row) for row in transfers],
            [TransformationRecord(*row) for row in transformations],
        )

    def transfers_of(self, lot_ids: Sequence[str] | Select[Any]) -> list[TransferRecord]:
        rows = self.connection.execute(
            select(TransferRow).where(col(TransferRow.lot_id).in_(lot_ids)).order_by(col(TransferRow.dispatched_entry))
        ).all()
        return [self._transfer(row) for row in rows]

    def transfer(self, transfer_id: str) -> TransferRecord | None:
        row = self.sql.one(_SELECT_TRANSFER, (transfer_id,))
        return None if row is None else _transfer_record(row)

    def _visible_ids(self, party_id: str) -> Select[Any]:
        """Return a query of every lot the party may read: its own and their ancestors."""
        visible = select(col(LotAccessRow.lot_id)).where(col(LotAccessRow.party_id) == party_id).cte("visible", recursive=True)
        visible = visible.union(select(col(LotEdgeRow.parent)).join(visible, col(LotEdgeRow.child) == visible.c.lot_id))
        return select(visible.c.lot_id)

    def _origins(self, lot_ids: list[str]) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        if lot_ids:
            for row in self.connection.execute(select(LotOriginRow).where(col(LotOriginRow.lot_id).in_(lot_ids))):
                found.setdefault(row.lot_id, {})[row.country] = row.grams
        return found

    @staticmethod
    def _lot(row: Any, origins: dict[str, int]) -> LotRecord:
        return LotRecord(
            row.lot_id, row.created_entry, row.created_by, row.created_at, row.origin_kind, row.holder, row.owner,
            row.status, row.mass_g, row.material_family, row.consumer_stage, json.loads(row.attributes),
            json.loads(row.composition), origins, row.consumed_entry, row.open_transfer, bool(row.discrepancy),
            row.site,
        )

    @staticmethod
    def _transfer(row: Any) -> TransferRecord:
        values = {name: getattr(row, name) for name in TransferRecord.__slots__}
        values["outcome"] = None if row.outcome is None else json.loads(row.outcome)
        values["discrepancy"] = bool(row.discrepancy)
        values["transfers_ownership"] = bool(row.transfers_ownership)
        return TransferRecord(**values)


class LotWrites:
    """Projection writes; each forgets what the transaction remembered of the rows it changes (WriteTx)."""

    connection: Connection
    sql: DirectSql
    _lots: dict[str, LotRecord | None]
    _transfers: dict[str, TransferRecord | None]

    def lot_reads(self, lot_ids: Sequence[str], transfer_ids: Sequence[str]) -> list[Read]:
        """Return the reads that bring these lots, and these transfers with the lots they carry, into memory.

        One plain primary-key query per row: sent together, each costs the
        database less than one query over a list of ids.
        """
        reads: list[Read] = []
        for lot_id in lot_ids:
            reads.append((_SELECT_LOT, (lot_id,), partial(self._remember_lots, (lot_id,))))
        for transfer_id in transfer_ids:
            reads.append((_SELECT_TRANSFER, (transfer_id,), partial(remember, self._transfers, transfer_id,
                                                                      _transfer_record)))
            reads.append((_SELECT_LOT_OF_TRANSFER, (transfer_id,), partial(self._remember_lots, ())))
        return reads

    def _remember_lots(self, asked: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self._lots.update(dict.fromkeys(asked))
        self._lots.update(_lots_from(rows))


    def insert_lot(self, lot: LotRecord) -> None:
        self._lots.pop(lot.lot_id, None)
        values = [getattr(lot, name) for name in _LOT_COLUMNS]
        values[11] = _SORTED_JSON.encode(lot.attributes)
        values[12] = _SORTED_JSON.encode(lot.composition)
        values[15] = bool(lot.discrepancy)
        self.sql.run(_INSERT_LOT, (*values, lot.mass_g))
        self._write_origins(lot.lot_id, lot.origins)

    def update_lot(self, lot: LotRecord, **changes: Any) -> LotRecord:
        """Store the changed fields of a lot and return the new record."""
        self._lots.pop(lot.lot_id, None)
        updated = replace(lot, **changes)
        columns = {name: value for name, value in changes.items() if name != "origins"}
        if "composition" in columns:
            columns["composition"] = _SORTED_JSON.encode(updated.composition)
        if columns:
            self.sql.run(*_update("lots", columns, "lot_id", lot.lot_id))
        if "origins" in changes:
            self.sql.run("DELETE FROM lot_origins WHERE lot_id = ?", (lot.lot_id,))
            self._write_origins(lot.lot_id, updated.origins)
        return updated

    def grant_access(self, lot_id: str, *party_ids: str) -> None:
        """Let parties read the lot (and its ancestry); granting twice is harmless."""
        self.sql.many("INSERT INTO lot_access (lot_id, party_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                      [(lot_id, party_id) for party_id in sorted(set(party_ids))])

    def insert_edges(self, edges: Sequence[tuple[str, str, int]]) -> None:
        self.sql.many("INSERT INTO lot_edges (child, parent, entry_index) VALUES (?, ?, ?)", edges)

    def insert_transfer(self, transfer: TransferRecord) -> None:
        self._transfers.pop(transfer.transfer_id, None)
        values = [getattr(transfer, name) for name in _TRANSFER_COLUMNS]
        values[7], values[15] = bool(transfer.transfers_ownership), bool(transfer.discrepancy)
        values[14] = None if transfer.outcome is None else _SORTED_JSON.encode(transfer.outcome)
        self.sql.run(_INSERT_TRANSFER, values)

    def consume_lots(self, lot_ids: Sequence[str], entry_index: int) -> None:
        """Mark the input lots of a transformation consumed (two statements, however many inputs).

        A consumed lot never changes again, so its provenance node is
        rendered now, once, and read as stored ever after (`ancestry_json`).
        """
        for lot_id in lot_ids:
            self._lots.pop(lot_id, None)
        listed = self.sql.listed(lot_ids)
        ids = self.sql.values("VARCHAR")
        self.sql.run(f"UPDATE lots SET status = 'consumed', consumed_entry = ? WHERE lot_id IN ({ids})",
                     (entry_index, listed))
        self.sql.run(ancestry_json.statements(self.sql)["seal_lots"], (listed,))

    def close_transfer(self, transfer: TransferRecord, **changes: Any) -> TransferRecord:
        """Record a receipt or rejection; a closed transfer never changes again, so its node is rendered now."""
        self._transfers.pop(transfer.transfer_id, None)
        updated = replace(transfer, **changes)
        columns = dict(changes)
        if "outcome" in columns:
            columns["outcome"] = _SORTED_JSON.encode(updated.outcome)
        self.sql.run(*_update("transfers", columns, "transfer_id", transfer.transfer_id))
        self.sql.run(ancestry_json.statements(self.sql)["seal_transfer"], (transfer.transfer_id,))
        return updated

    def insert_transformation(self, record: TransformationRecord) -> None:
        self.sql.run(_INSERT_TRANSFORMATION, [getattr(record, name) for name in TransformationRecord.__slots__])

    def _write_origins(self, lot_id: str, origins: dict[str, int]) -> None:
        self.sql.many("INSERT INTO lot_origins (lot_id, country, grams) VALUES (?, ?, ?)",
                      [(lot_id, country, grams) for country, grams in sorted(origins.items())])


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of records are built.

    Nothing built here forms a reference cycle, but every few hundred new
    objects the collector would rescan the ones already built, which for a
    10,000-lot ancestry costs as much as building it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _update(table: str, columns: dict[str, Any], key: str, value: str) -> tuple[str, list[Any]]:
    """Return the UPDATE of `columns` (record field names, which are the column names) of one row."""
    values = [bool(item) if name in _BOOLEANS and item is not None else item for name, item in columns.items()]
    return f"UPDATE {table} SET {', '.join(f'{name} = ?' for name in columns)} WHERE {key} = ?", [*values, value]


def _loads(text: Any) -> Any:
    """Return `json.loads(text)`, through the C scanner alone when the text is one bare JSON value (as stored)."""
    try:
        value, end = _SCAN(text, 0)
    except Exception:  # anything unusual: let json.loads decide, and raise what it raises
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def remember(memory: dict[str, Any], name: str, record: Callable[[Any], Any], rows: list[tuple[Any, ...]]) -> None:
    """Keep in `memory` the record made of the first row read for `name` (None: there is none)."""
    memory[name] = record(rows[0]) if rows else None


def _lots_from(rows: Iterable[Sequence[Any]]) -> dict[str, LotRecord]:
    """Return the lots of rows selected by `_SELECT_LOTS_WHERE`: one row per origin country (NULLs if none)."""
    width = len(_LOT_COLUMNS)
    grouped: dict[str, tuple[Sequence[Any], dict[str, int]]] = {}
    for row in rows:
        origins = grouped.setdefault(row[0], (row, {}))[1]
        if row[width] is not None:
            origins[row[width]] = row[width + 1]
    return {lot_id: _lot_record(row, origins) for lot_id, (row, origins) in grouped.items()}


def _lot_record(row: Sequence[Any], origins: dict[str, int]) -> LotRecord:
    """Return the lot of a row selected as `_LOT_COLUMNS`."""
    return LotRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                     _loads(row[11]), _loads(row[12]), origins, row[13], row[14], bool(row[15]), row[16])


def _transfer_record(row: Sequence[Any]) -> TransferRecord:
    """Return the transfer of a row selected as `_TRANSFER_COLUMNS`."""
    return TransferRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8], row[9],
                          row[10], row[11], row[12], row[13], None if row[14] is None else _loads(row[14]),
                          bool(row[15]))


