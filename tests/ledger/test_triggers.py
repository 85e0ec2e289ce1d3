"""The database itself refuses to change or remove what the log has appended.

`entries`, `tree_nodes` and `checkpoints` carry triggers that refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL), whoever connects. Every statement here is
raw SQL on a plain connection, not the ledger's code, and each test compares
the three tables before and after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from ledger import parties
from ledger.config import Settings
from ledger.entries import format_time, sign_submission
from ledger.genesis import initialise
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store
from tests.conftest import ORIGIN, PG_ADMIN, _postgres_or_skip, seeded_signer

APPEND_ONLY = ("entries", "tree_nodes", "checkpoints")
FORGED_TIME = "2019-01-01T00:00:00.000000Z"
ZERO_HASH = bytes(32)

UPDATES = {
    "entries": "UPDATE entries SET recorded_at = :forged_time",
    "tree_nodes": "UPDATE tree_nodes SET hash = :zero",
    "checkpoints": "UPDATE checkpoints SET note = 'forged'",
}
# Each writes an existing row back with one value changed: (columns, conflict key, changed column, new value).
UPSERTS = {
    "entries": ("idx, entry_hash, data, submission_id, party_id, entry_type, recorded_at", "idx",
                "recorded_at", ":forged_time"),
    "tree_nodes": ("level, idx, hash", "level, idx", "hash", ":zero"),
    "checkpoints": ("tree_size, root, note, created_at", "tree_size", "note", "'forged'"),
}


ENGINES = {"sqlite": "sqlite", "postgres": pytest.param("postgres", marks=pytest.mark.postgres)}


def only_on(*engines: str) -> Any:
    """Run a test on these engines only (the others lack the statement it tries)."""

    def mark(test: Any) -> Any:
        test.engines = engines
        return test

    return mark


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ledger_url" in metafunc.fixturenames:
        engines = getattr(metafunc.function, "engines", tuple(ENGINES))
        metafunc.parametrize("ledger_url", [ENGINES[engine] for engine in engines], indirect=True, scope="module")


@pytest.fixture(scope="module")
def ledger_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a ledger of three entries and two checkpoints, once on SQLite and once on PostgreSQL.

    Module-scoped: a refused statement changes nothing, and each test checks exactly that.
    """
    home = tmp_path_factory.mktemp(f"triggers-{request.param}")
    name = f"sl_test_triggers_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'ledger.db'}"
    else:
        _postgres_or_skip()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://{PG_ADMIN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    _build(Settings.from_env({"DATABASE_URL": url, "SCRAPLEDGER_HOME": str(home / "var"), "SCRAPLEDGER_ORIGIN": ORIGIN,
                              "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"}))
    yield url
    if request.param == "postgres":
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _build(settings: Settings) -> None:
    genesis = initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
                         registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    log = Log(store, Signer.load(settings.log_key_file), settings.origin)
    operator = Signer.load(genesis.operator_key_file)
    for party_id, legal_name, country in (("rotterdam-metals", "Rotterdam Metals Recycling B.V.", "NL"),
                                          ("ruhr-smelting", "Ruhr Schmelzwerk GmbH", "DE")):
        now = datetime.now(UTC)
        body = {"party_id": party_id, "legal_name": legal_name, "registration_number": f"{country}-0001",
                "country": country, "roles": ["recycler"], "public_keys": [seeded_signer(party_id).public_key.hex()]}
        submission = {"log": settings.origin, "party": "operator", "key_id": operator.key_id,
                      "submission_id": f"register-{party_id}", "timestamp": format_time(now),
                      "type": parties.REGISTER, "body": body}
        log.append(sign_submission(submission, operator), actor="operator", now=now)
    log.checkpoint(datetime.now(UTC))
    store.dispose()


@pytest.fixture
def database(ledger_url: str) -> Iterator[Engine]:
    """A plain connection to the ledger's database, outside the ledger's code."""
    engine = create_engine(ledger_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def _rows(engine: Engine) -> dict[str, list[Any]]:
    order = {"entries": "idx", "tree_nodes": "level, idx", "checkpoints": "tree_size"}
    with engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {order[table]}"))]
                for table in APPEND_ONLY}


def _refused(engine: Engine, statement: str) -> None:
    before = _rows(engine)
    assert all(before.values()), "the ledger's append-only tables should not be empty before the test"
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement), {"forged_time": FORGED_TIME, "zero": ZERO_HASH})
    assert _rows(engine) == before


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_update_an_append_only_table(database, table):
    _refused(database, UPDATES[table])


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_delete_from_an_append_only_table(database, table):
    _refused(database, f"DELETE FROM {table}")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_delete_only_the_newest_row(database, table):
    newest = {"entries": "idx = (SELECT MAX(idx) FROM entries)",
              "tree_nodes": "level = 0 AND idx = (SELECT MAX(idx) FROM tree_nodes WHERE level = 0)",
              "checkpoints": "tree_size = (SELECT MAX(tree_size) FROM checkpoints)"}
    _refused(database, f"DELETE FROM {table} WHERE {newest[table]}")


@only_on("postgres")
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_truncate_an_append_only_table(database, table):
    _refused(database, f"TRUNCATE {table}")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_overwrite_a_row_by_inserting_over_it(database, table):
    # BUG (reported to the lead): on SQLite, INSERT OR REPLACE deletes the conflicting row without
    # firing the DELETE trigger (SQLite fires delete triggers on REPLACE only with
    # PRAGMA recursive_triggers=ON), so a stored entry, node or checkpoint can be overwritten.
    # PostgreSQL's ON CONFLICT DO UPDATE fires the UPDATE trigger and is refused.
    columns, key, changed, value = UPSERTS[table]
    first = key.split(",")[0]
    source = f"SELECT {columns.replace(changed, value)} FROM {table} WHERE {first} = (SELECT MIN({first}) FROM {table})"
    if database.dialect.name == "postgresql":
        statement = (f"INSERT INTO {table} ({columns}) {source}"
                     f" ON CONFLICT ({key}) DO UPDATE SET {changed} = excluded.{changed}")
    else:
        statement = f"INSERT OR REPLACE INTO {table} ({columns}) {source}"
    _refused(database, statement)

