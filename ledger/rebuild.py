"""Rebuilding every projection from the log alone, in one transaction.

The projections (parties, keys, lots, transfers, transformations, access) are
emptied and every entry's rules are applied again in order. Because `apply`
is deterministic in the entry, the result equals what the live appends built;
`projection_snapshot` is how tests and operators compare the two.
"""

from __future__ import annotations

from typing import Any

from .entries import Entry
from .entry_types import Applied, lookup
from .store import Store

CHUNK = 2000


def rebuild(store: Store) -> int:
    """Rebuild the projections from the log and return the number of entries replayed."""
    replayed = 0
    with store.write() as tx:
        tx.clear_projections()
        size = tx.head().size
        while replayed < size:
            for stored in tx.entries(replayed, CHUNK):
                entry = Entry.from_bytes(stored.data)
                signed = entry.signed
                lookup(signed.type).apply(tx, Applied(signed.party, signed.body, entry.index, entry.recorded_at))
                replayed += 1
    return replayed


def projection_snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Return every projection table's rows, sorted, for comparison."""
    with store.read() as tx:
        return tx.projection_rows()
