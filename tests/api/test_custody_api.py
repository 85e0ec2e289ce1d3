"""Two-sided custody through the HTTP API: dispatch, receipt with weighing, rejection."""

from __future__ import annotations

import pytest

from api.client import ClientError
from tests.factories import dispatch_body, lot_body, receipt_body, transform_body, output


@pytest.fixture
def recycler(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def smelter(make_party):
    return make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")


@pytest.fixture
def lot(recycler):
    return recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]


def dispatch(recycler, lot, to="ijmuiden-steel", mass="24380"):
    return recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch", dispatch_body(lot, to, mass))["result"]


def test_a_dispatched_lot_is_in_transit_with_its_open_transfer(recycler, smelter, lot):
    transfer = dispatch(recycler, lot)
    seen = smelter.get(f"/v1/lots/{lot}")
    assert seen["status"] == "in_transit"
    assert seen["holder"] == "rotterdam-metals"
    assert seen["open_transfer"]["transfer_id"] == transfer["transfer_id"]
    assert seen["open_transfer"]["declared_mass_kg"] == "24380.000"


def test_receipt_within_tolerance_moves_custody_and_ownership_at_the_weighed_mass(recycler, smelter, lot):
    transfer = dispatch(recycler, lot)["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "24300"))
    seen = smelter.get(f"/v1/lots/{lot}")
    assert (seen["holder"], seen["owner"], seen["status"]) == ("ijmuiden-steel", "ijmuiden-steel", "active")
    assert seen["mass_kg"] == "24300.000"
    assert seen["discrepancy"] is False
    assert seen["origins"][0]["mass_kg"] == "24300.000"


def test_a_weighed_mass_beyond_one_percent_is_a_flagged_discrepancy(recycler, smelter, lot):
    transfer = dispatch(recycler, lot)["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "23900"))
    seen = smelter.get(f"/v1/lots/{lot}")
    assert seen["discrepancy"] is True
    assert seen["mass_kg"] == "23900.000"


def test_exactly_one_percent_off_is_not_a_discrepancy(recycler, smelter, lot):
    transfer = dispatch(recycler, lot, mass="10000")["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "9900"))
    assert smelter.get(f"/v1/lots/{lot}")["discrepancy"] is False


def test_a_toll_delivery_keeps_the_owner_while_custody_moves(recycler, smelter, lot):
    body = dispatch_body(lot, "ijmuiden-steel", transfers_ownership=False)
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch", body)["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer))
    seen = smelter.get(f"/v1/lots/{lot}")
    assert (seen["holder"], seen["owner"]) == ("ijmuiden-steel", "rotterdam-metals")


def test_a_rejected_delivery_returns_custody_to_the_sender(recycler, smelter, lot):
    transfer = dispatch(recycler, lot)["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/rejection", "lot.reject",
                   {"transfer_id": transfer, "reason": "radioactive source found in bale 7"})
    seen = recycler.get(f"/v1/lots/{lot}")
    assert (seen["holder"], seen["status"], seen["open_transfer"]) == ("rotterdam-metals", "active", None)


def test_only_the_holder_may_dispatch(recycler, smelter, lot):
    with pytest.raises(ClientError) as failure:
        smelter.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch", dispatch_body(lot, "rotterdam-metals"))
    assert failure.value.status == 404  # the smelter never held it, so it may not even know it exists


def test_a_party_that_sees_the_lot_but_does_not_hold_it_cannot_dispatch_it(recycler, smelter, lot):
    transfer = dispatch(recycler, lot)["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer))
    with pytest.raises(ClientError) as failure:
        recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch", dispatch_body(lot, "ijmuiden-steel"))
    assert failure.value.status == 403


def test_only_the_addressee_may_receive(recycler, smelter, make_party, lot):
    other = make_party("hamburg-copper", roles=("smelter",), country="DE")
    transfer = dispatch(recycler, lot)["transfer_id"]
    with pytest.raises(ClientError) as failure:
        other.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer))
    assert failure.value.status == 404
    with pytest.raises(ClientError) as failure:
        recycler.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer))
    assert failure.value.status == 403


def test_a_lot_in_transit_cannot_be_dispatched_again_or_transformed(recycler, smelter, lot):
    dispatch(recycler, lot)
    with pytest.raises(ClientError) as failure:
        dispatch(recycler, lot)
    assert failure.value.status == 409
    with pytest.raises(ClientError) as failure:
        recycler.submit("/v1/transformations", "lot.transform",
                        transform_body("split", [lot], [output("10000"), output("14380")]))
    assert failure.value.status == 409


def test_a_closed_transfer_cannot_be_received_twice(recycler, smelter, lot):
    transfer = dispatch(recycler, lot)["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer))
    with pytest.raises(ClientError) as failure:
        smelter.submit(f"/v1/transfers/{transfer}/rejection", "lot.reject", {"transfer_id": transfer, "reason": "late"})
    assert failure.value.status == 409


def test_dispatch_to_an_unregistered_party_is_refused(recycler, lot):
    with pytest.raises(ClientError) as failure:
        dispatch(recycler, lot, to="ghost-metals")
    assert failure.value.status == 404
    assert failure.value.problem["field"] == "body.to_party"
