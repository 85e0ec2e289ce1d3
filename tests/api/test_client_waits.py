"""The client waits out a rate limit for as long as the server's Retry-After asks, then asks again."""

from __future__ import annotations

from typing import Any

import pytest

from api import create_app
from api.client import MAX_WAIT, ClientError, LedgerClient, Reply
from tests.conftest import seeded_signer
from tests.conftest import test_client_transport as transport_over


def scripted(*replies: Reply) -> Any:
    """Return a transport answering with `replies` in turn."""
    queue = list(replies)
    return lambda method, path, body, headers: queue.pop(0)


def client_over(transport: Any, waits: list[float]) -> LedgerClient:
    return LedgerClient(transport, party_id="ijmuiden-steel", token="t", signer=seeded_signer("ijmuiden-steel"),
                        origin="scrapledger.local/log", wait=waits.append)


LIMITED = Reply(429, {"status": 429, "title": "Too Many Requests"}, "", retry_after=7)


def test_a_read_over_the_rate_limit_is_asked_again_after_the_retry_after():
    waits: list[float] = []
    answer = client_over(scripted(LIMITED, Reply(200, {"entries": []}, "")), waits).get("/v1/entries")
    assert (answer, waits) == ({"entries": []}, [7])


def test_a_submission_over_the_rate_limit_is_sent_again_after_the_retry_after():
    waits: list[float] = []
    answer = client_over(scripted(LIMITED, Reply(201, {"index": 12}, "")), waits).post("/v1/lots", {"x": 1})
    assert (answer, waits) == ({"index": 12}, [7])


def test_a_retry_after_longer_than_a_minute_is_waited_a_minute_at_a_time():
    waits: list[float] = []
    hour = Reply(429, {"status": 429}, "", retry_after=3600)
    client_over(scripted(hour, Reply(200, {}, "")), waits).get("/v1/entries")
    assert waits == [MAX_WAIT]


def test_a_429_without_retry_after_is_not_retried():
    waits: list[float] = []
    with pytest.raises(ClientError) as refused:
        client_over(scripted(Reply(429, {"status": 429}, "")), waits).get("/v1/entries")
    assert (refused.value.status, waits) == (429, [])


@pytest.fixture
def limited_app(env: dict[str, str], genesis: Any) -> Any:
    app = create_app({**env, "SCRAPLEDGER_RATE_LIMIT": "2 per minute"})
    yield app
    app.extensions["scrapledger"].store.dispose()


def test_the_client_reads_the_servers_retry_after_and_gives_up_after_its_retries(limited_app, genesis):
    waits: list[float] = []
    operator = LedgerClient(transport_over(limited_app.test_client()), party_id="operator",
                            token=genesis.operator_token, signer=seeded_signer("operator"), origin="", wait=waits.append)
    operator.get("/v1/entries?limit=1")
    operator.get("/v1/entries?limit=1")
    with pytest.raises(ClientError) as refused:
        operator.get("/v1/entries?limit=1")
    assert refused.value.status == 429
    assert len(waits) == operator.retries and all(0 < wait <= 60 for wait in waits)
