"""Provenance latency: `GET /v1/lots/{id}/provenance` of a lot with 10,000 ancestors, on SQLite.

The ledger is made through the real `Log.append_many` (every rule applied,
every projection written): four recyclers register HMS lots and truck them to
a smelter, which receives them on its weighbridge and also registers scrap of
its own yard; it blends the 9,900 lots 198 at a time, melts the 50 blends into
one heat and sorts that 50 times in a row, so the last lot has a tree and a
chain behind it: 10,000 ancestors, 7,425 transfers, 101 transformations.

Measured: the median of the whole request through Flask's test client (token
check, access check, the document rendered by the database, the response) as
the smelter, with the store at the Store default synchronous=FULL (request
logging off, as it would only print). Detail: the domain call
`provenance_json()` alone. Every ancestor is consumed, so its node was
rendered when it was consumed (see ledger/store/ancestry_json.py). Baseline: the bare recursive CTE alone (the ancestors' ids) on an
already open sqlite3 connection, the floor under any answer that has to find
those ancestors.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from api import create_app
from ledger.provenance import provenance_json
from ledger.store import Store

from . import workload
from .ledgers import CACHE, ORIGIN, START

FORMAT = "v2"  # bump when the generated content changes
RECYCLERS = tuple(f"recycler-{city}" for city in ("rotterdam", "antwerp", "gent", "liege"))
SMELTER = "smelter-duisburg"
LEAVES, BLEND = 9_900, 198
CHAIN = 50
ANCESTORS = LEAVES + LEAVES // BLEND + 1 + CHAIN - 1
SAMPLES = 30
BUDGET_SECONDS = 30.0
TARGET_MS = 200.0
ANCESTORS_SQL = ("WITH RECURSIVE ancestors(lot_id) AS (SELECT ? UNION SELECT lot_edges.parent FROM lot_edges"
                 " JOIN ancestors ON lot_edges.child = ancestors.lot_id) SELECT lot_id FROM ancestors")


@dataclass(frozen=True, slots=True)
class Built:
    home: Path
    lot_id: str
    token: str


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report rows of the provenance benchmark, building its ledger first if needed."""
    built = build(fresh=fresh)
    app = create_app({"SCRAPLEDGER_HOME": str(built.home), "SCRAPLEDGER_ORIGIN": ORIGIN})
    logging.getLogger("scrapledger.requests").setLevel(logging.WARNING)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {built.token}"}
    path = f"/v1/lots/{built.lot_id}/provenance"
    reply = client.get(path, headers=headers)
    document = reply.get_json()
    if reply.status_code != 200 or len(document["lots"]) != ANCESTORS + 1:
        raise RuntimeError(f"provenance answered {reply.status_code} with {len(document.get('lots', []))} lots")
    size = len(reply.data)

    def request() -> None:
        answered = client.get(path, headers=headers)
        assert answered.status_code == 200

    http = _median_ms(request)
    store = Store(f"sqlite:///{built.home / 'scrapledger.db'}")

    def domain() -> None:
        with store.read() as tx:
            provenance_json(tx, SMELTER, built.lot_id)

    domain_ms = _median_ms(domain)
    store.dispose()
    with sqlite3.connect(built.home / "scrapledger.db") as connection:
        def bare() -> None:
            assert len(connection.execute(ANCESTORS_SQL, (built.lot_id,)).fetchall()) == ANCESTORS + 1

        floor = _median_ms(bare)
    return [
        {"name": f"provenance GET, {ANCESTORS:,} ancestors (Flask test client)",
         "measured": f"{http[0]:.1f} ms (n={http[1]}, {size / 1e6:.1f} MB JSON)",
         "baseline": f"{floor[0]:.1f} ms (bare recursive CTE, open sqlite3 connection)",
         "ratio": http[0] / floor[0], "target": f"< {TARGET_MS:g} ms", "passed": http[0] < TARGET_MS},
        {"name": "  detail: provenance_json() domain call alone", "measured": f"{domain_ms[0]:.1f} ms (n={domain_ms[1]})",
         "baseline": f"{floor[0]:.1f} ms", "ratio": domain_ms[0] / floor[0], "target": f"< {TARGET_MS:g} ms",
         "passed": None},
    ]


