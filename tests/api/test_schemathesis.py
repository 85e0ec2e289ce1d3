"""Property-based conformance of the whole API to its own /openapi.json, driven by schemathesis.

Schemathesis reads the document the app serves (through WSGI), generates
requests for every operation, valid and invalid ones, and sends them to a
fresh initialised ledger with the operator's token, so every operation is
reached past authentication. Each response must not be a 5xx and must match
the schema documented for its status and media type, problem+json included.

This runs on SQLite only: the document and the wire shapes are the same on
every engine, and engine-specific behaviour is covered by the other API tests,
which run on both.

The default is a short, deterministic run (15 generated examples per
operation, plus schemathesis's coverage cases: about 25 s). For a long,
randomised run:

    SCRAPLEDGER_SCHEMATHESIS_EXAMPLES=500 pytest tests/api/test_schemathesis.py

The schema is loaded eagerly from an app without a ledger (serving
/openapi.json needs none), which gives one test per operation (select one with
`-k transformations`); each test then talks to its own ledger from the `app`
fixture. `schemathesis.pytest.from_fixture` would be the natural alternative,
but with pytest 9.2 it fails on the removed `Node._nodeid`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api import create_app

SHORT_RUN = 15
EXAMPLES = int(os.environ.get("SCRAPLEDGER_SCHEMATHESIS_EXAMPLES", SHORT_RUN))
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"max-examples": EXAMPLES, "deterministic": EXAMPLES == SHORT_RUN}})

schema = schemathesis.openapi.from_wsgi(
    "/openapi.json", create_app({"DATABASE_URL": "sqlite://", "SCRAPLEDGER_RATE_LIMIT": ""}), config=CONFIG)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """One engine is enough here: the OpenAPI document and the wire shapes do not depend on it."""
    return sqlite_url


@pytest.fixture
def app(env: dict[str, str], genesis: Any) -> Any:
    """An initialised ledger with rate limiting off, so hundreds of generated requests meet no 429."""
    app = create_app({**env, "SCRAPLEDGER_RATE_LIMIT": ""})
    yield app
    app.extensions["scrapledger"].store.dispose()


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_every_operation_answers_without_a_server_error_and_as_documented(
        case: schemathesis.Case, app: Any, genesis: Any) -> None:
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {genesis.operator_token}"},
                           checks=[not_a_server_error, response_schema_conformance])


def test_error_responses_are_documented_as_problem_json_so_their_bodies_are_checked() -> None:
    documented = {name: set(response["content"]) for name, response in schema.raw_schema["components"]["responses"].items()}
    assert documented == {name: {"application/problem+json"} for name in documented}
    assert "DEFAULT_ERROR" in documented
