"""The holder's site as EPCIS bizLocation: read into registrations, receipts and transformations, and written back."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger import claim_accounts
from ledger.epcis_import import References, Unmapped, read_event
from ledger.epcis_sites import URI, biz_location_id, site_of_biz_location
from ledger.errors import InvalidInput
from tests.epcis_checks import validator
from tests.ledger.test_epcis_import_mapping import MELTED, ORIGIN, SHIPPED, json_values

BASE = f"https://{ORIGIN}"
SGLN = "urn:epc:id:sgln:4012345.00001.0"
RECEIVED = {**SHIPPED, "bizStep": "receiving", "disposition": "in_progress",
            "sl:inspection": {"sl:result": "conformant", "sl:radiationCheck": "passed"}}
COMMISSIONED = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
                "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.B42", "quantity": 1, "uom": "TNE"}],
                "ilmd": {"sl:materialFamily": "aluminium"}}


def read(event, importer="importer"):
    return read_event(event, References(ORIGIN), importer)


def refusal(event, importer="importer"):
    with pytest.raises(Unmapped) as refused:
        read(event, importer)
    return refused.value


def accepted(site):
    """Whether the ledger takes `site` as an entry's site."""
    try:
        claim_accounts.check_site({"site": site})
    except InvalidInput:
        return False
    return True


sites = st.text(min_size=1, max_size=64) | st.from_regex(URI, fullmatch=True)


def test_a_receiving_event_at_a_biz_location_is_a_receipt_at_that_site():
    assert read({**RECEIVED, "bizLocation": {"id": SGLN}}).body["site"] == SGLN


def test_a_commissioning_event_at_a_biz_location_registers_its_lot_at_that_site():
    assert read({**COMMISSIONED, "bizLocation": {"id": SGLN}}).body["site"] == SGLN


def test_a_transformation_at_a_biz_location_happened_at_that_site():
    digital_link = "https://id.gs1.org/414/4012345000016/254/1"
    assert read({**MELTED, "bizLocation": {"id": digital_link}}, "smelter").body["site"] == digital_link


def test_a_shipments_biz_location_names_no_site_and_is_ignored():
    mapped = read({**SHIPPED, "bizLocation": {"id": SGLN}})
    assert "site" not in mapped.body and mapped.ignored == ("bizLocation",)


def test_an_event_without_a_biz_location_names_no_site():
    assert "site" not in read(RECEIVED).body


def test_this_ledgers_uri_of_a_holders_site_is_read_as_the_label_it_names():
    location = f"{BASE}/parties/ijmuiden-steel/sites/IJmuiden%20scrap%20bay%203"
    assert read({**RECEIVED, "bizLocation": {"id": location}}).body["site"] == "IJmuiden scrap bay 3"


def test_this_ledgers_uri_of_another_holders_site_is_refused_naming_the_biz_location():
    location = f"{BASE}/parties/rotterdam-metals/sites/Waalhaven"
    refused = refusal({**RECEIVED, "bizLocation": {"id": location}})
    assert refused.field == "bizLocation.id" and "rotterdam-metals" in refused.rule


def test_members_of_a_biz_location_beside_its_id_are_ignored_and_named():
    mapped = read({**RECEIVED, "bizLocation": {"id": SGLN, "acme:dock": "3"}})
    assert mapped.ignored == ("bizLocation.acme:dock",)


def test_a_commissioning_event_naming_a_site_in_its_ilmd_is_refused_for_the_biz_location():
    refused = refusal({**COMMISSIONED, "ilmd": {**COMMISSIONED["ilmd"], "sl:site": "Waalhaven"}})
    assert refused.field == "ilmd.sl:site" and "bizLocation" in refused.rule


@settings(max_examples=300, deadline=None)
@given(event=st.sampled_from([RECEIVED, COMMISSIONED, MELTED]), value=json_values)
def test_any_value_as_a_biz_location_is_mapped_or_refused_naming_it(event, value):
    try:
        read({**event, "bizLocation": value}, "ijmuiden-steel")
    except Unmapped as refused:
        assert refused.field.startswith("bizLocation") and refused.rule


@pytest.mark.parametrize("site", [SGLN, "https://id.gs1.org/414/4012345000016/254/1"])
def test_a_site_that_is_a_uri_is_its_own_biz_location_id(site):
    assert biz_location_id(BASE, "ijmuiden-steel", site) == site


def test_a_label_with_a_colon_is_a_label_not_a_uri():
    assert biz_location_id(BASE, "hamburg-copper", "Yard:North") == f"{BASE}/parties/hamburg-copper/sites/Yard%3ANorth"


def test_a_site_label_is_named_under_its_holder_at_the_logs_origin():
    assert biz_location_id(BASE, "hamburg-copper", "Hamburg Peute refinery") == (
        f"{BASE}/parties/hamburg-copper/sites/Hamburg%20Peute%20refinery")


@settings(max_examples=500, deadline=None)
@given(site=sites)
def test_every_site_the_ledger_accepts_is_a_biz_location_id_the_epcis_schema_accepts(site):
    assume(accepted(site))
    assert validator().format_checker.conforms(biz_location_id(BASE, "hamburg-copper", site), "uri")


@settings(max_examples=500, deadline=None)
@given(site=sites)
def test_every_site_the_ledger_accepts_is_read_back_from_its_biz_location_id_unchanged(site):
    assume(accepted(site))
    holder, read_back = site_of_biz_location(BASE, biz_location_id(BASE, "hamburg-copper", site))
    assert read_back == site and holder in (None, "hamburg-copper")
