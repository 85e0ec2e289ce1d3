"""Transformations through the HTTP API: exact mass balance and computed shares."""

from __future__ import annotations

import pytest

from api.client import ClientError
from tests.factories import berry_body, dispatch_body, lot_body, output, receipt_body, transform_body


@pytest.fixture
def recycler(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


def register(party, body):
    return party.submit("/v1/lots", "lot.register", body)["result"]["lot_id"]


def test_a_split_consumes_the_input_and_makes_outputs_with_inherited_shares(recycler):
    lot = register(recycler, lot_body())
    result = recycler.submit("/v1/transformations", "lot.transform",
                             transform_body("split", [lot], [output("12000"), output("12000")], losses="380"))["result"]
    assert recycler.get(f"/v1/lots/{lot}")["status"] == "consumed"
    for made in result["outputs"]:
        seen = recycler.get(f"/v1/lots/{made}")
        assert seen["mass_kg"] == "12000.000"
        assert seen["shares"]["post_consumer"] == "1.000000"
        assert seen["origins"] == [{"country": "NL", "mass_kg": "12000.000", "share": "1.000000"}]


def test_outputs_heavier_than_inputs_are_a_mass_imbalance(recycler):
    lot = register(recycler, lot_body())
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform",
                        transform_body("split", [lot], [output("12000"), output("12380.001")]))
    assert failure.value.status == 422
    assert failure.value.problem["rule"] == "mass-balance"
    assert recycler.get(f"/v1/lots/{lot}")["status"] == "active"


def test_stated_losses_count_against_the_balance(recycler):
    lot = register(recycler, lot_body())
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform",
                        transform_body("split", [lot], [output("12000"), output("12000")], losses="380.001"))
    assert failure.value.status == 422


def test_a_blend_mixes_origins_and_stages_by_mass(recycler):
    steel = register(recycler, lot_body(net_mass_kg="30000", gross_mass_kg=None, tare_mass_kg=None))
    home = register(recycler, lot_body(net_mass_kg="10000", gross_mass_kg=None, tare_mass_kg=None,
                                       consumer_stage="home_scrap", origin={"country": "BE", "site": "Gent mill"}))
    made = recycler.submit("/v1/transformations", "lot.transform",
                           transform_body("blend", [steel, home], [output("40000")]))["result"]["outputs"][0]
    seen = recycler.get(f"/v1/lots/{made}")
    assert seen["shares"]["recycled"] == "0.750000"  # home scrap is not recycled content (ISO 14021)
    assert seen["shares"]["home_scrap"] == "0.250000"
    assert seen["consumer_stage"] == "mixed"
    assert seen["origins"] == [{"country": "NL", "mass_kg": "30000.000", "share": "0.750000"},
                               {"country": "BE", "mass_kg": "10000.000", "share": "0.250000"}]


def test_primary_metal_added_in_a_melt_dilutes_the_recycled_share(make_party):
    smelter = make_party("hamburg-copper", roles=("smelter",), country="DE")
    copper = register(smelter, berry_body(net_mass_kg="6000"))
    body = transform_body("melt", [copper], [output("7800", material_family="copper",
                                                     grade={"scheme": "customer", "code": "Cu-ETP ingot"})],
                          losses="200", additions=[{"material": "primary copper cathode", "mass_kg": "2000"}])
    made = smelter.submit("/v1/transformations", "lot.transform", body)["result"]["outputs"][0]
    shares = smelter.get(f"/v1/lots/{made}")["shares"]
    assert shares["recycled"] == "0.750000"
    assert shares["primary"] == "0.250000"


def test_only_melts_may_add_primary_metal(recycler):
    lot = register(recycler, lot_body())
    body = transform_body("bale", [lot], [output("25000")], additions=[{"material": "pig iron", "mass_kg": "1000"}])
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform", body)
    assert failure.value.problem["field"] == "body.additions"


def test_a_consumed_lot_is_never_used_again(recycler):
    lot = register(recycler, lot_body())
    recycler.submit("/v1/transformations", "lot.transform", transform_body("bale", [lot], [output("24380")]))
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform", transform_body("bale", [lot], [output("24380")]))
    assert failure.value.status == 409
    assert failure.value.problem["title"] == "lot consumed"


def test_inputs_must_be_held_by_the_actor(recycler, make_party):
    smelter = make_party("ijmuiden-steel", roles=("smelter",))
    lot = register(recycler, lot_body())
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                               dispatch_body(lot, "ijmuiden-steel"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "24380"))
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform", transform_body("bale", [lot], [output("24380")]))
    assert failure.value.status == 403


def test_a_split_needs_one_input_and_two_outputs(recycler):
    lot = register(recycler, lot_body())
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform", transform_body("split", [lot], [output("24380")]))
    assert failure.value.problem["field"] == "body.outputs"


def test_provenance_walks_back_to_every_registration_citing_entries(recycler, make_party):
    smelter = make_party("ijmuiden-steel", roles=("smelter",))
    first = register(recycler, lot_body())
    second = register(recycler, lot_body(reference="RTM-2", origin={"country": "DE", "site": "Essen"}))
    blend = recycler.submit("/v1/transformations", "lot.transform",
                            transform_body("blend", [first, second], [output("48760")]))["result"]["outputs"][0]
    transfer = recycler.submit(f"/v1/lots/{blend}/dispatches", "lot.dispatch",
                               dispatch_body(blend, "ijmuiden-steel", "48760"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "48700"))
    melt = smelter.submit("/v1/transformations", "lot.transform",
                          transform_body("melt", [blend], [output("46000")], losses="2700"))["result"]["outputs"][0]
    graph = smelter.get(f"/v1/lots/{melt}/provenance")
    assert {lot["lot_id"] for lot in graph["lots"]} == {first, second, blend, melt}
    assert {(edge["child"], edge["parent"]) for edge in graph["edges"]} == {(blend, first), (blend, second), (melt, blend)}
    assert [t["transfer_id"] for t in graph["transfers"]] == [transfer]
    assert [t["kind"] for t in graph["transformations"]] == ["blend", "melt"]
    assert {party["party_id"] for party in graph["parties"]} == {"rotterdam-metals", "ijmuiden-steel"}
    registered = [lot for lot in graph["lots"] if lot["made_by"] == "registered"]
    assert all(isinstance(lot["created_entry"], int) for lot in registered)
    assert smelter.get(f"/v1/lots/{first}")["lot_id"] == first  # ancestry is readable by the smelter
