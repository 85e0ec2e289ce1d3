"""The mass-balance pages as served: accounts, one account's statement and forms, hidden from other parties."""

from __future__ import annotations

import pytest

from tests.api.test_pages_sessions import sign_in
from tests.factories import berry_body, dispatch_body, output, receipt_body, transform_body

COPPER = {"site": "Hamburg Peute smelter", "material_family": "copper", "characteristic": "recycled",
          "model": "mass_balance", "period": "quarter", "carry_forward": False}


@pytest.fixture
def smelter(make_party):
    return make_party("hamburg-copper", roles=("smelter",), country="DE", legal_name="Hamburger Kupferhütte AG")


@pytest.fixture
def account(smelter):
    return smelter.submit("/v1/mass-balance/accounts", "claim.open_account", COPPER)["result"]["account_id"]


def delivered(make_party, smelter):
    recycler = make_party("duisburg-kabel", roles=("recycler",), country="DE")
    lot_id = recycler.submit("/v1/lots", "lot.register", berry_body(net_mass_kg="10000"))["result"]["lot_id"]
    return recycler.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                           dispatch_body(lot_id, smelter.party_id, "10000"))["result"]["transfer_id"], lot_id


def melted(make_party, smelter, site=None):
    transfer, lot_id = delivered(make_party, smelter)
    at = {"site": site} if site else {}
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", {**receipt_body(transfer, "10000"), **at})
    body = transform_body("melt", [lot_id], [output("10000", material_family="copper")])
    return smelter.submit("/v1/transformations", "lot.transform", {**body, **at})["result"]["outputs"][0]


def test_the_accounts_page_lists_the_holders_accounts_and_offers_to_open_one(client, smelter, account):
    sign_in(client, smelter.token)
    page = client.get("/mass-balance").get_data(as_text=True)
    assert f'href="/mass-balance/{account}"' in page and "Hamburg Peute smelter" in page
    assert 'data-entry-type="claim.open_account"' in page


def test_an_account_page_shows_its_open_statement_and_the_lots_credit_can_go_to(client, make_party, smelter, account):
    ingots = melted(make_party, smelter)
    sign_in(client, smelter.token)
    page = client.get(f"/mass-balance/{account}").get_data(as_text=True)
    assert "<dt>Available now</dt><dd>10000.000 kg</dd>" in page
    assert f'<option value="{ingots}">{ingots}: 10000.000 kg, 10000.000 kg unclaimed</option>' in page
    assert 'data-entry-type="claim.close_period"' in page


def test_another_partys_account_is_a_404_page(client, make_party, account):
    other = make_party("eindhoven-wire", roles=("smelter",))
    sign_in(client, other.token)
    assert client.get(f"/mass-balance/{account}").status_code == 404


def test_the_allocation_form_offers_only_lots_made_at_the_accounts_site(client, make_party, smelter, account):
    smelter.submit("/v1/mass-balance/accounts", "claim.open_account", {**COPPER, "site": "Lünen wire-rod plant"})
    ingots = melted(make_party, smelter, site="Lünen wire-rod plant")
    sign_in(client, smelter.token)
    assert f'<option value="{ingots}">' not in client.get(f"/mass-balance/{account}").get_data(as_text=True)


def test_the_receipt_form_requires_the_site_once_the_holder_keeps_accounts_at_several(client, make_party, smelter,
                                                                                       account):
    smelter.submit("/v1/mass-balance/accounts", "claim.open_account", {**COPPER, "site": "Lünen wire-rod plant"})
    transfer, _ = delivered(make_party, smelter)
    sign_in(client, smelter.token)
    page = client.get(f"/transfers/{transfer}").get_data(as_text=True)
    assert 'name="site" type="text" value=""\n         required' in page
    assert '<option value="Hamburg Peute smelter"><option value="Lünen wire-rod plant">' in page


def test_a_lot_page_shows_the_site_the_lot_is_at(client, make_party, smelter, account):
    ingots = melted(make_party, smelter)
    sign_in(client, smelter.token)
    assert "<dt>At site</dt><dd>Hamburg Peute smelter</dd>" in client.get(f"/lots/{ingots}").get_data(as_text=True)


def test_the_registration_form_names_the_sites_but_leaves_the_choice_to_the_ledger(client, smelter, account):
    smelter.submit("/v1/mass-balance/accounts", "claim.open_account", {**COPPER, "site": "Lünen wire-rod plant",
                                                                        "material_family": "aluminium"})
    sign_in(client, smelter.token)
    page = client.get("/lots/new").get_data(as_text=True)
    assert "you keep mass-balance accounts at Hamburg Peute smelter, Lünen wire-rod plant" in page
    assert 'name="site" type="text" value=""\n         required' not in page
