"""Signed single appends over HTTP through gunicorn against the same server's GET /healthz.

For each engine (SQLite at the Store default synchronous=FULL; PostgreSQL at its
default synchronous_commit=on) a fresh ledger gets 32 trading parties (recycler
and smelter roles). Before the server starts, `Log.append_many` gives each party
lots to dispatch and to melt, and has its neighbour truck lots to it, so every
timed request is valid on its own and can be signed in advance. Each of the 32
clients is one party on its own connection, cycling through a realistic mix:
two lot registrations, a dispatch, a receipt (weighed, inspected) and a melt of
two lots, each a signed submission on its own endpoint.

The server is `scrapledger serve`'s gunicorn command: two sync workers, access
log on. Phases of `SECONDS` each, one after the other on the same server:
GET /healthz, the appends, GET /healthz again; the baseline is the better of
the two /healthz rates. The machine has two cores and the load generator
shares them with the server; its CPU time is reported beside the server's,
with the local PostgreSQL's and the share of the machine left idle in each
phase (an append's write lock is held across its commit, so workers wait
while the cores idle) or stolen by the hypervisor for other guests. The
gunicorn version is named because from gunicorn 26 on its sync workers linger
after each response until the client closes, which slows /healthz far more
than the appends (see docs/operations.md).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from . import loadgen, workload
from .ledgers import CACHE, ORIGIN

CLIENTS = 32
CYCLES = 80  # per client; each cycle is five appends
SECONDS = 10.0
MIN_RATIO = 0.30
PG_ADMIN = os.environ.get("SCRAPLEDGER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report rows for SQLite and PostgreSQL."""
    rows = []
    with _sqlite() as (env, label):
        rows += _measure(env, label)
    with _postgres() as (env, label):
        rows += _measure(env, label)
    return rows


