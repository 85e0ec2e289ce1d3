"""Provenance: the ancestry graph of a lot back to its registrations, each node citing its entries."""

from __future__ import annotations

from dataclasses import dataclass

from .lots import describe
from .store import Ancestry, PartyRecord, ReadTx


@dataclass(frozen=True, slots=True)
class Provenance:
    """The lot asked about, its whole ancestry and the parties that appear in it."""

    lot_id: str
    ancestry: Ancestry
    parties: list[PartyRecord]


def provenance(tx: ReadTx, reader: str, lot_id: str) -> Provenance:
    """Return the provenance of a lot the reader may see (404 otherwise, as for the lot itself)."""
    describe(tx, reader, lot_id)
    ancestry = tx.ancestry(lot_id)
    names = {lot.created_by for lot in ancestry.lots} | {lot.holder for lot in ancestry.lots}
    names |= {lot.owner for lot in ancestry.lots}
    names |= {t.sender for t in ancestry.transfers} | {t.receiver for t in ancestry.transfers}
    found = (tx.party(name) for name in sorted(names))
    return Provenance(lot_id, ancestry, [party for party in found if party is not None])
