"""An attacker with write access to the database cannot change the log without verify_store noticing.

A 20-entry ledger (the operator's genesis, parties registered, keys rotated and
one revoked, signed checkpoints at sizes 1, 10 and 20) is built once per engine;
each test then acts as someone holding the database credentials, who drops the
append-only triggers first, and every change is undone after the test.
verify_store must name the first entry the change breaks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from ledger import parties
from ledger.audit import verify_store
from ledger.checkpoint import Checkpoint, NoteVerifier, sign_checkpoint
from ledger.config import Settings
from ledger.entries import Entry, format_time, sign_submission
from ledger.errors import ChainBroken
from ledger.genesis import initialise
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store
from tests.conftest import ORIGIN, PG_ADMIN, _postgres_or_skip

LAST = 19
APPEND_ONLY = ("entries", "tree_nodes", "checkpoints")


def _seeded(name: str) -> Signer:
    return Signer.from_seed(hashlib.sha256(name.encode()).digest())


@dataclass
class Ledger:
    """A live log and the keys of everyone who writes to it."""

    log: Log
    signers: dict[str, Signer]
    generation: dict[str, int] = field(default_factory=dict)

    def submit(self, party: str, entry_type: str, body: dict[str, Any], signer: Signer | None = None) -> int:
        now = datetime.now(UTC)
        signer = signer or self.signers[party]
        submission = {"log": self.log.origin, "party": party, "key_id": signer.key_id,
                      "submission_id": f"{entry_type}-{body['party_id']}-{self.log.size()}",
                      "timestamp": format_time(now), "type": entry_type, "body": body}
        return self.log.append(sign_submission(submission, signer), actor=party, now=now).index

    def register(self, party_id: str, legal_name: str, country: str, role: str) -> int:
        self.signers[party_id] = _seeded(party_id)
        return self.submit("operator", parties.REGISTER, {
            "party_id": party_id, "legal_name": legal_name, "registration_number": f"{country}-{party_id[:12]}",
            "country": country, "roles": [role], "public_keys": [self.signers[party_id].public_key.hex()]})

    def rotate(self, party_id: str, *, retire: bool = True) -> int:
        """The party signs in a new key with its current one, retiring the old key unless told not to."""
        self.generation[party_id] = self.generation.get(party_id, 1) + 1
        old = self.signers[party_id]
        new = _seeded(f"{party_id}-key-{self.generation[party_id]}")
        body = {"party_id": party_id, "new_public_key": new.public_key.hex()}
        if retire:
            body["retire_key_id"] = old.key_id
        index = self.submit(party_id, parties.ROTATE, body, signer=old)
        self.signers[party_id] = new
        return index

    def revoke(self, party_id: str, key_id: str) -> int:
        return self.submit("operator", parties.REVOKE,
                           {"party_id": party_id, "key_id": key_id, "reason": "laptop stolen at the yard"})


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A database URL and a home folder for this module, once on SQLite and once on PostgreSQL.

    Module-scoped on purpose: building the ledger and creating a PostgreSQL database
    per test would cost ~0.6 s each; the `attacker` fixture undoes every change instead.
    """
    home = tmp_path_factory.mktemp(f"tamper-{request.param}")
    if request.param == "sqlite":
        yield f"sqlite:///{home / 'ledger.db'}", home
        return
    _postgres_or_skip()
    name = f"sl_test_tamper_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://{PG_ADMIN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}", home
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def ledger(database: tuple[str, Path]) -> Iterator[Ledger]:
    """A 20-entry ledger with signed checkpoints at sizes 1 (genesis), 10 and 20."""
    url, home = database
    settings = Settings.from_env({"DATABASE_URL": url, "SCRAPLEDGER_HOME": str(home / "var"),
                                  "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"})
    genesis = initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
                         registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    built = Ledger(Log(store, Signer.load(settings.log_key_file), settings.origin),
                   {"operator": Signer.load(genesis.operator_key_file)})
    built.register("rotterdam-metals", "Rotterdam Metals Recycling B.V.", "NL", "recycler")
    built.register("antwerp-scrap", "Antwerp Scrap NV", "BE", "recycler")
    built.register("ruhr-smelting", "Ruhr Schmelzwerk GmbH", "DE", "smelter")
    built.register("gdansk-metal", "Gdańsk Metal Recovery Sp. z o.o.", "PL", "recycler")
    built.register("lyon-fonderie", "Fonderie Lyonnaise S.A.", "FR", "smelter")
    built.register("hamburg-audit", "Hanseatische Metallprüfung GmbH", "DE", "auditor")
    built.rotate("rotterdam-metals")
    antwerp_first_key = built.signers["antwerp-scrap"].key_id
    built.rotate("antwerp-scrap", retire=False)
    built.register("bilbao-chatarra", "Chatarras de Bilbao S.L.", "ES", "recycler")
    built.log.checkpoint(datetime.now(UTC))
    built.rotate("ruhr-smelting")
    built.revoke("antwerp-scrap", antwerp_first_key)
    built.register("genoa-rottami", "Rottami Genova S.r.l.", "IT", "recycler")
    built.rotate("gdansk-metal")
    built.register("ostrava-hut", "Huť Ostrava a.s.", "CZ", "smelter")
    built.rotate("rotterdam-metals")
    built.register("liege-ferraille", "Ferrailles de Liège SA", "BE", "recycler")
    built.rotate("lyon-fonderie")
    built.register("tallinn-scrap", "Tallinna Vanametall OÜ", "EE", "recycler")
    assert built.rotate("hamburg-audit") == LAST
    built.log.checkpoint(datetime.now(UTC))
    yield built
    store.dispose()


