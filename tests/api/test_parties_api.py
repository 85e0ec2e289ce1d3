"""Parties through the HTTP API: registration, reading, key rotation and revocation."""

from __future__ import annotations

import pytest

from api.client import ClientError
from tests.conftest import seeded_signer


def test_operator_registers_a_recycler_and_the_party_reads_back(make_party, operator):
    recycler = make_party("rotterdam-metals", roles=("recycler",))
    party = recycler.get("/v1/parties/rotterdam-metals")
    assert party["legal_name"] == "Rotterdam Metals Recycling B.V."
    assert party["roles"] == ["recycler"]
    assert party["keys"][0]["key_id"] == recycler.signer.key_id
    assert party["keys"][0]["ended_at"] is None


def test_registration_returns_a_token_once_and_a_retry_returns_the_same_entry(operator):
    signer = seeded_signer("antwerp-scrap")
    body = {"party_id": "antwerp-scrap", "legal_name": "Antwerp Scrap NV", "registration_number": "BE0400000001",
            "country": "BE", "roles": ["recycler"], "public_keys": [signer.public_key.hex()]}
    envelope = operator.signed("party.register", body, submission_id="reg-antwerp")
    first = operator.post("/v1/parties", envelope)
    again = operator.post("/v1/parties", envelope)
    assert first["token"].startswith("slt_")
    assert again["token"] is None and again["replayed"] is True
    assert again["index"] == first["index"] and again["entry_hash"] == first["entry_hash"]


def test_a_recycler_cannot_register_parties(make_party):
    recycler = make_party("rotterdam-metals")
    signer = seeded_signer("shadow")
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/parties", "party.register", {
            "party_id": "shadow", "legal_name": "Shadow", "registration_number": "X", "country": "NL",
            "roles": ["smelter"], "public_keys": [signer.public_key.hex()]})
    assert failure.value.status == 403


def test_rotation_retires_the_old_key_for_later_entries(make_party):
    recycler = make_party("rotterdam-metals")
    new = seeded_signer("rotterdam-metals-2026")
    old_key_id = recycler.signer.key_id
    recycler.submit("/v1/parties/rotterdam-metals/keys", "party.rotate_key",
                    {"party_id": "rotterdam-metals", "new_public_key": new.public_key.hex(), "retire_key_id": old_key_id})
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/parties/rotterdam-metals/keys", "party.rotate_key",
                        {"party_id": "rotterdam-metals", "new_public_key": seeded_signer("x").public_key.hex()})
    assert failure.value.status == 401
    recycler.signer = new
    keys = recycler.get("/v1/parties/rotterdam-metals")["keys"]
    assert [key["end_reason"] for key in keys] == ["retired", None]


def test_a_revoked_key_can_no_longer_sign(make_party, operator):
    recycler = make_party("rotterdam-metals")
    key_id = recycler.signer.key_id
    operator.submit(f"/v1/parties/rotterdam-metals/keys/{key_id}/revocation", "party.revoke_key",
                    {"party_id": "rotterdam-metals", "key_id": key_id, "reason": "laptop stolen"})
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/parties/rotterdam-metals/keys", "party.rotate_key",
                        {"party_id": "rotterdam-metals", "new_public_key": seeded_signer("y").public_key.hex()})
    assert failure.value.status == 401
    assert "revoked" in failure.value.problem["detail"]


def test_unknown_party_is_a_404_problem(operator):
    with pytest.raises(ClientError) as failure:
        operator.get("/v1/parties/nobody")
    assert failure.value.status == 404
    assert failure.value.problem["status"] == 404
