"""The lot page's provenance picture: the cut graph behind a session, under the API's read rules."""

from __future__ import annotations

from tests.api.test_pages_sessions import sign_in
from tests.factories import berry_body, dispatch_body, lot_body, output, receipt_body, transform_body


def test_a_signed_in_reader_gets_the_picture_of_a_blend_with_its_transfer_flagged(client, make_party):
    yard = make_party()
    smelter = make_party("duisburg-huette", roles=("smelter",), country="DE", legal_name="Duisburger Hütte GmbH")
    lots = [yard.submit("/v1/lots", "lot.register", body)["result"]["lot_id"] for body in (lot_body(), berry_body())]
    sent = yard.submit(f"/v1/lots/{lots[0]}/dispatches", "lot.dispatch",
                       dispatch_body(lots[0], "duisburg-huette"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{sent}/receipt", "lot.receive", receipt_body(sent, weighed="23000"))
    blend = smelter.submit("/v1/transformations", "lot.transform",
                           transform_body("melt", [lots[0]], [output("22000", material_family="ferrous")],
                                          losses="1000"))["result"]["outputs"][0]
    sign_in(client, smelter.token)
    picture = client.get(f"/pages/lots/{blend}/provenance-graph").get_json()
    assert picture["lot_id"] == blend and picture["totals"] == {"lots": 2, "transfers": 1, "transformations": 1}
    [transfer] = [node for node in picture["nodes"] if node["kind"] == "transfer"]
    assert transfer["transfer_id"] == sent and transfer["flags"] == ["mass discrepancy"]


def test_a_lot_the_reader_may_not_see_is_a_404_problem(client, make_party):
    yard = make_party()
    stranger = make_party("gent-metals", country="BE", legal_name="Gent Metals NV")
    lot_id = yard.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    sign_in(client, stranger.token)
    answer = client.get(f"/pages/lots/{lot_id}/provenance-graph")
    assert answer.status_code == 404 and answer.content_type == "application/problem+json"


def test_an_expand_that_names_no_group_is_refused_naming_the_field(client, make_party):
    yard = make_party()
    lot_id = yard.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    sign_in(client, yard.token)
    answer = client.get(f"/pages/lots/{lot_id}/provenance-graph?expand=inputs:1,lots:7")
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "expand" and "'lots:7'" in answer.get_json()["detail"]


def test_without_a_session_the_picture_sends_the_browser_to_sign_in(client):
    assert client.get("/pages/lots/lot-1-1/provenance-graph").status_code == 302
