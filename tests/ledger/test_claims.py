"""Mass-balance accounts: credits from the ledger itself, allocations within every rule, periods closed in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger import custody
from ledger.errors import AccountNotFound, ClaimRefused, InvalidInput
from tests.claims_desk import COPPER_ACCOUNT, Desk
from tests.factories import dispatch_body, receipt_body

SMELTER, RECYCLER = "hamburg-copper", "duisburg-kabel"
HAMBURG, LUENEN = COPPER_ACCOUNT["site"], "Lünen wire-rod plant"


@pytest.fixture
def desk(settings, genesis):
    opened = Desk.open(settings, genesis, datetime.now(UTC))
    yield opened
    opened.store.dispose()


def delivered(desk, kg="10000", stage="post_consumer"):
    """A copper scrap lot collected by the recycler and delivered to the smelter at the same weight."""
    lot = desk.copper_lot(RECYCLER, kg, stage)
    desk.deliver(lot, RECYCLER, SMELTER, kg)
    return lot


def delivered_at(desk, site, kg="5000", stage="post_consumer"):
    """A copper scrap lot delivered to the smelter at one of its sites."""
    lot = desk.copper_lot(RECYCLER, kg, stage)
    desk.deliver(lot, RECYCLER, SMELTER, kg, site=site)
    return lot


def refusal(call, *args):
    with pytest.raises(ClaimRefused) as refused:
        call(*args)
    return refused.value


def test_a_received_lot_credits_its_recycled_grams_to_stock_not_yet_to_use(desk):
    account = desk.open_account(SMELTER)
    delivered(desk, "10000")
    statement = desk.statement(account, desk.period)
    assert (statement["received_kg"], statement["in_stock_closing_kg"], statement["closing_kg"]) == (
        "10000.000", "10000.000", "0.000")


def test_home_scrap_brings_no_credit(desk):
    account = desk.open_account(SMELTER)
    delivered(desk, "10000", stage="home_scrap")
    assert desk.statement(account, desk.period)["received_kg"] == "0.000"


def test_a_melt_converts_stock_into_credit_at_its_yield_and_loses_the_rest(desk):
    account = desk.open_account(SMELTER)
    scrap = delivered(desk, "10000")
    desk.melt(SMELTER, [scrap], ["29000"], "1000", primary_kg="20000")
    statement = desk.statement(account, desk.period)
    assert (statement["credits_kg"], statement["losses_kg"], statement["in_stock_closing_kg"]) == (
        "9666.666", "333.334", "0.000")


def test_a_melt_records_the_loss_of_a_lot_too_small_to_yield_a_gram_beside_the_others(desk):
    account = desk.open_account(SMELTER)
    crumb, scrap = delivered(desk, "0.001"), delivered(desk, "10")
    desk.melt(SMELTER, [crumb, scrap], ["5"], "5.001")
    statement = desk.statement(account, desk.period)
    assert (statement["credits_kg"], statement["losses_kg"]) == ("4.999", "5.002")


def test_credit_is_allocated_to_an_output_lot_up_to_what_the_account_holds(desk):
    account = desk.open_account(SMELTER)
    (ingots,) = desk.melt(SMELTER, [delivered(desk, "10000")], ["29000"], "1000", primary_kg="20000")
    desk.allocate(SMELTER, account, ingots, "9666.666")
    refused = refusal(desk.allocate, SMELTER, account, ingots, "0.001")
    assert refused.fields["field"] == "body.mass_kg" and "no balance may go negative" in refused.fields["rule"]


def test_stock_not_yet_melted_cannot_be_allocated(desk):
    account = desk.open_account(SMELTER)
    (ingots,) = desk.melt(SMELTER, [delivered(desk, "1000")], ["10000"], "0", primary_kg="9000")
    delivered(desk, "50000")
    refused = refusal(desk.allocate, SMELTER, account, ingots, "1000.001")
    assert "1000.000 kg available" in refused.fields["rule"]


def test_no_allocation_beyond_the_lots_mass(desk):
    account = desk.open_account(SMELTER)
    first, second = desk.melt(SMELTER, [delivered(desk, "20000")], ["1000", "19000"], "0")
    refused = refusal(desk.allocate, SMELTER, account, first, "1000.001")
    assert "no allocation beyond the lot's mass" in refused.fields["rule"]
    desk.allocate(SMELTER, account, first, "1000")
    desk.allocate(SMELTER, account, second, "19000")


def test_no_allocation_across_material_families(desk):
    account = desk.open_account(SMELTER)
    (brass,) = desk.melt(SMELTER, [delivered(desk, "5000")], ["5000"], "0", family="brass")
    assert "across material families" in refusal(desk.allocate, SMELTER, account, brass, "1").fields["rule"]


def test_a_received_lot_is_not_an_output_lot_to_allocate_to(desk):
    account = desk.open_account(SMELTER)
    desk.melt(SMELTER, [delivered(desk, "5000")], ["5000"], "0")
    scrap = delivered(desk, "1000")
    assert "only an output lot" in refusal(desk.allocate, SMELTER, account, scrap, "1").fields["rule"]


def test_only_the_holder_allocates_from_an_account(desk):
    account = desk.open_account(SMELTER)
    lot = desk.copper_lot(RECYCLER, "100")
    with pytest.raises(AccountNotFound):
        desk.allocate(RECYCLER, account, lot, "1")


def test_a_lot_sold_on_unprocessed_is_withdrawn_from_the_sender_and_credited_to_the_buyer(desk):
    traders = desk.open_account(SMELTER)
    buyers = desk.open_account("eindhoven-wire")
    scrap = delivered(desk, "10000")
    desk.deliver(scrap, SMELTER, "eindhoven-wire", "10000")
    assert desk.statement(traders, desk.period)["withdrawn_kg"] == "10000.000"
    assert desk.statement(buyers, desk.period)["received_kg"] == "10000.000"


def test_a_lot_made_under_an_account_brings_its_next_holder_only_its_claim(desk):
    smelters = desk.open_account(SMELTER)
    buyers = desk.open_account("eindhoven-wire")
    first, second = desk.melt(SMELTER, [delivered(desk, "10000")], ["5000", "5000"], "0", primary_kg="0")
    desk.allocate(SMELTER, smelters, first, "4000")
    desk.deliver(first, SMELTER, "eindhoven-wire", "5000")
    desk.deliver(second, SMELTER, "eindhoven-wire", "5000")
    assert desk.statement(buyers, desk.period)["received_kg"] == "4000.000"


def test_a_period_closes_only_after_it_ends(desk):
    account = desk.open_account(SMELTER)
    refused = refusal(desk.close, SMELTER, account, desk.period)
    assert refused.fields["field"] == "body.period" and "closes after it ends" in refused.fields["rule"]


def test_periods_close_in_order(desk):
    account = desk.open_account(SMELTER)
    first = desk.next_month()
    second = desk.next_month()
    assert f"the next to close is {first}" in refusal(desk.close, SMELTER, account, second).fields["rule"]


def test_closing_carries_forward_within_the_cap_and_forfeits_the_rest(desk):
    account = desk.open_account(SMELTER, carry_forward_cap="0.25")
    (ingots,) = desk.melt(SMELTER, [delivered(desk, "10000")], ["10000"], "0")
    desk.allocate(SMELTER, account, ingots, "6000")
    month = desk.next_month()
    desk.close(SMELTER, account, month)
    closed = desk.statement(account, month)
    assert (closed["status"], closed["closing_kg"], closed["carried_forward_kg"], closed["forfeited_kg"]) == (
        "closed", "4000.000", "2500.000", "1500.000")
    assert desk.statement(account, desk.period)["opening_kg"] == "2500.000"


def test_without_carry_forward_the_whole_balance_lapses_at_the_close(desk):
    account = desk.open_account(SMELTER, carry_forward=False, carry_forward_cap=None)
    desk.melt(SMELTER, [delivered(desk, "10000")], ["10000"], "0")
    month = desk.next_month()
    desk.close(SMELTER, account, month)
    assert desk.statement(account, month)["forfeited_kg"] == "10000.000"


def test_stock_in_the_yard_does_not_lapse_at_the_close(desk):
    account = desk.open_account(SMELTER, carry_forward=False, carry_forward_cap=None)
    delivered(desk, "10000")
    month = desk.next_month()
    desk.close(SMELTER, account, month)
    assert desk.statement(account, desk.period)["in_stock_opening_kg"] == "10000.000"


def test_allocations_wait_until_every_earlier_period_is_closed(desk):
    account = desk.open_account(SMELTER)
    (ingots,) = desk.melt(SMELTER, [delivered(desk, "10000")], ["10000"], "0")
    month = desk.next_month()
    refused = refusal(desk.allocate, SMELTER, account, ingots, "1")
    assert f"period {month} is not closed" in refused.fields["rule"]


def test_a_holder_keeps_one_account_per_site_family_and_characteristic(desk):
    desk.open_account(SMELTER)
    refused = refusal(desk.open_account, SMELTER)
    assert refused.fields["field"] == "body.site" and "one account per site" in refused.fields["rule"]
    desk.open_account(SMELTER, characteristic="post_consumer")
    desk.open_account(SMELTER, site=LUENEN)


def test_a_holder_with_one_site_need_not_name_it(desk):
    desk.open_account(SMELTER)
    scrap = delivered(desk, "1000")
    (ingots,) = desk.melt(SMELTER, [scrap], ["1000"], "0")
    assert desk.lot(scrap).site == desk.lot(ingots).site == HAMBURG


def test_a_lot_is_credited_to_the_account_of_the_site_that_receives_it(desk):
    hamburg, luenen = desk.open_account(SMELTER), desk.open_account(SMELTER, site=LUENEN)
    desk.deliver(desk.copper_lot(RECYCLER, "7000"), RECYCLER, SMELTER, "7000", site=LUENEN)
    assert desk.statement(luenen, desk.period)["received_kg"] == "7000.000"
    assert desk.statement(hamburg, desk.period)["received_kg"] == "0.000"


def test_a_holder_with_accounts_at_several_sites_must_name_the_receiving_site(desk):
    desk.open_account(SMELTER)
    desk.open_account(SMELTER, site=LUENEN)
    with pytest.raises(InvalidInput) as refused:
        delivered(desk, "1000")
    assert refused.value.field == "body.site" and LUENEN in refused.value.rule and HAMBURG in refused.value.rule


def test_a_lot_received_at_a_site_without_an_account_is_not_credited(desk):
    account = desk.open_account(SMELTER)
    desk.deliver(desk.copper_lot(RECYCLER, "1000"), RECYCLER, SMELTER, "1000", site="Hamburg warehouse 4")
    assert desk.statement(account, desk.period)["received_kg"] == "0.000"


def test_a_melt_makes_its_outputs_at_its_inputs_site(desk):
    desk.open_account(SMELTER)
    desk.open_account(SMELTER, site=LUENEN)
    scrap = delivered_at(desk, LUENEN, "1000")
    (ingots,) = desk.melt(SMELTER, [scrap], ["1000"], "0")
    assert desk.lot(ingots).site == LUENEN


def test_no_allocation_across_sites(desk):
    hamburg = desk.open_account(SMELTER)
    desk.open_account(SMELTER, site=LUENEN)
    scrap = delivered_at(desk, HAMBURG, "1000")
    (ingots,) = desk.melt(SMELTER, [scrap], ["1000"], "0", site=LUENEN)
    refused = refusal(desk.allocate, SMELTER, hamburg, ingots, "1")
    assert refused.fields["field"] == "body.lot_id" and "no allocation across sites" in refused.fields["rule"]


def test_a_lot_that_came_back_to_its_maker_takes_no_allocation(desk):
    hamburg, luenen = desk.open_account(SMELTER), desk.open_account(SMELTER, site=LUENEN)
    scrap = delivered_at(desk, LUENEN, "10000")
    desk.melt(SMELTER, [scrap], ["10000"], "0", site=LUENEN)
    (ingots,) = desk.melt(SMELTER, [delivered_at(desk, HAMBURG, stage="home_scrap")], ["5000"], "0", site=HAMBURG)
    desk.deliver(ingots, SMELTER, RECYCLER, "5000")
    desk.deliver(ingots, RECYCLER, SMELTER, "5000", site=LUENEN)
    refused = refusal(desk.allocate, SMELTER, luenen, ingots, "5000")
    assert refused.fields["field"] == "body.lot_id" and "came back by a receipt" in refused.fields["rule"]


def test_credit_converts_on_the_account_where_the_stock_was_received(desk):
    hamburg, luenen = desk.open_account(SMELTER), desk.open_account(SMELTER, site=LUENEN)
    scrap = delivered_at(desk, HAMBURG, "1000")
    desk.melt(SMELTER, [scrap], ["1000"], "0", site=LUENEN)
    assert desk.statement(hamburg, desk.period)["credits_kg"] == "1000.000"
    assert desk.statement(luenen, desk.period)["credits_kg"] == "0.000"


@pytest.mark.parametrize("site", ["", " Hamburg", "Hamburg ", "x" * 65, 7, "Lu\u0308nen", "Ham\u200bburg", "Ham\tburg"])
def test_a_named_site_is_one_exact_label(desk, site):
    scrap = desk.copper_lot(RECYCLER, "1000")
    with pytest.raises(InvalidInput) as refused:
        desk.deliver(scrap, RECYCLER, SMELTER, "1000", site=site)
    assert refused.value.field == "body.site"


@pytest.mark.parametrize("model", ["controlled_blending", "book_and_claim"])
def test_an_account_is_only_for_the_mass_balance_model(desk, model):
    with pytest.raises(InvalidInput) as refused:
        desk.open_account(SMELTER, model=model)
    assert refused.value.field == "body.model" and "book-and-claim is not supported" in refused.value.rule


def test_the_worked_example_of_the_chain_of_custody_document(desk):
    account = desk.open_account(SMELTER, carry_forward_cap="0.1")
    cable = delivered(desk, "40000", stage="post_consumer")
    delivered(desk, "20000", stage="pre_consumer")
    small, _ = desk.melt(SMELTER, [cable], ["30000", "68000"], "2000", primary_kg="60000")
    desk.allocate(SMELTER, account, small, "30000")
    month = desk.next_month()
    desk.close(SMELTER, account, month)
    closed = desk.statement(account, month)
    assert {line: closed[f"{line}_kg"] for line in ("opening", "credits", "allocations", "losses", "closing",
                                                   "carried_forward", "forfeited", "received", "in_stock_closing")} == {
        "opening": "0.000", "credits": "39200.000", "allocations": "30000.000", "losses": "800.000",
        "closing": "9200.000", "carried_forward": "3920.000", "forfeited": "5280.000", "received": "60000.000",
        "in_stock_closing": "20000.000"}


def test_a_melt_into_another_family_passes_on_only_its_claim(desk):
    desk.open_account(SMELTER)
    buyers = desk.open_account("eindhoven-wire", material_family="brass")
    (brass,) = desk.melt(SMELTER, [delivered(desk, "10000")], ["10000"], "0", family="brass")
    desk.deliver(brass, SMELTER, "eindhoven-wire", "10000")
    assert desk.statement(buyers, desk.period)["received_kg"] == "0.000"


def test_post_consumer_grams_credited_as_recycled_at_the_maker_are_not_credited_again(desk):
    desk.open_account(SMELTER)
    buyers = desk.open_account("eindhoven-wire", characteristic="post_consumer")
    (ingots,) = desk.melt(SMELTER, [delivered(desk, "10000", stage="post_consumer")], ["20000"], "0",
                          primary_kg="10000")
    desk.deliver(ingots, SMELTER, "eindhoven-wire", "20000")
    assert desk.statement(buyers, desk.period)["received_kg"] == "0.000"


def test_a_lot_weighed_heavier_than_sent_brings_no_more_credit_than_it_held(desk):
    account = desk.open_account(SMELTER)
    lot = desk.copper_lot(RECYCLER, "10000")
    transfer = desk.submit(RECYCLER, custody.DISPATCH, dispatch_body(lot, SMELTER, "10000"))["transfer_id"]
    desk.submit(SMELTER, custody.RECEIVE, receipt_body(transfer, "20000"))
    assert desk.statement(account, desk.period)["received_kg"] == "10000.000"
