"""Statements sent through libpq's pipeline mode directly (psycopg.pq), for the write path on PostgreSQL.

psycopg's cursor layer spends about 20 µs of Python on every statement
(query conversion, prepared-statement bookkeeping, its generators): for the
dozen small statements of an append, more CPU than libpq and the server
together. Here parameters are dumped and rows loaded by psycopg's own adapters
(`Transformer`), all statements go in one pipeline (one round trip), and a
statement seen twice on a connection is prepared under its own name, so the
server plans it once. A failed statement becomes the exception psycopg itself
would raise; the server skips the rest of the pipeline.

The engine turns psycopg's own automatic preparation off (`prepare_threshold`
None): psycopg answers a rollback by deallocating every prepared statement of
the session, ours included, if it has prepared any of its own.
"""

from __future__ import annotations

import select
import weakref
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import AdaptersMap, PyFormat, Transformer
from psycopg.types.numeric import Int8Dumper

Rows = list[tuple[Any, ...]]
Key = tuple[bytes, tuple[int, ...]]  # a statement and its parameter types
MAX_PREPARED = 256  # per connection; past it, every prepared statement is deallocated and the count starts again
_IDLE = pq.TransactionStatus.IDLE
_ANSWERED = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
_UNPREPARED = frozenset({b"BEGIN", b"COMMIT"})  # nothing to plan: not worth a name


class _Session:
    """What one connection knows: the statements it has seen and prepared, and the adapters to dump with."""

    def __init__(self, driver: psycopg.Connection[Any]) -> None:
        self.connection = driver
        # Every int as int8: one parameter type per statement, so one prepared statement, whatever the values.
        self.adapters = AdaptersMap(driver.adapters)
        self.adapters.register_dumper(int, Int8Dumper)
        self.prepared: dict[Key, bytes] = {}
        self.seen: set[Key] = set()
        self.made = 0  # names handed out, so a name is never reused within the session


_SESSIONS: weakref.WeakKeyDictionary[psycopg.Connection[Any], _Session] = weakref.WeakKeyDictionary()


class Pipeline:
    """Runs statements (`$1` placeholders) in one round trip on a psycopg connection's own libpq connection."""

    def __init__(self, driver: psycopg.Connection[Any]) -> None:
        self._driver = driver
        self._pgconn = driver.pgconn
        session = _SESSIONS.get(driver)
        if session is None:
            session = _SESSIONS[driver] = _Session(driver)
        self._session = session
        self._adapt = Transformer(session)

    def run(self, statements: Sequence[tuple[bytes, Sequence[Any]]]) -> list[Rows]:
        """Run `statements` in order, opening the transaction first if none is open; return each one's rows."""
        pgconn, adapt, session = self._pgconn, self._adapt, self._session
        expected: list[Key | int | None] = []  # per command sent: a preparation, a statement's number, or neither
        preparing: dict[Key, bytes] = {}
        pgconn.enter_pipeline_mode()
        try:
            if pgconn.transaction_status == _IDLE and not self._driver.autocommit:
                pgconn.send_query_params(b"BEGIN", None)
                expected.append(None)
            if len(session.prepared) >= MAX_PREPARED:
                session.prepared.clear()
                pgconn.send_query_params(b"DEALLOCATE ALL", None)
                expected.append(None)
            if len(session.seen) >= 4 * MAX_PREPARED:  # statements seen once (a batch's odd row counts) are forgotten
                session.seen.clear()
            for number, (query, params) in enumerate(statements):
                if query in _UNPREPARED:
                    pgconn.send_query_params(query, None)
                    expected.append(number)
                    continue
                values = adapt.dump_sequence(params, [PyFormat.AUTO] * len(params))
                key = (query, tuple(adapt.types or ()))
                name = session.prepared.get(key) or preparing.get(key)
                if name is None and key in session.seen:
                    session.made += 1
                    name = preparing[key] = b"scrapledger_%d" % session.made
                    pgconn.send_prepare(name, query, param_types=adapt.types)
                    expected.append(key)
                if name is None:
                    session.seen.add(key)
                    pgconn.send_query_params(query, values, param_types=adapt.types, param_formats=adapt.formats)
                else:
                    pgconn.send_query_prepared(name, values, param_formats=adapt.formats)
                expected.append(number)
            pgconn.pipeline_sync()
            results = self._results(len(expected))
        finally:
            if pgconn.pipeline_status != pq.PipelineStatus.OFF and not pgconn.is_busy():
                pgconn.exit_pipeline_mode()
        return self._rows(expected, results, preparing, len(statements))

    def _rows(self, expected: list[Key | int | None], results: list[pq.abc.PGresult], preparing: dict[Key, bytes],
              count: int) -> list[Rows]:
        rows: list[Rows] = [[] for _ in range(count)]
        failure: psycopg.Error | None = None
        for what, result in zip(expected, results, strict=True):
            if result.status not in _ANSWERED:
                if failure is None and result.status != pq.ExecStatus.PIPELINE_ABORTED:
                    failure = errors.error_from_result(result, encoding=self._driver.info.encoding)
                continue
            if isinstance(what, tuple):  # prepared: known to this connection from now on
                self._session.prepared[what] = preparing[what]
            elif what is not None and result.status == pq.ExecStatus.TUPLES_OK:
                self._adapt.set_pgresult(result)
                rows[what] = self._adapt.load_rows(0, result.ntuples, tuple)
        if failure is not None:
            raise failure
        return rows

    def _results(self, count: int) -> list[pq.abc.PGresult]:
        """Send everything, then return one result per command sent (consuming the sync that ends them)."""
        pgconn = self._pgconn
        while pgconn.flush():  # a non-blocking connection: wait while the socket is full, reading what comes
            readable, _writable, _ = select.select([pgconn.socket], [pgconn.socket], [])
            if readable:
                pgconn.consume_input()
        results: list[pq.abc.PGresult] = []
        while True:
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                continue  # the end of one command's results
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                if len(results) != count:
                    raise psycopg.InternalError(f"expected {count} results in the pipeline, got {len(results)}")
                return results
            results.append(result)