@pytest.fixture(scope="module")
def owner(database: tuple[str, Path], ledger: Ledger) -> Iterator[Engine]:
    """A connection of the database's owner, who drops the append-only triggers: they stop mistakes, not owners."""
    engine = create_engine(database[0], poolclass=NullPool)
    with engine.begin() as connection:
        for table in APPEND_ONLY:
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
                connection.execute(text(f"DROP TRIGGER {table}_no_truncate ON {table}"))
            else:
                connection.execute(text(f"DROP TRIGGER {table}_no_update"))
                connection.execute(text(f"DROP TRIGGER {table}_no_delete"))
    yield engine
    engine.dispose()


@pytest.fixture
def attacker(owner: Engine, ledger: Ledger) -> Iterator[Engine]:
    """The owner's connection for one test; every change it makes is undone afterwards."""
    with owner.connect() as connection:
        before = {table: [dict(row) for row in connection.execute(text(f"SELECT * FROM {table}")).mappings()]
                  for table in APPEND_ONLY}
    yield owner
    with owner.begin() as connection:
        for table, rows in before.items():
            connection.execute(text(f"DELETE FROM {table}"))
            columns = list(rows[0])
            connection.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                    f"({', '.join(':' + column for column in columns)})"), rows)
    assert verify_store(ledger.log.store, ledger.log.verifier).size == LAST + 1


def _data(attacker: Engine, index: int) -> bytes:
    with attacker.connect() as connection:
        return bytes(connection.execute(text("SELECT data FROM entries WHERE idx = :i"), {"i": index}).scalar_one())


def _write_data(attacker: Engine, index: int, data: bytes) -> None:
    with attacker.begin() as connection:
        connection.execute(text("UPDATE entries SET data = :d WHERE idx = :i"), {"d": data, "i": index})


def _broken_at(ledger: Ledger) -> ChainBroken:
    with pytest.raises(ChainBroken) as failure:
        verify_store(ledger.log.store, ledger.log.verifier)
    return failure.value


def _after(marker: bytes, skip: int = 0) -> Callable[[bytes], int]:
    """Return a finder of the byte `skip` places after the end of `marker` in an entry."""
    return lambda data: data.index(marker) + len(marker) + skip


def _in_body(data: bytes) -> int:
    """The first letter of the party id inside the submission body (not the submission's own `party`)."""
    body = data.index(b'"body":{')
    return data.index(b'"party_id":"', body) + len(b'"party_id":"')


BYTE_POSITIONS = {
    "first byte": lambda data: 0,
    "index": _after(b'"index":'),
    "prev_hash": _after(b'"prev_hash":"', 17),
    "recorded_at seconds": _after(b'"recorded_at":"', 18),
    "signature": _after(b'"signature":"', 40),
    "submission body": _in_body,
    "submission timestamp": _after(b'"timestamp":"', 15),
    "last byte": lambda data: len(data) - 1,
}


def test_the_untampered_ledger_verifies(ledger):
    result = verify_store(ledger.log.store, ledger.log.verifier)
    assert (result.size, result.checkpoints_checked) == (LAST + 1, 3)


def test_dropping_the_triggers_alone_changes_nothing_verify_store_can_see(ledger, attacker):
    assert verify_store(ledger.log.store, ledger.log.verifier).size == LAST + 1


@pytest.mark.parametrize("position", list(BYTE_POSITIONS))
@pytest.mark.parametrize("index", [0, 1, 9, 10, LAST])
def test_flipping_one_bit_of_a_stored_entry_breaks_the_chain_at_that_entry(ledger, attacker, index, position):
    data = bytearray(_data(attacker, index))
    data[BYTE_POSITIONS[position](bytes(data))] ^= 0x01
    _write_data(attacker, index, bytes(data))
    assert _broken_at(ledger).index == index


@pytest.mark.parametrize("index", [10, LAST], ids=["middle", "last"])
def test_deleting_an_entry_breaks_the_chain_at_its_index(ledger, attacker, index):
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM entries WHERE idx = :i"), {"i": index})
    assert _broken_at(ledger).index == index


def test_deleting_an_entry_with_its_merkle_leaf_still_breaks_the_chain_at_its_index(ledger, attacker):
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM entries WHERE idx = 7"))
        connection.execute(text("DELETE FROM tree_nodes WHERE level = 0 AND idx = 7"))
    assert _broken_at(ledger).index == 7


