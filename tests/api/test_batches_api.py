"""Bulk appends: many signed submissions in one request, all or nothing."""

from __future__ import annotations

import pytest

from api.client import ClientError
from tests.factories import dispatch_body, lot_body, output, receipt_body, transform_body


@pytest.fixture
def recycler(make_party):
    make_party("ijmuiden-steel", roles=("smelter",))
    return make_party("rotterdam-metals", roles=("recycler",))


def weighbridge_export(recycler, count):
    return [recycler.signed("lot.register", lot_body(reference=f"RTM-{n:04d}")) for n in range(count)]


def test_a_batch_appends_one_entry_per_submission(recycler):
    results = recycler.post("/v1/batches", {"items": weighbridge_export(recycler, 50)})["results"]
    indexes = [result["index"] for result in results]
    assert indexes == list(range(indexes[0], indexes[0] + 50))
    assert len({result["result"]["lot_id"] for result in results}) == 50


def test_a_later_item_may_act_on_a_lot_registered_earlier_in_the_batch(recycler):
    register = recycler.signed("lot.register", lot_body())
    first = recycler.post("/v1/batches", {"items": [register]})["results"][0]
    lot = f"lot-{first['index'] + 1}"
    items = [recycler.signed("lot.register", lot_body(reference="RTM-2")),
             recycler.signed("lot.dispatch", dispatch_body(lot, "ijmuiden-steel"))]
    results = recycler.post("/v1/batches", {"items": items})["results"]
    assert results[1]["result"]["lot_id"] == lot


def test_one_bad_item_refuses_the_whole_batch_and_names_it(recycler):
    items = weighbridge_export(recycler, 5)
    items[3] = recycler.signed("lot.register", lot_body(net_mass_kg="-1"))
    size = len(recycler.get("/v1/entries?limit=1000")["entries"])
    with pytest.raises(ClientError) as failure:
        recycler.post("/v1/batches", {"items": items})
    assert failure.value.status == 422
    assert failure.value.problem["field"] == "items[3].body.net_mass_kg"
    assert len(recycler.get("/v1/entries?limit=1000")["entries"]) == size


def test_retrying_a_batch_returns_the_original_results(recycler):
    items = weighbridge_export(recycler, 10)
    first = recycler.post("/v1/batches", {"items": items})["results"]
    again = recycler.post("/v1/batches", {"items": items})["results"]
    assert [r["index"] for r in again] == [r["index"] for r in first]
    assert all(r["replayed"] for r in again)


def test_a_batch_over_a_thousand_items_is_refused(recycler):
    item = recycler.signed("lot.register", lot_body())
    with pytest.raises(ClientError) as failure:
        recycler.post("/v1/batches", {"items": [item] * 1001})
    assert failure.value.status == 422
    assert failure.value.problem["field"] == "items"


def test_a_batch_of_one_still_names_its_item(recycler):
    with pytest.raises(ClientError) as failure:
        recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", lot_body(hs_code="72"))]})
    assert failure.value.problem["field"] == "items[0].body.hs_code"


def test_a_batch_cannot_dispatch_the_same_lot_twice(recycler):
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    items = [recycler.signed("lot.dispatch", dispatch_body(lot, "ijmuiden-steel")),
             recycler.signed("lot.dispatch", dispatch_body(lot, "ijmuiden-steel", transport_reference="CMR 2"))]
    with pytest.raises(ClientError) as failure:
        recycler.post("/v1/batches", {"items": items})
    assert failure.value.problem["title"] == "lot in transit"
    assert failure.value.problem["field"] == "items[1].body.lot_id"


def test_a_batch_cannot_dispatch_a_lot_it_melted_earlier(recycler):
    lots = [recycler.submit("/v1/lots", "lot.register", lot_body(reference=f"RTM-{n}"))["result"]["lot_id"]
            for n in range(2)]
    items = [recycler.signed("lot.transform", transform_body("blend", lots, [output("48000")], losses="760")),
             recycler.signed("lot.dispatch", dispatch_body(lots[0], "ijmuiden-steel"))]
    with pytest.raises(ClientError) as failure:
        recycler.post("/v1/batches", {"items": items})
    assert failure.value.problem["title"] == "lot consumed"
    assert failure.value.problem["field"] == "items[1].body.lot_id"


def test_a_batch_cannot_receive_the_same_transfer_twice(recycler, make_party):
    smelter = make_party("hamburg-copper", roles=("smelter",))
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                               dispatch_body(lot, "hamburg-copper"))["result"]["transfer_id"]
    items = [smelter.signed("lot.receive", receipt_body(transfer)), smelter.signed("lot.receive", receipt_body(transfer))]
    with pytest.raises(ClientError) as failure:
        smelter.post("/v1/batches", {"items": items})
    assert failure.value.problem["title"] == "transfer closed"
    assert failure.value.problem["field"] == "items[1].body.transfer_id"
