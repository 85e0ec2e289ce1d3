"""Hostile and broken requests: each is a 4xx problem naming what was wrong; the log stays put."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.client import ClientError, LedgerClient
from ledger.canonical import canonicalize
from tests.conftest import ORIGIN, seeded_signer
from tests.conftest import test_client_transport as transport_over

PROBLEM = "application/problem+json"
LEAKS = ("Traceback", "sqlalchemy", "psycopg")
MAX_SAFE_INTEGER = 2**53 - 1


class LeakCheckingClient(FlaskClient):
    """A test client that fails the test if any response body shows a traceback or driver name."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        text = response.get_data(as_text=True)
        for leak in LEAKS:
            assert leak.lower() not in text.lower(), f"response body leaks {leak!r}: {text[:500]}"
        return response


@pytest.fixture
def app(app: Any) -> Any:
    app.test_client_class = LeakCheckingClient
    return app


def _log_size(client: Any, token: str) -> int:
    response = client.get("/v1/checkpoint", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return int(response.get_data(as_text=True).split("\n")[1])


@pytest.fixture
def log_unchanged(client: Any, genesis: Any) -> Callable[[], AbstractContextManager[None]]:
    """Return a context manager asserting that its block leaves the log size unchanged."""

    @contextmanager
    def watch() -> Iterator[None]:
        before = _log_size(client, genesis.operator_token)
        yield
        assert _log_size(client, genesis.operator_token) == before

    return watch


def _registration(party_id: str = "hamburg-stahlhandel", **overrides: Any) -> dict[str, Any]:
    body = {
        "party_id": party_id,
        "legal_name": "Hamburger Stahlhandel GmbH",
        "registration_number": "HRB 204517",
        "country": "DE",
        "roles": ["recycler"],
        "public_keys": [seeded_signer(party_id).public_key.hex()],
    }
    return {**body, **overrides}


def _post(
    client: Any, path: str, data: bytes, token: str, content_type: str = "application/json"
) -> Any:
    return client.post(
        path, data=data, headers={"Authorization": f"Bearer {token}", "Content-Type": content_type}
    )


def _assert_problem(
    response: Any, status: int, field: str | None = None, rule: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    problem: dict[str, Any] = response.get_json()
    assert problem["status"] == status
    if field is not None:
        assert problem.get("field") == field, problem
    if rule is not None:
        assert rule in problem.get("rule", ""), problem
    return problem


def _assert_client_problem(
    failure: pytest.ExceptionInfo[ClientError], status: int, field: str
) -> dict[str, Any]:
    assert failure.value.status == status
    assert failure.value.problem["status"] == status
    assert failure.value.problem.get("field") == field, failure.value.problem
    return failure.value.problem


def _raw_envelope(operator: LedgerClient, **raw_fields: str) -> bytes:
    """Return a registration envelope with the body fields in `raw_fields` spliced in as raw JSON.

    Such bodies cannot be signed, so the signature is zeros: the JSON rules must refuse them first.
    """
    placeholders = {name: f"@{name}@" for name in raw_fields}
    envelope = {
        **operator.signed("party.register", _registration(**placeholders)),
        "signature": "00" * 64,
    }
    text = json.dumps(envelope)
    for name, raw in raw_fields.items():
        text = text.replace(f'"@{name}@"', raw)
    return text.encode()


def _signed_by(operator: LedgerClient, submission: dict[str, Any]) -> dict[str, Any]:
    """Return an envelope with `submission` signed as is, skipping the client's own shape checks."""
    return {
        "submission": submission,
        "signature": operator.signer.sign(canonicalize(submission)).hex(),
    }


def test_malformed_json_is_a_400_syntax_problem(client, operator, genesis, log_unchanged):
    text = json.dumps(operator.signed("party.register", _registration()))
    with log_unchanged():
        response = _post(client, "/v1/parties", text[:-7].encode(), genesis.operator_token)
    _assert_problem(response, 400, "body", "syntax")


def test_a_body_that_is_not_utf8_is_a_400_problem(client, operator, genesis, log_unchanged):
    data = _raw_envelope(operator, legal_name='"Stahlhandel M@U@nchen GmbH"').replace(
        b"@U@", b"\xfc"
    )
    with log_unchanged():
        response = _post(client, "/v1/parties", data, genesis.operator_token)
    _assert_problem(response, 400, "body", "utf-8")


def test_a_json_body_sent_as_text_plain_is_a_415_problem(client, operator, genesis, log_unchanged):
    data = json.dumps(operator.signed("party.register", _registration())).encode()
    with log_unchanged():
        response = _post(
            client, "/v1/parties", data, genesis.operator_token, content_type="text/plain"
        )
    _assert_problem(response, 415, "Content-Type", "application/json")


@pytest.fixture
def small_limit_client(env: dict[str, str], genesis: Any) -> Iterator[Any]:
    """Return a test client of an app that takes request bodies of at most 2048 bytes."""
    app = create_app({**env, "SCRAPLEDGER_MAX_BODY_BYTES": "2048"})
    app.test_client_class = LeakCheckingClient
    yield app.test_client()
    app.extensions["scrapledger"].store.dispose()


def _oversized_envelope(operator: LedgerClient) -> bytes:
    envelope = operator.signed(
        "party.register", _registration(legal_name="Hamburger Stahlhandel GmbH " * 100)
    )
    return json.dumps(envelope).encode()


def test_a_body_over_the_size_limit_is_a_413_problem(small_limit_client, operator, genesis):
    before = _log_size(small_limit_client, genesis.operator_token)
    response = _post(
        small_limit_client, "/v1/parties", _oversized_envelope(operator), genesis.operator_token
    )
    _assert_problem(response, 413)
    assert _log_size(small_limit_client, genesis.operator_token) == before


def test_the_413_problem_names_the_body_and_its_limit(small_limit_client, operator, genesis):
    response = _post(
        small_limit_client, "/v1/parties", _oversized_envelope(operator), genesis.operator_token
    )
    problem = _assert_problem(response, 413, field="body")
    assert "2048" in problem["detail"]


def test_nesting_deeper_than_the_limit_is_a_400_depth_problem(
    client, operator, genesis, log_unchanged
):
    data = _raw_envelope(operator, roles="[" * 64 + '"recycler"' + "]" * 64)
    with log_unchanged():
        response = _post(client, "/v1/parties", data, genesis.operator_token)
    _assert_problem(response, 400, "body", "depth")


def test_nesting_deep_enough_to_exhaust_the_parser_is_a_400_problem(
    client, operator, genesis, log_unchanged
):
    data = _raw_envelope(operator, roles="[" * 100_000 + "]" * 100_000)
    with log_unchanged():
        response = _post(client, "/v1/parties", data, genesis.operator_token)
    _assert_problem(response, 400, "body")


def test_a_duplicate_signature_key_is_a_400_problem(client, operator, genesis, log_unchanged):
    envelope = operator.signed("party.register", _registration())
    text = f'{{"signature": "{"ab" * 64}", ' + json.dumps(envelope)[1:]
    with log_unchanged():
        response = _post(client, "/v1/parties", text.encode(), genesis.operator_token)
    _assert_problem(response, 400, "body", "duplicate-key")


def test_a_duplicate_key_inside_a_signed_body_is_a_400_problem(
    client, operator, genesis, log_unchanged
):
    text = json.dumps(operator.signed("party.register", _registration()))
    text = text.replace('"body": {', '"body": {"legal_name": "Shadow Metals Ltd", ', 1)
    with log_unchanged():
        response = _post(client, "/v1/parties", text.encode(), genesis.operator_token)
    _assert_problem(response, 400, "body", "duplicate-key")


def test_a_lone_surrogate_escape_is_a_400_problem(client, operator, genesis, log_unchanged):
    data = _raw_envelope(operator, legal_name=r'"Hamburger Stahlhandel \ud800 GmbH"')
    with log_unchanged():
        response = _post(client, "/v1/parties", data, genesis.operator_token)
    _assert_problem(response, 400, "body", "no-lone-surrogate")


def test_a_nul_character_in_a_signed_string_is_a_400_problem(
    client, operator, genesis, log_unchanged
):
    envelope = operator.signed(
        "party.register", _registration(legal_name="Hamburger Stahlhandel\x00GmbH")
    )
    with log_unchanged():
        response = _post(
            client, "/v1/parties", json.dumps(envelope).encode(), genesis.operator_token
        )
    _assert_problem(response, 400, "body", "no-nul")


def test_a_float_in_the_body_is_a_400_problem(client, operator, genesis, log_unchanged):
    data = _raw_envelope(operator, registration_number="204517.0")
    with log_unchanged():
        response = _post(client, "/v1/parties", data, genesis.operator_token)
    _assert_problem(response, 400, "body", "no-float")


def test_a_float_where_a_page_size_is_required_is_a_422_problem(client, genesis):
    response = client.get(
        "/v1/entries?limit=2.5", headers={"Authorization": f"Bearer {genesis.operator_token}"}
    )
    _assert_problem(response, 422, "limit")


def test_an_integer_beyond_2_pow_53_in_the_submission_body_is_a_422_problem(
    client, operator, genesis, log_unchanged
):
    envelope = operator.signed("party.register", _registration())
    envelope["submission"]["body"]["registration_number"] = MAX_SAFE_INTEGER + 2
    with log_unchanged():
        response = _post(
            client, "/v1/parties", json.dumps(envelope).encode(), genesis.operator_token
        )
    problem = _assert_problem(response, 422)
    assert problem["field"].endswith("body.registration_number")
    assert "2**53" in problem["rule"]


def test_an_unknown_field_in_the_envelope_is_a_422_problem(
    client, operator, genesis, log_unchanged
):
    envelope = {
        **operator.signed("party.register", _registration()),
        "comment": "urgent, truck waiting",
    }
    with log_unchanged():
        response = _post(
            client, "/v1/parties", json.dumps(envelope).encode(), genesis.operator_token
        )
    _assert_problem(response, 422, "comment")


def test_an_envelope_without_a_signature_is_a_422_problem(client, operator, genesis, log_unchanged):
    envelope = operator.signed("party.register", _registration())
    del envelope["signature"]
    with log_unchanged():
        response = _post(
            client, "/v1/parties", json.dumps(envelope).encode(), genesis.operator_token
        )
    _assert_problem(response, 422, "signature")


def test_a_signature_that_is_not_128_hex_digits_is_a_422_problem(
    client, operator, genesis, log_unchanged
):
    envelope = {**operator.signed("party.register", _registration()), "signature": "ab" * 32}
    with log_unchanged():
        response = _post(
            client, "/v1/parties", json.dumps(envelope).encode(), genesis.operator_token
        )
    _assert_problem(response, 422, "signature")


def test_an_unknown_field_in_the_submission_is_a_422_problem(
    client, operator, genesis, log_unchanged
):
    submission = {
        **operator.signed("party.register", _registration())["submission"],
        "priority": "high",
    }
    envelope = _signed_by(operator, submission)
    with log_unchanged():
        response = _post(
            client, "/v1/parties", json.dumps(envelope).encode(), genesis.operator_token
        )
    _assert_problem(response, 422, "submission.priority", "unknown field")


def test_an_unknown_field_in_the_submission_body_is_a_422_problem(operator, log_unchanged):
    with log_unchanged(), pytest.raises(ClientError) as failure:
        operator.submit("/v1/parties", "party.register", _registration(vat_number="DE123456789"))
    _assert_client_problem(failure, 422, "body.vat_number")


def test_a_submission_naming_another_log_is_a_422_problem(client, operator, genesis, log_unchanged):
    elsewhere = LedgerClient(
        operator.transport,
        party_id="operator",
        token=genesis.operator_token,
        signer=operator.signer,
        origin="ledger.other-operator.example/log",
    )
    with log_unchanged(), pytest.raises(ClientError) as failure:
        elsewhere.submit("/v1/parties", "party.register", _registration())
    _assert_client_problem(failure, 422, "submission.log")


@pytest.mark.parametrize(
    "offset", [timedelta(hours=1), timedelta(hours=-1)], ids=["ahead", "behind"]
)
def test_a_timestamp_outside_the_window_is_a_422_problem(operator, genesis, log_unchanged, offset):
    skewed = LedgerClient(
        operator.transport,
        party_id="operator",
        token=genesis.operator_token,
        signer=operator.signer,
        origin=ORIGIN,
        clock=lambda: datetime.now(UTC) + offset,
    )
    with log_unchanged(), pytest.raises(ClientError) as failure:
        skewed.submit("/v1/parties", "party.register", _registration())
    _assert_client_problem(failure, 422, "submission.timestamp")


def test_a_reused_submission_id_with_another_body_is_a_409_problem(operator, log_unchanged):
    operator.submit(
        "/v1/parties", "party.register", _registration(), submission_id="reg-hamburg-2026-11"
    )
    with log_unchanged(), pytest.raises(ClientError) as failure:
        operator.submit(
            "/v1/parties",
            "party.register",
            _registration("antwerp-scrap", country="BE"),
            submission_id="reg-hamburg-2026-11",
        )
    _assert_client_problem(failure, 409, "submission.submission_id")


def test_a_submission_id_scoped_to_another_party_is_a_422_problem(client, operator, genesis, log_unchanged):
    submission = {**operator.signed("party.register", _registration())["submission"],
                  "submission_id": "rotterdam-metals:epcis-4f1c"}
    with log_unchanged():
        response = _post(client, "/v1/parties", json.dumps(_signed_by(operator, submission)).encode(),
                         genesis.operator_token)
    _assert_problem(response, 422, "submission.submission_id")


def test_a_party_may_use_a_submission_id_scoped_to_itself(operator):
    answer = operator.submit("/v1/parties", "party.register", _registration(), submission_id="operator:reg-2026-11")
    assert answer["index"] >= 1


def test_a_write_without_a_token_is_a_401_problem(client, operator, log_unchanged):
    data = json.dumps(operator.signed("party.register", _registration())).encode()
    with log_unchanged():
        response = client.post("/v1/parties", data=data, content_type="application/json")
    _assert_problem(response, 401, "Authorization", "bearer-token")


def test_a_write_with_an_unknown_token_is_a_401_problem(client, operator, log_unchanged):
    data = json.dumps(operator.signed("party.register", _registration())).encode()
    with log_unchanged():
        response = _post(client, "/v1/parties", data, "slt_" + "A" * 43)
    _assert_problem(response, 401, "Authorization")


def test_a_token_sent_with_another_scheme_is_a_401_problem(
    client, operator, genesis, log_unchanged
):
    data = json.dumps(operator.signed("party.register", _registration())).encode()
    with log_unchanged():
        response = client.post(
            "/v1/parties",
            data=data,
            content_type="application/json",
            headers={"Authorization": f"Basic {genesis.operator_token}"},
        )
    _assert_problem(response, 401, "Authorization")


def test_a_submission_signed_with_another_partys_key_is_a_401_problem(
    client, make_party, log_unchanged
):
    rotterdam = make_party("rotterdam-metals")
    antwerp = make_party("antwerp-scrap", legal_name="Antwerp Scrap NV", country="BE")
    impostor = LedgerClient(
        transport_over(client),
        party_id="rotterdam-metals",
        token=rotterdam.token,
        signer=antwerp.signer,
        origin=ORIGIN,
    )
    with log_unchanged(), pytest.raises(ClientError) as failure:
        impostor.submit(
            "/v1/parties/rotterdam-metals/keys",
            "party.rotate_key",
            {
                "party_id": "rotterdam-metals",
                "new_public_key": seeded_signer("rotterdam-2027").public_key.hex(),
            },
        )
    _assert_client_problem(failure, 401, "submission.key_id")


def test_a_submission_naming_another_party_than_the_token_is_a_403_problem(
    client, make_party, log_unchanged
):
    rotterdam = make_party("rotterdam-metals")
    antwerp = make_party("antwerp-scrap", legal_name="Antwerp Scrap NV", country="BE")
    impostor = LedgerClient(
        transport_over(client),
        party_id="antwerp-scrap",
        token=rotterdam.token,
        signer=antwerp.signer,
        origin=ORIGIN,
    )
    with log_unchanged(), pytest.raises(ClientError) as failure:
        impostor.submit(
            "/v1/parties/antwerp-scrap/keys",
            "party.rotate_key",
            {
                "party_id": "antwerp-scrap",
                "new_public_key": seeded_signer("antwerp-2027").public_key.hex(),
            },
        )
    _assert_client_problem(failure, 403, "submission.party")


def test_a_signature_over_different_bytes_is_a_401_problem(operator, log_unchanged):
    envelope = operator.signed("party.register", _registration())
    other = operator.signed("party.register", _registration(legal_name="Hamburger Stahlhandel AG"))
    with log_unchanged(), pytest.raises(ClientError) as failure:
        operator.post("/v1/parties", {**envelope, "signature": other["signature"]})
    assert failure.value.status == 401
    assert failure.value.problem["title"] == "bad signature"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/parties/%27%20OR%201%3D1%20--",
        "/v1/parties/operator%27%20OR%20%271%27%3D%271",
        "/v1/parties/%27%3B%20DROP%20TABLE%20parties%3B%20--",
    ],
    ids=["or-1-equals-1", "quoted-tautology", "drop-table"],
)
def test_sql_in_a_party_id_is_a_404_problem(client, genesis, path):
    response = client.get(path, headers={"Authorization": f"Bearer {genesis.operator_token}"})
    _assert_problem(response, 404, "party_id")


