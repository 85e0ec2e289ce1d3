"""Declarations and their verification: one scenario per check, both outcomes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.client import ClientError
from ledger.evidence import check_report
from tests.factories import (
    declaration_body,
    dispatch_body,
    lot_body,
    output,
    receipt_body,
    transform_body,
)


@pytest.fixture
def recycler(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def smelter(make_party):
    return make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")


def register(party, **overrides):
    return party.submit("/v1/lots", "lot.register", lot_body(**overrides))["result"]["lot_id"]


def declare(party, lot, recipient="ijmuiden-steel", **overrides):
    return party.submit("/v1/declarations", "declaration.issue",
                        declaration_body(lot, recipient, **overrides))["result"]["declaration_id"]


def verify(party, declaration):
    return party.post(f"/v1/declarations/{declaration}/verification", {})


def check(report, name):
    return next(item for item in report["checks"] if item["name"] == name)


def test_an_honest_declaration_passes_every_check(recycler, smelter):
    report = verify(smelter, declare(recycler, register(recycler)))
    assert report["verdict"] == "pass", [c for c in report["checks"] if c["status"] != "pass"]
    assert {c["name"] for c in report["checks"]} >= {
        "signature", "custody", "mass", "recycled_share", "post_consumer_share", "origins", "high_risk_origins",
        "transfers", "home_scrap", "certificates", "integrity", "not_withdrawn", "material"}


def test_the_report_carries_evidence_that_verifies_offline(recycler, smelter):
    report = verify(smelter, declare(recycler, register(recycler)))
    checked = check_report(report, smelter.get("/v1/log-key").strip())
    assert checked.verdict == "pass"
    cited = {index for item in report["checks"] for index in item["entries"]}
    assert cited <= {entry["index"] for entry in report["evidence"]["entries"]}


def test_declaring_a_lot_dispatched_to_the_recipient_passes_custody(recycler, smelter):
    lot = register(recycler)
    recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch", dispatch_body(lot, "ijmuiden-steel"))
    assert check(verify(smelter, declare(recycler, lot)), "custody")["status"] == "pass"


def test_a_declaration_that_hides_an_origin_fails_the_origins_check(recycler, smelter):
    dutch = register(recycler, net_mass_kg="12000", gross_mass_kg=None, tare_mass_kg=None)
    german = register(recycler, net_mass_kg="12380", gross_mass_kg=None, tare_mass_kg=None,
                      origin={"country": "DE", "site": "Essen"})
    blend = recycler.submit("/v1/transformations", "lot.transform",
                            transform_body("blend", [dutch, german], [output("24380")]))["result"]["outputs"][0]
    report = verify(smelter, declare(recycler, blend))
    assert check(report, "origins")["status"] == "fail"
    assert "DE" in check(report, "origins")["reason"]
    assert report["verdict"] == "fail"


def test_a_declaration_that_inflates_the_recycled_share_fails(recycler, smelter):
    scrap = register(recycler, net_mass_kg="18000", gross_mass_kg=None, tare_mass_kg=None)
    home = register(recycler, net_mass_kg="6380", gross_mass_kg=None, tare_mass_kg=None, consumer_stage="home_scrap")
    blend = recycler.submit("/v1/transformations", "lot.transform",
                            transform_body("blend", [scrap, home], [output("24380")]))["result"]["outputs"][0]
    report = verify(smelter, declare(recycler, blend, consumer_stage="mixed", post_consumer_share="0.7"))
    assert check(report, "recycled_share")["status"] == "fail"
    assert check(report, "home_scrap")["status"] == "fail"
    assert check(report, "post_consumer_share")["status"] == "pass"


def test_a_declaration_of_a_consumed_lot_fails_custody(recycler, smelter):
    lot = register(recycler)
    recycler.submit("/v1/transformations", "lot.transform", transform_body("bale", [lot], [output("24380")]))
    report = verify(smelter, declare(recycler, lot))
    assert check(report, "custody")["status"] == "fail"
    assert "consumed" in check(report, "custody")["reason"]


def test_a_declaration_signed_with_a_key_revoked_since_fails_the_signature_check(recycler, smelter, operator):
    declaration = declare(recycler, register(recycler))
    key_id = recycler.signer.key_id
    operator.submit(f"/v1/parties/rotterdam-metals/keys/{key_id}/revocation", "party.revoke_key",
                    {"party_id": "rotterdam-metals", "key_id": key_id, "reason": "key leaked"})
    report = verify(smelter, declaration)
    assert check(report, "signature")["status"] == "fail"
    assert "revoked" in check(report, "signature")["reason"]


def test_a_declaration_citing_a_tampered_entry_fails_the_integrity_check(app, recycler, smelter):
    lot = register(recycler)
    declaration = declare(recycler, lot)
    store = app.extensions["scrapledger"].store
    with store.write() as tx:
        index = tx.lot(lot).created_entry
        if store.dialect == "sqlite":
            tx.connection.execute(text("DROP TRIGGER entries_no_update"))
        else:
            tx.connection.execute(text("DROP TRIGGER entries_append_only ON entries"))
        data = tx.entry(index).data.replace(b'"24380"', b'"24390"', 1)
        tx.connection.execute(text("UPDATE entries SET data = :data WHERE idx = :idx"), {"data": data, "idx": index})
    report = verify(smelter, declaration)
    assert check(report, "integrity")["status"] == "fail"
    assert index in check(report, "integrity")["entries"]


def test_a_withdrawn_declaration_fails_with_that_reason(recycler, smelter):
    declaration = declare(recycler, register(recycler))
    recycler.submit(f"/v1/declarations/{declaration}/withdrawal", "declaration.withdraw",
                    {"declaration_id": declaration, "reason": "wrong lot declared"})
    report = verify(smelter, declaration)
    assert check(report, "not_withdrawn")["status"] == "fail"
    assert "wrong lot declared" in check(report, "not_withdrawn")["reason"]


def test_a_declared_mass_beyond_tolerance_fails_the_mass_check(recycler, smelter):
    report = verify(smelter, declare(recycler, register(recycler), mass_kg="26000"))
    assert check(report, "mass")["status"] == "fail"


def test_a_high_risk_origin_denied_fails_and_disclosed_warns(recycler, smelter):
    lot = register(recycler, origin={"country": "CD", "site": "Lubumbashi trader"})
    denied = verify(smelter, declare(recycler, lot, origin_countries=["CD"]))
    disclosed = verify(smelter, declare(recycler, lot, origin_countries=["CD"], no_high_risk_origin=False))
    assert check(denied, "high_risk_origins")["status"] == "fail"
    assert check(disclosed, "high_risk_origins")["status"] == "warn"
    assert disclosed["verdict"] == "warn"


def test_a_rejected_delivery_in_the_ancestry_is_a_warning(recycler, smelter):
    lot = register(recycler)
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                               dispatch_body(lot, "ijmuiden-steel"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/rejection", "lot.reject", {"transfer_id": transfer, "reason": "wet"})
    assert check(verify(smelter, declare(recycler, lot)), "transfers")["status"] == "warn"


def test_end_of_waste_claims_need_a_valid_certificate(recycler, smelter, operator):
    lot = register(recycler, ewc_code=None, end_of_waste={"regime": "333/2011", "statement_of_conformity": "SoC-77"})
    claim = {"regime": "333/2011", "statement_of_conformity": "SoC-77"}
    uncertified = verify(smelter, declare(recycler, lot, end_of_waste=claim))
    operator.submit("/v1/parties/rotterdam-metals/certificates", "party.certificate", {
        "party_id": "rotterdam-metals", "kind": "end_of_waste_qms", "number": "EoW-QMS-NL-0042",
        "issuer": "Kiwa Nederland B.V.", "valid_from": "2026-01-01", "valid_until": "2028-12-31"})
    certified = verify(smelter, declare(recycler, lot, end_of_waste=claim))
    assert check(uncertified, "certificates")["status"] == "fail"
    assert check(certified, "certificates")["status"] == "pass"


def test_an_onward_declaration_by_the_smelter_at_the_weighed_mass_passes(recycler, smelter, make_party):
    buyer = make_party("hamburg-copper", roles=("smelter",), country="DE")
    lot = register(recycler)
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                               dispatch_body(lot, "ijmuiden-steel"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer, "24300"))
    report = verify(buyer, declare(smelter, lot, recipient="hamburg-copper", mass_kg="24300"))
    assert report["verdict"] == "pass", [c for c in report["checks"] if c["status"] != "pass"]


def test_only_the_recipient_an_auditor_or_an_operator_may_verify(recycler, smelter, make_party):
    declaration = declare(recycler, register(recycler))
    stranger = make_party("antwerp-scrap", roles=("recycler",), country="BE")
    with pytest.raises(ClientError) as failure:
        verify(stranger, declaration)
    assert failure.value.status == 404
    with pytest.raises(ClientError) as failure:
        verify(recycler, declaration)
    assert failure.value.status == 403
    auditor = make_party("tuv-audit", roles=("auditor",))
    assert verify(auditor, declaration)["verdict"] == "pass"
