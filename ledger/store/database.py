"""Engines, migrations and serialised write transactions on SQLite and PostgreSQL.

One writer at a time extends the chain: SQLite takes its write lock with
`BEGIN IMMEDIATE`, PostgreSQL a transaction-level advisory lock. On SQLite,
writers first queue on a kernel file lock beside the database: SQLite's own
busy handler polls with sleeps of 1, 2, 5, 10 ms and more, so two workers
contending for the write lock would otherwise sit idle between polls. Rule checks run
inside that transaction, so two racing requests can never both win.
Database errors never leave this package: they become StoreUnavailable or
Conflict, without driver text.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool

from ..errors import Conflict, StoreUnavailable
from .direct_sql import DirectSql
from .transactions import ReadTx, WriteTx

APPEND_LOCK_KEY = 0x5C4A_9E12  # the PostgreSQL advisory lock that serialises appends
IDLE_PING_SECONDS = 1.0  # a pooled PostgreSQL connection idle this long is pinged before use
IDLE_SINCE = "idle_since"  # the pool record's note of when its connection was last used
MIGRATIONS = Path(__file__).parent / "migrations"
CHECKPOINT_EVERY = 128  # SQLite: a writer checkpoints the WAL after every 128th of its commits
AUTOCHECKPOINT_PAGES = 10_000  # SQLite checkpoints inside a commit only past this WAL size (about 40 MB)
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
            self._writer_queue = _writer_queue_path(self.url)
        else:
            self._reader = _postgres_engine(self.url)
            self._writer = self._reader
            self._writer_queue = None
        self._commits = 0
        self._kept = _KeptConnection(self._writer)

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
        with self._translate_errors(), self._kept.connection() as connection:
            with _queued(self._writer_queue), connection.begin():  # taking a connection stays outside
                tx = WriteTx(connection)
                info = connection.info  # taken now: once the connection is invalidated it cannot be asked
                if self.dialect == "postgresql":
                    tx.sql.defer_writes()
                    tx.sql.run("SELECT pg_advisory_xact_lock(?)", (APPEND_LOCK_KEY,))
                try:
                    yield tx
                    if self.dialect == "postgresql":
                        # Sent with the held writes: one round trip, not two. The driver then sees no open
                        # transaction and its own commit, at the end of this block, sends nothing.
                        tx.sql.run("COMMIT")
                    tx.sql.flush()
                finally:
                    info.pop("direct_sql", None)
            if self.dialect == "sqlite":
                self._commits += 1
                if self._commits % CHECKPOINT_EVERY == 0:
                    _checkpoint(connection)

    def ping(self) -> None:
        """Return if the database answers a trivial query; raise StoreUnavailable."""
        with self.read() as tx:
            tx.connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection (after fork, at shutdown)."""
        self._kept.close()
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


class _KeptConnection:
    """A writer connection kept checked out of the pool from one write transaction to the next.

    A checkout and checkin per append, with the pool's reset, cost a few
    percent of the append's CPU. Writes are serialised anyway, so one kept
    connection serves a process; a thread that finds it in use by another
    thread's write takes one from the pool, as every write did before. It
    goes back to the pool if it was invalidated (the next write takes a
    fresh one) or sat idle longer than IDLE_PING_SECONDS (dated as idle
    since its last use, so the pool pings it at the next checkout, as any
    idle connection). A forked child never
    uses its parent's.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._pid = os.getpid()
        self._used = 0.0

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """Yield the kept connection when it is free and fit, else one from the pool."""
        if not self._lock.acquire(blocking=False):
            with self._engine.connect() as connection:
                yield connection
            return
        try:
            if self._pid != os.getpid():
                self._connection, self._pid = None, os.getpid()  # the parent's, copied by fork: never touched
            if self._connection is not None and time.monotonic() - self._used > IDLE_PING_SECONDS:
                self._release(idle_since=self._used)
            if self._connection is None:
                self._connection = self._engine.connect()
            try:
                yield self._connection
            finally:
                self._used = time.monotonic()
                if self._connection.invalidated:
                    self._release()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Return the kept connection to the pool."""
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._release()

    def _release(self, idle_since: float | None = None) -> None:
        """Return the connection to the pool; with `idle_since`, dated as idle since then, not since now.

        The pool pings a connection at checkout by how long ago it was
        checked in; one kept out and unused for seconds must count as idle
        that long.
        """
        connection, self._connection = self._connection, None
        if connection is None:
            return
        record = None if idle_since is None else connection.info  # the pool record's, outliving this checkout
        connection.close()
        if record is not None:
            record[IDLE_SINCE] = idle_since


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_file(url: str) -> str | None:
    """Return the database file of a SQLite URL, or None for an in-memory database."""
    path = url.split(":///", 1)[-1]
    return None if not path or path == ":memory:" else path


