"""The log through HTTP only: entries as hashed, proofs to signed checkpoints, probes and docs."""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from ledger.canonical import canonicalize
from ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from ledger.merkle import verify_consistency, verify_inclusion

PROBLEM = "application/problem+json"
YARDS = [
    ("rotterdam-metals", "Rotterdam Metals Recycling B.V.", "NL"),
    ("antwerp-scrap", "Antwerp Scrap NV", "BE"),
    ("hamburg-stahlhandel", "Hamburger Stahlhandel GmbH", "DE"),
    ("gdansk-zlom", "Gdański Złom Sp. z o.o.", "PL"),
]


@pytest.fixture
def token(genesis: Any) -> str:
    return str(genesis.operator_token)


def _get(client: Any, token: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def _json(client: Any, token: str, path: str) -> Any:
    response = _get(client, token, path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _register_yards(make_party: Any, count: int = len(YARDS)) -> None:
    for party_id, legal_name, country in YARDS[:count]:
        make_party(party_id, legal_name=legal_name, country=country)


def _signed_checkpoint(client: Any, token: str) -> Checkpoint:
    """Return the checkpoint served now, opened with the key served at /v1/log-key."""
    vkey = _get(client, token, "/v1/log-key")
    note = _get(client, token, "/v1/checkpoint")
    assert vkey.status_code == 200 and note.status_code == 200
    verifier = NoteVerifier.from_vkey(vkey.get_data(as_text=True).strip())
    return open_checkpoint(note.get_data(as_text=True), verifier)


def _hashed_fields(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in entry.items() if name not in ("entry_hash", "leaf_hash")}


def _assert_problem(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["field"] == field


def test_paging_with_next_start_visits_every_entry_once_in_order(client, token, make_party):
    _register_yards(make_party)
    seen, start = [], 0
    while start is not None:
        page = _json(client, token, f"/v1/entries?start={start}&limit=2")
        assert len(page["entries"]) <= 2
        seen += [entry["index"] for entry in page["entries"]]
        start = page["next_start"]
    assert seen == list(range(1 + len(YARDS)))


def test_a_short_last_page_has_no_next_start(client, token, make_party):
    _register_yards(make_party, 2)
    page = _json(client, token, "/v1/entries?start=1&limit=10")
    assert [entry["index"] for entry in page["entries"]] == [1, 2]
    assert page["next_start"] is None


def test_a_full_page_points_at_the_next_index(client, token, make_party):
    _register_yards(make_party)
    page = _json(client, token, "/v1/entries?start=1&limit=3")
    assert [entry["index"] for entry in page["entries"]] == [1, 2, 3]
    assert page["next_start"] == 4


def test_a_page_starting_past_the_end_is_empty(client, token):
    page = _json(client, token, "/v1/entries?start=50&limit=10")
    assert page == {"entries": [], "next_start": None}


@pytest.mark.parametrize(
    "query, field",
    [("start=-1", "start"), ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit")],
)
def test_a_page_outside_the_allowed_range_is_a_422_problem(client, token, query, field):
    _assert_problem(_get(client, token, f"/v1/entries?{query}"), 422, field)


def test_each_entry_is_served_exactly_as_hashed(client, token, make_party):
    _register_yards(make_party)
    for index in range(1 + len(YARDS)):
        entry = _json(client, token, f"/v1/entries/{index}")
        data = canonicalize(_hashed_fields(entry))
        assert entry["index"] == index
        assert hashlib.sha256(data).hexdigest() == entry["entry_hash"]
        assert hashlib.sha256(b"\x00" + data).hexdigest() == entry["leaf_hash"]


def test_each_entry_names_the_hash_of_the_entry_before_it(client, token, make_party):
    _register_yards(make_party)
    entries = _json(client, token, "/v1/entries?limit=100")["entries"]
    assert entries[0]["prev_hash"] == "00" * 32
    for before, entry in itertools.pairwise(entries):
        assert entry["prev_hash"] == before["entry_hash"]


def test_a_page_serves_the_same_entries_as_single_reads(client, token, make_party):
    _register_yards(make_party, 2)
    page = _json(client, token, "/v1/entries?limit=100")["entries"]
    assert page == [_json(client, token, f"/v1/entries/{index}") for index in range(3)]


def test_an_entry_past_the_end_is_a_404_problem(client, token):
    _assert_problem(_get(client, token, "/v1/entries/7"), 404, "index")


def test_the_log_key_is_a_vkey_named_after_the_origin(client, token, app):
    response = _get(client, token, "/v1/log-key")
    assert response.mimetype == "text/plain"
    verifier = NoteVerifier.from_vkey(response.get_data(as_text=True).strip())
    assert verifier.name == app.extensions["scrapledger"].settings.origin


def test_the_signed_checkpoint_covers_every_entry(client, token, make_party):
    _register_yards(make_party)
    checkpoint = _signed_checkpoint(client, token)
    assert checkpoint.size == 1 + len(YARDS)


def test_every_entry_has_an_inclusion_proof_to_the_signed_root(client, token, make_party):
    _register_yards(make_party)
    checkpoint = _signed_checkpoint(client, token)
    for index in range(checkpoint.size):
        entry = _json(client, token, f"/v1/entries/{index}")
        leaf = hashlib.sha256(b"\x00" + canonicalize(_hashed_fields(entry))).digest()
        proof = _json(
            client, token, f"/v1/entries/{index}/inclusion-proof?tree_size={checkpoint.size}"
        )
        assert (proof["leaf_index"], proof["tree_size"]) == (index, checkpoint.size)
        verify_inclusion(
            index,
            checkpoint.size,
            leaf,
            [bytes.fromhex(h) for h in proof["audit_path"]],
            checkpoint.root,
        )


def test_an_entry_is_included_in_an_older_tree_that_already_held_it(client, token, make_party):
    _register_yards(make_party, 1)
    old = _signed_checkpoint(client, token)
    for party_id, legal_name, country in YARDS[1:]:
        make_party(party_id, legal_name=legal_name, country=country)
    entry = _json(client, token, "/v1/entries/1")
    proof = _json(client, token, f"/v1/entries/1/inclusion-proof?tree_size={old.size}")
    leaf = hashlib.sha256(b"\x00" + canonicalize(_hashed_fields(entry))).digest()
    verify_inclusion(1, old.size, leaf, [bytes.fromhex(h) for h in proof["audit_path"]], old.root)


def test_every_saved_checkpoint_is_consistent_with_the_newest(client, token, make_party):
    saved = [_signed_checkpoint(client, token)]
    for party_id, legal_name, country in YARDS:
        make_party(party_id, legal_name=legal_name, country=country)
        saved.append(_signed_checkpoint(client, token))
    newest = saved[-1]
    for old in saved:
        answer = _json(
            client, token, f"/v1/consistency-proof?first={old.size}&second={newest.size}"
        )
        assert (answer["first"], answer["second"]) == (old.size, newest.size)
        verify_consistency(
            old.size,
            newest.size,
            [bytes.fromhex(h) for h in answer["consistency"]],
            old.root,
            newest.root,
        )


def test_the_checkpoint_is_re_signed_only_when_the_log_grows(client, token, make_party):
    first = _get(client, token, "/v1/checkpoint").get_data(as_text=True)
    assert _get(client, token, "/v1/checkpoint").get_data(as_text=True) == first
    make_party("rotterdam-metals")
    assert _get(client, token, "/v1/checkpoint").get_data(as_text=True) != first


@pytest.mark.parametrize(
    "path, field",
    [
        ("/v1/entries/2/inclusion-proof?tree_size=2", "index"),
        ("/v1/entries/0/inclusion-proof?tree_size=9", "tree_size"),
        ("/v1/entries/0/inclusion-proof?tree_size=0", "tree_size"),
        ("/v1/entries/0/inclusion-proof?tree_size=-3", "tree_size"),
        ("/v1/consistency-proof?first=3&second=2", "first"),
        ("/v1/consistency-proof?first=1&second=9", "second"),
        ("/v1/consistency-proof?first=0&second=2", "first"),
    ],
    ids=[
        "index-outside-tree",
        "tree-larger-than-log",
        "empty-tree",
        "negative-tree",
        "first-after-second",
        "second-larger-than-log",
        "first-zero",
    ],
)
def test_a_proof_request_out_of_range_is_a_422_problem(client, token, make_party, path, field):
    make_party("rotterdam-metals")
    make_party("antwerp-scrap", legal_name="Antwerp Scrap NV", country="BE")
    _assert_problem(_get(client, token, path), 422, field)


def test_a_proof_request_without_a_tree_size_is_a_422_problem(client, token):
    _assert_problem(_get(client, token, "/v1/entries/0/inclusion-proof"), 422, "tree_size")


@pytest.mark.parametrize("path", ["/v1/entries", "/v1/entries/0", "/v1/entries/0/inclusion-proof?tree_size=1"])
def test_entry_reads_require_a_token(client, path):
    _assert_problem(client.get(path), 401, "Authorization")


@pytest.mark.parametrize("path", ["/v1/checkpoint", "/v1/log-key"])
def test_the_checkpoint_and_log_key_are_public_so_anyone_can_audit_the_head(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_probes_answer_200_without_a_token(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json()["status"] in ("ok", "ready")


def test_readiness_reports_the_database_and_the_log_key(client):
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "log_key": "ok"}


def probe(env: dict[str, str], path: str, **overrides: str) -> Any:
    """Return the answer to GET `path` of an app started with `overrides` in its environment."""
    app = create_app({**env, **overrides})
    try:
        return app.test_client().get(path)
    finally:
        app.extensions["scrapledger"].store.dispose()


def test_readiness_is_503_when_the_log_key_file_is_missing(env, genesis, tmp_path: Path):
    response = probe(env, "/readyz", SCRAPLEDGER_LOG_KEY_FILE=str(tmp_path / "nowhere" / "log-key.pem"))
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "log_key": "missing"}


def test_readiness_cannot_vouch_for_an_unloaded_log_key_while_the_database_is_unreachable(env, genesis):
    response = probe(env, "/readyz", DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/nowhere")  # closed port
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unavailable", "log_key": "unknown"}


def test_liveness_stays_200_when_the_log_key_file_is_missing(env, genesis, tmp_path: Path):
    response = probe(env, "/healthz", SCRAPLEDGER_LOG_KEY_FILE=str(tmp_path / "nowhere" / "log-key.pem"))
    assert response.status_code == 200


def test_the_openapi_document_lists_every_v1_path(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert set(response.get_json()["paths"]) >= {
        "/v1/entries",
        "/v1/entries/{index}",
        "/v1/entries/{index}/inclusion-proof",
        "/v1/consistency-proof",
        "/v1/checkpoint",
        "/v1/log-key",
        "/v1/parties",
        "/v1/parties/{party_id}",
        "/v1/parties/{party_id}/keys",
        "/v1/parties/{party_id}/keys/{key_id}/revocation",
    }


def test_the_openapi_document_describes_errors_as_problems(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert {"field", "rule", "detail", "status"} <= set(schemas["Problem"]["properties"])


def test_the_docs_page_loads_its_scripts_and_styles_from_this_server(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assets = re.findall(
        r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', response.get_data(as_text=True)
    )
    assert assets and all(url.startswith("/docs/static/") for url in assets)


def test_every_docs_asset_is_served(client):
    html = client.get("/docs").get_data(as_text=True)
    for url in re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html):
        assert client.get(url).status_code == 200, url


def test_the_docs_assets_cannot_reach_outside_their_folder(client):
    response = client.get("/docs/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd")
    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)
