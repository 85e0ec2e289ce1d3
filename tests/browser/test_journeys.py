"""Each role's journey through the pages in a real Chromium, and the bytes a browser signs.

The browser signs with WebCrypto; the server cannot tell its entries from the CLI's, so the
tests compare them with what `api/client.py` signs and verify an export holding them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.audit_cli import check_report
from api.client import LedgerClient
from ledger.entries import format_time
from ledger.export import export, verify_export
from tests.factories import declaration_body, dispatch_body, lot_body, receipt_body


@pytest.fixture
def key_file(tmp_path: Path):
    """Write a party's signing key where a clerk would pick it from (PKCS#8 PEM, as keygen writes)."""

    def write(party: LedgerClient) -> Path:
        path = tmp_path / f"{party.party_id}.pem"
        party.signer.save(path)
        return path

    return write


def signed_in(page: Any, base: str, party: LedgerClient, key: Path | None = None) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("#token", party.token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    if key is not None:
        load_key(page, key)


def load_key(page: Any, key: Path) -> None:
    """Load the key file and keep it for the tab, as a clerk signing several entries would."""
    page.check("#key-keep")
    page.set_input_files("#key-file", str(key))
    page.wait_for_function("document.getElementById('key-status').textContent.includes('loaded')")


def fill_lot_form(page: Any, net_mass_kg: str) -> None:
    """Type the HMS 1&2 lorry load of tests/factories.lot_body into the registration form."""
    page.select_option("#f-material_family", "ferrous")
    page.select_option("#f-grade-scheme", "ISRI")
    page.fill("#f-grade-code", "HMS 1&2")
    page.fill("#f-hs_code", "720449")
    page.select_option("#f-consumer_stage", "post_consumer")
    page.select_option("#f-source_type", "construction_demolition")
    page.fill("#f-ewc_code", "17 04 05")
    page.fill("#f-origin-country", "NL")
    page.fill("#f-origin-site", "Waalhaven Zuid yard, Rotterdam")
    page.fill("#f-net_mass_kg", net_mass_kg)


def log_size(app: Any) -> int:
    with app.extensions["scrapledger"].store.read() as tx:
        return tx.head().size


def test_a_clerk_registers_a_lorry_load_and_dispatches_it(page, live_server, make_party, key_file):
    clerk = make_party("rotterdam-metals")
    make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")
    signed_in(page, live_server, clerk)
    page.goto(f"{live_server}/lots/new")
    load_key(page, key_file(clerk))
    fill_lot_form(page, "24380.5")
    page.click("text=Sign and register")
    page.wait_for_url(re.compile(r".*/lots/lot-\d+$"))
    lot_id = page.url.rsplit("/", 1)[1]
    assert "24380.500 kg" in page.inner_text("main")

    page.fill("#f-to_party", "ijmuiden-steel")
    page.fill("#f-transport_reference", "CMR 2026-55821 / truck NL-12-BXT")
    page.click("text=Sign and dispatch")
    page.wait_for_selector("text=in transit")
    answer = clerk.get(f"/v1/lots/{lot_id}")
    assert answer["status"] == "in_transit" and answer["open_transfer"]["receiver"] == "ijmuiden-steel"


def test_bad_input_shows_the_rule_beside_the_field_keeps_the_form_and_appends_nothing(
        app, page, live_server, make_party, key_file):
    clerk = make_party("rotterdam-metals")
    signed_in(page, live_server, clerk)
    page.goto(f"{live_server}/lots/new")
    load_key(page, key_file(clerk))
    fill_lot_form(page, "24380,5")
    before = log_size(app)
    page.click("text=Sign and register")
    error = page.wait_for_selector("#f-net_mass_kg ~ .field-error")
    assert "at most three decimals" in error.inner_text()
    assert page.get_attribute("#f-net_mass_kg", "aria-invalid") == "true"
    assert page.input_value("#f-origin-site") == "Waalhaven Zuid yard, Rotterdam"
    assert log_size(app) == before


def test_a_transformation_that_would_create_mass_is_refused_before_signing(
        app, page, live_server, make_party, key_file):
    clerk = make_party("rotterdam-metals")
    lot_id = clerk.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    signed_in(page, live_server, clerk)
    page.goto(f"{live_server}/transform?input={lot_id}")
    load_key(page, key_file(clerk))
    page.select_option("#f-kind", "bale")
    page.select_option("#f-outputs-0-material_family", "ferrous")
    page.fill("#f-outputs-0-net_mass_kg", "24380.001")
    status = page.inner_text("[data-balance-status]")
    assert "exceed inputs and additions by 0.001 kg" in status
    before = log_size(app)
    page.click("text=Sign and transform")
    assert "would create mass" in page.inner_text("#f-losses_kg ~ .field-error")
    assert log_size(app) == before
    page.fill("#f-outputs-0-net_mass_kg", "24300")
    page.fill("#f-losses_kg", "80")
    assert "every gram is accounted for" in page.inner_text("[data-balance-status]")
    page.click("text=Sign and transform")
    page.wait_for_url(re.compile(rf".*/lots/lot-\d+-1$"))
    assert clerk.get(f"/v1/lots/{lot_id}")["status"] == "consumed"


def test_an_intake_officer_receives_a_delivery_and_verifies_its_declaration(
        app, page, live_server, make_party, key_file, tmp_path):
    yard = make_party("rotterdam-metals")
    officer = make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")
    lot_id = yard.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    transfer_id = yard.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                              dispatch_body(lot_id, "ijmuiden-steel"))["result"]["transfer_id"]
    declaration_id = yard.submit("/v1/declarations", "declaration.issue",
                                 declaration_body(lot_id, "ijmuiden-steel"))["result"]["declaration_id"]
    signed_in(page, live_server, officer, key_file(officer))
    page.click("text=Inbox")
    page.click(f"a[href='/transfers/{transfer_id}']")
    page.fill("#f-weighed_mass_kg", "24360")
    page.click("text=Sign receipt")
    page.wait_for_url(f"{live_server}/lots/{lot_id}")
    assert officer.get(f"/v1/lots/{lot_id}")["holder"] == "ijmuiden-steel"

    page.goto(f"{live_server}/declarations/{declaration_id}")
    page.click("text=Verify this declaration")
    page.wait_for_selector("text=Download the signed report")
    assert re.search(r"Verification of decl-\d+: . (pass|warn)", page.inner_text("h1"))
    assert "custody" in page.inner_text("table")
    with page.expect_download() as download:
        page.click("text=Download the signed report")
    saved = tmp_path / "report.json"
    download.value.save_as(saved)
    checked = check_report(json.loads(saved.read_bytes()), app.extensions["scrapledger"].log.verifier.to_vkey())
    assert checked.declaration_id == declaration_id