def _ensure_parent(url: str) -> None:
    path = _sqlite_file(url)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _checkpoint(connection: Connection) -> None:
    """Copy committed WAL frames into the database file, outside the write lock (SQLite).

    SQLite's automatic checkpoint runs inside the commit that takes the WAL
    past AUTOCHECKPOINT_PAGES, so that commit, and every writer queued
    behind it, waits for the copy and two fsyncs. Checkpointing every
    CHECKPOINT_EVERY commits, after the lock is released, keeps ordinary
    traffic below that mark; the automatic one stays for a transaction that
    is large on its own. An append writes about 25 pages to the WAL, mostly
    the same few hot pages again, and a checkpoint copies each page once:
    checkpoints every 128 commits cost about half the CPU per append of
    checkpoints every 32 (0.036 against 0.064 ms, measured in one process).
    PASSIVE never waits for readers or writers, and one that finds another
    checkpoint running leaves it the work.
    """
    driver = connection.connection.dbapi_connection  # the driver's own: SQLAlchemy would BEGIN IMMEDIATE first
    try:
        driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # type: ignore[union-attr]
    except driver.Error:  # type: ignore[union-attr]
        pass  # busy: another process is checkpointing; or the database is unreachable, which the next write reports


def _writer_queue_path(url: str) -> str | None:
    path = _sqlite_file(url)
    return None if path is None else f"{path}-writer.lock"


@contextmanager
def _queued(path: str | None) -> Iterator[None]:
    """Hold an exclusive `flock` on `path` (if any): waiters sleep in the kernel and wake as soon as it is free.

    The file is opened for each transaction, so threads of one process queue
    too and a forked child never shares its parent's lock; a killed holder's
    lock goes with its process.
    """
    if path is None:
        yield
        return
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreUnavailable("the database's writer lock file cannot be opened") from exc
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _postgres_engine(url: str) -> Engine:
    """Return a pooled PostgreSQL engine that pings a connection only after it has been idle.

    A ping on every checkout (`pool_pre_ping`) is one more round trip per
    transaction. A connection in steady use is known to be alive; one that
    has sat idle for a second may have been cut, so it is pinged and, if
    dead, replaced before anyone uses it (the pool retries the checkout).
    """
    # Generic plans: in the default (auto) mode PostgreSQL kept re-planning the append's prepared
    # statements on every execution, a sixth of the backend's time per append.
    # psycopg's own automatic preparation is off: on rollback it would deallocate ours too (see libpq).
    engine = create_engine(url, pool_size=5, max_overflow=10,
                           connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "prepare_threshold": None,
                                         "options": "-c plan_cache_mode=force_generic_plan"})

    @event.listens_for(engine, "before_cursor_execute")
    def _send_held_statements(connection: Any, *_: Any) -> None:
        held = connection.info.get("direct_sql")
        if held is not None:
            held.flush()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(IDLE_SINCE)
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_SECONDS:
            try:
                alive = engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # whatever the driver raises for a dead connection
                raise DisconnectionError("an idle pooled connection no longer answers") from exc
            if not alive:
                raise DisconnectionError("an idle pooled connection no longer answers")

    return engine


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
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        DirectSql(connection).run(begin)

    return engine
