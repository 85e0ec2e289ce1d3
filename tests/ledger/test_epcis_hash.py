"""The CBV 2.0 event hash ID, checked against GS1's examples and GS1's reference implementation."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from ledger import epcis
from ledger.epcis_hash import UnhashableEvent, event_hash, namespaces_of, pre_hash, pre_hash_pieces
from ledger.gs1 import constrained_digital_link, digital_link_of_urn, is_gln
from tests.epcis_checks import as_the_generator_orders, example, generator_pre_hashes

HASHABLE_EXAMPLES = ("AssociationEvent-a.jsonld", "ErrorDeclarationAndCorrectiveEvent.jsonld",
                     "Example_9.6.1-ObjectEvent.jsonld", "Example_9.6.3-AggregationEvent.jsonld",
                     "Example_9.6.4-TransformationEvent.jsonld")
SENSOR_EXAMPLES = ("object_event_all_possible_fields.jsonld", "aggregation_event_all_possible_fields.jsonld",
                   "Example-Type-sourceOrDestination_measurement_bizTransaction.jsonld")


def shipped(**changes):
    event = {"type": "ObjectEvent", "eventTime": "2026-03-02T08:00:00.412000Z", "eventTimeZoneOffset": "+00:00",
             "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
             "quantityList": [{"epcClass": "https://scrapledger.local/log/lots/lot-7", "quantity": 24380.5,
                               "uom": "KGM"}],
             "bizTransactionList": [{"type": "desadv", "bizTransaction": "https://scrapledger.local/log/transfers/tr-9"}],
             "sourceList": [{"type": "possessing_party", "source": "https://scrapledger.local/log/parties/rtm"}],
             "destinationList": [{"type": "possessing_party", "destination": "https://id.gs1.org/417/8712345000004"}],
             "sl:transportReference": "CMR NL-4471"}
    return {**event, **changes}


SL = {"sl": "https://ns.scrapledger.org/epcis/"}


@pytest.mark.parametrize("name", HASHABLE_EXAMPLES)
def test_the_pre_hash_of_every_gs1_example_equals_the_reference_implementations(name):
    document = example(name)
    namespaces = namespaces_of(document["@context"])
    ours = [pre_hash(event, namespaces) for event in document["epcisBody"]["eventList"]]
    assert ours == generator_pre_hashes(document)


def test_the_hash_id_is_the_sha256_of_the_pre_hash_string_as_an_ni_uri():
    event = shipped()
    digest = hashlib.sha256(pre_hash(event, SL).encode()).hexdigest()
    assert event_hash(event, SL) == f"ni:///sha-256;{digest}?ver=CBV2.0"


def test_a_shipping_event_hashes_as_the_reference_implementation_orders_it_but_with_source_list_in_place():
    event = shipped()
    document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", SL],
                "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-02T08:00:00Z",
                "epcisBody": {"eventList": [event]}}
    pieces = pre_hash_pieces(event, SL)
    assert [piece.split("=")[0].split("type")[0] for piece in pieces[-4:-1]] == [
        "bizTransactionList", "sourceList", "destinationList"]
    assert generator_pre_hashes(document) == [as_the_generator_orders(pieces)]


def test_the_order_of_list_members_and_of_json_keys_does_not_change_the_hash():
    event = shipped(quantityList=[{"uom": "KGM", "quantity": 12, "epcClass": "https://x.example/lots/b"},
                                  {"epcClass": "https://x.example/lots/a", "quantity": 3, "uom": "KGM"}])
    reordered = dict(reversed(list(event.items())))
    reordered["quantityList"] = list(reversed(event["quantityList"]))
    assert event_hash(event, SL) == event_hash(reordered, SL)


def test_cbv_words_urns_and_uris_of_the_same_value_hash_alike():
    words = event_hash(shipped(bizStep="shipping"), SL)
    assert event_hash(shipped(bizStep="urn:epcglobal:cbv:bizstep:shipping"), SL) == words
    assert event_hash(shipped(bizStep="https://ref.gs1.org/cbv/BizStep-shipping"), SL) == words
    assert event_hash(shipped(bizStep="cbv:BizStep-shipping"), SL) == words


def test_quantities_lose_trailing_zeros_and_times_are_utc_milliseconds():
    text = pre_hash(shipped(quantityList=[{"epcClass": "https://x.example/l", "quantity": 1.50, "uom": "KGM"}],
                            eventTime="2026-03-02T10:00:00.4125+02:00"), SL)
    assert "quantity=1.5uom=KGM" in text
    assert "eventTime=2026-03-02T08:00:00.412Z" in text  # half to even


def test_a_time_just_short_of_the_next_second_rounds_into_it():
    assert "eventTime=2026-03-02T08:00:01.000Z" in pre_hash(shipped(eventTime="2026-03-02T08:00:00.9996Z"), SL)


def test_an_epc_urn_is_hashed_as_its_canonical_digital_link():
    assert digital_link_of_urn("urn:epc:id:sgtin:0614141.107346.2018") == "https://id.gs1.org/01/10614141073464/21/2018"
    assert digital_link_of_urn("urn:epc:class:lgtin:4012345.012345.998877") == "https://id.gs1.org/01/04012345123456/10/998877"
    assert digital_link_of_urn("urn:epc:id:pgln:0614141.00001") == "https://id.gs1.org/417/0614141000012"
    assert digital_link_of_urn("urn:epc:id:sgln:0614141.00777.0") == "https://id.gs1.org/414/0614141007776"


def test_a_digital_link_keeps_only_its_finest_identification_on_gs1s_domain():
    assert (constrained_digital_link("https://example.com/01/9520123456788/10/LOT1/21/12345?17=201225")
            == "https://id.gs1.org/01/09520123456788/21/12345")
    assert constrained_digital_link("https://scrapledger.local/log/lots/lot-7") is None


def test_a_gln_needs_its_check_digit():
    assert is_gln("8712345000004")
    assert not is_gln("8712345000005")
    assert not is_gln("871234500000")


@pytest.mark.parametrize("name", SENSOR_EXAMPLES)
def test_an_event_with_sensor_data_is_refused_naming_the_field(name):
    event = next(event for event in example(name)["epcisBody"]["eventList"] if "sensorElementList" in event)
    with pytest.raises(UnhashableEvent) as refused:
        pre_hash(event, namespaces_of(example(name)["@context"]))
    assert refused.value.field == "sensorElementList"


def test_an_extension_under_an_undeclared_prefix_is_refused():
    with pytest.raises(UnhashableEvent) as refused:
        pre_hash(shipped(**{"acme:truck": "NL-44"}), SL)
    assert refused.value.field == "acme:truck"


def test_an_unknown_plain_field_is_refused():
    with pytest.raises(UnhashableEvent) as refused:
        pre_hash(shipped(truck="NL-44"), SL)
    assert refused.value.field == "truck"


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59.9999Z"])
def test_a_time_outside_the_calendar_in_utc_is_refused_naming_the_field(moment):
    with pytest.raises(UnhashableEvent) as refused:
        event_hash(shipped(eventTime=moment), SL)
    assert refused.value.field == "eventTime"


def test_an_epc_urn_whose_company_prefix_is_not_digits_has_no_digital_link():
    assert digital_link_of_urn("urn:epc:class:lgtin:abc.def.1") is None
    with pytest.raises(UnhashableEvent):
        event_hash(shipped(quantityList=[{"epcClass": "urn:epc:class:lgtin:abc.def.1", "quantity": 1}]), SL)


def test_a_uri_that_cannot_be_parsed_is_hashed_as_given():
    broken = "https://[::1/01/09506000134352"
    assert constrained_digital_link(broken) is None
    assert f"epcClass={broken}" in pre_hash(shipped(quantityList=[{"epcClass": broken, "quantity": 1}]), SL)


def test_a_lone_surrogate_is_refused_as_not_text():
    with pytest.raises(UnhashableEvent) as refused:
        event_hash(shipped(**{"sl:transportReference": "CMR \ud800"}), SL)
    assert refused.value.field == "event"


def test_a_number_too_large_to_write_out_is_refused_naming_the_field():
    with pytest.raises(UnhashableEvent) as refused:
        event_hash(shipped(**{"sl:grossMassKg": Decimal("1E+999999999")}), SL)
    assert refused.value.field == "sl:grossMassKg"


def test_a_prefix_bound_as_an_expanded_term_is_a_namespace_of_the_document():
    assert namespaces_of([{"ex": {"@id": "https://ns.example.com/", "@prefix": True}}]) == {
        "ex": "https://ns.example.com/"}


def test_an_extension_named_by_a_whole_iri_is_hashed_as_the_reference_implementation_does():
    event = shipped(**{"https://ns.example.com/epcis/baleNumber": "B-42"})
    document = {"@context": [*epcis.CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-03-02T08:00:00Z", "epcisBody": {"eventList": [event]}}
    assert "https://ns.example.com/epcis/baleNumber=B-42" in pre_hash_pieces(event, SL)
    assert as_the_generator_orders(pre_hash_pieces(event, SL)) == generator_pre_hashes(document)[0]
