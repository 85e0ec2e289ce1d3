"""EPCIS 2.0 out: `GET /v1/lots/{id}/epcis` and `scrapledger export --epcis`, checked by GS1's own tools."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from api.cli import main
from api.client import ClientError
from ledger.checkpoint import NoteVerifier, open_checkpoint
from ledger.epcis import NAMESPACE
from ledger.epcis_hash import event_hash, namespaces_of, pre_hash_pieces
from ledger.merkle import verify_inclusion
from tests.api.conftest import token_of
from tests.conftest import seeded_signer
from tests.epcis_checks import as_the_generator_orders, generator_pre_hashes, schema_errors

SMELTER, RECYCLER = "hamburg-copper", "rotterdam-metals"


def history(client, demo, lot_name, party=SMELTER):
    answer = client.get(f"/v1/lots/{demo.lots[lot_name]}/epcis", headers=token_of(demo, party))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/ld+json"
    return json.loads(answer.get_data())


@pytest.fixture
def exported(demo, env, tmp_path):
    path = tmp_path / "ledger.jsonld"
    result = CliRunner().invoke(main, ["export", "--epcis", str(path)], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def events_of(document):
    return document["epcisBody"]["eventList"]


def test_the_whole_ledger_exported_is_valid_against_the_gs1_epcis_2_schema(exported):
    assert schema_errors(exported) == []
    assert len(events_of(exported)) == 31  # 12 registrations, 8 dispatches, 7 receipts, a rejection, 3 transformations


def test_a_lots_history_is_valid_against_the_gs1_epcis_2_schema(client, demo):
    assert schema_errors(history(client, demo, "hamburg-ingots")) == []


def test_every_event_id_is_its_cbv_2_event_hash_as_the_reference_implementation_computes_it(exported):
    namespaces = namespaces_of(exported["@context"])
    theirs = generator_pre_hashes(exported)
    for event, their_pre_hash in zip(events_of(exported), theirs, strict=True):
        unhashed = {key: value for key, value in event.items() if key != "eventID"}
        assert event["eventID"] == event_hash(unhashed, namespaces)
        assert as_the_generator_orders(pre_hash_pieces(unhashed, namespaces)) == their_pre_hash


def test_a_registration_is_a_commissioning_object_event_with_its_net_mass_in_kilograms(client, demo):
    registration = events_of(history(client, demo, "hamburg-ingots"))[0]
    assert registration["type"] == "ObjectEvent"
    assert (registration["action"], registration["bizStep"], registration["disposition"]) == (
        "ADD", "commissioning", "active")
    (quantity,) = registration["quantityList"]
    assert quantity["uom"] == "KGM" and quantity["epcClass"].startswith("https://test.scrapledger.local/log/lots/")
    assert registration["ilmd"]["sl:materialFamily"] == "copper"


def test_a_dispatch_and_its_receipt_name_both_parties_and_the_transfer(client, demo):
    events = events_of(history(client, demo, "hamburg-ingots"))
    shipping = next(event for event in events if event.get("bizStep") == "shipping")
    transfer = shipping["bizTransactionList"][0]["bizTransaction"]
    receiving = next(event for event in events if event.get("bizStep") == "receiving"
                     and event["bizTransactionList"][0]["bizTransaction"] == transfer)
    assert {source["type"] for source in shipping["sourceList"]} == {"owning_party", "possessing_party"}
    assert receiving["destinationList"][-1] == {"type": "possessing_party",
                                                "destination": "https://id.gs1.org/417/4001234000008"}
    assert receiving["sourceList"] == shipping["sourceList"]
    assert receiving["quantityList"][0]["epcClass"] == shipping["quantityList"][0]["epcClass"]


def test_a_party_without_a_gln_is_named_by_a_uri_under_the_logs_origin(client, demo):
    events = events_of(history(client, demo, "hamburg-ingots"))
    submitters = {event["sl:ledgerEntry"]["sl:submitter"] for event in events}
    assert "https://test.scrapledger.local/log/parties/duisburg-recycling" in submitters


def test_a_melt_is_a_transformation_event_with_inputs_additions_outputs_and_losses(client, demo):
    melt = events_of(history(client, demo, "hamburg-ingots"))[-1]
    assert melt["type"] == "TransformationEvent"
    assert melt["bizStep"] == NAMESPACE + "BizStep-melt"
    inputs = {item["epcClass"]: item["quantity"] for item in melt["inputQuantityList"]}
    outputs = sum(item["quantity"] for item in melt["outputQuantityList"])
    assert any(uri.startswith(NAMESPACE + "primary-metal/") for uri in inputs)
    assert sum(inputs.values()) == outputs + float(melt["sl:lossesKg"])


def test_a_rejected_delivery_is_an_inspecting_event_with_a_non_conformant_disposition(exported):
    (rejection,) = [event for event in events_of(exported) if event.get("bizStep") == "inspecting"]
    assert rejection["disposition"] == "non_conformant"
    assert "gas cylinders" in rejection["sl:rejectionReason"]


def test_each_event_names_the_entry_that_proves_it_and_its_leaf_is_in_the_signed_tree(client, demo):
    headers = token_of(demo, SMELTER)
    verifier = NoteVerifier.from_vkey(client.get("/v1/log-key").get_data(as_text=True).strip())
    checkpoint = open_checkpoint(client.get("/v1/checkpoint").get_data(as_text=True), verifier)
    for event in events_of(history(client, demo, "hamburg-ingots")):
        link = event["sl:ledgerEntry"]
        assert link["sl:entry"].endswith(f"/v1/entries/{link['sl:index']}")
        entry = client.get(f"/v1/entries/{link['sl:index']}", headers=headers).get_json()
        assert entry["leaf_hash"] == link["sl:leafHash"]
        proof = client.get(f"/v1/entries/{link['sl:index']}/inclusion-proof?tree_size={checkpoint.size}",
                           headers=headers).get_json()
        verify_inclusion(link["sl:index"], checkpoint.size, bytes.fromhex(link["sl:leafHash"]),
                         [bytes.fromhex(step) for step in proof["audit_path"]], checkpoint.root)


def test_a_lot_the_reader_may_not_see_has_no_history_for_it(client, demo):
    answer = client.get(f"/v1/lots/{demo.lots['hamburg-ingots']}/epcis", headers=token_of(demo, "ijmuiden-steel"))
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"


def test_a_party_registration_with_a_wrong_gln_check_digit_is_refused_naming_the_field(operator):
    with pytest.raises(ClientError) as refused:
        operator.submit("/v1/parties", "party.register", {
            "party_id": "gln-yard", "legal_name": "GLN Yard B.V.", "registration_number": "KVK-1",
            "country": "NL", "roles": ["recycler"], "public_keys": [seeded_signer("gln-yard").public_key.hex()],
            "gln": "8712345000005"})
    assert refused.value.status == 422
    assert refused.value.problem["field"] == "body.gln"
