"""The offline report checker: a good report passes, any flipped byte fails, and a saved copy works with no network.

The page re-checks a report entirely in the browser (docs/format.md §14), as `scrapledger
verify-report` does in Python; these tests feed it reports the API signed.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import NoteVerifier
from tests.factories import declaration_body, dispatch_body, lot_body, receipt_body

FINISHED = "(h => h && !h.textContent.includes('Checking'))(document.querySelector('#outcome h2'))"


@pytest.fixture
def report_bytes(make_party: Any) -> bytes:
    """A report on a delivered lot's declaration, as the intake officer's page downloads it."""
    yard = make_party("rotterdam-metals")
    officer = make_party("ijmuiden-steel", roles=("smelter",), legal_name="IJmuiden Steel Works B.V.")
    lot_id = yard.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    transfer_id = yard.submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch",
                              dispatch_body(lot_id, "ijmuiden-steel"))["result"]["transfer_id"]
    declaration_id = yard.submit("/v1/declarations", "declaration.issue",
                                 declaration_body(lot_id, "ijmuiden-steel"))["result"]["declaration_id"]
    officer.submit(f"/v1/transfers/{transfer_id}/receipt", "lot.receive", receipt_body(transfer_id))
    report = officer.post(f"/v1/declarations/{declaration_id}/verification", {})
    return json.dumps(report, indent=2).encode()


def check(page: Any, content: bytes) -> str:
    """Choose `content` as the report file and return the outcome the page shows."""
    page.evaluate("document.getElementById('outcome').replaceChildren()")
    page.set_input_files("#report-file", files=[{"name": "report.json", "mimeType": "application/json",
                                                 "buffer": content}])
    page.wait_for_function(FINISHED)
    return page.inner_text("#outcome")


def test_a_good_report_passes_every_step_against_the_pinned_log_key(page, live_server, report_bytes):
    page.goto(f"{live_server}/verify-report")
    assert "The report is authentic and intact; its verdict is pass" in check(page, report_bytes)
    steps = page.locator("#steps li").all_inner_texts()
    assert len(steps) == 5 and steps[0].startswith("Log key") and "pinned" in steps[0]
    assert "inclusion proof" in steps[3]
    assert json.loads(report_bytes)["declaration_id"] in page.inner_text("#report-details")


def test_one_flipped_byte_anywhere_in_the_report_fails(page, live_server, report_bytes):
    page.goto(f"{live_server}/verify-report")
    for position in range(0, len(report_bytes), max(1, len(report_bytes) // 60)):
        flipped = bytearray(report_bytes)
        flipped[position] ^= 0x01
        assert "✗" in check(page, bytes(flipped)), f"byte {position} flipped still passed"


def test_a_report_from_another_log_fails_against_the_pinned_key(page, live_server, report_bytes):
    page.goto(f"{live_server}/verify-report")
    page.fill("#log-key", NoteVerifier.from_public_key("other.example/log", bytes(range(32))).to_vkey())
    assert "names another log key than the trusted one" in check(page, report_bytes)


def test_without_a_pinned_key_the_page_says_it_trusted_the_reports_own(page, live_server, report_bytes):
    page.goto(f"{live_server}/verify-report")
    page.fill("#log-key", "")
    assert "taken from the report itself" in check(page, report_bytes)


def test_a_saved_copy_of_the_page_checks_a_report_with_no_network(browser, live_server, report_bytes, tmp_path):
    saved = tmp_path / "checker.html"
    with urllib.request.urlopen(f"{live_server}/verify-report") as response:
        saved.write_bytes(response.read())
    context = browser.new_context()
    requests: list[str] = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()
                                         if route.request.url.startswith("file:") else route.abort()))
    page = context.new_page()
    page.goto(saved.as_uri())
    assert "The report is authentic and intact" in check(page, report_bytes)
    assert [url for url in requests if not url.startswith("file:")] == []
    context.close()


def test_a_file_that_is_not_json_is_named_as_such(page, live_server):
    page.goto(f"{live_server}/verify-report")
    assert "not valid JSON" in check(page, b"%PDF-1.7 not a report")