def test_a_browser_signs_exactly_the_bytes_the_python_client_signs(page, live_server, make_party, key_file):
    clerk = make_party("rotterdam-metals")
    signed_in(page, live_server, clerk)
    moment = datetime(2026, 12, 5, 9, 30, 12, 345000, tzinfo=UTC)
    python = LedgerClient(clerk.transport, party_id=clerk.party_id, token=clerk.token, signer=clerk.signer,
                          origin=clerk.origin, clock=lambda: moment).signed("lot.register", lot_body(),
                                                                            "rtm-wb-118822")
    browser = page.evaluate("""async ([pem, body, log, timestamp]) => {
        const { BrowserKey, signedEnvelope } = await import('/static/js/browser-key.js');
        const key = await BrowserKey.fromPem(pem);
        return signedEnvelope(key, { log, party: 'rotterdam-metals', type: 'lot.register', body,
                                     submissionId: 'rtm-wb-118822', timestamp });
    }""", [key_file(clerk).read_text(), lot_body(), clerk.origin, format_time(moment)])
    assert browser == python


def test_a_browser_signed_entry_verifies_in_an_export(app, page, live_server, make_party, key_file, tmp_path):
    clerk = make_party("rotterdam-metals")
    signed_in(page, live_server, clerk)
    page.goto(f"{live_server}/lots/new")
    load_key(page, key_file(clerk))
    fill_lot_form(page, "24380")
    page.click("text=Sign and register")
    page.wait_for_url(re.compile(r".*/lots/lot-\d+$"))
    log = app.extensions["scrapledger"].log
    entries, checkpoint = io.BytesIO(), io.StringIO()
    export(log, entries, checkpoint, datetime.now(UTC))
    path = tmp_path / "entries.jsonl"
    path.write_bytes(entries.getvalue())
    assert verify_export(path, checkpoint.getvalue(), log.verifier.to_vkey()).size == log_size(app)
    newest = json.loads(entries.getvalue().splitlines()[-1])
    assert newest["submission"]["party"] == "rotterdam-metals" and newest["submission"]["type"] == "lot.register"


def test_an_auditor_checks_integrity_consistency_findings_and_exports_the_log(
        app, page, live_server, make_party, tmp_path):
    yard = make_party("rotterdam-metals")
    smelter = make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")
    auditor = make_party("tuv-audit", roles=("auditor",), legal_name="TÜV Audit GmbH", country="DE")
    lot_id = yard.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    sent = yard.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                       dispatch_body(lot_id, "ijmuiden-steel"))["result"]["transfer_id"]
    saved = app.extensions["scrapledger"].log.checkpoint(datetime.now(UTC)).note
    smelter.submit(f"/v1/transfers/{sent}/receipt", "lot.receive", receipt_body(sent, weighed="23000"))
    signed_in(page, live_server, auditor)
    page.click("nav >> text=Audit")

    page.click("text=Verify the whole log now")
    page.wait_for_selector("#integrity >> text=Intact")
    page.fill("#f-checkpoint", saved)
    page.click("text=Check consistency")
    assert "✓ Consistent" in page.inner_text("#consistency")
    assert sent in page.inner_text("details[data-kind=discrepancy]")
    page.wait_for_function("() => window.Chart !== undefined && ['growth-chart', 'mass-balance-chart'].every("
                           "(id) => window.Chart.getChart(document.getElementById(id)) !== undefined)")  # drawn

    page.click("#export button[type=submit]")
    page.wait_for_selector("#export-download")
    with page.expect_download() as download:
        page.click("#export-download")
    archive = tmp_path / "export.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(tmp_path)
    checked = verify_export(tmp_path / "entries.jsonl", (tmp_path / "checkpoint.txt").read_text(),
                            app.extensions["scrapledger"].log.verifier.to_vkey())
    assert checked.size == log_size(app)
