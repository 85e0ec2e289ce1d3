"""What every append reads first: the head, the stored entries of its submission ids, the tree's roots, in one round trip."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from ledger import merkle
from ledger.entries import Entry
from ledger.store import LotRecord, Store, TransferRecord, Wanted
from ledger.store.direct_sql import DirectSql
from ledger.store.transactions import Head


@pytest.fixture
def empty(database_url: str) -> Any:
    opened = Store(database_url)
    opened.migrate()
    yield opened
    opened.dispose()


def test_an_empty_log_has_the_genesis_head_and_no_stored_submissions(empty):
    with empty.read() as tx:
        assert tx.head_and_submissions(["RTM-0042"]) == (Head(0, None, None), {})


def test_the_head_comes_back_with_the_stored_entries_of_the_submission_ids_asked_for(store):
    with store.read() as tx:
        first = Entry.from_bytes(tx.entry(0).data).signed.submission_id

        head, stored = tx.head_and_submissions([first, "never-submitted"])

        assert head == tx.head()
        assert list(stored) == [first]
        assert stored[first].index == 0


def test_more_submission_ids_than_one_query_holds_still_find_the_head_and_every_stored_entry(store):
    with store.read() as tx:
        first = Entry.from_bytes(tx.entry(0).data).signed.submission_id

        head, stored = tx.head_and_submissions([f"absent-{number:04d}" for number in range(1200)] + [first])

        assert head == tx.head()
        assert list(stored) == [first]


class Undone(Exception):
    """Raised to roll a test's write transaction back."""


def _append_bare_leaf(tx: Any, index: int, nodes: dict[tuple[int, int], bytes]) -> None:
    """Store entry row `index` (placeholder bytes) and the tree nodes its leaf completes."""
    tx.sql.run("INSERT INTO entries (idx, entry_hash, data, submission_id, party_id, entry_type, recorded_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)",
               (index, bytes(32), b"{}", f"bare-{index}", "yard-rtm", "lot.register", "2026-11-22T09:00:00Z"))
    completed = merkle.appended_nodes(index, hashlib.sha256(b"leaf %d" % index).digest(), nodes.__getitem__)
    nodes.update(completed)
    tx.insert_nodes(completed)


def test_opening_an_append_reads_the_roots_of_the_tree_at_every_size(empty):
    nodes: dict[tuple[int, int], bytes] = {}
    for size in range(40):
        with empty.write() as tx:
            head, _stored, roots = tx.open_append([], Wanted())

            assert head.size == size
            assert {key: roots[key] for key in merkle.root_keys(size)} == {key: nodes[key] for key in merkle.root_keys(size)}
            _append_bare_leaf(tx, size, nodes)


def test_an_append_remembers_the_parties_and_keys_it_has_read(store):
    with store.read() as tx:
        first = Entry.from_bytes(tx.entry(0).data).signed
        party, key = tx.party(first.party), tx.key(first.key_id)

    with pytest.raises(Undone), store.write() as tx:
        head, stored, roots = tx.open_append([first.submission_id, "never-submitted"],
                                             Wanted(parties=[first.party, "nobody"], keys=[first.key_id]))
        read = (tx.party(first.party), tx.party("nobody"), tx.key(first.key_id))  # PostgreSQL: read with the head
        tx.sql.run("DELETE FROM party_keys")  # what the transaction has read, it no longer asks the database for
        tx.sql.run("DELETE FROM parties")

        assert head == tx.head()
        assert list(stored) == [first.submission_id]
        assert {key: roots[key] for key in merkle.root_keys(head.size)} == tx.nodes(merkle.root_keys(head.size))
        assert read == (party, None, key)
        assert tx.party(first.party) == party
        assert tx.party("nobody") is None
        assert tx.key(first.key_id) == key
        raise Undone


HMS_LOT = LotRecord("lot-7", 7, "yard-rtm", "2026-11-22T09:00:00Z", "registered", "yard-rtm", "yard-rtm", "active",
                    24_380_000, "ferrous", "post_consumer", {"material_family": "ferrous"},
                    {"post_consumer": 24_380_000}, {"NL": 24_380_000})


def test_an_append_remembers_the_lots_it_wants_until_it_changes_them(empty):
    with empty.write() as tx:
        tx.insert_lot(HMS_LOT)

    with pytest.raises(Undone), empty.write() as tx:
        tx.open_append([], Wanted(lots=[HMS_LOT.lot_id, "lot-404"]))
        read = (tx.lot(HMS_LOT.lot_id), tx.lot("lot-404"))  # PostgreSQL: read with the head
        tx.sql.run("UPDATE lots SET mass_g = 1 WHERE lot_id = ?", (HMS_LOT.lot_id,))

        assert read == (HMS_LOT, None)
        assert tx.lot(HMS_LOT.lot_id) == HMS_LOT  # remembered: not asked again
        moved = tx.update_lot(HMS_LOT, status="in_transit", open_transfer="tr-9")
        assert tx.lot(HMS_LOT.lot_id) == replace(moved, mass_g=1)  # changed: read again
        raise Undone


def test_what_an_append_wants_comes_with_the_head_on_postgresql_and_when_asked_for_on_sqlite(store, monkeypatch):
    truck = TransferRecord("tr-8", HMS_LOT.lot_id, "yard-rtm", "smelter-ijm", 24_380_000, 24_380_000, "CMR 55821",
                           True, 8, "2026-11-22T09:05:00Z", "open")
    with store.read() as tx:
        first = Entry.from_bytes(tx.entry(0).data).signed
    with store.write() as tx:
        tx.insert_lot(HMS_LOT)
        tx.insert_transfer(truck)
    trips = []
    for method in ("together", "one", "all"):
        monkeypatch.setattr(DirectSql, method, _counted(getattr(DirectSql, method), method, trips))

    with pytest.raises(Undone), store.write() as tx:
        tx.open_append([first.submission_id], Wanted(parties=[first.party], keys=[first.key_id],
                                                     lots=[HMS_LOT.lot_id], transfers=[truck.transfer_id],
                                                     meta=["mass_tolerance"]))
        assert tx.party(first.party).party_id == first.party
        assert tx.key(first.key_id).party_id == first.party
        assert tx.lot(HMS_LOT.lot_id) == HMS_LOT
        assert tx.transfer(truck.transfer_id) == truck
        assert tx.meta("mass_tolerance") == "0.01"
        assert tx.party(first.party).party_id == first.party  # remembered either way
        raise Undone

    if store.dialect == "postgresql":
        assert trips == ["together"]  # one round trip
    else:  # no round trips to save: the head alone, then each row when a check asks for it
        assert trips == ["together", "all", "one", "one", "all", "one", "one"]


def _counted(method: Any, name: str, trips: list[str]) -> Any:
    def counted(self: Any, *args: Any) -> Any:
        trips.append(name)
        return method(self, *args)
    return counted
