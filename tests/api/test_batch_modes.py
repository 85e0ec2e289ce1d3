"""Batches that skip invalid items, and dry runs that append nothing: what a bulk import builds on."""

from __future__ import annotations

import pytest

from api.client import ClientError
from ledger import log as ledger_log
from ledger.signing import Signer
from tests.factories import dispatch_body, lot_body, receipt_body


@pytest.fixture
def recycler(make_party):
    make_party("ijmuiden-steel", roles=("smelter",))
    return make_party("rotterdam-metals", roles=("recycler",))


def log_size(party):
    return party.get("/v1/checkpoint").splitlines()[1]


def lots(recycler, count, **bad):
    items = [recycler.signed("lot.register", lot_body(reference=f"RTM-{n:04d}")) for n in range(count)]
    for position, fields in bad.items():
        items[int(position.removeprefix("row"))] = recycler.signed("lot.register", lot_body(**fields))
    return items


def test_skipping_appends_the_valid_items_and_names_each_invalid_one(recycler):
    items = lots(recycler, 6, row1={"net_mass_kg": "-1"}, row4={"hs_code": "72"})
    answer = recycler.post("/v1/batches", {"items": items, "invalid_items": "skip"})
    assert answer["appended"] is True
    assert [result is None for result in answer["results"]] == [False, True, False, False, True, False]
    assert [(p["item"], p["field"], p["status"]) for p in answer["problems"]] == [
        (1, "body.net_mass_kg", 422), (4, "body.hs_code", 422)]
    assert len({result["result"]["lot_id"] for result in answer["results"] if result}) == 4


def test_an_item_refused_under_the_lock_is_skipped_and_the_rest_lands(recycler):
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    items = [recycler.signed("lot.dispatch", dispatch_body(lot, "ijmuiden-steel")),
             recycler.signed("lot.dispatch", dispatch_body(lot, "ijmuiden-steel", transport_reference="CMR 2")),
             *lots(recycler, 2)]
    answer = recycler.post("/v1/batches", {"items": items, "invalid_items": "skip"})
    assert [p["item"] for p in answer["problems"]] == [1]
    assert answer["problems"][0]["title"] == "lot in transit"
    assert [result["index"] for result in answer["results"] if result] == [
        answer["results"][0]["index"] + n for n in range(3)]


def test_a_receipt_of_an_unknown_transfer_is_named_not_half_applied(recycler, make_party):
    smelter = make_party("ijmuiden-steel-intake", roles=("smelter",))
    answer = smelter.post("/v1/batches", {"items": [smelter.signed("lot.receive", receipt_body("tr-99999"))],
                                          "invalid_items": "skip"})
    assert answer["results"] == [None]
    assert answer["problems"][0]["status"] == 404
    assert answer["appended"] is False


def test_a_dry_run_names_every_problem_and_appends_nothing(recycler):
    before = log_size(recycler)
    items = lots(recycler, 4, row0={"ewc_code": "99 99 99"}, row2={"net_mass_kg": "1.0001"})
    answer = recycler.post("/v1/batches", {"items": items, "dry_run": True})
    assert answer["appended"] is False
    assert [p["item"] for p in answer["problems"]] == [0, 2]
    assert [result is not None for result in answer["results"]] == [False, True, False, True]
    assert log_size(recycler) == before


def test_a_dry_run_sees_what_earlier_items_of_the_batch_would_create(recycler):
    first = recycler.submit("/v1/lots", "lot.register", lot_body())["index"]
    items = [recycler.signed("lot.register", lot_body(reference="RTM-2")),
             recycler.signed("lot.dispatch", dispatch_body(f"lot-{first + 1}", "ijmuiden-steel"))]
    answer = recycler.post("/v1/batches", {"items": items, "dry_run": True})
    assert answer["problems"] == []
    assert answer["results"][1]["result"]["lot_id"] == f"lot-{first + 1}"
    with pytest.raises(ClientError) as missing:
        recycler.get(f"/v1/lots/lot-{first + 1}")
    assert missing.value.status == 404


def test_a_dry_run_of_an_imported_batch_reports_it_as_replayed(recycler):
    items = lots(recycler, 3)
    recycler.post("/v1/batches", {"items": items})
    answer = recycler.post("/v1/batches", {"items": items, "dry_run": True})
    assert all(result["replayed"] for result in answer["results"])


def test_a_dry_run_never_hands_out_a_token(operator):
    body = {"party_id": "new-yard", "legal_name": "New Yard B.V.", "registration_number": "KVK-1", "country": "NL",
            "roles": ["recycler"], "public_keys": [Signer.generate().public_key.hex()]}
    answer = operator.post("/v1/batches", {"items": [operator.signed("party.register", body)], "dry_run": True})
    assert answer["problems"] == [] and answer["results"][0]["token"] is None


def test_too_many_refusals_under_the_lock_leave_the_rest_untried(recycler, monkeypatch):
    monkeypatch.setattr(ledger_log, "MAX_REFUSED_UNDER_LOCK", 2)
    receipts = [recycler.signed("lot.receive", receipt_body(f"tr-{9000 + n}")) for n in range(3)]
    answer = recycler.post("/v1/batches", {"items": [*receipts, *lots(recycler, 2)], "invalid_items": "skip"})
    assert [(p["item"], p["title"]) for p in answer["problems"]] == [
        (0, "transfer not found"), (1, "transfer not found"), (2, "not tried"), (3, "not tried"), (4, "not tried")]


def test_the_same_submission_signed_again_with_another_timestamp_is_answered_as_its_entry(recycler):
    body = lot_body(reference="RTM-7")
    first = recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", body, "imp-abc-7")]})
    again = recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", body, "imp-abc-7")],
                                          "invalid_items": "skip"})
    assert again["problems"] == []
    assert (again["results"][0]["index"], again["results"][0]["replayed"]) == (first["results"][0]["index"], True)


def test_a_taken_submission_id_with_another_body_is_named_a_conflict(recycler):
    recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", lot_body(reference="RTM-8"), "imp-abc-8")]})
    answer = recycler.post("/v1/batches", {"items": [
        recycler.signed("lot.register", lot_body(reference="RTM-8", weighbridge_ticket="WB-118823"), "imp-abc-8")],
        "invalid_items": "skip"})
    assert (answer["problems"][0]["status"], answer["problems"][0]["field"]) == (409, "submission.submission_id")


def test_outside_skip_mode_a_resigned_submission_is_still_a_conflict(recycler):
    body = lot_body(reference="RTM-9")
    recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", body, "imp-abc-9")]})
    with pytest.raises(ClientError) as refused:
        recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", body, "imp-abc-9")]})
    assert refused.value.status == 409
