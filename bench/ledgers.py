"""Genuinely signed SQLite ledgers of a given size, built once and cached under bench/.cache/.

The first entries go through the real service: `initialise` appends the
operator's genesis registration and `Log.append` registers four trading
parties. Every later entry is a `lot.register` submission (a body that
ledger.lots accepts) signed by a recycler or smelter with `sign_submission`,
wrapped by `Entry.build` and chained to the previous entry; its Merkle nodes
come from `merkle.appended_nodes`. Those entries are bulk-inserted into the same
`entries` and `tree_nodes` tables, `CHUNK` entries a transaction, without
replaying entry-type rules or projections (which `verify` does not consult),
and the real `Log.checkpoint` signs a checkpoint after every chunk. Keys and
clocks are fixed, so the same size always gives the same bytes.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from ledger import merkle
from ledger.config import Settings
from ledger.entries import Entry, format_time, sign_submission
from ledger.genesis import initialise
from ledger.log import Log
from ledger.masses import format_kg
from ledger.signing import Signer
from ledger.store import Store
from ledger.store.tables import EntryRow

CACHE = Path(__file__).parent / ".cache"
FORMAT = "v2"  # bump when the generated content changes, so stale caches are not reused
ORIGIN = "bench.scrapledger.local/log"
START = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
CHUNK = 10_000
READ_SYNCHRONOUS = "FULL"  # the Store default, used by every measurement
LOAD_SYNCHRONOUS = "NORMAL"  # the loader only: one commit per CHUNK entries
PARTIES = (
    ("recycler-rotterdam", "Waalhaven Metaalrecycling B.V.", "NL-KVK-24380001", "NL", "recycler"),
    ("recycler-antwerp", "Schroot Antwerpen N.V.", "BE-0412-338-901", "BE", "recycler"),
    ("smelter-duisburg", "Duisburger Stahlwerk GmbH", "DE-HRB-30441", "DE", "smelter"),
    ("auditor-hamburg", "Hanse Materialprüfung GmbH", "DE-HRB-11870", "DE", "auditor"),
)
GRADES = ("HMS 1&2", "Zorba", "Berry", "Candy", "Ocean")
SITES = (("Waalhaven Zuid yard 4, Rotterdam", "NL"), ("Haven 1227, Antwerpen", "BE"),
         ("Schrottplatz Ruhrort, Duisburg", "DE"), ("Müllerstraße 12, Hamburg-Billbrook", "DE"))


@dataclass(frozen=True, slots=True)
class Ledger:
    """A cached ledger: its directory (log key, operator key, database) and size."""

    home: Path
    size: int

    @property
    def database(self) -> Path:
        return self.home / "scrapledger.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.database}"

    def store(self) -> Store:
        """Return a Store on this ledger with the default (measured) synchronous mode."""
        return Store(self.url, sqlite_synchronous=READ_SYNCHRONOUS)

    def log(self) -> Log:
        """Return the log service bound to this ledger and its log key."""
        return Log(self.store(), Signer.load(self.home / "log-key.pem"), ORIGIN)


def ledger(size: int, *, fresh: bool = False) -> Ledger:
    """Return the cached ledger of `size` entries, building it first if it is missing."""
    home = CACHE / f"ledger-{FORMAT}-{size}"
    if fresh and home.exists():
        shutil.rmtree(home)
    if not (home / "complete").exists():
        _build(home, size)
    return Ledger(home, size)


def _seed(name: str) -> bytes:
    return name.encode().ljust(32, b".")[:32]


def _build(home: Path, size: int) -> None:
    partial = home.with_name(home.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    Signer.from_seed(_seed("log")).save(partial / "log-key.pem")
    Signer.from_seed(_seed("operator")).save(partial / "operator-key.pem")
    settings = Settings.from_env({"SCRAPLEDGER_HOME": str(partial), "SCRAPLEDGER_ORIGIN": ORIGIN})
    initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
               registration_number="NL-KVK-90000001", country="NL", now=START)
    store = Store(settings.database_url, sqlite_synchronous=LOAD_SYNCHRONOUS)
    log = Log(store, Signer.load(partial / "log-key.pem"), ORIGIN)
    signers = _register_parties(log, Signer.load(partial / "operator-key.pem"))
    started = time.perf_counter()
    with store.read() as tx:
        head = tx.head()
        frontier = tx.nodes(merkle.root_keys(head.size))
    index, prev_hash = head.size, head.entry_hash
    assert prev_hash is not None
    while index < size:
        end = min(index + CHUNK, size)
        rows: list[dict[str, Any]] = []
        nodes: list[tuple[merkle.NodeKey, bytes]] = []
        for index in range(index, end):
            party, signer = signers[index % len(signers)]
            moment = START + timedelta(seconds=1, microseconds=index)
            signed = sign_submission(_lot_submission(index, party, signer, moment), signer)
            entry = Entry.build(index, prev_hash, format_time(moment), signed)
            rows.append({"idx": index, "entry_hash": entry.entry_hash, "data": entry.data,
                         "submission_id": signed.submission_id, "party_id": party,
                         "entry_type": signed.type, "recorded_at": entry.recorded_at})
            completed = merkle.appended_nodes(index, entry.leaf_hash, frontier.__getitem__)
            nodes.extend(completed)
            frontier.update(completed)
            frontier = {key: frontier[key] for key in merkle.root_keys(index + 1)}
            prev_hash = entry.entry_hash
        index = end
        with store.write() as tx:
            tx.connection.execute(insert(EntryRow), rows)
            tx.insert_nodes(nodes)
        log.checkpoint(START + timedelta(seconds=2))
        rate = (index - head.size) / (time.perf_counter() - started)
        print(f"  building {home.name}: {index:,}/{size:,} entries ({rate:,.0f}/s)",
              file=sys.stderr, flush=True)
    store.dispose()
    with sqlite3.connect(settings.database_url.split(":///", 1)[1]) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (partial / "complete").write_text(f"{size}\n")
    shutil.rmtree(home, ignore_errors=True)
    partial.rename(home)


def _register_parties(log: Log, operator: Signer) -> list[tuple[str, Signer]]:
    signers = []
    for number, (party_id, legal_name, registration, country, role) in enumerate(PARTIES):
        signer = Signer.from_seed(_seed(party_id))
        body = {"party_id": party_id, "legal_name": legal_name, "registration_number": registration,
                "country": country, "roles": [role], "public_keys": [signer.public_key.hex()]}
        submission = {"log": ORIGIN, "party": "operator", "key_id": operator.key_id,
                      "submission_id": f"register-{party_id}", "timestamp": format_time(START),
                      "type": "party.register", "body": body}
        log.append(sign_submission(submission, operator), actor="operator",
                   now=START + timedelta(milliseconds=number + 1))
        if role in ("recycler", "smelter"):  # the roles that may register lots
            signers.append((party_id, signer))
    return signers


def lot_grams(number: int) -> int:
    """Return the net grams of `lot_body(number)`: about 24,380 kg, varying by lot."""
    return 24_380_000 + (number * 7919) % 5_000_000


def lot_body(number: int) -> dict[str, Any]:
    """Return a lot registration of about 24,380 kg (weighbridge gross and tare included)."""
    grams = lot_grams(number)
    tare = 13_740_000 + (number * 131) % 900_000
    site, country = SITES[number % len(SITES)]
    return {
        "material_family": "ferrous",
        "grade": {"scheme": "ISRI", "code": GRADES[number % len(GRADES)]},
        "hs_code": "720449",
        "ewc_code": "17 04 05",
        "consumer_stage": "post_consumer" if number % 4 else "pre_consumer",
        "source_type": "construction_demolition" if number % 3 else "elv",
        "origin": {"country": country, "site": site},
        "net_mass_kg": format_kg(grams),
        "gross_mass_kg": format_kg(grams + tare),
        "tare_mass_kg": format_kg(tare),
        "weighbridge_ticket": f"WB-{number * 31 % 999_983:06d}",
        "reference": f"RTM-2026-{number:07d}",
        "documents": [{"kind": "weighbridge_ticket", "sha256": f"{number * 2654435761 % 2**256:064x}"}],
    }


def _lot_submission(index: int, party: str, signer: Signer, moment: datetime) -> dict[str, Any]:
    """Return the submission registering `lot_body(index)` for `party`."""
    return {"log": ORIGIN, "party": party, "key_id": signer.key_id,
            "submission_id": f"lot-{index:08d}", "timestamp": format_time(moment),
            "type": "lot.register", "body": lot_body(index)}
