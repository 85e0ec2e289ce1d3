"""Fixed SQL for the append path, sent on the transaction's own driver connection.

An append runs a dozen small statements per entry. Building each as a
SQLAlchemy expression and passing it through an execution context costs
several times what the database takes to answer it, so the hot statements
are written once as plain SQL text with `?` placeholders (rewritten to `%s`
for psycopg) and executed on the DBAPI connection that the surrounding
SQLAlchemy transaction already holds: same transaction, same lock, same
commit or rollback.

A driver error is wrapped exactly as SQLAlchemy wraps it (IntegrityError,
OperationalError, ...), and a dropped connection is invalidated, so `Store`
turns it into the same Conflict or StoreUnavailable as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from .libpq import Pipeline

Params = Sequence[Any]
ROWS_PER_INSERT = 100  # rows in one multi-row INSERT: well under either engine's limit on parameters


class DirectSql:
    """Runs fixed SQL text inside one SQLAlchemy connection's current transaction."""

    __slots__ = ("_connection", "_driver", "_cursor", "_error", "_pyformat", "postgres", "_deferred", "_pipeline")

    _texts: ClassVar[dict[str, str]] = {}  # `?` text -> psycopg `%s` text, shared by every transaction
    _numbers: ClassVar[dict[str, bytes]] = {}  # `?` text -> libpq `$1` text
    _multi: ClassVar[dict[tuple[str, int], str]] = {}  # (single-row INSERT, row count) -> multi-row INSERT

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._driver: Any = connection.connection.dbapi_connection
        self._cursor: Any = None
        self._error: type[Exception] = connection.dialect.loaded_dbapi.Error
        self._pyformat = connection.dialect.paramstyle != "qmark"
        self.postgres = connection.dialect.name == "postgresql"
        self._deferred: list[tuple[str, Params]] | None = None
        self._pipeline: Pipeline | None = None

    def one(self, sql: str, params: Params = ()) -> tuple[Any, ...] | None:
        """Return the first row of a query, or None."""
        self.flush()
        rows = self._execute(sql, params).fetchall()  # stepped to the end, so no statement stays open
        return rows[0] if rows else None

    def all(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Return every row of a query."""
        self.flush()
        return self._execute(sql, params).fetchall()  # type: ignore[no-any-return]

    def together(self, queries: Sequence[tuple[str, Params]]) -> list[list[tuple[Any, ...]]]:
        """Return the rows of each query, all sent in one round trip after any held writes (PostgreSQL).

        On SQLite, which has no round trips, they simply run in order.
        """
        if self._deferred is None:
            return [self.all(sql, params) for sql, params in queries]
        held, self._deferred = self._deferred, []
        statements = [*held, *queries]
        if self._pipeline is None:
            self._pipeline = Pipeline(self._driver)
        try:
            rows = self._pipeline.run([(self._numbered(sql), params) for sql, params in statements])
        except self._error as exc:
            self._raise(exc, "; ".join(sql for sql, _params in statements), ())
        return rows[len(held):]

    def run(self, sql: str, params: Params = ()) -> None:
        """Execute one statement that returns no rows."""
        if self._deferred is not None:
            self._deferred.append((sql, params))
            return
        self._execute(sql, params)

    def many(self, sql: str, rows: Iterable[Params]) -> None:
        """Insert each parameter row: `sql` is an INSERT with one VALUES group, sent as multi-row INSERTs.

        One statement for many rows costs the driver and the database a
        fraction of one statement per row (executemany), on both engines.
        """
        rows = list(rows)
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start:start + ROWS_PER_INSERT]
            self.run(self._rows_text(sql, len(chunk)), [value for row in chunk for value in row])

    def defer_writes(self) -> None:
        """From now on, hold statements whose results nobody reads and send them together (PostgreSQL).

        They are sent, in order and in one round trip (libpq pipeline mode, see
        `libpq`), before the next query that reads, before any SQLAlchemy
        statement on this connection, and by `flush` before commit. The
        database runs them in the order given, so every read sees the writes
        made before it; an error in one surfaces at the flush, wrapped like
        any other.
        """
        self._deferred = []
        self._connection.info["direct_sql"] = self  # for the engine's before_cursor_execute hook

    def flush(self) -> None:
        """Send every held statement and wait for them."""
        if self._deferred:
            self.together([])

    def values(self, sql_type: str) -> str:
        """Return a subquery yielding the values of one parameter made by `listed` (for `IN (...)`)."""
        return f"SELECT unnest(CAST(? AS {sql_type}[]))" if self._pyformat else "SELECT value FROM json_each(?)"

    def listed(self, values: Sequence[Any]) -> Any:
        """Return `values` as the one parameter that `values()` unpacks: an array, or a JSON array for SQLite."""
        return list(values) if self._pyformat else json.dumps(list(values))

    def _execute(self, sql: str, params: Params) -> Any:
        text = self._text(sql)
        cursor = self._cursor_now()
        try:
            cursor.execute(text, params)
        except self._error as exc:
            self._raise(exc, text, params)
        return cursor

    def _cursor_now(self) -> Any:
        if self._cursor is None:
            self._cursor = self._driver.cursor()
        return self._cursor

    @classmethod
    def _rows_text(cls, sql: str, count: int) -> str:
        """Return `sql` (INSERT ... VALUES (?, ...) [suffix]) with its VALUES group repeated `count` times."""
        text = cls._multi.get((sql, count))
        if text is None:
            head, _, tail = sql.partition(" VALUES ")
            end = tail.index(")") + 1
            text = cls._multi[(sql, count)] = f"{head} VALUES {', '.join([tail[:end]] * count)}{tail[end:]}"
        return text

    def _text(self, sql: str) -> str:
        if not self._pyformat:
            return sql
        text = self._texts.get(sql)
        if text is None:
            text = self._texts[sql] = sql.replace("%", "%%").replace("?", "%s")  # `%` is an operator here
        return text

    @classmethod
    def _numbered(cls, sql: str) -> bytes:
        text = cls._numbers.get(sql)
        if text is None:
            parts = sql.split("?")
            text = cls._numbers[sql] = "".join(
                part + (f"${number}" if number < len(parts) else "") for number, part in enumerate(parts, 1)).encode()
        return text

    def _raise(self, exc: Exception, text: str, params: Any) -> None:
        dialect = self._connection.dialect
        dropped = bool(dialect.is_disconnect(exc, self._driver, self._cursor))  # type: ignore[arg-type]
        if dropped:
            self._connection.invalidate(exc)
        raise DBAPIError.instance(text, params, exc, self._error, hide_parameters=True, dialect=dialect,
                                  connection_invalidated=dropped) from exc
