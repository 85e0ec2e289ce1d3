"""Mass-balance accounts over HTTP and the CLI: open, allocate, statements, declarations judged by their model."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from api.client import ClientError
from ledger.evidence import check_report
from tests.api.test_client_cli import scrapledger  # noqa: F401  (the CLI against the Flask test client)
from tests.factories import berry_body, declaration_body, dispatch_body, output, receipt_body, transform_body

COPPER = {"site": "Hamburg Peute smelter", "material_family": "copper", "characteristic": "recycled",
          "model": "mass_balance", "period": "month", "carry_forward": True, "carry_forward_cap": "0.25"}


@pytest.fixture
def recycler(make_party):
    return make_party("duisburg-kabel", roles=("recycler",), country="DE")


@pytest.fixture
def smelter(make_party):
    return make_party("hamburg-copper", roles=("smelter",), country="DE", legal_name="Hamburger Kupferhütte AG")


@pytest.fixture
def auditor(make_party):
    return make_party("tuv-audit", roles=("auditor",), country="DE")


@pytest.fixture
def account(smelter):
    return smelter.submit("/v1/mass-balance/accounts", "claim.open_account", COPPER)["result"]["account_id"]


@pytest.fixture
def ingots(recycler, smelter, account):
    """10 t of post-consumer copper scrap delivered and melted with 20 t of cathode into 29 t of ingots."""
    lot = recycler.submit("/v1/lots", "lot.register", berry_body(net_mass_kg="10000", consumer_stage="post_consumer"))
    lot_id = lot["result"]["lot_id"]
    transfer = recycler.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                               dispatch_body(lot_id, "hamburg-copper", "10000"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "10000"))
    body = transform_body("melt", [lot_id], [output("29000", material_family="copper")], losses="1000",
                          additions=[{"material": "copper cathode", "mass_kg": "20000"}])
    return smelter.submit("/v1/transformations", "lot.transform", body)["result"]["outputs"][0]


def allocate(smelter, account, lot, kg):
    return smelter.submit(f"/v1/mass-balance/accounts/{account}/allocations", "claim.allocate",
                          {"account_id": account, "lot_id": lot, "mass_kg": kg})


def test_an_account_shows_what_its_melts_made_available(smelter, account, ingots):
    shown = smelter.get(f"/v1/mass-balance/accounts/{account}")
    assert (shown["available_kg"], shown["in_stock_kg"], shown["model"]) == ("9666.666", "0.000", "mass_balance")


def test_an_allocation_beyond_the_balance_is_a_409_naming_the_rule(smelter, account, ingots):
    with pytest.raises(ClientError) as refused:
        allocate(smelter, account, ingots, "9666.667")
    assert refused.value.status == 409
    assert refused.value.problem["field"] == "body.mass_kg"
    assert "no balance may go negative" in refused.value.problem["rule"]


def test_a_period_statement_is_read_by_the_holder_and_auditors_only(smelter, recycler, auditor, account, ingots):
    allocate(smelter, account, ingots, "9000")
    period = smelter.get(f"/v1/mass-balance/accounts/{account}")["open_period"]
    statement = auditor.get(f"/v1/mass-balance/accounts/{account}/periods/{period}")
    assert (statement["credits_kg"], statement["allocations_kg"], statement["closing_kg"]) == (
        "9666.666", "9000.000", "666.666")
    with pytest.raises(ClientError) as hidden:
        recycler.get(f"/v1/mass-balance/accounts/{account}/periods/{period}")
    assert hidden.value.status == 404


def test_a_period_that_has_not_begun_has_no_statement(smelter, account):
    with pytest.raises(ClientError) as refused:
        smelter.get(f"/v1/mass-balance/accounts/{account}/periods/2999-12")
    assert refused.value.status == 422 and refused.value.problem["field"] == "period"
    assert "2999-12 has not begun" in refused.value.problem["rule"]


def test_a_period_that_has_not_ended_cannot_be_closed(smelter, account):
    period = smelter.get(f"/v1/mass-balance/accounts/{account}")["open_period"]
    with pytest.raises(ClientError) as refused:
        smelter.submit(f"/v1/mass-balance/accounts/{account}/periods", "claim.close_period",
                       {"account_id": account, "period": period})
    assert refused.value.status == 409 and refused.value.problem["field"] == "body.period"


def test_the_statements_export_is_for_auditors(smelter, auditor, account):
    rows = list(csv.DictReader(io.StringIO(auditor.get("/v1/mass-balance/statements.csv"))))
    assert rows == []
    with pytest.raises(ClientError) as refused:
        smelter.get("/v1/mass-balance/statements.csv")
    assert refused.value.status == 403


def test_a_declaration_that_names_no_chain_of_custody_model_is_refused(recycler, smelter):
    lot = recycler.submit("/v1/lots", "lot.register", berry_body())["result"]["lot_id"]
    body = {key: value for key, value in declaration_body(lot, "hamburg-copper").items() if key != "chain_of_custody"}
    with pytest.raises(ClientError) as refused:
        recycler.submit("/v1/declarations", "declaration.issue", body)
    assert refused.value.problem["field"] == "body.chain_of_custody"


def mass_balance_declaration(smelter, auditor, ingots, share):
    body = declaration_body(ingots, "duisburg-kabel", mass_kg="29000", material_family="copper", recycled_share=share,
                            post_consumer_share="0", origin_countries=["DE"], chain_of_custody="mass_balance")
    declared = smelter.submit("/v1/declarations", "declaration.issue", body)["result"]["declaration_id"]
    return auditor.post(f"/v1/declarations/{declared}/verification", {})


def recycled_check(report):
    return next(check for check in report["checks"] if check["name"] == "recycled_share")


def test_a_mass_balance_declaration_is_judged_against_the_allocation_not_the_physical_share(
        smelter, auditor, account, ingots):
    allocate(smelter, account, ingots, "9000")
    report = mass_balance_declaration(smelter, auditor, ingots, "0.32")  # physically 0.333, above the claim of 0.310344
    check = recycled_check(report)
    assert check["status"] == "fail" and "under mass balance" in check["reason"]


def test_a_mass_balance_declaration_within_its_allocation_cites_the_allocation_and_checks_offline(
        smelter, auditor, account, ingots):
    allocate(smelter, account, ingots, "9000")
    report = mass_balance_declaration(smelter, auditor, ingots, "0.310344")
    check = recycled_check(report)
    assert check["status"] == "pass"
    cited = {entry["index"]: entry["entry"]["submission"]["type"] for entry in report["evidence"]["entries"]}
    assert {cited[index] for index in check["entries"]} == {"claim.allocate", "lot.transform"}
    check_report(report, auditor.get("/v1/log-key").strip())


def test_the_audit_finds_an_account_whose_projection_was_tampered_with(smelter, auditor, account, ingots, app):
    with app.extensions["scrapledger"].store.write() as tx:
        tx.connection.execute(text("UPDATE claim_movements SET grams = grams - 1000 WHERE kind = 'converted'"))
    findings = auditor.get("/v1/audit/mass-balance-accounts")["findings"]
    assert [(found["kind"], found["subject"]) for found in findings] == [("claim_account_differs", account)]


def test_the_cli_opens_an_account_and_shows_its_statement(smelter, scrapledger):  # noqa: F811
    opened = scrapledger(smelter, "mass-balance", "open", "--site", "Hamburg Peute smelter", "--material", "copper",
                         "--characteristic", "recycled", "--period", "quarter", "--carry-forward-cap", "0.25")
    assert opened.exit_code == 0, opened.output
    account = opened.output.split("account_id ")[1].split()[0]
    listed = scrapledger(smelter, "mass-balance", "accounts")
    assert f"{account}  copper recycled at Hamburg Peute smelter  available 0.000 kg" in listed.output
    period = smelter.get(f"/v1/mass-balance/accounts/{account}")["open_period"]
    shown = scrapledger(smelter, "mass-balance", "statement", account, period)
    assert shown.exit_code == 0 and "carried forward" in shown.output and "open" in shown.output


def test_an_allocation_made_after_the_declaration_does_not_back_it(smelter, auditor, account, ingots):
    body = declaration_body(ingots, "duisburg-kabel", mass_kg="29000", material_family="copper",
                            recycled_share="0.310344", post_consumer_share="0", origin_countries=["DE"],
                            chain_of_custody="mass_balance")
    declared = smelter.submit("/v1/declarations", "declaration.issue", body)["result"]["declaration_id"]
    allocate(smelter, account, ingots, "9000")
    report = auditor.post(f"/v1/declarations/{declared}/verification", {})
    assert recycled_check(report)["status"] == "fail"
