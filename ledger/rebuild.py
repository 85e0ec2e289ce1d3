"""Rebuilding every projection from the log alone, in one transaction.

The projections (parties, keys, lots, transfers, transformations, access) are
emptied and every entry's rules are applied again in order. Because `apply`
is deterministic in the entry, the result equals what the live appends built;
`projection_snapshot` is how tests and operators compare the two.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

from .entries import Entry
from .entry_type import Applied
from .entry_types import lookup
from .store import ReadTx, Store

CHUNK = 2000
Found = TypeVar("Found")


def rebuild(store: Store) -> int:
    """Rebuild the projections from the log and return the number of entries replayed."""
    return replay(store, store)


def recomputed(store: Store, read: Callable[[ReadTx], Found]) -> Found:
    """Return what `read` finds in projections rebuilt from `store`'s log alone, in a scratch database."""
    with tempfile.TemporaryDirectory(prefix="scrapledger-recompute-") as scratch_dir:
        scratch = Store(f"sqlite:///{Path(scratch_dir) / 'scratch.db'}", sqlite_synchronous="NORMAL")
        try:
            scratch.migrate()
            replay(store, scratch)
            with scratch.read() as tx:
                return read(tx)
        finally:
            scratch.dispose()


def replay(source: Store, target: Store) -> int:
    """Apply every entry of `source`'s log to `target`'s emptied projections; return how many.

    `target` may be the same store (a rebuild) or a scratch one (an auditor's
    recomputation); it is given the ledger's mass tolerance so it judges alike.
    """
    replayed = 0
    with target.write() as tx:
        tx.clear_projections()
        if source is not target:
            with source.read() as reader:
                tx.set_meta("mass_tolerance", reader.meta("mass_tolerance") or "0.01")
        while True:
            with nullcontext(tx) if source is target else source.read() as reader:
                chunk = reader.entries(replayed, CHUNK)
            if not chunk:
                return replayed
            for stored in chunk:
                entry = Entry.from_bytes(stored.data)
                signed = entry.signed
                lookup(signed.type).apply(tx, Applied(signed.party, signed.body, entry.index, entry.recorded_at))
                replayed += 1


def projection_snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Return every projection table's rows, sorted, for comparison."""
    with store.read() as tx:
        return tx.projection_rows()
