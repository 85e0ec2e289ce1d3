"""EPCIS history of a lot with 10,000 ancestors: `GET /v1/lots/{id}/epcis` and `/untp` on SQLite.

The provenance benchmark's ledger (see `bench/provenance.py`): the lot's
history is 24,851 events (9,900 registrations, 7,425 dispatches and as many
receipts, 101 transformations), each mapped from its entry and hashed (CBV
2.0 event hash) in Python. Measured: the median of 3 whole requests through
Flask's test client as the smelter. Baseline: the provenance document of the
same lot (the same ancestry, rendered by the database). The target is what a
user downloading the history of a whole heat waits at most.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Any

from api import create_app

from . import provenance
from .ledgers import ORIGIN

SAMPLES = 3
TARGET_S = 10.0


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report rows of the EPCIS benchmark."""
    built = provenance.build(fresh=fresh)
    app = create_app({"SCRAPLEDGER_HOME": str(built.home), "SCRAPLEDGER_ORIGIN": ORIGIN})
    logging.getLogger("scrapledger.requests").setLevel(logging.WARNING)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {built.token}"}

    def seconds(kind: str) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(SAMPLES):
            started = time.perf_counter()
            reply = client.get(f"/v1/lots/{built.lot_id}/{kind}", headers=headers)
            times.append(time.perf_counter() - started)
            if reply.status_code != 200:
                raise RuntimeError(f"{kind} answered {reply.status_code}")
            size = len(reply.data)
        return statistics.median(times), size

    floor, _ = seconds("provenance")
    rows = []
    for kind, what in (("epcis", "EPCIS document"), ("untp", "UNTP DTE credential, signed")):
        measured, size = seconds(kind)
        rows.append({"name": f"{kind} GET, {provenance.ANCESTORS:,} ancestors ({what})",
                     "measured": f"{measured:.2f} s ({size / 1e6:.1f} MB)",
                     "baseline": f"{floor * 1000:.0f} ms (provenance GET of the same lot)",
                     "ratio": measured / floor, "target": f"< {TARGET_S:g} s", "passed": measured < TARGET_S})
    return rows