@contextmanager
def _sqlite() -> Iterator[tuple[dict[str, str], str]]:
    home = CACHE / f"run-http-sqlite-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    try:
        yield {"SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "FULL"}, "SQLite WAL, synchronous=FULL"
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def _postgres() -> Iterator[tuple[dict[str, str], str]]:
    name = f"sl_bench_{uuid.uuid4().hex[:12]}"
    home = CACHE / f"run-http-postgres-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        commit = admin.execute("SHOW synchronous_commit").fetchone()
        fsync = admin.execute("SHOW fsync").fetchone()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield ({"SCRAPLEDGER_HOME": str(home), "DATABASE_URL": url},
               f"PostgreSQL, synchronous_commit={commit[0] if commit else '?'}, fsync={fsync[0] if fsync else '?'}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(env: dict[str, str], label: str) -> list[dict[str, Any]]:
    env = {**env, "SCRAPLEDGER_ORIGIN": ORIGIN}
    home = Path(env["SCRAPLEDGER_HOME"])
    started = time.perf_counter()
    plans = _prepare(home, env.get("DATABASE_URL"))
    prepared = time.perf_counter() - started
    server = loadgen.Server(env, home / "gunicorn.log")
    try:
        health = [loadgen.request("GET", "/healthz")]
        loadgen.load(server.port, [health * 20] * CLIENTS, 200, 5.0, server)  # warm-up
        first = loadgen.load(server.port, [itertools.repeat(health[0], 10**6)] * CLIENTS, 200, SECONDS, server)
        appends = loadgen.load(server.port, plans, 201, SECONDS, server)
        second = loadgen.load(server.port, [itertools.repeat(health[0], 10**6)] * CLIENTS, 200, SECONDS, server)
    finally:
        server.stop()
    healthz = max(first, second, key=lambda run: run.rate)
    ratio = appends.rate / healthz.rate
    others = {status: count for status, count in appends.statuses.items() if status != 201}
    return [
        {"name": f"HTTP single appends, {label}",
         "measured": f"{appends.rate:,.0f} appends/s; p50 {appends.percentile_ms(0.5):.1f} ms,"
                     f" p99 {appends.percentile_ms(0.99):.1f} ms",
         "baseline": f"{healthz.rate:,.0f} GET /healthz/s (p50 {healthz.percentile_ms(0.5):.1f} ms,"
                     f" p99 {healthz.percentile_ms(0.99):.1f} ms)",
         "ratio": ratio, "target": f">= {MIN_RATIO:.2f}", "passed": ratio >= MIN_RATIO and not others},
        {"name": "  detail: CPU per request (server | load generator | database)",
         "measured": f"appends {_cpu(appends)}; {_machine(appends)}",
         "baseline": f"healthz {_cpu(healthz)}; {_machine(healthz)}",
         "ratio": None, "target": "", "passed": None},
        {"name": "  detail: answers",
         "measured": f"{len(appends.latencies):,} x 201 in {appends.seconds:.1f} s"
                     + (f"; others {others}" if others else "")
                     + f"; {CLIENTS} clients, 2 sync workers ({loadgen.gunicorn_build()})",
         "baseline": f"healthz runs {first.rate:,.0f}/s and {second.rate:,.0f}/s;"
                     f" setup of {CLIENTS * CYCLES * 5:,} entries {prepared:.1f} s",
         "ratio": None, "target": "", "passed": None},
    ]


def _cpu(run: loadgen.Run) -> str:
    shares = (run.server_cpu, run.client_cpu, run.database_cpu)
    return " | ".join(_per_ms(cpu, run) for cpu in shares)


def _machine(run: loadgen.Run) -> str:
    return f"machine idle {run.idle:.0%}, stolen {run.steal:.0%}"


def _per_ms(cpu: float, run: loadgen.Run) -> str:
    answered = sum(run.statuses.values())
    return f"{cpu / answered * 1000:.2f} ms" if answered else "-"


def _prepare(home: Path, database_url: str | None) -> list[list[bytes]]:
    """Set up each client's lots and incoming transfers; return each client's signed requests in order."""
    now = datetime.now(UTC)
    members = [(f"yard-{number:02d}", ("recycler", "smelter")) for number in range(CLIENTS)]
    ledger = workload.initialised(home, ORIGIN, now, members, database_url=database_url)
    log, parties = ledger.log, ledger.parties
    owned: list[list[tuple[str, int]]] = []
    for k, party in enumerate(parties):
        numbers = [k * 100_000 + j for j in range(4 * CYCLES)]
        made = workload.append_all(log, party.party_id, [
            workload.sign(party, "lot.register", workload.lot_body(n), f"setup-{n}", now) for n in numbers], now)
        owned.append([(result.result["lot_id"], workload.lot_grams(n)) for result, n in zip(made, numbers, strict=True)])
    incoming: list[list[tuple[str, int]]] = [[] for _ in parties]
    for k, party in enumerate(parties):
        receiver = parties[(k + 1) % len(parties)]
        sent = owned[k][3 * CYCLES:]
        results = workload.append_all(log, party.party_id, [
            workload.sign(party, "lot.dispatch", workload.dispatch_body(lot, receiver.party_id, grams, j),
                          f"setup-dispatch-{k}-{j}", now) for j, (lot, grams) in enumerate(sent)], now)
        incoming[(k + 1) % len(parties)] = [(result.result["transfer_id"], grams)
                                            for result, (_lot, grams) in zip(results, sent, strict=True)]
    log.store.dispose()
    plans = []
    for k, party in enumerate(parties):
        receiver = parties[(k + 1) % len(parties)].party_id
        plan = []
        for i in range(CYCLES):
            lot, grams = owned[k][i]
            melt = owned[k][CYCLES + 2 * i:CYCLES + 2 * i + 2]
            transfer, declared = incoming[k][i]
            plan += [
                _post("/v1/lots", party, "lot.register", workload.lot_body(50_000 + k * 100_000 + 2 * i), f"a-{k}-{i}",
                      now),
                _post(f"/v1/lots/{lot}/dispatches", party, "lot.dispatch",
                      workload.dispatch_body(lot, receiver, grams, i), f"d-{k}-{i}", now),
                _post("/v1/lots", party, "lot.register", workload.lot_body(50_001 + k * 100_000 + 2 * i), f"b-{k}-{i}",
                      now),
                _post(f"/v1/transfers/{transfer}/receipt", party, "lot.receive",
                      workload.receipt_body(transfer, declared), f"r-{k}-{i}", now),
                _post("/v1/transformations", party, "lot.transform",
                      workload.transform_body("melt", [lot for lot, _ in melt], sum(g for _, g in melt)),
                      f"t-{k}-{i}", now),
            ]
        plans.append(plan)
    return plans


def _post(path: str, party: workload.Party, entry_type: str, body: dict[str, Any], submission_id: str,
          now: datetime) -> bytes:
    signed = workload.sign(party, entry_type, body, submission_id, now)
    payload = json.dumps({"submission": signed.submission, "signature": signed.signature.hex()}).encode()
    return loadgen.request("POST", path, party.token, payload)
