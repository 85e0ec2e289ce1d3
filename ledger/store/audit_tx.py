"""Queries for auditors: flagged transfers, risky origins, revoked keys, mass flows, log growth."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, or_, select
from sqlmodel import col

from .tables import EntryRow, LotOriginRow, LotRow, PartyKeyRow, TransferRow, TransformationRow


class AuditReads:
    connection: Connection

    def flagged_transfers(self, stale_before: str) -> list[Any]:
        """Return transfers with a discrepancy, rejected, or open since before `stale_before`."""
        query = select(TransferRow).where(or_(
            col(TransferRow.discrepancy).is_(True), col(TransferRow.status) == "rejected",
            and_(col(TransferRow.status) == "open", col(TransferRow.dispatched_at) < stale_before),
        )).order_by(col(TransferRow.dispatched_entry))
        return [self._transfer(row) for row in self.connection.execute(query)]  # type: ignore[attr-defined]

    def registered_lots_from(self, countries: list[str]) -> list[Any]:
        """Return lots registered with an origin in one of `countries`."""
        query = (select(LotRow).join(LotOriginRow, col(LotOriginRow.lot_id) == col(LotRow.lot_id))
                 .where(col(LotRow.origin_kind) == "registered", col(LotOriginRow.country).in_(countries))
                 .order_by(col(LotRow.created_entry)))
        rows = self.connection.execute(query).all()
        origins = self._origins([row.lot_id for row in rows])  # type: ignore[attr-defined]
        return [self._lot(row, origins.get(row.lot_id, {})) for row in rows]  # type: ignore[attr-defined]

    def revoked_keys(self) -> list[Any]:
        rows = self.connection.execute(
            select(PartyKeyRow).where(col(PartyKeyRow.end_reason) == "revoked").order_by(col(PartyKeyRow.ended_at)))
        return [self._key_record(row) for row in rows]  # type: ignore[attr-defined]

    def recorded_at(self, indices: list[int]) -> list[tuple[int, str]]:
        """Return (index, recorded_at) of the entries at `indices`: one primary-key probe each."""
        rows = self.connection.execute(select(col(EntryRow.idx), col(EntryRow.recorded_at))
                                       .where(col(EntryRow.idx).in_(indices)).order_by(col(EntryRow.idx)))
        return [(row.idx, row.recorded_at) for row in rows]

    def party_entries_between(self, party_id: str, after: int, until: int) -> list[tuple[int, bytes]]:
        """Return (index, bytes) of the party's entries with after < index <= until."""
        rows = self.connection.execute(
            select(col(EntryRow.idx), col(EntryRow.data))
            .where(col(EntryRow.party_id) == party_id, col(EntryRow.idx) > after, col(EntryRow.idx) <= until)
            .order_by(col(EntryRow.idx)))
        return [(row.idx, bytes(row.data)) for row in rows]

    def flows(self, created_from: str | None, created_until: str | None) -> dict[str, list[Any]]:
        """Return the rows mass balance is computed from: lots, transfers and transformations in the period."""
        def period(column: Any) -> list[Any]:
            conditions = []
            if created_from:
                conditions.append(column >= created_from)
            if created_until:
                conditions.append(column < created_until)
            return conditions

        lots = self.connection.execute(
            select(*(col(column) for column in (
                LotRow.lot_id, LotRow.created_by, LotRow.created_at, LotRow.created_entry, LotRow.origin_kind,
                LotRow.material_family, LotRow.mass_g, LotRow.created_mass_g, LotRow.consumed_entry, LotRow.status,
                LotRow.holder)))
        ).all()
        transfers = self.connection.execute(
            select(TransferRow).where(*period(col(TransferRow.dispatched_at)))).all()
        transformations = self.connection.execute(
            select(TransformationRow).where(*period(col(TransformationRow.recorded_at)))).all()
        return {"lots": list(lots), "transfers": list(transfers), "transformations": list(transformations)}
