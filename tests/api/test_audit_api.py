"""The auditor's endpoints: verification jobs, findings and mass balance."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from api.client import ClientError
from tests.factories import declaration_body, dispatch_body, lot_body, output, receipt_body, transform_body


@pytest.fixture
def recycler(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def smelter(make_party):
    return make_party("ijmuiden-steel", roles=("smelter",))


@pytest.fixture
def auditor(make_party):
    return make_party("tuv-audit", roles=("auditor",), legal_name="TÜV Audit GmbH", country="DE")


@pytest.fixture
def trade(recycler, smelter):
    """A registration, a split, a delivery with a discrepancy, a rejected one and a melt."""
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    halves = recycler.submit("/v1/transformations", "lot.transform",
                             transform_body("split", [lot], [output("12000"), output("12000")], losses="380"))
    first, second = halves["result"]["outputs"]
    sent = recycler.submit(f"/v1/lots/{first}/dispatches", "lot.dispatch", dispatch_body(first, "ijmuiden-steel", "12000"))
    smelter.submit(f"/v1/transfers/{sent['result']['transfer_id']}/receipt", "lot.receive",
                   receipt_body(sent["result"]["transfer_id"], "11500"))
    back = recycler.submit(f"/v1/lots/{second}/dispatches", "lot.dispatch", dispatch_body(second, "ijmuiden-steel", "12000"))
    smelter.submit(f"/v1/transfers/{back['result']['transfer_id']}/rejection", "lot.reject",
                   {"transfer_id": back["result"]["transfer_id"], "reason": "oil contamination"})
    smelter.submit("/v1/transformations", "lot.transform", transform_body(
        "melt", [first], [output("11000", grade={"scheme": "customer", "code": "S355 billet"})], losses="900",
        additions=[{"material": "pig iron", "mass_kg": "400"}]))
    return {"lot": lot, "first": first, "second": second}


def poll(auditor, first):
    job = first
    for _ in range(200):
        if job["status"] != "running":
            return job
        time.sleep(0.05)
        job = auditor.get(f"/v1/audit/verification/{job['job_id']}")
    raise AssertionError("verification job did not finish")


def test_full_verification_runs_as_a_job_the_auditor_polls(auditor, trade):
    job = poll(auditor, auditor.get("/v1/audit/verification"))
    assert job["status"] == "passed"
    assert job["verified"] == job["tree_size"] == job["result"]["size"]


def test_a_finished_verification_is_reused_while_the_log_has_not_grown(auditor, trade):
    job = poll(auditor, auditor.get("/v1/audit/verification"))
    assert auditor.get("/v1/audit/verification")["job_id"] == job["job_id"]


def test_full_verification_names_the_first_tampered_entry(app, auditor, trade):
    store = app.extensions["scrapledger"].store
    with store.write() as tx:
        if store.dialect == "sqlite":
            tx.connection.execute(text("DROP TRIGGER entries_no_update"))
        else:
            tx.connection.execute(text("DROP TRIGGER entries_append_only ON entries"))
        index = tx.lot(trade["lot"]).created_entry
        data = tx.entry(index).data.replace(b'"24380"', b'"24480"', 1)
        tx.connection.execute(text("UPDATE entries SET data = :d WHERE idx = :i"), {"d": data, "i": index})
    job = poll(auditor, auditor.get("/v1/audit/verification"))
    assert job["status"] == "failed"
    assert job["result"]["index"] == index


def test_only_auditors_and_operators_use_the_audit_endpoints(recycler):
    with pytest.raises(ClientError) as failure:
        recycler.get("/v1/audit/findings")
    assert failure.value.status == 403


def test_findings_list_discrepancies_and_rejected_deliveries(auditor, trade):
    found = auditor.get("/v1/audit/findings")["findings"]
    assert {f["kind"] for f in found} >= {"discrepancy", "rejected_delivery"}
    rejected = auditor.get("/v1/audit/findings?kind=rejected_delivery")["findings"]
    assert len(rejected) == 1 and "oil contamination" in rejected[0]["detail"]


def test_findings_list_high_risk_origins_failing_declarations_and_keys_revoked_after_use(
        auditor, recycler, smelter, operator):
    risky = recycler.submit("/v1/lots", "lot.register",
                            lot_body(origin={"country": "CD", "site": "Kolwezi"}))["result"]["lot_id"]
    declaration = recycler.submit("/v1/declarations", "declaration.issue",
                                  declaration_body(risky, "ijmuiden-steel", origin_countries=["NL"]))
    smelter.post(f"/v1/declarations/{declaration['result']['declaration_id']}/verification", {})
    key = recycler.signer.key_id
    operator.submit(f"/v1/parties/rotterdam-metals/keys/{key}/revocation", "party.revoke_key",
                    {"party_id": "rotterdam-metals", "key_id": key})
    kinds = {f["kind"] for f in auditor.get("/v1/audit/findings")["findings"]}
    assert {"high_risk_origin", "failing_declaration", "key_revoked_after_use"} <= kinds


def test_findings_filter_by_party_and_page(auditor, trade):
    page = auditor.get("/v1/audit/findings?party=ijmuiden-steel&limit=1")
    assert page["total"] >= 2 and len(page["findings"]) == 1 and page["next_offset"] == 1


def test_mass_balance_matches_holdings_and_the_log(auditor, trade):
    report = auditor.get("/v1/audit/mass-balance?recompute=true")
    assert report["problems"] == []
    assert report["whole_history"] is True and report["recomputed_from_log"] is True
    recycler = next(b for b in report["balances"] if b["party_id"] == "rotterdam-metals")
    assert recycler["flows_kg"]["registered"] == "24380.000"
    assert recycler["flows_kg"]["losses"] == "380.000"
    assert recycler["balance_kg"] == recycler["holdings_kg"] == "12000.000"
    smelter = next(b for b in report["balances"] if b["party_id"] == "ijmuiden-steel")
    assert smelter["flows_kg"]["received"] == "11500.000"
    assert smelter["flows_kg"]["additions"] == "400.000"


def test_mass_balance_reports_projections_that_drifted_from_the_log(app, auditor, trade):
    store = app.extensions["scrapledger"].store
    with store.write() as tx:
        tx.connection.execute(text("UPDATE lots SET mass_g = mass_g + 5000 WHERE lot_id = :lot"), {"lot": trade["second"]})
    problems = auditor.get("/v1/audit/mass-balance?recompute=true")["problems"]
    assert any("differ from the log" in problem for problem in problems)
    assert any("holdings" in problem for problem in problems)
