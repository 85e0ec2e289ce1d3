"""Lot, transfer and transformation projections: reads and writes inside a transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, and_, exists, insert, literal, or_, select, update
from sqlalchemy.sql import Select

from .tables import LotAccessRow, LotEdgeRow, LotOriginRow, LotRow, TransferRow, TransformationRow


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


class LotReads:
    connection: Connection

    def lot(self, lot_id: str) -> LotRecord | None:
        row = self.connection.execute(select(LotRow).where(LotRow.lot_id == lot_id)).first()
        return None if row is None else self._lot(row, self._origins([lot_id]).get(lot_id, {}))

    def lots(self, where: LotFilter, after: str | None, limit: int) -> list[LotRecord]:
        """Return lots matching `where`, ordered by creation entry then id, after the cursor `after`."""
        query = select(LotRow)
        if where.holder:
            query = query.where(LotRow.holder == where.holder)
        if where.status:
            query = query.where(LotRow.status == where.status)
        if where.material_family:
            query = query.where(LotRow.material_family == where.material_family)
        if where.created_from:
            query = query.where(LotRow.created_at >= where.created_from)
        if where.created_until:
            query = query.where(LotRow.created_at < where.created_until)
        if where.country:
            query = query.where(exists().where(and_(LotOriginRow.lot_id == LotRow.lot_id,
                                                    LotOriginRow.country == where.country)))
        if where.visible_to:
            query = query.where(LotRow.lot_id.in_(self._visible_ids(where.visible_to)))
        if after:
            position = self.connection.execute(select(LotRow.created_entry).where(LotRow.lot_id == after)).scalar()
            if position is not None:
                query = query.where(or_(LotRow.created_entry > position,
                                        and_(LotRow.created_entry == position, LotRow.lot_id > after)))
        rows = self.connection.execute(query.order_by(LotRow.created_entry, LotRow.lot_id).limit(limit)).all()
        origins = self._origins([row.lot_id for row in rows])
        return [self._lot(row, origins.get(row.lot_id, {})) for row in rows]

    def can_read_lot(self, party_id: str, lot_id: str) -> bool:
        """Return whether the party had the lot, or any lot made from it, in its hands."""
        descendants = select(literal(lot_id).label("lot_id")).cte("descendants", recursive=True)
        descendants = descendants.union(
            select(LotEdgeRow.child).join(descendants, LotEdgeRow.parent == descendants.c.lot_id)
        )
        query = select(LotAccessRow.lot_id).where(
            LotAccessRow.party_id == party_id, LotAccessRow.lot_id.in_(select(descendants.c.lot_id))
        ).limit(1)
        return self.connection.execute(query).first() is not None

    def ancestry(self, lot_id: str) -> Ancestry:
        """Return the lot and all its ancestors with the edges, transfers and transformations between them.

        One recursive query walks the graph; the rest read by that query's ids,
        so the cost does not grow with one round trip per node.
        """
        ancestors = select(literal(lot_id).label("lot_id")).cte("ancestors", recursive=True)
        ancestors = ancestors.union(
            select(LotEdgeRow.parent).join(ancestors, LotEdgeRow.child == ancestors.c.lot_id)
        )
        ids = select(ancestors.c.lot_id)
        rows = self.connection.execute(select(LotRow).where(LotRow.lot_id.in_(ids)).order_by(LotRow.created_entry)).all()
        origins: dict[str, dict[str, int]] = {}
        for row in self.connection.execute(select(LotOriginRow).where(LotOriginRow.lot_id.in_(ids))):
            origins.setdefault(row.lot_id, {})[row.country] = row.grams
        edges = self.connection.execute(
            select(LotEdgeRow.child, LotEdgeRow.parent, LotEdgeRow.entry_index).where(LotEdgeRow.child.in_(ids))
        ).all()
        made_by = select(LotRow.created_entry).where(LotRow.lot_id.in_(ids))
        transformations = self.connection.execute(
            select(TransformationRow).where(TransformationRow.entry_index.in_(made_by))
            .order_by(TransformationRow.entry_index)
        ).all()
        return Ancestry(
            [self._lot(row, origins.get(row.lot_id, {})) for row in rows],
            [(edge.child, edge.parent, edge.entry_index) for edge in edges],
            self.transfers_of(ids),
            [TransformationRecord(**{name: getattr(row, name) for name in TransformationRecord.__slots__})
             for row in transformations],
        )

    def transfers_of(self, lot_ids: Sequence[str] | Select[Any]) -> list[TransferRecord]:
        rows = self.connection.execute(
            select(TransferRow).where(TransferRow.lot_id.in_(lot_ids)).order_by(TransferRow.dispatched_entry)
        ).all()
        return [self._transfer(row) for row in rows]

    def transfer(self, transfer_id: str) -> TransferRecord | None:
        row = self.connection.execute(select(TransferRow).where(TransferRow.transfer_id == transfer_id)).first()
        return None if row is None else self._transfer(row)

    def _visible_ids(self, party_id: str) -> Select[Any]:
        """Return a query of every lot the party may read: its own and their ancestors."""
        visible = select(LotAccessRow.lot_id).where(LotAccessRow.party_id == party_id).cte("visible", recursive=True)
        visible = visible.union(select(LotEdgeRow.parent).join(visible, LotEdgeRow.child == visible.c.lot_id))
        return select(visible.c.lot_id)

    def _origins(self, lot_ids: list[str]) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        if lot_ids:
            for row in self.connection.execute(select(LotOriginRow).where(LotOriginRow.lot_id.in_(lot_ids))):
                found.setdefault(row.lot_id, {})[row.country] = row.grams
        return found

    @staticmethod
    def _lot(row: Any, origins: dict[str, int]) -> LotRecord:
        return LotRecord(
            row.lot_id, row.created_entry, row.created_by, row.created_at, row.origin_kind, row.holder, row.owner,
            row.status, row.mass_g, row.material_family, row.consumer_stage, json.loads(row.attributes),
            json.loads(row.composition), origins, row.consumed_entry, row.open_transfer, bool(row.discrepancy),
        )

    @staticmethod
    def _transfer(row: Any) -> TransferRecord:
        values = {name: getattr(row, name) for name in TransferRecord.__slots__}
        values["outcome"] = None if row.outcome is None else json.loads(row.outcome)
        values["discrepancy"] = bool(row.discrepancy)
        values["transfers_ownership"] = bool(row.transfers_ownership)
        return TransferRecord(**values)


class LotWrites:
    connection: Connection

    def insert_lot(self, lot: LotRecord) -> None:
        values = {name: getattr(lot, name) for name in LotRecord.__slots__ if name != "origins"}
        values["attributes"] = json.dumps(lot.attributes, sort_keys=True)
        values["composition"] = json.dumps(lot.composition, sort_keys=True)
        values["created_mass_g"] = lot.mass_g
        self.connection.execute(insert(LotRow), [values])
        self._write_origins(lot.lot_id, lot.origins)

    def update_lot(self, lot: LotRecord, **changes: Any) -> LotRecord:
        """Store the changed fields of a lot and return the new record."""
        updated = replace(lot, **changes)
        columns = {name: value for name, value in changes.items() if name != "origins"}
        if "composition" in columns:
            columns["composition"] = json.dumps(updated.composition, sort_keys=True)
        if columns:
            self.connection.execute(update(LotRow).where(LotRow.lot_id == lot.lot_id).values(**columns))
        if "origins" in changes:
            self.connection.execute(LotOriginRow.__table__.delete().where(LotOriginRow.lot_id == lot.lot_id))
            self._write_origins(lot.lot_id, updated.origins)
        return updated

    def grant_access(self, lot_id: str, *party_ids: str) -> None:
        """Let parties read the lot (and its ancestry); granting twice is harmless."""
        for party_id in set(party_ids):
            already = select(LotAccessRow.lot_id).where(LotAccessRow.lot_id == lot_id,
                                                         LotAccessRow.party_id == party_id)
            if self.connection.execute(already).first() is None:
                self.connection.execute(insert(LotAccessRow), [{"lot_id": lot_id, "party_id": party_id}])

    def insert_edges(self, edges: Sequence[tuple[str, str, int]]) -> None:
        if edges:
            self.connection.execute(insert(LotEdgeRow), [{"child": c, "parent": p, "entry_index": i} for c, p, i in edges])

    def insert_transfer(self, transfer: TransferRecord) -> None:
        values = {name: getattr(transfer, name) for name in TransferRecord.__slots__}
        values["outcome"] = None if transfer.outcome is None else json.dumps(transfer.outcome, sort_keys=True)
        self.connection.execute(insert(TransferRow), [values])

    def close_transfer(self, transfer: TransferRecord, **changes: Any) -> TransferRecord:
        updated = replace(transfer, **changes)
        columns = dict(changes)
        if "outcome" in columns:
            columns["outcome"] = json.dumps(updated.outcome, sort_keys=True)
        self.connection.execute(update(TransferRow).where(TransferRow.transfer_id == transfer.transfer_id).values(**columns))
        return updated

    def insert_transformation(self, record: TransformationRecord) -> None:
        self.connection.execute(insert(TransformationRow), [{name: getattr(record, name) for name in record.__slots__}])

    def _write_origins(self, lot_id: str, origins: dict[str, int]) -> None:
        if origins:
            self.connection.execute(
                insert(LotOriginRow), [{"lot_id": lot_id, "country": c, "grams": g} for c, g in sorted(origins.items())]
            )


