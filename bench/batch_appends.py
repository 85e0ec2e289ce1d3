"""POST /v1/batches throughput in entries/s against the machine's Ed25519 verification limit.

A fresh SQLite ledger (Store default synchronous=FULL) gets two recyclers, each
a partner smelter, and lots registered in advance. Each batch is one recycler's
weighbridge/ERP export of 1,000 signed submissions: 750 lot registrations and
250 dispatches of lots it already holds, all-or-nothing in one transaction.
Everything is signed before the timed window.

The server is `scrapledger serve`'s gunicorn command (two sync workers). Two
rows: one client posting batches back to back (one request at a time, so the
second core only helps with the signatures a batch checks on a second thread),
and two clients, one per worker, as two recyclers uploading at once (both
cores). The limit is `Ed25519PublicKey.verify` per second on one core over the
same submissions' signatures, measured before and after the load in the same
run; the better of the two is used.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.entries import SignedSubmission

from . import loadgen, workload
from .ledgers import CACHE, ORIGIN

BATCH = 1000
BATCHES = 24  # per client
SECONDS = 20.0
MIN_RATIO = 0.60
RECYCLERS = ("recycler-rotterdam", "recycler-antwerp")
SMELTERS = ("smelter-duisburg", "smelter-ijmuiden")


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report rows of the batch benchmark."""
    home = CACHE / f"run-batch-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    try:
        plans, signed = _prepare(home)
        first_limit = _limit(signed)
        env = {"SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "FULL"}
        server = loadgen.Server(env, home / "gunicorn.log")
        try:
            loadgen.load(server.port, [[loadgen.request("GET", "/healthz")] * 10] * 2, 200, 5.0, server)
            half = BATCHES // 2
            one = loadgen.load(server.port, [plans[0][:half]], 201, SECONDS, server)
            two = loadgen.load(server.port, [plans[0][half:], plans[1][half:]], 201, SECONDS, server)
        finally:
            server.stop()
        second_limit = _limit(signed)
        limit = max(first_limit, second_limit)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    rows = []
    for run_, label, cores in ((one, "1 client", "1 core + a verifying thread"), (two, "2 clients", "2 cores")):
        rate = len(run_.latencies) * BATCH / run_.seconds
        others = {status: count for status, count in run_.statuses.items() if status != 201}
        rows.append({
            "name": f"POST /v1/batches of {BATCH:,}, {label} ({cores})",
            "measured": f"{rate:,.0f} entries/s; p50 {run_.percentile_ms(0.5):.0f} ms a batch"
                        + (f"; others {others}" if others else ""),
            "baseline": f"{limit:,.0f} Ed25519 verify/s (one core)",
            "ratio": rate / limit, "target": f">= {MIN_RATIO:.2f}", "passed": rate / limit >= MIN_RATIO and not others,
        })
    rows.append({"name": "  detail: server | load generator CPU per entry",
                 "measured": " ; ".join(f"{label}: {run_.server_cpu / max(1, len(run_.latencies) * BATCH) * 1e6:.0f} us"
                                        f" | {run_.client_cpu / max(1, len(run_.latencies) * BATCH) * 1e6:.0f} us"
                                        for label, run_ in (("1 client", one), ("2 clients", two))),
                 "baseline": f"limit before {first_limit:,.0f}/s, after {second_limit:,.0f}/s",
                 "ratio": None, "target": "", "passed": None})
    return rows


def _limit(signed: list[SignedSubmission]) -> float:
    """Return Ed25519 verifications per second on one core over these submissions' signatures."""
    keys: dict[str, Ed25519PublicKey] = {}
    work = []
    for item in signed:
        if item.key_id not in keys:
            keys[item.key_id] = Ed25519PublicKey.from_public_bytes(workload.signer(item.party).public_key)
        work.append((keys[item.key_id], item.signature, item.canonical))
    started = time.perf_counter()
    for key, signature, message in work:
        key.verify(signature, message)
    return len(work) / (time.perf_counter() - started)


def _prepare(home: Path) -> tuple[list[list[bytes]], list[SignedSubmission]]:
    """Register the parties and the lots to dispatch; return each client's signed batches."""
    now = datetime.now(UTC)
    members = [(name, ("recycler",)) for name in RECYCLERS] + [(name, ("smelter",)) for name in SMELTERS]
    ledger = workload.initialised(home, ORIGIN, now, members)
    parties = {party.party_id: party for party in ledger.parties}
    plans, everything = [], []
    for client, (name, smelter) in enumerate(zip(RECYCLERS, SMELTERS, strict=True)):
        party = parties[name]
        outgoing = BATCH // 4
        numbers = [client * 1_000_000 + n for n in range(BATCHES * outgoing)]
        made = workload.append_all(ledger.log, name, [
            workload.sign(party, "lot.register", workload.lot_body(n), f"held-{n}", now) for n in numbers], now)
        held = [(result.result["lot_id"], workload.lot_grams(n)) for result, n in zip(made, numbers, strict=True)]
        plan = []
        for number in range(BATCHES):
            items = []
            for slot in range(BATCH):
                if slot % 4 == 3:
                    lot, grams = held[number * outgoing + slot // 4]
                    items.append(workload.sign(party, "lot.dispatch", workload.dispatch_body(lot, smelter, grams, slot),
                                               f"out-{client}-{number}-{slot}", now))
                else:
                    n = 500_000 + client * 1_000_000 + number * BATCH + slot
                    items.append(workload.sign(party, "lot.register", workload.lot_body(n), f"in-{n}", now))
            everything += items
            body = json.dumps({"items": [{"submission": item.submission, "signature": item.signature.hex()}
                                         for item in items]}).encode()
            plan.append(loadgen.request("POST", "/v1/batches", party.token, body))
        plans.append(plan)
    ledger.log.store.dispose()
    return plans, everything
