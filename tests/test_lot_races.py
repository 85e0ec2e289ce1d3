"""Many writers racing for one lot: exactly one wins, every other gets the precise conflict.

The writers are separate processes, not threads: each has its own
interpreter, engine and connections, so signature and rule checks really
overlap on separate cores (threads would take turns on the GIL) and only the
store's write lock (BEGIN IMMEDIATE on SQLite, a transaction-level advisory
lock on PostgreSQL) can keep two of them from both seeing the lot free. Taking
that lock away makes these tests fail on both engines. A barrier releases every
attempt of a round at once.

The workers come from a forkserver: a fresh interpreter that imports this module
once and forks each worker from itself, so they share nothing with the test
process (no connections, no locks) yet start in a fraction of what sixteen
spawned interpreters cost. The pool lives for the module and serves both
engines; each attempt names the database it writes to.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger import custody, lots, parties, transformations
from ledger.audit import verify_store
from ledger.config import Settings
from ledger.entries import SignedSubmission, format_time, sign_submission
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store
from tests.factories import dispatch_body, lot_body, output, transform_body

WORKERS = 16
ROUNDS = 10
RECYCLER, SMELTER = "rotterdam-metals", "ijmuiden-steel"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One signed submission for a worker to append, and where."""

    database_url: str
    log_key_file: str
    origin: str
    actor: str
    signed: SignedSubmission


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: the entry type it appended, or the class of the error it raised."""

    submission_id: str
    won: str | None
    error: str | None
    detail: str = ""


_barrier: Any = None
_log: Log | None = None
_log_url: str | None = None


def _start_worker(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _worker_log(attempt: Attempt) -> Log:
    """Return this worker's log on the attempt's database, reusing the engine within a test."""
    global _log, _log_url
    if _log is None or _log_url != attempt.database_url:
        _release_log()
        store = Store(attempt.database_url, sqlite_synchronous="NORMAL")
        _log, _log_url = Log(store, Signer.load(attempt.log_key_file), attempt.origin), attempt.database_url
    return _log


def _release_log() -> None:
    global _log
    if _log is not None:
        _log.store.dispose()
        _log = None


def _append(attempt: Attempt) -> Outcome:
    log = _worker_log(attempt)
    log.size()  # connect before the barrier, so the race is between appends, not connection set-ups
    _barrier.wait(timeout=120)
    try:
        result = log.append(attempt.signed, actor=attempt.actor, now=datetime.now(UTC))
    except Exception as exc:  # every outcome is reported; the test decides which are allowed
        return Outcome(attempt.signed.submission_id, None, type(exc).__name__, str(exc))
    return Outcome(attempt.signed.submission_id, result.type, None)


def _release(_: int) -> None:
    _barrier.wait(timeout=120)
    _release_log()


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    workers = context.Pool(WORKERS, initializer=_start_worker, initargs=(context.Barrier(WORKERS),))
    yield workers
    workers.close()
    workers.join()


@pytest.fixture
def racers(pool: Any, settings: Settings) -> Iterator[Any]:
    """The worker pool; afterwards every worker closes its connections to this test's database."""
    yield pool
    pool.map(_release, range(WORKERS), chunksize=1)


@dataclass
class Desk:
    """The parent's own view of the ledger: registers parties and lots, signs what the workers send."""

    settings: Settings
    log: Log
    signers: dict[str, Signer]

    def signed(self, party: str, entry_type: str, body: dict[str, Any], submission_id: str) -> SignedSubmission:
        signer = self.signers[party]
        submission = {"log": self.log.origin, "party": party, "key_id": signer.key_id,
                      "submission_id": submission_id, "timestamp": format_time(datetime.now(UTC)),
                      "type": entry_type, "body": body}
        return sign_submission(submission, signer)

    def submit(self, party: str, entry_type: str, body: dict[str, Any], submission_id: str) -> Any:
        return self.log.append(self.signed(party, entry_type, body, submission_id), actor=party,
                               now=datetime.now(UTC)).result

    def attempt(self, party: str, entry_type: str, body: dict[str, Any], submission_id: str) -> Attempt:
        return Attempt(self.settings.database_url, str(self.settings.log_key_file), self.log.origin, party,
                       self.signed(party, entry_type, body, submission_id))

    def register_lots(self, count: int) -> list[str]:
        return [self.submit(RECYCLER, lots.REGISTER, lot_body(reference=f"RTM-2026-11-{n:04d}"), f"lot-{n}")["lot_id"]
                for n in range(count)]

    def lot(self, lot_id: str) -> Any:
        with self.log.store.read() as tx:
            return tx.lot(lot_id)


