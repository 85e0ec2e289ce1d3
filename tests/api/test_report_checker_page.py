"""The offline report checker page: public, self-contained, and pinned to this ledger's key."""

from __future__ import annotations

import re


def test_the_checker_is_served_without_a_session_with_this_logs_key_filled_in(app, client):
    page = client.get("/verify-report")
    assert page.status_code == 200
    assert f'value="{app.extensions["scrapledger"].log.verifier.to_vkey()}"' in page.get_data(as_text=True)


def test_the_checker_loads_nothing_from_anywhere_so_a_saved_copy_works_offline(client):
    page = client.get("/verify-report").get_data(as_text=True)
    assert not re.search(r"<(script|img|iframe)[^>]*\bsrc=|<link[^>]*\bhref=|\bimport\b[^;]*\bfrom\b", page)
    assert "export async function checkReport" in page
