"""Write transactions: SQLite writers queue on a file lock; held statements on PostgreSQL stay all-or-nothing.

On PostgreSQL a write transaction holds back statements whose results nobody
reads and sends them together. These tests pin what that must not change:
a later read sees the held writes, an error in a held statement fails the
whole transaction as a Conflict, and nothing of it is stored.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text

from ledger.errors import Conflict
from ledger.store import database

CREATED = "2026-11-22T09:00:00.000000Z"


def test_a_read_in_the_same_transaction_sees_a_write_made_before_it(store):
    with store.write() as tx:
        tx.insert_token("ab" * 32, "operator", CREATED)
        assert tx.token_party("ab" * 32) == "operator"


def test_a_failing_write_fails_the_whole_transaction_as_a_conflict_and_stores_nothing(store):
    with pytest.raises(Conflict), store.write() as tx:
        tx.insert_token("cd" * 32, "operator", CREATED)
        tx.insert_token("ef" * 32, "operator", CREATED)
        tx.insert_token("cd" * 32, "operator", CREATED)  # the same token hash twice

    with store.read() as tx:
        assert tx.token_party("cd" * 32) is None
        assert tx.token_party("ef" * 32) is None


def test_a_write_transaction_that_ends_without_reading_still_stores_its_writes(store):
    with store.write() as tx:
        tx.insert_token("12" * 32, "operator", CREATED)

    with store.read() as tx:
        assert tx.token_party("12" * 32) == "operator"


def test_an_sqlalchemy_statement_after_held_writes_sees_them(store):
    with store.write() as tx:
        tx.insert_token("34" * 32, "operator", CREATED)
        found = tx.connection.execute(text("SELECT party_id FROM api_tokens WHERE token_hash = :hashed"),
                                      {"hashed": "34" * 32}).scalar()
        assert found == "operator"


def lock_is_free(path: Path) -> bool:
    """Return whether an exclusive flock on `path` can be taken right now (and release it at once)."""
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_writer_holds_the_queue_lock_beside_the_database_until_it_commits(store, settings):
    queue = Path(f"{settings.database_url.split(':///', 1)[1]}-writer.lock")

    with store.write() as tx:
        tx.insert_token("56" * 32, "operator", CREATED)
        assert not lock_is_free(queue)

    assert lock_is_free(queue)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failed_sqlite_writer_releases_the_queue_lock(store, settings):
    queue = Path(f"{settings.database_url.split(':///', 1)[1]}-writer.lock")

    with pytest.raises(Conflict), store.write() as tx:
        tx.insert_token("78" * 32, "operator", CREATED)
        tx.insert_token("78" * 32, "operator", CREATED)

    assert lock_is_free(queue)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_writer_checkpoints_the_wal_once_every_checkpoint_every_commits(store, monkeypatch):
    checkpoints = []
    monkeypatch.setattr(database, "_checkpoint", checkpoints.append)

    for number in range(2 * database.CHECKPOINT_EVERY + 1):
        with store.write() as tx:
            tx.insert_token(f"{number:064x}", "operator", CREATED)

    assert len(checkpoints) == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_checkpointing_sqlite_commit_copies_the_wal_into_the_database_file(store, settings):
    database_file = Path(settings.database_url.split(":///", 1)[1])
    before = database_file.read_bytes()

    for number in range(database.CHECKPOINT_EVERY - 1):
        with store.write() as tx:
            tx.insert_token(f"{number:064x}", "operator", CREATED)
    unchanged = database_file.read_bytes() == before
    with store.write() as tx:
        tx.insert_token("ff" * 32, "operator", CREATED)

    assert unchanged
    assert database_file.read_bytes() != before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_checkpoints_inside_a_commit_only_past_the_raised_wal_size(store):
    with store.write() as tx:
        pages = tx.sql.one("PRAGMA wal_autocheckpoint")

    assert pages == (database.AUTOCHECKPOINT_PAGES,)


def test_queries_sent_together_see_the_writes_held_before_them_and_answer_in_order(store):
    with store.write() as tx:
        tx.insert_token("56" * 32, "operator", CREATED)
        found = tx.sql.together([("SELECT party_id FROM api_tokens WHERE token_hash = ?", ("56" * 32,)),
                                 ("SELECT party_id FROM api_tokens WHERE token_hash = ?", ("78" * 32,)),
                                 ("SELECT 7", ())])

        assert found == [[("operator",)], [], [(7,)]]


def test_a_failing_write_held_before_queries_sent_together_fails_the_whole_transaction(store):
    with pytest.raises(Conflict), store.write() as tx:
        tx.insert_token("9a" * 32, "operator", CREATED)
        tx.insert_token("9a" * 32, "operator", CREATED)
        tx.sql.together([("SELECT 1", ())])

    with store.read() as tx:
        assert tx.token_party("9a" * 32) is None


def driver_of(tx) -> object:
    """Return the driver connection under a write transaction."""
    return tx.connection.connection.dbapi_connection


def test_one_write_transaction_after_another_keeps_the_same_connection(store):
    with store.write() as tx:
        first = driver_of(tx)
    with store.write() as tx:
        assert driver_of(tx) is first


class LostConnection(Exception):
    """What a driver raises when the connection under a transaction is gone."""


def test_an_invalidated_kept_connection_is_replaced_by_a_fresh_one(store):
    with pytest.raises(LostConnection), store.write() as tx:
        first = driver_of(tx)
        tx.connection.invalidate()
        raise LostConnection

    with store.write() as tx:
        tx.insert_token("b1" * 32, "operator", CREATED)
        assert driver_of(tx) is not first

    with store.read() as tx:
        assert tx.token_party("b1" * 32) == "operator"


def test_a_kept_connection_idle_too_long_goes_back_to_the_pool_before_the_next_write(store, monkeypatch):
    with store.write() as tx:
        tx.insert_token("c1" * 32, "operator", CREATED)
    checkins = []
    event.listen(store._writer, "checkin", lambda *_: checkins.append(1))
    later = time.monotonic() + database.IDLE_PING_SECONDS + 1
    monkeypatch.setattr(database.time, "monotonic", lambda: later)

    with store.write() as tx:
        tx.insert_token("c2" * 32, "operator", CREATED)

    assert checkins == [1]  # returned, then taken again (and pinged, on PostgreSQL)
    with store.read() as tx:
        assert tx.token_party("c2" * 32) == "operator"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_kept_postgresql_connection_idle_too_long_is_pinged_before_the_next_write(store, monkeypatch):
    with store.write() as tx:
        tx.insert_token("c3" * 32, "operator", CREATED)
    pings = []
    dialect = store._writer.dialect
    monkeypatch.setattr(dialect, "do_ping", lambda connection: pings.append(connection) or True)
    later = time.monotonic() + database.IDLE_PING_SECONDS + 1
    monkeypatch.setattr(database.time, "monotonic", lambda: later)

    with store.write() as tx:
        tx.insert_token("c4" * 32, "operator", CREATED)

    assert len(pings) == 1


def test_writes_from_two_threads_at_once_both_commit(store):
    started = threading.Barrier(2)

    def write(token_hash: str) -> None:
        started.wait()
        with store.write() as tx:
            tx.insert_token(token_hash, "operator", CREATED)

    threads = [threading.Thread(target=write, args=(value * 32,)) for value in ("d1", "d2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with store.read() as tx:
        assert tx.token_party("d1" * 32) == tx.token_party("d2" * 32) == "operator"


def test_dispose_returns_the_kept_connection_to_the_pool(store):
    with store.write() as tx:
        tx.insert_token("e1" * 32, "operator", CREATED)
    pool = store._writer.pool

    store.dispose()

    assert pool.checkedout() == 0