@pytest.fixture
def desk(settings: Settings, genesis: Any) -> Iterator[Desk]:
    from tests.conftest import seeded_signer  # here, not at the top: the workers import this module, not Flask

    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    log = Log(store, Signer.load(settings.log_key_file), settings.origin)
    found = Desk(settings, log, {"operator": Signer.load(genesis.operator_key_file),
                                 RECYCLER: seeded_signer(RECYCLER), SMELTER: seeded_signer(SMELTER)})
    for party_id, role, name in ((RECYCLER, "recycler", "Rotterdam Metals Recycling B.V."),
                                 (SMELTER, "smelter", "IJmuiden Steel Works B.V.")):
        found.submit("operator", parties.REGISTER, {
            "party_id": party_id, "legal_name": name, "registration_number": f"KVK-{party_id}", "country": "NL",
            "roles": [role], "public_keys": [found.signers[party_id].public_key.hex()]}, f"register-{party_id}")
    yield found
    store.dispose()


def race(racers: Any, attempts: list[Attempt]) -> list[Outcome]:
    """Return the outcomes of appending all `attempts` at once, one per worker."""
    assert len(attempts) == WORKERS
    pending = [racers.apply_async(_append, (attempt,)) for attempt in attempts]
    return [job.get(timeout=180) for job in pending]


def split(lot: str) -> dict[str, Any]:
    return transform_body("split", [lot], [output("12000"), output("12380")])


def dispatch(lot: str) -> dict[str, Any]:
    return dispatch_body(lot, SMELTER)


def assert_log_verifies(desk: Desk) -> None:
    desk.log.checkpoint(datetime.now(UTC))
    assert verify_store(desk.log.store, desk.log.verifier).size == desk.log.size()


def assert_exactly_one_of_each_race_wins(racers: Any, desk: Desk, entry_type: str, body: Any, label: str,
                                         loser_error: str, status: str) -> None:
    """Race WORKERS submissions of `entry_type` on each of ROUNDS lots: one lands, every other gets `loser_error`."""
    lot_ids = desk.register_lots(ROUNDS)
    before = desk.log.size()
    for lot in lot_ids:
        outcomes = race(racers, [desk.attempt(RECYCLER, entry_type, body(lot), f"{label}-{lot}-{n}")
                                 for n in range(WORKERS)])
        winners = [outcome for outcome in outcomes if outcome.won]
        assert [outcome.won for outcome in winners] == [entry_type], outcomes
        assert Counter(outcome.error for outcome in outcomes if not outcome.won) == {loser_error: WORKERS - 1}
        assert desk.lot(lot).status == status
    assert desk.log.size() == before + ROUNDS
    assert_log_verifies(desk)


def test_of_many_transformations_of_one_lot_exactly_one_consumes_it(racers, desk):
    assert_exactly_one_of_each_race_wins(racers, desk, transformations.TRANSFORM, split, "split", "LotConsumed",
                                         "consumed")


def test_of_many_dispatches_of_one_lot_exactly_one_opens_a_transfer(racers, desk):
    assert_exactly_one_of_each_race_wins(racers, desk, custody.DISPATCH, dispatch, "dispatch", "LotInTransit",
                                         "in_transit")


def test_a_dispatch_racing_a_transformation_leaves_the_loser_a_precise_conflict(racers, desk):
    duels = WORKERS // 2
    lot_ids = desk.register_lots(ROUNDS // 2 * duels)
    before = desk.log.size()
    loser_error = {custody.DISPATCH: "LotInTransit", transformations.TRANSFORM: "LotConsumed"}
    wins: Counter[str] = Counter()
    for start in range(0, len(lot_ids), duels):
        contested = lot_ids[start:start + duels]
        attempts = []
        for lot in contested:
            attempts += [desk.attempt(RECYCLER, custody.DISPATCH, dispatch(lot), f"dispatch-{lot}"),
                         desk.attempt(RECYCLER, transformations.TRANSFORM, split(lot), f"split-{lot}")]
        outcomes = race(racers, attempts)
        for lot, (sent, melted) in zip(contested, zip(outcomes[::2], outcomes[1::2]), strict=True):
            winner = sent if sent.won else melted
            loser = melted if sent.won else sent
            assert winner.won and not loser.won, (sent, melted)
            assert loser.error == loser_error[winner.won], (sent, melted)
            assert desk.lot(lot).status == ("in_transit" if winner.won == custody.DISPATCH else "consumed")
            wins[winner.won] += 1
    assert sum(wins.values()) == len(lot_ids)
    assert desk.log.size() == before + len(lot_ids)
    assert_log_verifies(desk)


def test_over_http_the_losers_of_a_race_get_a_409_lot_consumed_problem(app, make_party):
    recycler = make_party(RECYCLER, roles=("recycler",))
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    payloads = [recycler.signed("lot.transform", split(lot)) for _ in range(8)]
    barrier = threading.Barrier(len(payloads))
    replies: list[Any] = [None] * len(payloads)

    def post(position: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=60)
        replies[position] = client.post("/v1/transformations", json=payloads[position],
                                        headers={"Authorization": f"Bearer {recycler.token}"})

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(reply.status_code for reply in replies) == [201] + [409] * 7
    for reply in replies:
        if reply.status_code == 409:
            assert reply.mimetype == "application/problem+json"
            problem = reply.get_json()
            assert problem["title"] == "lot consumed"
            assert problem["type"].endswith("/lot-consumed")
            assert problem["field"] == "body.inputs[0]"
