"""Projections rebuilt from the log equal the ones the live appends built."""

from __future__ import annotations

from ledger.rebuild import projection_snapshot, rebuild
from tests.factories import dispatch_body, lot_body, output, receipt_body, transform_body


def test_rebuild_reproduces_parties_lots_transfers_and_transformations(app, make_party):
    recycler = make_party("rotterdam-metals", roles=("recycler",))
    smelter = make_party("ijmuiden-steel", roles=("smelter",))
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    halves = recycler.submit("/v1/transformations", "lot.transform",
                             transform_body("split", [lot], [output("12000"), output("12380")]))["result"]["outputs"]
    transfer = recycler.submit(f"/v1/lots/{halves[0]}/dispatches", "lot.dispatch",
                               dispatch_body(halves[0], "ijmuiden-steel", "12000"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "11800"))
    store = app.extensions["scrapledger"].store
    live = projection_snapshot(store)
    assert live["lots"] and live["transfers"] and live["transformations"]
    rebuild(store)
    assert projection_snapshot(store) == live
