"""A smelter's mass-balance desk in Chromium: open an account, allocate credit, see the rule when it is too much."""

from __future__ import annotations

from tests.browser.test_journeys import key_file, signed_in  # noqa: F401  (key_file is a fixture)
from tests.factories import berry_body, dispatch_body, output, receipt_body, transform_body

def melted_copper(recycler, smelter):
    """10 t of cable scrap delivered to the smelter and melted with 20 t of cathode into one 29 t ingot lot."""
    lot = recycler.submit("/v1/lots", "lot.register", berry_body(net_mass_kg="10000", consumer_stage="post_consumer"))
    lot_id = lot["result"]["lot_id"]
    transfer = recycler.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                               dispatch_body(lot_id, smelter.party_id, "10000"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "10000"))
    body = transform_body("melt", [lot_id], [output("29000", material_family="copper")], losses="1000",
                          additions=[{"material": "copper cathode", "mass_kg": "20000"}])
    return smelter.submit("/v1/transformations", "lot.transform", body)["result"]["outputs"][0]


def test_a_smelter_opens_an_account_and_allocates_its_melts_credit_to_an_ingot(page, live_server, make_party,
                                                                                key_file):  # noqa: F811
    recycler = make_party("duisburg-kabel", roles=("recycler",), country="DE")
    smelter = make_party("hamburg-copper", roles=("smelter",), country="DE", legal_name="Hamburger Kupferhütte AG")
    signed_in(page, live_server, smelter, key_file(smelter))
    page.goto(f"{live_server}/mass-balance")
    page.fill("#f-site", "Hamburg Peute smelter")
    page.select_option("#f-material_family", "copper")
    page.check("input[name=carry_forward]")
    page.fill("#f-carry_forward_cap", "0.25")
    page.click("#open-account button[type=submit]")
    page.wait_for_url(f"{live_server}/mass-balance/mba-*")
    account = page.url.rsplit("/", 1)[1]
    ingots = melted_copper(recycler, smelter)
    page.goto(f"{live_server}/mass-balance/{account}")
    assert "9666.666 kg" in page.inner_text("dl.facts")
    page.select_option("#f-lot_id", ingots)
    page.fill("#f-mass_kg", "9666.667")
    page.click("#allocate button[type=submit]")
    page.wait_for_selector("#allocate .field-error")
    assert "no balance may go negative" in page.inner_text("#allocate .field-error")
    page.fill("#f-mass_kg", "9000")
    with page.expect_navigation():
        page.click("#allocate button[type=submit]")
    assert "9000.000" in page.locator("tr", has_text="allocations").inner_text()
    assert smelter.get(f"/v1/mass-balance/accounts/{account}")["available_kg"] == "666.666"


def test_a_smelter_with_accounts_at_two_sites_receives_a_delivery_at_the_one_it_names(page, live_server, make_party,
                                                                                      key_file):  # noqa: F811
    recycler = make_party("duisburg-kabel", roles=("recycler",), country="DE")
    smelter = make_party("hamburg-copper", roles=("smelter",), country="DE", legal_name="Hamburger Kupferhütte AG")
    accounts = {site: smelter.submit("/v1/mass-balance/accounts", "claim.open_account", {
        "site": site, "material_family": "copper", "characteristic": "recycled", "model": "mass_balance",
        "period": "month", "carry_forward": False})["result"]["account_id"]
        for site in ("Hamburg Peute smelter", "Lünen wire-rod plant")}
    lot_id = recycler.submit("/v1/lots", "lot.register", berry_body(net_mass_kg="8000"))["result"]["lot_id"]
    transfer = recycler.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                               dispatch_body(lot_id, smelter.party_id, "8000"))["result"]["transfer_id"]
    signed_in(page, live_server, smelter, key_file(smelter))
    page.goto(f"{live_server}/transfers/{transfer}")
    assert "you keep mass-balance accounts at Hamburg Peute smelter, Lünen wire-rod plant" in page.inner_text("#receive")
    page.fill("#f-weighed_mass_kg", "8000")
    page.fill("#f-site", "Lünen wire-rod plant")
    with page.expect_navigation():
        page.click("#receive button[type=submit]")
    assert "Lünen wire-rod plant" in page.inner_text("dl.facts")
    assert smelter.get(f"/v1/mass-balance/accounts/{accounts['Lünen wire-rod plant']}")["in_stock_kg"] == "8000.000"