def test_the_parties_survive_sql_in_a_party_id(client, genesis):
    headers = {"Authorization": f"Bearer {genesis.operator_token}"}
    client.get("/v1/parties/%27%3B%20DROP%20TABLE%20parties%3B%20--", headers=headers)
    assert client.get("/v1/parties/operator", headers=headers).get_json()["party_id"] == "operator"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/parties/..%2F..%2Fetc%2Fpasswd",
        "/v1/parties/..%2F..%2F..%2F..%2Fetc%2Fpasswd/keys",
        "/v1/parties/%2E%2E/%2E%2E/etc/passwd",
    ],
    ids=["encoded-slashes", "encoded-slashes-under-keys", "encoded-dots"],
)
def test_path_traversal_in_a_party_id_is_a_404_problem(client, genesis, path):
    response = client.get(path, headers={"Authorization": f"Bearer {genesis.operator_token}"})
    _assert_problem(response, 404)
    assert "root:" not in response.get_data(as_text=True)


def test_sql_in_a_new_party_id_is_a_422_problem(operator, log_unchanged):
    with log_unchanged(), pytest.raises(ClientError) as failure:
        operator.submit(
            "/v1/parties", "party.register", _registration("x'; DROP TABLE parties; --")
        )
    _assert_client_problem(failure, 422, "body.party_id")


def test_sql_in_a_submission_id_is_a_422_problem(client, operator, genesis, log_unchanged):
    submission = {
        **operator.signed("party.register", _registration())["submission"],
        "submission_id": "1' OR '1'='1",
    }
    with log_unchanged():
        response = _post(
            client,
            "/v1/parties",
            json.dumps(_signed_by(operator, submission)).encode(),
            genesis.operator_token,
        )
    _assert_problem(response, 422, "submission.submission_id")
