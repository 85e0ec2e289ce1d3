"""Reading EPCIS events back: any value in any field gives a mapped entry or a named refusal, never a crash."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.epcis import NAMESPACE
from ledger.epcis_hash import UnhashableEvent, event_hash
from ledger.epcis_import import References, Unmapped, document_field, in_sl_spelling, made_by, read_event, too_deep

ORIGIN = "scrapledger.local/log"
LOT = f"https://{ORIGIN}/lots/lot-7"
SHIPPED = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
           "eventTime": "2026-03-02T08:00:00Z", "eventTimeZoneOffset": "+00:00",
           "quantityList": [{"epcClass": LOT, "quantity": 24380.5, "uom": "KGM"}],
           "bizTransactionList": [{"type": "desadv", "bizTransaction": f"https://{ORIGIN}/transfers/tr-9"}],
           "sourceList": [{"type": "possessing_party", "source": f"https://{ORIGIN}/parties/rotterdam-metals"}],
           "destinationList": [{"type": "possessing_party", "destination": f"https://{ORIGIN}/parties/ijmuiden-steel"}],
           "sl:transportReference": "CMR NL-4471"}
MELTED = {"type": "TransformationEvent", "eventTime": "2026-03-02T08:00:00Z", "eventTimeZoneOffset": "+00:00",
          "bizStep": "https://ns.scrapledger.org/epcis/BizStep-melt",
          "inputQuantityList": [{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
          "outputQuantityList": [{"epcClass": "https://other.example/ingots/1", "quantity": 95, "uom": "KGM"}],
          "ilmd": {"sl:outputs": [{"sl:lot": "https://other.example/ingots/1", "sl:materialFamily": "copper"}]}}

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
                           | st.text(surrogates, min_size=1, max_size=2)
                           | st.builds(Decimal, st.sampled_from(["1E+999999999", "1E-999999999", "NaN", "12.5"])),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=3), max_leaves=8)


def test_a_shipment_becomes_a_dispatch_by_its_source_party():
    mapped = read_event(SHIPPED, References(ORIGIN), "importer")
    assert (mapped.entry_type, mapped.actor) == ("lot.dispatch", "rotterdam-metals")
    assert mapped.body == {"lot_id": "lot-7", "to_party": "ijmuiden-steel", "declared_mass_kg": "24380.500",
                           "transport_reference": "CMR NL-4471", "transfers_ownership": False}


def test_a_melt_without_stated_losses_loses_what_the_inputs_outweigh_the_outputs():
    mapped = read_event(MELTED, References(ORIGIN), "smelter")
    assert mapped.body["losses_kg"] == "5.000"
    assert mapped.body["outputs"] == [{"material_family": "copper", "net_mass_kg": "95.000"}]


def test_a_quantity_in_tonnes_or_pounds_is_taken_in_exact_grams():
    tonnes = {**SHIPPED, "quantityList": [{"epcClass": LOT, "quantity": 24.3805, "uom": "TNE"}]}
    pounds = {**SHIPPED, "quantityList": [{"epcClass": LOT, "quantity": 1, "uom": "LBR"}]}
    assert read_event(tonnes, References(ORIGIN), "x").body["declared_mass_kg"] == "24380.500"
    assert read_event(pounds, References(ORIGIN), "x").body["declared_mass_kg"] == "0.454"


@settings(max_examples=300, deadline=None)
@given(event=st.sampled_from([SHIPPED, MELTED]), field=st.sampled_from(sorted({*SHIPPED, *MELTED})), value=json_values)
def test_any_value_in_any_field_is_mapped_or_refused_naming_a_field(event, field, value):
    try:
        read_event({**event, field: value}, References(ORIGIN), "importer")
    except Unmapped as refused:
        assert refused.field and refused.rule


def test_members_the_ledger_has_no_field_for_are_ignored_and_named():
    commissioned = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
                    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
                    "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.B42", "quantity": 1, "uom": "TNE"}],
                    "ilmd": {"sl:materialFamily": "aluminium", "acme:baleNumber": "42"}}
    mapped = read_event(commissioned, References(ORIGIN), "duisburg-recycling")
    assert mapped.body == {"material_family": "aluminium", "net_mass_kg": "1000.000"}
    assert mapped.ignored == ("readPoint", "ilmd.acme:baleNumber")


def test_a_field_the_ledger_refuses_is_named_where_the_event_holds_it():
    assert document_field("lot.register", "body.hs_code") == "ilmd.sl:hsCode"
    assert document_field("lot.register", "body.origin.country") == "ilmd.sl:origin.sl:country"
    assert document_field("lot.register", "body.net_mass_kg") == "quantityList[0].quantity"
    assert document_field("lot.dispatch", "body.to_party") == "destinationList"
    assert document_field("lot.receive", "body.inspection.conformant") == "sl:inspection"
    assert document_field("lot.transform", "body.outputs[1].grade.code") == "ilmd.sl:outputs[1].sl:grade.sl:code"
    assert document_field("lot.transform", "body.outputs[1].net_mass_kg") == "outputQuantityList[1].quantity"


def refusal(event, refs=None, importer="importer"):
    with pytest.raises(Unmapped) as refused:
        read_event(event, refs or References(ORIGIN), importer)
    return refused.value


def shipped_quantity(quantity, uom="KGM"):
    return {**SHIPPED, "quantityList": [{"epcClass": LOT, "quantity": quantity, "uom": uom}]}


@pytest.mark.parametrize("quantity", [float("inf"), Decimal("1e30"), Decimal("1e999999"), -1, "24380.5", True])
def test_a_quantity_that_is_no_mass_of_this_world_is_refused_naming_it(quantity):
    assert refusal(shipped_quantity(quantity)).field == "quantityList[0].quantity"


def test_a_quantity_in_kilograms_finer_than_a_gram_is_refused_not_rounded():
    refused = refusal(shipped_quantity(Decimal("24380.5004")))
    assert (refused.field, refused.rule) == ("quantityList[0].quantity",
                                             "must be whole grams: the ledger weighs to the gram")


@pytest.mark.parametrize("epc_class", [[LOT], {"id": LOT}, None, 7])
def test_a_lot_named_by_anything_but_a_uri_is_refused_naming_the_field(epc_class):
    event = {**SHIPPED, "quantityList": [{"epcClass": epc_class, "quantity": 1, "uom": "KGM"}]}
    assert refusal(event).field == "quantityList[0].epcClass"
    assert made_by({**event, "bizStep": "commissioning"}) == []


def test_a_melt_output_described_by_a_list_is_not_a_lot_it_makes():
    melted = {**MELTED, "ilmd": {"sl:outputs": [{"sl:lot": ["https://other.example/ingots/1"]}]}}
    assert read_event(melted, References(ORIGIN), "smelter").body["outputs"] == [{"net_mass_kg": "95.000"}]


def test_the_uris_an_event_makes_are_read_without_refusing_a_malformed_event():
    assert made_by({**SHIPPED, "bizTransactionList": {"type": "desadv"}}) == []


def test_a_party_uri_of_another_host_is_no_party_of_this_ledger():
    event = {**SHIPPED, "destinationList": [{"type": "possessing_party",
                                             "destination": "https://evil.example/parties/ijmuiden-steel"}]}
    assert refusal(event).field == "destinationList"


def test_another_systems_party_uri_names_the_party_the_importer_gave_it():
    foreign = "https://erp.example/partners/4471"
    event = {**SHIPPED, "destinationList": [{"type": "possessing_party", "destination": foreign}]}
    mapped = read_event(event, References(ORIGIN, parties={foreign: "ijmuiden-steel"}), "importer")
    assert mapped.body["to_party"] == "ijmuiden-steel"


def test_a_shipment_whose_submitter_is_not_its_source_is_refused():
    event = {**SHIPPED, "sl:ledgerEntry": {"sl:submitter": f"https://{ORIGIN}/parties/ijmuiden-steel"}}
    refused = refusal(event)
    assert refused.field == "sourceList" and "rotterdam-metals" in refused.rule


@pytest.mark.parametrize(("member", "value"), [("sl:result", "ok"), ("sl:radiationCheck", "PASSED")])
def test_an_inspection_value_outside_the_documented_pair_is_refused_naming_it(member, value):
    received = {**SHIPPED, "bizStep": "receiving", "disposition": "in_progress",
                "sl:inspection": {"sl:result": "conformant", "sl:radiationCheck": "passed", member: value}}
    assert refusal(received).field == f"sl:inspection.{member}"


def test_the_ledgers_members_are_read_under_whatever_prefix_the_document_gives_its_namespace():
    spelled = in_sl_spelling({"ilmd": {"scrap:materialFamily": "copper", "sl:grade": "x"}},
                             {"scrap": NAMESPACE, "sl": "https://other.example/vocab/"})
    assert spelled == {"ilmd": {"sl:materialFamily": "copper", "https://other.example/vocab/grade": "x"}}


def test_documents_of_a_commissioning_event_the_ledger_cannot_hold_are_named_as_ignored():
    commissioned = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
                    "quantityList": [{"epcClass": LOT, "quantity": 1, "uom": "TNE"}],
                    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:4471"}],
                    "ilmd": {"sl:materialFamily": "aluminium"}}
    assert read_event(commissioned, References(ORIGIN), "duisburg-recycling").ignored == ("bizTransactionList",)


def test_an_event_nested_deeper_than_the_write_interface_allows_is_too_deep():
    deep: list = []
    for _ in range(40):
        deep = [deep]
    assert too_deep({"ilmd": {"sl:notes": deep}}) and not too_deep(SHIPPED)


@settings(max_examples=300, deadline=None)
@given(event=st.sampled_from([SHIPPED, MELTED]), field=st.sampled_from(sorted({*SHIPPED, *MELTED})), value=json_values)
def test_any_value_in_any_field_is_hashed_or_refused_naming_a_field(event, field, value):
    try:
        event_hash({**event, field: value}, {"sl": NAMESPACE})
    except UnhashableEvent as refused:
        assert refused.field and refused.rule


@settings(max_examples=300, deadline=None)
@given(member=st.sampled_from(["epcClass", "quantity", "uom"]), value=json_values | st.decimals())
def test_any_value_in_a_quantity_element_is_mapped_or_refused_naming_a_field(member, value):
    event = {**SHIPPED, "quantityList": [{**SHIPPED["quantityList"][0], member: value}]}
    assert isinstance(made_by(event), list)
    try:
        read_event(event, References(ORIGIN), "importer")
    except Unmapped as refused:
        assert refused.field.startswith("quantityList") and refused.rule


def test_a_receipts_destination_named_as_owning_party_in_urn_form_must_be_its_submitter():
    received = {**SHIPPED, "bizStep": "receiving", "disposition": "in_progress",
                "destinationList": [{"type": "urn:epcglobal:cbv:sdt:owning_party",
                                     "destination": f"https://{ORIGIN}/parties/ijmuiden-steel"}],
                "sl:inspection": {"sl:result": "conformant", "sl:radiationCheck": "passed"},
                "sl:ledgerEntry": {"sl:submitter": f"https://{ORIGIN}/parties/hamburg-copper"}}
    assert refusal(received).field == "destinationList"


def test_a_source_typed_in_urn_form_names_the_party_that_signs_the_shipment():
    event = {**SHIPPED, "sourceList": [{"type": "urn:epcglobal:cbv:sdt:possessing_party",
                                        "source": f"https://{ORIGIN}/parties/rotterdam-metals"}]}
    assert read_event(event, References(ORIGIN), "importer").actor == "rotterdam-metals"


@pytest.mark.parametrize("named", ["urn:epc:id:pgln:8712345.00000", "https://example.com/417/8712345000004"])
def test_a_party_named_by_its_gln_in_any_form_is_the_party_the_importer_gave_that_gln(named):
    event = {**SHIPPED, "destinationList": [{"type": "possessing_party", "destination": named}]}
    refs = References(ORIGIN, parties={"https://id.gs1.org/417/8712345000004": "ijmuiden-steel"})
    assert read_event(event, refs, "importer").body["to_party"] == "ijmuiden-steel"


def test_a_quantity_finer_than_any_weighing_is_refused_not_rounded_away():
    refused = refusal(shipped_quantity(Decimal("1000.00000000000000000000000000001")))
    assert refused.field == "quantityList[0].quantity" and "decimals" in refused.rule
