"""Eight OS processes appending to one ledger at once: no lost, doubled or reordered entries.

Each process builds its own Store and Log from the same settings, as separate
gunicorn workers would, and has the operator register 500 yards. The store's
single-writer lock (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL)
is all that keeps the chain straight.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ledger import parties
from ledger.audit import verify_store
from ledger.config import Settings
from ledger.entries import format_time, sign_submission
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store

WORKERS = 8
PER_WORKER = 500
TOTAL = 1 + WORKERS * PER_WORKER  # with the genesis entry

# About 5 ms per append, serialised by the write lock, so 4,000 appends take ~20 s per engine
# on an idle 2-core machine; deselect with -m "not slow" for a quick run.
pytestmark = pytest.mark.slow
COUNTRIES = ("NL", "BE", "DE", "PL", "FR", "ES", "IT", "CZ")


def _party_id(worker: int, number: int) -> str:
    return f"{COUNTRIES[worker].lower()}-yard-{worker}-{number:03d}"


def _register_yards(env: dict[str, str], worker: int, start: Any) -> None:
    """In a child process: wait for the signal, then have the operator register PER_WORKER yards."""
    settings = Settings.from_env(env)
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    log = Log(store, Signer.load(settings.log_key_file), settings.origin)
    operator = Signer.load(settings.home / "operator-key.pem")
    start.wait()
    for number in range(PER_WORKER):
        party_id = _party_id(worker, number)
        key = Signer.from_seed(hashlib.sha256(party_id.encode()).digest())
        now = datetime.now(UTC)
        body = {"party_id": party_id, "legal_name": f"Scrap Yard {number} ({COUNTRIES[worker]}) B.V.",
                "registration_number": f"{COUNTRIES[worker]}-{worker:02d}{number:05d}", "country": COUNTRIES[worker],
                "roles": ["recycler"], "public_keys": [key.public_key.hex()]}
        submission = {"log": settings.origin, "party": "operator", "key_id": operator.key_id,
                      "submission_id": f"register-{party_id}", "timestamp": format_time(now),
                      "type": parties.REGISTER, "body": body}
        log.append(sign_submission(submission, operator), actor="operator", now=now)
    store.dispose()


def _run_workers(env: dict[str, str]) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_register_yards, args=(env, worker, start)) for worker in range(WORKERS)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=600)
    exit_codes = [process.exitcode for process in workers]
    for process in workers:
        if process.is_alive():
            process.kill()
    assert exit_codes == [0] * WORKERS


def _commit_without_waiting_for_disk(database_url: str) -> None:
    """Spare the test 8,000 fsyncs: SQLite runs with synchronous=NORMAL (the env fixture), PostgreSQL like this."""
    engine = create_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar_one()
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    engine.dispose()


def test_eight_processes_appending_at_once_leave_one_unbroken_chain(env, settings, genesis):
    _commit_without_waiting_for_disk(settings.database_url)
    _run_workers(env)

    engine = create_engine(settings.database_url, poolclass=NullPool)
    with engine.connect() as connection:
        indexes = [row[0] for row in connection.execute(text("SELECT idx FROM entries ORDER BY idx"))]
        submission_ids = [row[0] for row in connection.execute(text("SELECT submission_id FROM entries"))]
    engine.dispose()
    expected_ids = {"genesis-operator"} | {f"register-{_party_id(worker, number)}"
                                           for worker in range(WORKERS) for number in range(PER_WORKER)}
    assert indexes == list(range(TOTAL))
    assert len(submission_ids) == TOTAL and set(submission_ids) == expected_ids

    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    log = Log(store, Signer.load(settings.log_key_file), settings.origin)
    assert log.checkpoint(datetime.now(UTC)).size == TOTAL
    assert verify_store(store, log.verifier).size == TOTAL
    store.dispose()
