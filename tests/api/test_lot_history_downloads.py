"""The lot page offers the lot's history as EPCIS and as a signed UNTP credential, for a signed-in party."""

from __future__ import annotations

import json

from tests.api.test_pages_sessions import sign_in
from tests.ledger.test_data_integrity_independent import verify


def member(demo, party_id):
    return next(member for member in demo.members if member.party_id == party_id)


def test_the_lot_page_links_both_downloads(client, demo):
    sign_in(client, member(demo, "hamburg-copper").token)
    page = client.get(f"/lots/{demo.lots['hamburg-ingots']}").get_data(as_text=True)
    assert "history.epcis.jsonld" in page and "history.untp.json" in page


def test_the_epcis_download_is_the_lots_history_as_an_attachment(client, demo):
    sign_in(client, member(demo, "hamburg-copper").token)
    lot = demo.lots["hamburg-ingots"]
    answer = client.get(f"/pages/lots/{lot}/history.epcis.jsonld")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{lot}.epcis.jsonld"'
    assert json.loads(answer.get_data())["type"] == "EPCISDocument"


def test_the_untp_download_is_a_credential_that_verifies(client, demo):
    sign_in(client, member(demo, "hamburg-copper").token)
    answer = client.get(f"/pages/lots/{demo.lots['hamburg-ingots']}/history.untp.json")
    assert answer.status_code == 200
    verify(json.loads(answer.get_data()))


def test_a_party_that_may_not_see_the_lot_gets_no_download(client, demo):
    sign_in(client, member(demo, "ijmuiden-steel").token)
    answer = client.get(f"/pages/lots/{demo.lots['hamburg-ingots']}/history.epcis.jsonld")
    assert answer.status_code == 404
