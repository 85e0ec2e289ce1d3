"""Fixtures as factories: a fresh ledger per test on SQLite and PostgreSQL, and parties to act in it."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api import create_app
from api.client import LedgerClient, Reply, retry_after
from ledger.config import Settings
from ledger.genesis import Initialised, initialise
from ledger.signing import Signer
from ledger.store import Store
from ledger.store.tables import SQLModel
from ledger.store.triggers import append_only_ddl

PG_ADMIN = os.environ.get("SCRAPLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ORIGIN = "test.scrapledger.local/log"


def _postgres_or_skip() -> None:
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at {PG_ADMIN}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN} (set REQUIRE_POSTGRES=1 to make this a failure)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Yield the URL of a new, empty PostgreSQL database, dropped afterwards."""
    _postgres_or_skip()
    name = f"sl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_worker() -> Iterator[str]:
    """Yield one migrated PostgreSQL database for this test worker; tests reset it instead of creating their own."""
    _postgres_or_skip()
    name = f"sl_w_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    store = Store(_pg_url(name))
    store.migrate()
    store.dispose()
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _reset_postgres(url: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] | None = None) -> None:
    """Empty every table (triggers bypassed, as only a superuser can), restore `rows` and the triggers."""
    with psycopg.connect(_plain(url)) as connection:
        connection.execute("SET LOCAL session_replication_role = replica")
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(f"DELETE FROM {table.name}")  # cheaper than TRUNCATE for a few rows
        for table, (columns, values) in (rows or {}).items():
            if values:
                marks = ", ".join(["%s"] * len(columns))
                with connection.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        connection.execute("SET LOCAL session_replication_role = origin")
        for statement in append_only_ddl("postgresql"):
            connection.execute(statement)


def _snapshot_postgres(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    found = {}
    with psycopg.connect(_plain(url)) as connection:
        for table in SQLModel.metadata.sorted_tables:
            cursor = connection.execute(f"SELECT * FROM {table.name}")
            found[table.name] = ([column.name for column in cursor.description], cursor.fetchall())
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated-or-empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url = str(request.getfixturevalue("pg_worker"))
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a test deployment (the variables README.md documents)."""
    return {"DATABASE_URL": database_url, "SCRAPLEDGER_HOME": str(tmp_path / "var"),
            "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"}


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@dataclass(frozen=True)
class Template:
    """An initialised ledger to copy per test: its database (file or rows), its home (keys), its genesis."""

    database: Any
    home: Path
    genesis: Initialised


@pytest.fixture(scope="session")
def templates() -> dict[str, Template]:
    """Initialised once per engine and worker; tests copy the result instead of migrating again."""
    return {}


def _template(kind: str, made: dict[str, Template], factory: pytest.TempPathFactory, url: str) -> Template:
    if kind not in made:
        home = factory.mktemp(f"template-{kind}") / "var"
        if kind == "sqlite":
            url = f"sqlite:///{home.parent / 'ledger.db'}"
        env = {"DATABASE_URL": url, "SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_ORIGIN": ORIGIN}
        done = initialise(Settings.from_env(env), operator_id="operator", legal_name="Ledger Operations B.V.",
                          registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))
        if kind == "sqlite":
            database: Any = str(home.parent / "ledger.db")
            with sqlite3.connect(database) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            database = _snapshot_postgres(url)
        made[kind] = Template(database, home, done)
    return made[kind]


def _pg_url(database: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"postgresql+psycopg://{base.split('://', 1)[1]}/{database}"


@pytest.fixture
def genesis(settings: Settings, templates: dict[str, Template], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An initialised ledger (schema, log key, the operator's genesis entry), copied from the template."""
    kind = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
    template = _template(kind, templates, tmp_path_factory, settings.database_url)
    shutil.copytree(template.home, settings.home, dirs_exist_ok=True)
    if kind == "sqlite":
        shutil.copyfile(template.database, settings.database_url.split(":///", 1)[1])
    else:
        _reset_postgres(settings.database_url, template.database)
    return replace(template.genesis, operator_key_file=settings.home / "operator-key.pem")


@pytest.fixture
def app(env: dict[str, str], genesis: Any) -> Any:
    app = create_app(env)
    yield app
    app.extensions["scrapledger"].store.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def test_client_transport(client: Any) -> Callable[..., Reply]:
    """Return a LedgerClient transport over Flask's test client."""

    def send(method: str, path: str, json_body: dict[str, Any] | bytes | None, headers: dict[str, str]) -> Reply:
        if isinstance(json_body, bytes):
            response = client.open(path, method=method, data=json_body, content_type="application/json",
                                   headers=headers)
        else:
            response = client.open(path, method=method, json=json_body, headers=headers)
        return Reply(response.status_code, response.get_json(silent=True), response.get_data(as_text=True),
                     retry_after(response.headers.get("Retry-After")))

    return send


def seeded_signer(name: str) -> Signer:
    """Return a signer whose key repeats from run to run."""
    return Signer.from_seed(hashlib.sha256(name.encode()).digest())


@pytest.fixture
def operator(client: Any, genesis: Any) -> LedgerClient:
    return LedgerClient(test_client_transport(client), party_id="operator", token=genesis.operator_token,
                        signer=Signer.load(genesis.operator_key_file), origin=ORIGIN)


@pytest.fixture
def make_party(client: Any, operator: LedgerClient) -> Callable[..., LedgerClient]:
    """Register a party through the API and return a client acting as it."""

    def make(party_id: str = "rotterdam-metals", roles: tuple[str, ...] = ("recycler",), country: str = "NL",
             legal_name: str = "Rotterdam Metals Recycling B.V.") -> LedgerClient:
        signer = seeded_signer(party_id)
        answer = operator.submit("/v1/parties", "party.register", {
            "party_id": party_id, "legal_name": legal_name, "registration_number": f"KVK-{party_id}",
            "country": country, "roles": list(roles), "public_keys": [signer.public_key.hex()],
        })
        return LedgerClient(test_client_transport(client), party_id=party_id, token=answer["token"],
                            signer=signer, origin=ORIGIN)

    return make
