"""Faults from outside: SIGKILLed servers, two servers on one database, a database that goes away.

Every server here is a real gunicorn (`api:create_app()`, two sync workers) on a
free port of 127.0.0.1, started in its own process group so that one SIGKILL
takes the master and its workers down together, as a power cut or the OOM
killer would. Every server, client thread and proxy is stopped in a `finally`
block or a fixture's teardown, and every loop is bounded in count and in time.
PostgreSQL is never stopped (other tests share it): its outage is simulated by
cutting a small TCP proxy that stands between the app and 127.0.0.1:5432.

`make soak` runs the crash tests longer: SCRAPLEDGER_SOAK_SECONDS of client load
between SCRAPLEDGER_SOAK_KILLS SIGKILLs (defaults 10 and 5, about 30-45 s per
engine with the restarts).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from api.client import ClientError, LedgerClient, Reply, http_transport
from api.serving import gunicorn_command
from ledger import custody, lots, parties, transformations
from ledger.audit import verify_store
from ledger.config import Settings
from ledger.entries import Entry, SignedSubmission, sign_submission
from ledger.entries import format_time as format_timestamp
from ledger.genesis import initialise
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store
from tests.conftest import ORIGIN, seeded_signer
from tests.factories import dispatch_body, lot_body, output, transform_body

REPO = Path(__file__).resolve().parent.parent
SOAK_SECONDS = float(os.environ.get("SCRAPLEDGER_SOAK_SECONDS", "10"))
SOAK_KILLS = int(os.environ.get("SCRAPLEDGER_SOAK_KILLS", "5"))
RECYCLER, SMELTER = "rotterdam-metals", "ijmuiden-steel"
PARTIES = ((RECYCLER, "recycler", "Rotterdam Metals Recycling B.V."),
           (SMELTER, "smelter", "IJmuiden Steel Works B.V."))
SERVER_START_SECONDS = 60  # two workers importing the app on a busy 2-core machine
POSTGRES = ("127.0.0.1", 5432)


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Ledger:
    """An initialised ledger with a recycler and a smelter: the env a server needs and the parties' tokens."""

    env: dict[str, str]
    tokens: dict[str, str]

    def client(self, transport: Callable[..., Reply], party_id: str = RECYCLER, retries: int = 0) -> LedgerClient:
        return LedgerClient(transport, party_id=party_id, token=self.tokens[party_id], signer=seeded_signer(party_id),
                            origin=ORIGIN, retries=retries)


def initialise_ledger(database_url: str, home: Path, **extra_env: str) -> Ledger:
    """Return a new ledger: schema, log key, operator genesis, then the recycler and the smelter registered."""
    env = {"DATABASE_URL": database_url, "SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_ORIGIN": ORIGIN,
           "SCRAPLEDGER_RATE_LIMIT": "100000 per minute", **extra_env}
    settings = Settings.from_env(env)
    done = initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
                      registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        log = Log(store, Signer.load(settings.log_key_file), settings.origin)
        operator = Signer.load(done.operator_key_file)
        tokens = {}
        for party_id, role, legal_name in PARTIES:
            now = datetime.now(UTC)
            body = {"party_id": party_id, "legal_name": legal_name, "registration_number": f"KVK-{party_id}",
                    "country": "NL", "roles": [role], "public_keys": [seeded_signer(party_id).public_key.hex()]}
            submission = {"log": ORIGIN, "party": "operator", "key_id": operator.key_id,
                          "submission_id": f"register-{party_id}", "timestamp": format_timestamp(now),
                          "type": parties.REGISTER, "body": body}
            token = log.append(sign_submission(submission, operator), actor="operator", now=now).token
            assert token is not None
            tokens[party_id] = token
    finally:
        store.dispose()
    return Ledger(env, tokens)


@dataclass(frozen=True)
class Audit:
    """What the database holds after the fact: every entry in index order, and the size verify_store proved."""

    entries: list[Entry]
    verified_size: int

    @property
    def indexes(self) -> list[int]:
        return [entry.index for entry in self.entries]

    def index_of(self) -> dict[str, int]:
        return {entry.signed.submission_id: entry.index for entry in self.entries}

    def submission_counts(self) -> Counter[str]:
        return Counter(entry.signed.submission_id for entry in self.entries)


def audit(env: dict[str, str]) -> Audit:
    """Read the whole log through the store, sign a checkpoint of it and run verify_store."""
    settings = Settings.from_env(env)
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        log = Log(store, Signer.load(settings.log_key_file), settings.origin)
        size = log.size()
        entries: list[Entry] = []
        for start in range(0, size, 1000):
            entries += log.entries(start, 1000)
        log.checkpoint(datetime.now(UTC))
        return Audit(entries, verify_store(store, log.verifier).size)
    finally:
        store.dispose()


