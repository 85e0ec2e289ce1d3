"""UNTP out: a lot's history and a verification report as credentials signed by the log, checked independently."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from api.cli import main
from ledger.checkpoint import NoteVerifier
from ledger.evidence import check_report
from tests.api.conftest import token_of
from tests.factories import declaration_body, lot_body
from tests.ledger.test_data_integrity_independent import ProofRejected, resolve_did_key, verify


def log_key(client) -> bytes:
    return NoteVerifier.from_vkey(client.get("/v1/log-key").get_data(as_text=True).strip()).public_key


def lot_credential(client, demo):
    answer = client.get(f"/v1/lots/{demo.lots['hamburg-ingots']}/untp", headers=token_of(demo, "hamburg-copper"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/vc+ld+json"
    return json.loads(answer.get_data())


def test_a_lots_traceability_credential_verifies_and_its_issuer_is_the_log_key(client, demo):
    credential = lot_credential(client, demo)
    verify(credential)
    did, public_key = resolve_did_key(credential["proof"]["verificationMethod"])
    assert credential["issuer"]["id"] == did
    assert public_key == log_key(client)


def test_its_subjects_are_the_lots_epcis_events_named_by_their_event_hash(client, demo):
    credential = lot_credential(client, demo)
    epcis = json.loads(client.get(f"/v1/lots/{demo.lots['hamburg-ingots']}/epcis",
                                  headers=token_of(demo, "hamburg-copper")).get_data())
    assert [subject["id"] for subject in credential["credentialSubject"]] == [
        event["eventID"] for event in epcis["epcisBody"]["eventList"]]
    assert credential["credentialSubject"][-1]["type"] == ["TransformationEvent", "Event"]


def test_a_credential_changed_after_signing_is_rejected(client, demo):
    credential = lot_credential(client, demo)
    credential["credentialSubject"][0]["quantityList"][0]["quantity"] += 1
    with pytest.raises(ProofRejected):
        verify(credential)


def test_the_whole_ledger_exports_as_signed_credentials_of_a_thousand_events_at_most(demo, env, tmp_path):
    path = tmp_path / "ledger.untp.jsonl"
    result = CliRunner().invoke(main, ["export", "--untp", str(path)], env=env)
    assert result.exit_code == 0, result.output
    (line,) = path.read_text(encoding="utf-8").splitlines()
    credential = json.loads(line)
    verify(credential)
    assert len(credential["credentialSubject"]) == 31


def test_a_verification_report_comes_as_a_signed_conformity_credential_carrying_the_report(make_party, client):
    recycler = make_party("rotterdam-metals", roles=("recycler",))
    smelter = make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    declaration = recycler.submit("/v1/declarations", "declaration.issue",
                                  declaration_body(lot, "ijmuiden-steel"))["result"]["declaration_id"]
    answer = client.post(f"/v1/declarations/{declaration}/verification/credential",
                         headers={"Authorization": f"Bearer {smelter.token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    credential = json.loads(answer.get_data())
    verify(credential)
    attestation = credential["credentialSubject"]
    assert credential["type"] == ["DigitalConformityCredential", "VerifiableCredential"]
    assert attestation["sl:verdict"] == attestation["sl:verificationReport"]["verdict"]
    check_report(attestation["sl:verificationReport"])  # the report inside still verifies offline


def test_only_the_recipient_may_have_a_declaration_verified_as_a_credential(make_party, client):
    recycler = make_party("rotterdam-metals", roles=("recycler",))
    make_party("ijmuiden-steel", roles=("smelter",))
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    declaration = recycler.submit("/v1/declarations", "declaration.issue",
                                  declaration_body(lot, "ijmuiden-steel"))["result"]["declaration_id"]
    answer = client.post(f"/v1/declarations/{declaration}/verification/credential",
                         headers={"Authorization": f"Bearer {recycler.token}"})
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"
