"""What every append reads first: the head of the log and the stored entries of its submission ids, in one query."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.entries import Entry
from ledger.store import Store
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
