"""Fixtures as factories: a fresh ledger per test on SQLite and PostgreSQL, and parties to act in it."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api import create_app
from api.client import LedgerClient, Reply
from ledger.config import Settings
from ledger.genesis import initialise
from ledger.signing import Signer

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
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


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


@pytest.fixture
def genesis(settings: Settings) -> Any:
    """Initialise the ledger: schema, log key and the operator's genesis entry."""
    return initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
                      registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))


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

    def send(method: str, path: str, json_body: dict[str, Any] | None, headers: dict[str, str]) -> Reply:
        response = client.open(path, method=method, json=json_body, headers=headers)
        return Reply(response.status_code, response.get_json(silent=True), response.get_data(as_text=True))

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
