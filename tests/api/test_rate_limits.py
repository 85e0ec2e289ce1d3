"""Rate limits per token: a 429 problem with Retry-After for the token that asks too much, and no one else."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from api import create_app

LIMIT = 3


@pytest.fixture
def app(env: dict[str, str], genesis: Any) -> Any:
    """The ledger served with a limit of three requests a minute per token."""
    app = create_app({**env, "SCRAPLEDGER_RATE_LIMIT": f"{LIMIT} per minute"})
    yield app
    app.extensions["scrapledger"].store.dispose()


@pytest.fixture
def smelter(make_party: Any) -> Any:
    return make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")


def as_bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def exhaust(client: Any, token: str) -> list[Any]:
    """Return the replies to LIMIT reads with `token`, which use up its allowance."""
    return [client.get("/v1/entries?limit=1", headers=as_bearer(token)) for _ in range(LIMIT)]


def test_a_token_over_its_limit_gets_a_429_problem_with_retry_after(client, smelter):
    exhaust(client, smelter.token)

    reply = client.get("/v1/entries?limit=1", headers=as_bearer(smelter.token))

    assert reply.status_code == 429
    assert reply.mimetype == "application/problem+json"
    assert reply.get_json()["status"] == 429
    assert 0 < int(reply.headers["Retry-After"]) <= 60


def test_another_token_is_not_limited_by_the_first_ones_use(client, genesis, smelter):
    exhaust(client, smelter.token)
    assert client.get("/v1/entries?limit=1", headers=as_bearer(smelter.token)).status_code == 429

    assert client.get("/v1/entries?limit=1", headers=as_bearer(genesis.operator_token)).status_code == 200


def test_healthz_is_never_limited(client, smelter):
    exhaust(client, smelter.token)

    replies = [client.get("/healthz", headers=as_bearer(smelter.token)) for _ in range(3 * LIMIT)]

    assert [reply.status_code for reply in replies] == [200] * (3 * LIMIT)


def test_a_successful_reply_carries_no_retry_after(client, smelter):
    replies = exhaust(client, smelter.token)

    assert [reply.status_code for reply in replies] == [200] * LIMIT
    assert [reply.headers.get("Retry-After") for reply in replies] == [None] * LIMIT


def test_an_error_other_than_429_carries_no_retry_after(client):
    reply = client.get("/v1/entries?limit=1", headers=as_bearer("not-a-token"))

    assert reply.status_code == 401
    assert "Retry-After" not in reply.headers


def test_a_503_keeps_its_own_retry_after_of_one_second(env, genesis, settings):
    settings.log_key_file.unlink()  # before the app starts, which would otherwise have loaded the key
    app = create_app({**env, "SCRAPLEDGER_RATE_LIMIT": f"{LIMIT} per minute"})
    try:
        reply = app.test_client().get("/v1/entries?limit=1", headers=as_bearer(genesis.operator_token))
    finally:
        app.extensions["scrapledger"].store.dispose()

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "1"


def test_the_in_memory_limiter_starts_no_thread_per_request(client, smelter):
    before = threading.active_count()

    exhaust(client, smelter.token)

    assert threading.active_count() == before


def test_the_in_memory_limiter_forgets_a_window_that_has_passed(app, smelter, monkeypatch):
    (limiter,) = app.extensions["limiter"]
    storage = limiter.storage
    exhaust(app.test_client(), smelter.token)
    assert storage.storage
    later = time.time() + 3 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "monotonic", lambda: later)

    storage.incr("another-key", 60)

    assert list(storage.storage) == ["another-key"]


def test_a_token_has_an_allowance_on_each_route(client, smelter):
    exhaust(client, smelter.token)
    assert client.get("/v1/entries?limit=1", headers=as_bearer(smelter.token)).status_code == 429

    reply = client.get("/v1/lots", headers=as_bearer(smelter.token))

    assert reply.status_code == 200