class Gunicorn:
    """`scrapledger serve`'s gunicorn command (2 workers, no access log) on 127.0.0.1:port.

    In its own process group: start, SIGKILL, start again.
    """

    def __init__(self, env: dict[str, str], logs: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        inherited = {name: value for name, value in os.environ.items()
                     if not name.startswith("SCRAPLEDGER_") and name != "DATABASE_URL"}
        self.env = {**inherited, **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        """Start the server and return once /healthz answers 200."""
        self.starts += 1
        self.log_file = self.logs / f"gunicorn-{self.port}-{self.starts}.log"
        with self.log_file.open("wb") as sink:
            self.process = subprocess.Popen(
                gunicorn_command(f"127.0.0.1:{self.port}", 2, access_log=False),
                cwd=REPO, env=self.env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_SECONDS
        for _ in range(SERVER_START_SECONDS * 10):
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer /healthz within {SERVER_START_SECONDS} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (the whole process group)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.process = None

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")

    def log_tail(self) -> str:
        return self.log_text()[-4000:]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[Ledger], Gunicorn]]:
    """Make gunicorn servers for a ledger; every one still running is SIGKILLed at teardown."""
    made: list[Gunicorn] = []

    def make(ledger: Ledger) -> Gunicorn:
        server = Gunicorn(ledger.env, tmp_path)
        made.append(server)
        return server

    yield make
    for server in made:
        server.kill()


def signs_only(*_: Any) -> Reply:
    """A transport for clients that only sign envelopes; the test posts them itself."""
    raise AssertionError("this client only signs")


def recording(transport: Callable[..., Reply], statuses: list[int]) -> Callable[..., Reply]:
    """Return `transport`, noting the status of every reply it gets (LedgerClient hides a 201 behind its body)."""

    def send(*args: Any) -> Reply:
        reply = transport(*args)
        statuses.append(reply.status)
        return reply

    return send


@dataclass(frozen=True)
class Acknowledged:
    """A submission the server answered 201 for: its exact envelope and the index it was given."""

    submission_id: str
    envelope: dict[str, Any]
    index: int


@dataclass
class Clerks:
    """Yard clerks registering lots without pause, each retrying an unanswered envelope until it is acknowledged.

    A retry re-sends the same signed bytes, as LedgerClient does, so a
    submission whose 201 was lost in a crash is answered by a replay.
    """

    ledger: Ledger
    url: str
    count: int = 4
    acknowledged: list[Acknowledged] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    surprises: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(self.count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(timeout=60)
                if thread.is_alive():
                    self.surprises.append(f"{thread.name} did not stop within 60 s")

    def _work(self, clerk: int) -> None:
        statuses: list[int] = []
        client = self.ledger.client(recording(http_transport(self.url, timeout=15), statuses), retries=2)
        for number in range(1_000_000):
            if self._stop.is_set():
                return
            envelope = client.signed(lots.REGISTER, lot_body(reference=f"RTM-2026-{clerk:02d}-{number:05d}",
                                                             weighbridge_ticket=f"WB-{clerk}{number:06d}"))
            submission_id = envelope["submission"]["submission_id"]
            self.sent.add(submission_id)
            for _ in range(1000):
                if self._stop.is_set():
                    return
                try:
                    answer = client.post("/v1/lots", envelope)
                except OSError:  # refused or reset while the server is down: requests' errors are OSErrors
                    time.sleep(0.1)
                    continue
                except ClientError as error:
                    if error.status == 503:
                        continue
                    self.surprises.append(f"{submission_id}: {error}")
                    break
                if statuses[-1] != 201:
                    self.surprises.append(f"{submission_id}: answered {statuses[-1]}, not 201")
                    break
                self.acknowledged.append(Acknowledged(submission_id, envelope, answer["index"]))
                break


def wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.1) -> bool:
    """Return whether `condition` became true within `seconds`, polling every `step`."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / step) + 1):
        if condition():
            return True
        if time.monotonic() > deadline:
            break
        time.sleep(step)
    return condition()


def repost(url: str, ledger: Ledger, envelope: dict[str, Any]) -> Reply:
    """Post an envelope once more, byte for byte, with no retry."""
    return http_transport(url, timeout=15)("POST", "/v1/lots", envelope,
                                           {"Authorization": f"Bearer {ledger.tokens[RECYCLER]}"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, or a fresh PostgreSQL database (postgres_url)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.mark.slow
def test_a_crash_of_every_server_process_loses_no_acknowledged_lot_and_leaves_a_log_that_verifies(
        any_database_url, tmp_path, servers):
    # Default durability (synchronous=FULL on SQLite). The window is widened only so that an envelope
    # acknowledged at the start of a long `make soak` may still be re-posted at its end.
    ledger = initialise_ledger(any_database_url, tmp_path / "var",
                               SCRAPLEDGER_TIMESTAMP_WINDOW=str(300 + int(SOAK_SECONDS) * 2 + 10 * SOAK_KILLS))
    server = servers(ledger)
    clerks = Clerks(ledger, server.url)
    rng = random.Random()
    last_before_kill: list[Acknowledged] = []
    try:
        server.start()
        clerks.start()
        interval = SOAK_SECONDS / (SOAK_KILLS + 1)
        for _ in range(SOAK_KILLS):
            time.sleep(rng.uniform(0.2 * interval, 1.8 * interval))
            server.kill()
            last_before_kill += clerks.acknowledged[-1:]
            server.start()
        acknowledged_at_restart = len(clerks.acknowledged)
        assert wait_for(lambda: len(clerks.acknowledged) > acknowledged_at_restart + 20, 60), \
            "no lot was acknowledged after the last restart"
        clerks.stop()
        again = [(ack, repost(server.url, ledger, ack.envelope))
                 for ack in last_before_kill + clerks.acknowledged[-3:]]
    finally:
        clerks.stop()
        server.kill()

    assert clerks.surprises == []
    found = audit(ledger.env)
    assert found.indexes == list(range(len(found.entries)))
    assert found.verified_size == len(found.entries)
    counts, index_of = found.submission_counts(), found.index_of()
    assert max(counts.values()) == 1
    assert [(ack.submission_id, counts[ack.submission_id]) for ack in clerks.acknowledged] == \
           [(ack.submission_id, 1) for ack in clerks.acknowledged]
    assert all(index_of[ack.submission_id] == ack.index for ack in clerks.acknowledged)
    assert set(counts) - {"genesis-operator", f"register-{RECYCLER}", f"register-{SMELTER}"} <= clerks.sent
    assert [(reply.status, reply.body["index"], reply.body["replayed"]) for _, reply in again] == \
           [(201, ack.index, True) for ack, _ in again]


@pytest.mark.slow
def test_two_servers_on_one_postgres_database_keep_one_chain_and_let_no_lot_be_taken_twice(
        postgres_url, tmp_path, servers):
    ledger = initialise_ledger(postgres_url, tmp_path / "var")
    hosts = [servers(ledger), servers(ledger)]
    recycler = ledger.client(signs_only)
    local = threading.local()

    def send(host: int, path: str, envelope: dict[str, Any]) -> Reply:
        if not hasattr(local, "transports"):
            local.transports = [http_transport(server.url, timeout=60) for server in hosts]
        return local.transports[host]("POST", path, envelope,
                                      {"Authorization": f"Bearer {ledger.tokens[RECYCLER]}"})

    def register(reference: str, host: int) -> str:
        reply = send(host, "/v1/lots", recycler.signed(lots.REGISTER, lot_body(reference=reference)))
        assert reply.status == 201, reply.body
        return str(reply.body["result"]["lot_id"])

    def takers(lot: str) -> list[tuple[int, str, dict[str, Any]]]:
        """Four ways to take one lot, two through each host: a dispatch to the smelter and a split."""
        return [(0, f"/v1/lots/{lot}/dispatches", recycler.signed(custody.DISPATCH, dispatch_body(lot, SMELTER))),
                (1, f"/v1/lots/{lot}/dispatches", recycler.signed(custody.DISPATCH, dispatch_body(lot, SMELTER))),
                (0, "/v1/transformations", recycler.signed(transformations.TRANSFORM, transform_body(
                    "split", [lot], [output("12000"), output("12380")]))),
                (1, "/v1/transformations", recycler.signed(transformations.TRANSFORM, transform_body(
                    "split", [lot], [output("20000"), output("4380")])))]

    contests: dict[str, list[Reply]] = {}
    try:
        for server in hosts:
            server.start()
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(max_workers=8) as pool:
            waiting = [register(f"RTM-2026-11-00{n:02d}", n % 2) for n in range(4)]
            for round_number in range(1, 13):
                attempts = [(lot, pool.submit(send, *taker)) for lot in waiting for taker in takers(lot)]
                # the next round's lots are registered while this round's lots are fought over
                more = [pool.submit(register, f"RTM-2026-11-{round_number:02d}{n:02d}", n % 2) for n in range(4)]
                for lot, attempt in attempts:
                    contests.setdefault(lot, []).append(attempt.result(timeout=120))
                waiting = [registration.result(timeout=120) for registration in more]
                if time.monotonic() > deadline:
                    break
    finally:
        for server in hosts:
            server.kill()

    found = audit(ledger.env)
    assert found.indexes == list(range(len(found.entries)))
    assert found.verified_size == len(found.entries)
    assert max(found.submission_counts().values()) == 1
    taken = Counter(lot for entry in found.entries for lot in _lots_taken(entry))
    assert sorted(taken) == sorted(contests) and set(taken.values()) == {1}
    for lot, replies in contests.items():
        assert sorted(reply.status for reply in replies) == [201, 409, 409, 409], [reply.body for reply in replies]
        assert {reply.body["title"] for reply in replies if reply.status == 409} <= {"lot consumed", "lot in transit"}
        winner = next(reply for reply in replies if reply.status == 201)
        assert _lots_taken(found.entries[winner.body["index"]]) == [lot]


def _lots_taken(entry: Entry) -> list[str]:
    """Return the lots an entry takes out of its holder's hands: the dispatched lot, or a transformation's inputs."""
    if entry.signed.type == custody.DISPATCH:
        return [entry.signed.body["lot_id"]]
    if entry.signed.type == transformations.TRANSFORM:
        return list(entry.signed.body["inputs"])
    return []


class Proxy:
    """A TCP forwarder 127.0.0.1:port -> PostgreSQL that the test can cut (every connection dropped) and restore."""

    def __init__(self, upstream: tuple[str, int] = POSTGRES) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._accepting = threading.Event()

    def restore(self) -> None:
        """Listen again on the same port and forward every new connection."""
        self._listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the port is ours again
        self._listener.settimeout(0.1)
        self._accepting.set()
        self._spawn(self._accept, self._listener)

    def cut(self) -> None:
        """Refuse new connections and drop every open one, as a database host that went away."""
        self._accepting.clear()
        with self._lock:
            doomed, self._sockets = self._sockets, []
            listener, self._listener = self._listener, None
        for thread in self._threads:
            if thread.name == "proxy-accept":
                thread.join(timeout=10)
        for sock in doomed + ([listener] if listener else []):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = [thread for thread in self._threads if thread.is_alive()]

    def _spawn(self, target: Callable[..., None], *args: Any, name: str = "proxy-accept") -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._accepting.is_set():
            try:
                downstream, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            downstream.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if not self._accepting.is_set():
                    downstream.close()
                    upstream.close()
                    return
                self._sockets += [downstream, upstream]
            self._spawn(self._pump, downstream, upstream, name="proxy-pump")
            self._spawn(self._pump, upstream, downstream, name="proxy-pump")

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@dataclass
class Outage:
    """A ledger served by gunicorn whose only way to PostgreSQL is a proxy the test can cut and restore."""

    ledger: Ledger
    server: Gunicorn
    proxy: Proxy

    def get(self, path: str) -> requests.Response:
        return requests.get(self.server.url + path, timeout=30,
                            headers={"Authorization": f"Bearer {self.ledger.tokens[RECYCLER]}"})

    def post(self, path: str, envelope: dict[str, Any]) -> requests.Response:
        return requests.post(self.server.url + path, json=envelope, timeout=30,
                             headers={"Authorization": f"Bearer {self.ledger.tokens[RECYCLER]}"})

    def register_lot(self, reference: str) -> requests.Response:
        envelope = self.ledger.client(signs_only).signed(lots.REGISTER, lot_body(reference=reference))
        return self.post("/v1/lots", envelope)

    def ready(self) -> bool:
        return self.get("/readyz").status_code == 200


@pytest.fixture
def outage(postgres_url: str, tmp_path: Path, servers: Callable[[Ledger], Gunicorn]) -> Iterator[Outage]:
    """A running service on PostgreSQL behind a proxy; the proxy is closed at teardown, the server killed."""
    ledger = initialise_ledger(postgres_url, tmp_path / "var")
    proxy = Proxy()
    database = postgres_url.rsplit("/", 1)[1]
    # connect_timeout bounds a connection attempt to a host that does not answer at all; a cut proxy refuses at once
    proxied = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{database}?connect_timeout=3"
    server = servers(Ledger({**ledger.env, "DATABASE_URL": proxied}, ledger.tokens))
    proxy.restore()
    try:
        server.start()
        assert wait_for(lambda: server_ready(server), 30)
        yield Outage(ledger, server, proxy)
    finally:
        server.kill()
        proxy.cut()


def server_ready(server: Gunicorn) -> bool:
    return requests.get(server.url + "/readyz", timeout=30).status_code == 200


def test_while_the_database_is_unreachable_writes_get_a_503_problem_with_retry_after(outage):
    assert outage.register_lot("RTM-2026-11-0042").status_code == 201
    outage.proxy.cut()

    replies = [outage.register_lot(f"RTM-2026-11-{n:04d}") for n in range(43, 47)]

    assert [reply.status_code for reply in replies] == [503] * 4
    assert {reply.headers["Content-Type"] for reply in replies} == {"application/problem+json"}
    assert all("Retry-After" in reply.headers for reply in replies)
    assert {reply.json()["title"] for reply in replies} == {"database unavailable"}


def test_a_503_asks_the_client_to_retry_after_one_second_not_after_the_rate_limit_window(outage):
    outage.proxy.cut()

    reply = outage.register_lot("RTM-2026-11-0042")

    assert (reply.status_code, reply.headers["Retry-After"]) == (503, "1")


def test_while_the_database_is_unreachable_reads_get_a_503_problem(outage):
    lot = outage.register_lot("RTM-2026-11-0042").json()["result"]["lot_id"]
    outage.proxy.cut()

    replies = [outage.get(f"/v1/lots/{lot}"), outage.get("/v1/lots"), outage.get("/v1/entries/0")]

    assert [reply.status_code for reply in replies] == [503] * 3
    assert {reply.headers["Content-Type"] for reply in replies} == {"application/problem+json"}
    assert {reply.json()["title"] for reply in replies} == {"database unavailable"}
    driver_words = ("psycopg", "127.0.0.1", str(outage.proxy.port))
    assert not any(word in reply.text for reply in replies for word in driver_words)


def test_readiness_answers_503_while_the_database_is_unreachable_and_200_once_it_is_back(outage):
    outage.proxy.cut()
    while_cut = outage.get("/readyz")
    outage.proxy.restore()

    assert while_cut.status_code == 503
    assert while_cut.json() == {"status": "not ready", "checks": {"database": "unavailable", "log_key": "ok"}}
    assert wait_for(outage.ready, 30)


def test_a_service_cut_off_mid_run_recovers_by_itself_with_every_acknowledged_write_stored_once(outage):
    clerks = Clerks(outage.ledger, outage.server.url, count=3)
    try:
        clerks.start()
        assert wait_for(lambda: len(clerks.acknowledged) >= 20, 60)
        outage.proxy.cut()
        time.sleep(1.5)  # let in-flight appends fail and retries meet the closed port
        acknowledged_while_cut = len(clerks.acknowledged)
        outage.proxy.restore()
        assert wait_for(lambda: len(clerks.acknowledged) >= acknowledged_while_cut + 20, 60), \
            "no write was acknowledged after the database came back"
    finally:
        clerks.stop()

    assert outage.ready()
    assert clerks.surprises == []
    found = audit(outage.ledger.env)
    assert found.indexes == list(range(len(found.entries)))
    assert found.verified_size == len(found.entries)
    counts, index_of = found.submission_counts(), found.index_of()
    assert max(counts.values()) == 1
    assert all(index_of.get(ack.submission_id) == ack.index for ack in clerks.acknowledged)
    assert outage.server.starts == 1 and outage.server.log_text().count("Booting worker") == 2


def test_a_retry_after_an_outage_longer_than_the_timestamp_window_still_learns_its_original_index(tmp_path):
    ledger = initialise_ledger(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "var")
    settings = Settings.from_env(ledger.env)
    store = Store(settings.database_url)
    try:
        log = Log(store, Signer.load(settings.log_key_file), ORIGIN, timestamp_window=300)
        sent_at = datetime.now(UTC)
        envelope = ledger.client(signs_only).signed(lots.REGISTER, lot_body())
        signed = SignedSubmission.create(envelope["submission"], bytes.fromhex(envelope["signature"]))
        first = log.append(signed, actor=RECYCLER, now=sent_at)

        # the 201 was lost; the database was down for ten minutes; the client re-sends the same bytes
        again = log.append(signed, actor=RECYCLER, now=sent_at + timedelta(minutes=10))
    finally:
        store.dispose()

    assert (again.index, again.replayed) == (first.index, True)
