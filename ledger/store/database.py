"""Engines, migrations and serialised write transactions on SQLite and PostgreSQL.

One writer at a time extends the chain: SQLite takes its write lock with
`BEGIN IMMEDIATE`, PostgreSQL a transaction-level advisory lock. Rule checks run
inside that transaction, so two racing requests can never both win.
Database errors never leave this package: they become StoreUnavailable or
Conflict, without driver text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool

from ..errors import Conflict, StoreUnavailable
from .direct_sql import DirectSql
from .transactions import ReadTx, WriteTx

APPEND_LOCK_KEY = 0x5C4A_9E12  # the PostgreSQL advisory lock that serialises appends
MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 5  # an unreachable PostgreSQL must become a quick 503, not a hung worker


class Store:
    """The ledger's database: a reader and a serialised writer over one URL."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = _normalise_url(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        if self.dialect == "sqlite":
            _ensure_parent(self.url)
            self._reader = _sqlite_engine(self.url, sqlite_synchronous, "BEGIN")
            self._writer = _sqlite_engine(self.url, sqlite_synchronous, "BEGIN IMMEDIATE")
        else:
            self._reader = create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                                         connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
            self._writer = self._reader

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._translate_errors(), self._writer.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def read(self) -> Iterator[ReadTx]:
        """Yield a read-only view of one consistent snapshot."""
        with self._translate_errors(), self._reader.connect() as connection:
            with connection.begin():
                yield ReadTx(connection)

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        """Yield the single writer's transaction; commit on success, roll back on any error."""
        with self._translate_errors(), self._writer.connect() as connection:
            with connection.begin():
                tx = WriteTx(connection)
                if self.dialect == "postgresql":
                    tx.sql.run("SELECT pg_advisory_xact_lock(?)", (APPEND_LOCK_KEY,))
                yield tx

    def ping(self) -> None:
        """Return if the database answers a trivial query; raise StoreUnavailable."""
        with self.read() as tx:
            tx.connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection (after fork, at shutdown)."""
        self._reader.dispose()
        self._writer.dispose()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            raise Conflict("the change conflicts with a record already stored") from exc
        except OperationalError as exc:
            raise StoreUnavailable("the database is not reachable or refused the operation") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable("the connection to the database was lost") from exc
            raise Conflict("the database refused the change") from exc


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _ensure_parent(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str, synchronous: str, begin: str) -> Engine:
    # Pooled: closing the last connection to a WAL database checkpoints it, which would cost every transaction.
    engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=8,
                           connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        DirectSql(connection).run(begin)

    return engine