@pytest.mark.parametrize(("first", "second"), [(4, 13), (LAST - 1, LAST)], ids=["apart", "last two"])
def test_swapping_two_entries_breaks_the_chain_at_the_first_of_them(ledger, attacker, first, second):
    one, other = _data(attacker, first), _data(attacker, second)
    _write_data(attacker, first, other)
    _write_data(attacker, second, one)
    assert _broken_at(ledger).index == first


def test_rewriting_an_entry_and_its_merkle_leaf_breaks_the_chain_at_the_next_entry(ledger, attacker):
    # recorded_at is the server's, outside the party's signature: a consistent rewrite of entry 5
    # and its leaf is caught by entry 6, whose prev_hash still names the original.
    data = _data(attacker, 5)
    marker = b'"recorded_at":"'
    start = data.index(marker) + len(marker)
    forged = Entry.from_bytes(data[:start] + b"2019-01-01T00:00:00.000000Z" + data[start + 27 :])
    _write_data(attacker, 5, forged.data)
    with attacker.begin() as connection:
        connection.execute(text("UPDATE tree_nodes SET hash = :h WHERE level = 0 AND idx = 5"), {"h": forged.leaf_hash})
    assert _broken_at(ledger).index == 6


def test_altering_a_stored_merkle_leaf_breaks_the_chain_at_its_entry(ledger, attacker):
    with attacker.begin() as connection:
        connection.execute(text("UPDATE tree_nodes SET hash = :h WHERE level = 0 AND idx = 12"), {"h": bytes(32)})
    assert _broken_at(ledger).index == 12


def test_an_entry_appended_behind_the_logs_back_breaks_the_chain_at_its_index(ledger, attacker):
    forger = _seeded("forger")
    with attacker.connect() as connection:
        head = connection.execute(text("SELECT entry_hash FROM entries WHERE idx = :i"), {"i": LAST})
        head_hash = bytes(head.scalar_one())
    submission = {"log": ledger.log.origin, "party": "operator", "key_id": ledger.signers["operator"].key_id,
                  "submission_id": "forged-registration", "timestamp": format_time(datetime.now(UTC)),
                  "type": parties.REGISTER, "body": {
                      "party_id": "shadow-metals", "legal_name": "Shadow Metals Ltd", "registration_number": "GB-0000",
                      "country": "GB", "roles": ["operator"], "public_keys": [forger.public_key.hex()]}}
    forged = Entry.build(LAST + 1, head_hash, format_time(datetime.now(UTC)), sign_submission(submission, forger))
    with attacker.begin() as connection:
        connection.execute(text(
            "INSERT INTO entries (idx, entry_hash, data, submission_id, party_id, entry_type, recorded_at)"
            " VALUES (:i, :h, :d, 'forged-registration', 'operator', 'party.register', :t)"),
            {"i": LAST + 1, "h": forged.entry_hash, "d": forged.data, "t": forged.recorded_at})
    assert _broken_at(ledger).index == LAST + 1


def _flip_root_line(note: str) -> str:
    lines = note.split("\n")
    lines[2] = ("B" if lines[2][0] != "B" else "C") + lines[2][1:]
    return "\n".join(lines)


def _claim_smaller_size(note: str) -> str:
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) - 1)
    return "\n".join(lines)


def _resign_with_another_key(note: str) -> str:
    origin, size, _root = note.split("\n")[:3]
    return sign_checkpoint(Checkpoint(origin, int(size), bytes(32)), _seeded("not the log key"))


def _flip_signature(note: str) -> str:
    """Change one base64 letter of the Ed25519 signature, after the 4-byte key id."""
    body, blob = note.rsplit(" ", 1)
    return body + " " + blob[:20] + ("A" if blob[20] != "A" else "B") + blob[21:]


NOTE_CHANGES = {
    "root line flipped": _flip_root_line,
    "size line lowered": _claim_smaller_size,
    "signed by another key": _resign_with_another_key,
    "signature flipped": _flip_signature,
}


@pytest.mark.parametrize("size", [10, LAST + 1], ids=["earlier", "latest"])
@pytest.mark.parametrize("change", list(NOTE_CHANGES))
def test_altering_a_stored_checkpoint_note_fails_verification(ledger, attacker, size, change):
    with attacker.begin() as connection:
        note = connection.execute(text("SELECT note FROM checkpoints WHERE tree_size = :s"), {"s": size}).scalar_one()
        connection.execute(text("UPDATE checkpoints SET note = :n WHERE tree_size = :s"),
                           {"n": NOTE_CHANGES[change](note), "s": size})
    assert "checkpoint" in _broken_at(ledger).reason


def test_the_verifier_of_another_log_key_rejects_every_checkpoint(ledger):
    stranger = NoteVerifier.from_public_key(ledger.log.origin, _seeded("another log").public_key)
    with pytest.raises(ChainBroken, match="checkpoint"):
        verify_store(ledger.log.store, stranger)
