"""Provenance: the ancestry graph of a lot back to its registrations, each node citing its entries."""

from __future__ import annotations

from .lots import describe
from .store import ReadTx


def provenance_json(tx: ReadTx, reader: str, lot_id: str) -> str:
    """Return the provenance document of a lot the reader may see (404 otherwise, as for the lot itself).

    The document is JSON text rendered by the database (see
    `store.ancestry_json`): a 10,000-lot ancestry is some 10 MB of it.
    """
    describe(tx, reader, lot_id)
    return tx.ancestry_json(lot_id)
