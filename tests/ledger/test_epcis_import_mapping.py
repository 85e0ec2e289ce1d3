"""Reading EPCIS events back: any value in any field gives a mapped entry or a named refusal, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.epcis_import import References, Unmapped, document_field, read_event

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

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
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
