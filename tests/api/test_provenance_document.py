"""The provenance document the database renders is exactly what `ProvenanceSchema` documents.

`GET /v1/lots/{id}/provenance` is written by SQL (ledger/store/ancestry_json.py)
for speed; these tests hold it to the marshmallow schema's dump of the same
ancestry read as records, key order included, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from schemas.lots import ProvenanceSchema
from tests.factories import berry_body, dispatch_body, lot_body, output, receipt_body, transform_body, zorba_body
from tests.ledger.test_rebuild_scenario import play


def schema_dump(tx: Any, lot_id: str) -> Any:
    """Return the schema's dump of a lot's ancestry, as the JSON Flask would send (keys sorted)."""
    ancestry = tx.ancestry(lot_id)
    names = {name for lot in ancestry.lots for name in (lot.created_by, lot.holder, lot.owner)}
    names |= {name for transfer in ancestry.transfers for name in (transfer.sender, transfer.receiver)}
    document = ProvenanceSchema().dump({"lot_id": lot_id, "ancestry": ancestry,
                                        "parties": [tx.party(name) for name in sorted(names)]})
    return in_order(json.dumps(document, sort_keys=True))


def in_order(text: str) -> Any:
    """Parse JSON keeping each object's keys in the order they were written."""
    return json.loads(text, object_pairs_hook=list)


def test_every_lot_of_a_long_random_history_renders_as_the_schema_dumps_it(settings, genesis):
    store = play(settings, genesis)
    try:
        with store.read() as tx:
            lot_ids = [row[0] for row in tx.sql.all("SELECT lot_id FROM lots")]
            assert len(lot_ids) > 50
            for lot_id in lot_ids:
                assert in_order(tx.ancestry_json(lot_id)) == schema_dump(tx, lot_id), lot_id
    finally:
        store.dispose()


def test_ties_many_outputs_stages_primary_metal_and_a_rejection_render_as_the_schema_dumps_them(app, make_party):
    yard = make_party("liege-metaux", legal_name="Métaux de Liège S.A. — «Ferraille»", country="BE")
    smelter = make_party("hamburg-copper", roles=("smelter",), legal_name="Hamburger Kupferhütte AG", country="DE")
    same = "5000.5"
    lots = [yard.submit("/v1/lots", "lot.register", make(net_mass_kg=same, reference=f"LG-{n}", **extra))
            ["result"]["lot_id"] for n, (make, extra) in enumerate([
                (berry_body, {"origin": {"country": "PL", "site": "Katowice"}}),
                (berry_body, {"origin": {"country": "BE", "site": "Liège"}}),
                (zorba_body, {"consumer_stage": "home_scrap"}),
                (lot_body, {"consumer_stage": "unknown", "gross_mass_kg": None, "tare_mass_kg": None}),
            ])]
    blend = yard.submit("/v1/transformations", "lot.transform",
                        transform_body("blend", lots, [output("20002")]))["result"]["outputs"][0]
    parts = yard.submit("/v1/transformations", "lot.transform", transform_body(
        "split", [blend], [output("1666.833")] * 11 + [output("1666.837")]))["result"]["outputs"]
    refused = yard.submit(f"/v1/lots/{parts[9]}/dispatches", "lot.dispatch",
                          dispatch_body(parts[9], "hamburg-copper", "1666.833"))["result"]["transfer_id"]
    smelter.submit("/v1/transfers/" + refused + "/rejection", "lot.reject",
                   {"transfer_id": refused, "reason": "cable with PVC \"sheathing\"\nnot as agreed"})
    sent = yard.submit(f"/v1/lots/{parts[9]}/dispatches", "lot.dispatch",
                       dispatch_body(parts[9], "hamburg-copper", "1666.833"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{sent}/receipt", "lot.receive", receipt_body(sent, "1600.001"))
    melt = smelter.submit("/v1/transformations", "lot.transform", transform_body(
        "melt", [parts[9]], [output("2100", material_family="copper")], losses="0.001",
        additions=[{"material": "cathode copper", "mass_kg": "500"}]))["result"]["outputs"][0]
    open_transfer = smelter.submit(f"/v1/lots/{melt}/dispatches", "lot.dispatch",
                                   dispatch_body(melt, "liege-metaux", "2100"))["result"]["transfer_id"]
    assert open_transfer
    with app.extensions["scrapledger"].store.read() as tx:
        expected = schema_dump(tx, melt)
    answered = smelter.get(f"/v1/lots/{melt}/provenance")
    assert in_order(json.dumps(answered)) == expected
    assert [lot["lot_id"] for lot in answered["lots"]][:4] == lots
    assert len(answered["transfers"]) == 3


def test_a_ledger_from_before_nodes_were_stored_renders_the_same_document(settings, genesis):
    store = play(settings, genesis)
    try:
        with store.read() as tx:
            deepest = tx.sql.one("SELECT child FROM lot_edges GROUP BY child ORDER BY count(*) DESC, child LIMIT 1")[0]
            stored = in_order(tx.ancestry_json(deepest))
            assert tx.sql.one("SELECT count(*) FROM lots WHERE final_json IS NOT NULL")[0] > 10
        with store.write() as tx:  # as migration 0004 leaves the rows that existed before it
            tx.sql.run("UPDATE lots SET final_json = NULL")
            tx.sql.run("UPDATE transfers SET final_json = NULL")
        with store.read() as tx:
            assert in_order(tx.ancestry_json(deepest)) == stored
    finally:
        store.dispose()
