"""Statements sent straight through libpq's pipeline (the PostgreSQL write path): order, rows, preparation, errors."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from ledger.store import libpq
from ledger.store.libpq import Pipeline
from tests.conftest import _plain

pytestmark = pytest.mark.postgres

SCALE = (b"CREATE TEMP TABLE weighings (ticket bigint PRIMARY KEY, site text NOT NULL, photo bytea,"
         b" conformant boolean)")
WEIGH = b"INSERT INTO weighings (ticket, site, photo, conformant) VALUES ($1, $2, $3, $4)"
TICKET = b"SELECT ticket, site, photo, conformant FROM weighings WHERE ticket = $1"


@pytest.fixture
def driver(pg_worker: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(_plain(pg_worker), prepare_threshold=None) as connection:
        Pipeline(connection).run([(SCALE, ())])
        connection.commit()
        yield connection


def prepared(driver: psycopg.Connection) -> list[str]:
    rows = Pipeline(driver).run([(b"SELECT name FROM pg_prepared_statements ORDER BY name", ())])[0]
    return [name for (name,) in rows]


def test_statements_run_in_order_and_each_answers_with_its_own_rows(driver):
    rows = Pipeline(driver).run([(WEIGH, (118822, "Waalhaven Zuid", b"\x89PNG", True)), (TICKET, (118822,)),
                                 (TICKET, (404,))])

    assert rows == [[], [(118822, "Waalhaven Zuid", b"\x89PNG", True)], []]


def test_null_comes_back_as_none(driver):
    rows = Pipeline(driver).run([(WEIGH, (118823, "Antwerp shredder", None, None)), (TICKET, (118823,))])

    assert rows[1] == [(118823, "Antwerp shredder", None, None)]


def test_a_statement_seen_twice_is_prepared_once_whatever_the_size_of_its_integers(driver):
    for ticket in (1, 2, 2**40):
        Pipeline(driver).run([(TICKET, (ticket,))])

    assert len([name for name in prepared(driver) if name.startswith("scrapledger_")]) == 1


def test_a_failing_statement_raises_psycopgs_own_error_and_the_rest_is_skipped(driver):
    with pytest.raises(psycopg.errors.UniqueViolation):
        Pipeline(driver).run([(WEIGH, (7, "Rotterdam", None, True)), (WEIGH, (7, "Rotterdam", None, True)),
                              (WEIGH, (8, "Rotterdam", None, True))])
    driver.rollback()

    assert Pipeline(driver).run([(b"SELECT count(*) FROM weighings", ())]) == [[(0,)]]


def test_prepared_statements_outlive_a_rolled_back_transaction(driver):
    for ticket in (1, 2):
        Pipeline(driver).run([(WEIGH, (ticket, "Rotterdam", None, True))])
    driver.commit()
    with pytest.raises(psycopg.errors.UniqueViolation):
        Pipeline(driver).run([(WEIGH, (2, "Rotterdam", None, True))])
    driver.rollback()

    Pipeline(driver).run([(WEIGH, (3, "Rotterdam", None, True))])

    assert Pipeline(driver).run([(TICKET, (3,))])[0] == [(3, "Rotterdam", None, True)]


def test_past_the_limit_every_prepared_statement_is_deallocated_and_statements_still_run(driver, monkeypatch):
    monkeypatch.setattr(libpq, "MAX_PREPARED", 3)
    queries = [b"SELECT $1::bigint + %d" % number for number in range(5)]
    for _round in range(3):
        answers = [Pipeline(driver).run([(query, (10,))])[0] for query in queries]

        assert answers == [[(10 + number,)] for number in range(5)]
    assert len([name for name in prepared(driver) if name.startswith("scrapledger_")]) <= 3


def test_a_transaction_is_opened_first_when_none_is_open(driver):
    driver.commit()
    Pipeline(driver).run([(WEIGH, (9, "Duisburg cable works", None, False))])

    assert driver.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    driver.rollback()
    assert Pipeline(driver).run([(TICKET, (9,))])[0] == []