def _median_ms(call: Callable[[], None]) -> tuple[float, int]:
    """Return the median milliseconds of `call` (after a warm-up) and how many samples were taken."""
    call()
    times: list[float] = []
    deadline = time.perf_counter() + BUDGET_SECONDS
    while len(times) < SAMPLES and (len(times) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(times)


def build(*, fresh: bool = False) -> Built:
    """Return the cached provenance ledger, building it through `Log.append_many` if it is missing."""
    home = CACHE / f"provenance-{FORMAT}-{ANCESTORS}"
    if fresh and home.exists():
        shutil.rmtree(home)
    if not (home / "complete").exists():
        _build(home)
    lot_id, token = (home / "complete").read_text().split()
    return Built(home, lot_id, token)


def _build(home: Path) -> None:
    partial = home.with_name(home.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    clock = [START]

    def tick() -> Any:
        clock[0] += timedelta(seconds=1)
        return clock[0]

    members = [(name, ("recycler",)) for name in RECYCLERS] + [(SMELTER, ("smelter",))]
    ledger = workload.initialised(partial, ORIGIN, START, members, synchronous="NORMAL")
    log, parties = ledger.log, {party.party_id: party for party in ledger.parties}
    smelter = parties[SMELTER]
    held: list[tuple[str, int]] = []  # the smelter's lots and their grams
    for offset, name in enumerate(RECYCLERS):
        party = parties[name]
        numbers = [n for n in range(LEAVES) if n % 4 != 3 and (n // 4) % len(RECYCLERS) == offset]
        moment = tick()
        made = workload.append_all(log, name, [
            workload.sign(party, "lot.register", workload.lot_body(n), f"lot-{n}", moment) for n in numbers], moment)
        lots = [(result.result["lot_id"], workload.lot_grams(n)) for result, n in zip(made, numbers, strict=True)]
        moment = tick()
        sent = workload.append_all(log, name, [
            workload.sign(party, "lot.dispatch", workload.dispatch_body(lot, SMELTER, grams, n), f"dispatch-{n}", moment)
            for (lot, grams), n in zip(lots, numbers, strict=True)], moment)
        moment = tick()
        workload.append_all(log, SMELTER, [
            workload.sign(smelter, "lot.receive", workload.receipt_body(result.result["transfer_id"], grams),
                          f"receive-{n}", moment)
            for result, (_lot, grams), n in zip(sent, lots, numbers, strict=True)], moment)
        held += [(lot, grams - 20_000) for lot, grams in lots]
        _progress(partial, log.size(), started)
    own = [n for n in range(LEAVES) if n % 4 == 3]
    moment = tick()
    made = workload.append_all(log, SMELTER, [
        workload.sign(smelter, "lot.register", workload.lot_body(n), f"lot-{n}", moment) for n in own], moment)
    held += [(result.result["lot_id"], workload.lot_grams(n)) for result, n in zip(made, own, strict=True)]
    held.sort(key=lambda lot: int(lot[0].split("-")[1]))
    moment = tick()
    blends = [held[start:start + BLEND] for start in range(0, len(held), BLEND)]
    bodies = [workload.transform_body("blend", [lot for lot, _ in group], sum(grams for _, grams in group))
              for group in blends]
    made = workload.append_all(log, SMELTER, [
        workload.sign(smelter, "lot.transform", body, f"blend-{number}", moment) for number, body in enumerate(bodies)],
        moment)
    current = [(result.result["outputs"][0], _output_grams(body)) for result, body in zip(made, bodies, strict=True)]
    _progress(partial, log.size(), started)
    for step in range(CHAIN + 1):
        kind = "melt" if step == 0 else "sort"
        body = workload.transform_body(kind, [lot for lot, _ in current], sum(grams for _, grams in current))
        moment = tick()
        result = log.append(workload.sign(smelter, "lot.transform", body, f"{kind}-{step}", moment),
                            actor=SMELTER, now=moment)
        current = [(result.result["outputs"][0], _output_grams(body))]
    log.checkpoint(tick())
    log.store.dispose()
    with sqlite3.connect(partial / "scrapledger.db") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = len(connection.execute(ANCESTORS_SQL, (current[0][0],)).fetchall()) - 1
    if count != ANCESTORS:
        raise RuntimeError(f"built a lot with {count} ancestors, want {ANCESTORS}")
    (partial / "complete").write_text(f"{current[0][0]} {smelter.token}\n")
    _progress(partial, log.size(), started)
    shutil.rmtree(home, ignore_errors=True)
    partial.rename(home)


def _output_grams(body: dict[str, Any]) -> int:
    whole, _, fraction = body["outputs"][0]["net_mass_kg"].partition(".")
    return int(whole) * 1000 + int(fraction)


def _progress(home: Path, size: int, started: float) -> None:
    rate = size / (time.perf_counter() - started)
    print(f"  building {home.name}: {size:,} entries ({rate:,.0f}/s)", file=sys.stderr, flush=True)
