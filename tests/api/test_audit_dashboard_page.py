"""The auditor's dashboard: integrity, consistency with a saved checkpoint, findings, mass balance, export."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.export import verify_export
from ledger.signing import Signer
from tests.api.test_audit_api import auditor, recycler, smelter, trade  # noqa: F401  (fixtures)
from tests.api.test_pages_sessions import page_csrf, sign_in
from tests.factories import lot_body


@pytest.fixture
def desk(client, auditor, trade):  # noqa: F811
    """The auditor signed in, over a ledger with a split, a discrepancy, a rejection and a melt."""
    sign_in(client, auditor.token)
    return client


def text_of(answer: Any) -> str:
    return answer.get_data(as_text=True)


def wait_for(client: Any, job_id: str) -> dict[str, Any]:
    for _ in range(400):
        job = client.get(f"/pages/audit/jobs/{job_id}").get_json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def job_on_page(page: str) -> str:
    """Return the id of the job the page shows: running, or finished with its download link."""
    return re.search(r'(?:data-job="|href="/audit/exports/)([0-9a-f]{32})"', page).group(1)


def test_findings_are_grouped_by_rule_with_links_to_their_entries(desk, app):
    page = text_of(desk.get("/audit"))
    group = page.split('data-kind="discrepancy"', 1)[1].split("</details>", 1)[0]
    assert "declared 12000.000 kg, weighed 11500.000 kg" in group
    assert re.search(r'<a href="/entries/\d+">\d+</a>', group)
    assert "oil contamination" in page.split('data-kind="rejected_delivery"', 1)[1].split("</details>", 1)[0]


def test_the_mass_balance_table_has_a_row_per_party_and_material(desk):
    page = text_of(desk.get("/audit"))
    table = page.split('id="mass-balance-table"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"<th scope=\"row\">ijmuiden-steel</th><td>ferrous</td>", table)
    assert "Every balance is non-negative and equals what the party holds now" in page


def test_the_growth_plot_ends_at_the_size_of_the_log(desk, app):
    page = text_of(desk.get("/audit"))
    points = json.loads(re.search(r'id="growth-data">(.*?)</script>', page, re.S).group(1))
    with app.extensions["scrapledger"].store.read() as tx:
        assert points[0][1] == 1 and points[-1][1] == tx.head().size


def test_a_party_that_is_not_an_auditor_gets_a_403_page(client, recycler):  # noqa: F811
    sign_in(client, recycler.token)
    answer = client.get("/audit")
    assert answer.status_code == 403 and "auditor" in text_of(answer)


def test_starting_a_verification_without_the_csrf_token_is_refused(desk):
    assert desk.post("/audit/verification").status_code == 403


def test_a_full_verification_runs_in_the_background_and_the_page_shows_it_passed(desk):
    started = desk.post("/audit/verification", data={"csrf_token": page_csrf(desk, "/audit")})
    assert started.status_code == 303 and started.headers["Location"].endswith("/audit#integrity")
    page = text_of(desk.get("/audit"))
    if 'data-status="running"' in page:
        wait_for(desk, job_on_page(page))
        page = text_of(desk.get("/audit"))
    assert "Intact" in page and "Verify the whole log now" in page


def test_a_checkpoint_saved_earlier_is_proven_consistent_with_the_log_now(desk, app, recycler):  # noqa: F811
    saved = app.extensions["scrapledger"].log.checkpoint(datetime.now(UTC)).note
    recycler.submit("/v1/lots", "lot.register", lot_body(reference="WB-2026-0999"))
    answer = desk.post("/audit/consistency", data={"checkpoint": saved, "csrf_token": page_csrf(desk, "/audit")})
    page = text_of(answer)
    assert answer.status_code == 200 and "✓ Consistent" in page
    size = int(saved.splitlines()[1])
    assert f"extends your checkpoint of\n      {size:,}" in page


def test_a_checkpoint_signed_by_another_log_is_refused_beside_the_field_and_kept(desk, app):
    foreign = sign_checkpoint(Checkpoint("another.example/log", 3, bytes(32)), Signer.generate())
    answer = desk.post("/audit/consistency", data={"checkpoint": foreign, "csrf_token": page_csrf(desk, "/audit")})
    page = text_of(answer)
    assert answer.status_code == 422
    assert re.search(r'id="checkpoint-error" class="field-error" role="alert">the saved checkpoint does not verify', page)
    assert "another.example/log" in page.split('id="f-checkpoint"', 1)[1].split("</textarea>", 1)[0]


def test_a_checkpoint_of_more_entries_than_the_log_holds_says_entries_are_missing(desk, app):
    log = app.extensions["scrapledger"].log
    current = log.checkpoint(datetime.now(UTC))
    ahead = sign_checkpoint(Checkpoint(log.origin, current.size + 5, bytes(32)), log._signer)
    answer = desk.post("/audit/consistency", data={"checkpoint": ahead, "csrf_token": page_csrf(desk, "/audit")})
    assert answer.status_code == 422 and "5 acknowledged entries are missing" in text_of(answer)


def test_the_export_is_made_in_the_background_and_downloads_as_a_zip_that_verifies(desk, app, tmp_path: Path):
    started = desk.post("/audit/exports", data={"csrf_token": page_csrf(desk, "/audit")})
    assert started.status_code == 303
    job = wait_for(desk, job_on_page(text_of(desk.get("/audit"))))
    assert job["status"] == "passed"
    archive = desk.get(f"/audit/exports/{job['job_id']}")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as unpacked:
        unpacked.extractall(tmp_path)
    result = verify_export(tmp_path / "entries.jsonl", (tmp_path / "checkpoint.txt").read_text(),
                           (tmp_path / "log-key.vkey").read_text())
    assert result.size == job["result"]["size"] == job["tree_size"]


def test_an_entry_page_shows_who_signed_what_and_when(desk, trade):  # noqa: F811
    page = text_of(desk.get("/entries/1"))
    assert "Entry 1" in page and "Signed by" in page and "Merkle leaf hash" in page
