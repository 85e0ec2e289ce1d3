"""The lot page of a lot with 10,000 ancestors, drawn in Chromium: goto until the picture is on screen.

Uses the provenance benchmark's ledger (bench/provenance.py), copied so the page's reads leave the
cache as it was, served by werkzeug in a thread. Measured: the median time from `page.goto` of the
lot page to the picture's `data-rendered` mark (page, scripts, the provenance cut, the dagre layout,
one painted frame), as the smelter, in Debian's Chromium driven by Playwright. Baseline: the same
for a lot with no ancestors in the same ledger, so the ratio is what 10,000 ancestors cost.
Target: under 3 s (issue 16).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from api import create_app

from . import provenance
from .ledgers import ORIGIN

CHROMIUM = "/usr/bin/chromium"
SAMPLES = 5
TARGET_SECONDS = 3.0
LEAF_SQL = "SELECT lot_id FROM lots WHERE lot_id NOT IN (SELECT child FROM lot_edges) ORDER BY created_entry LIMIT 1"


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report row of the provenance page benchmark."""
    from playwright.sync_api import sync_playwright

    built = provenance.build(fresh=fresh)
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        shutil.copytree(built.home, home)
        with sqlite3.connect(home / "scrapledger.db") as connection:
            [leaf_lot] = connection.execute(LEAF_SQL).fetchone()
        app = create_app({"SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_ORIGIN": ORIGIN})
        logging.getLogger("scrapledger.requests").setLevel(logging.WARNING)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/sign-in")
                page.fill("#token", built.token)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                leaf, _ = _median_seconds(page, f"{base}/lots/{leaf_lot}")
                deep, status = _median_seconds(page, f"{base}/lots/{built.lot_id}")
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)
    return [{"name": f"provenance page, {provenance.ANCESTORS:,} ancestors (Chromium, goto to drawn picture)",
             "measured": f"{deep:.2f} s (median of {SAMPLES}; {status.split(';')[0]})",
             "baseline": f"{leaf:.2f} s (a lot with no ancestors)", "ratio": deep / leaf,
             "target": f"< {TARGET_SECONDS:g} s", "passed": deep < TARGET_SECONDS}]


def _median_seconds(page: Any, address: str) -> tuple[float, str]:
    """Return the median seconds from goto to the drawn picture (after one warm-up) and the status line."""
    times: list[float] = []
    for _ in range(SAMPLES + 1):
        started = time.perf_counter()
        page.goto(address)
        page.wait_for_selector("#provenance-graph[data-rendered='1']", state="attached", timeout=30_000)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:]), page.text_content("#graph-status") or ""
