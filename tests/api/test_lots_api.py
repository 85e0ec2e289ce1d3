"""Lots through the HTTP API: registration, validation, reading, listing and read access."""

from __future__ import annotations

import pytest

from api.client import ClientError
from tests.factories import berry_body, lot_body, zorba_body


@pytest.fixture
def recycler(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


def test_a_registered_lot_is_held_and_owned_by_its_registrant(recycler):
    answer = recycler.submit("/v1/lots", "lot.register", lot_body())
    lot = recycler.get(f"/v1/lots/{answer['result']['lot_id']}")
    assert lot["holder"] == lot["owner"] == "rotterdam-metals"
    assert lot["status"] == "active"
    assert lot["mass_kg"] == "24380.000"
    assert lot["shares"]["recycled"] == "1.000000"
    assert lot["shares"]["post_consumer"] == "1.000000"
    assert lot["origins"] == [{"country": "NL", "mass_kg": "24380.000", "share": "1.000000"}]
    assert lot["attributes"]["ewc_code"] == "17 04 05"


def test_ewc_codes_are_normalised_and_keep_the_hazardous_marker(recycler):
    answer = recycler.submit("/v1/lots", "lot.register", lot_body(ewc_code="160213*", material_family="copper"))
    assert recycler.get(f"/v1/lots/{answer['result']['lot_id']}")["attributes"]["ewc_code"] == "16 02 13*"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"net_mass_kg": "-5"}, "body.net_mass_kg"),
    ({"net_mass_kg": "0"}, "body.net_mass_kg"),
    ({"net_mass_kg": "12.3456"}, "body.net_mass_kg"),
    ({"origin": {"country": "XX", "site": "Nowhere"}}, "body.origin.country"),
    ({"origin": {"country": "nl", "site": "Rotterdam"}}, "body.origin.country"),
    ({"ewc_code": "02 01 04"}, "body.ewc_code"),
    ({"ewc_code": "17-04-05"}, "body.ewc_code"),
    ({"hs_code": "72044"}, "body.hs_code"),
    ({"grade": {"scheme": "ISRI", "code": "Banana"}}, "body.grade.code"),
    ({"grade": {"scheme": "EU-27", "code": "E99"}}, "body.grade.code"),
    ({"consumer_stage": "recycled"}, "body.consumer_stage"),
    ({"gross_mass_kg": "38000"}, "body.net_mass_kg"),
    ({"documents": [{"kind": "selfie", "sha256": "a" * 64}]}, "body.documents[0].kind"),
    ({"colour": "rusty"}, "body.colour"),
    ({"end_of_waste": {"regime": "333/2011", "statement_of_conformity": "SoC-1"}}, "body.end_of_waste"),
])
def test_invalid_registrations_get_a_422_naming_the_field(recycler, overrides, field):
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/lots", "lot.register", lot_body(**overrides))
    assert failure.value.status == 422
    assert failure.value.problem["field"] == field


def test_a_float_mass_is_refused_before_it_reaches_the_ledger(recycler, client):
    envelope = recycler.signed("lot.register", lot_body())
    raw = client.post("/v1/lots", headers={"Authorization": f"Bearer {recycler.token}", "Content-Type": "application/json"},
                      data=__import__("json").dumps(envelope).replace('"24380"', "24380.0", 1))
    assert raw.status_code in (400, 422)
    assert raw.mimetype == "application/problem+json"


def test_a_mass_given_as_a_json_number_is_refused(recycler):
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/lots", "lot.register", lot_body(net_mass_kg=24380))
    assert failure.value.problem["field"] == "body.net_mass_kg"


def test_end_of_waste_lots_carry_the_regime_and_statement_of_conformity(recycler):
    body = lot_body(ewc_code=None, end_of_waste={"regime": "333/2011", "statement_of_conformity": "SoC-2026-118"})
    answer = recycler.submit("/v1/lots", "lot.register", body)
    lot = recycler.get(f"/v1/lots/{answer['result']['lot_id']}")
    assert lot["attributes"]["end_of_waste"]["regime"] == "333/2011"


def test_only_recyclers_and_smelters_register_lots(make_party):
    auditor = make_party("tuv-audit", roles=("auditor",))
    with pytest.raises(ClientError) as failure:
        auditor.submit("/v1/lots", "lot.register", lot_body())
    assert failure.value.status == 403


def test_other_parties_get_404_for_lots_they_never_held(recycler, make_party):
    stranger = make_party("antwerp-scrap", roles=("recycler",), country="BE")
    answer = recycler.submit("/v1/lots", "lot.register", lot_body())
    with pytest.raises(ClientError) as failure:
        stranger.get(f"/v1/lots/{answer['result']['lot_id']}")
    assert failure.value.status == 404


def test_auditors_see_every_lot(recycler, make_party):
    auditor = make_party("tuv-audit", roles=("auditor",))
    answer = recycler.submit("/v1/lots", "lot.register", lot_body())
    assert auditor.get(f"/v1/lots/{answer['result']['lot_id']}")["lot_id"] == answer["result"]["lot_id"]


def test_listing_filters_by_material_and_country_and_pages_with_a_cursor(recycler):
    for body in (lot_body(), zorba_body(), berry_body(), lot_body(reference="RTM-2")):
        recycler.submit("/v1/lots", "lot.register", body)
    ferrous = recycler.get("/v1/lots?material_family=ferrous")["lots"]
    assert [lot["attributes"]["reference"] for lot in ferrous] == ["RTM-2026-11-0042", "RTM-2"]
    assert [lot["material_family"] for lot in recycler.get("/v1/lots?country=DE")["lots"]] == ["copper"]
    first = recycler.get("/v1/lots?limit=3")
    second = recycler.get(f"/v1/lots?limit=3&cursor={first['next_cursor']}")
    assert len(first["lots"]) == 3 and len(second["lots"]) == 1 and second["next_cursor"] is None


def test_listing_shows_only_lots_the_caller_may_see(recycler, make_party):
    stranger = make_party("antwerp-scrap", roles=("recycler",), country="BE")
    recycler.submit("/v1/lots", "lot.register", lot_body())
    assert stranger.get("/v1/lots")["lots"] == []
