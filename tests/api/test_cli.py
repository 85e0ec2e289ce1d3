"""The `scrapledger` command as an operator and an auditor use it: init, verify, export, log-key, keygen."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from api import create_app
from api.cli import main
from ledger import parties
from ledger.checkpoint import Checkpoint, NoteVerifier, sign_checkpoint
from ledger.config import Settings
from ledger.entries import format_time, sign_submission
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store
from tests.conftest import ORIGIN, seeded_signer

Run = Callable[..., Result]
YARDS = (("rotterdam-metals", "Rotterdam Metals Recycling B.V.", "NL"),
         ("antwerp-scrap", "Antwerp Scrap NV", "BE"),
         ("ruhr-smelting", "Ruhr Schmelzwerk GmbH", "DE"))
UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere"


def _runner(env: dict[str, str]) -> Run:
    def run(*args: str, extra_env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **(extra_env or {})})

    return run


@pytest.fixture
def run(env: dict[str, str]) -> Run:
    """Invoke `scrapledger` with the test deployment's environment (SQLite and PostgreSQL)."""
    return _runner(env)


@pytest.fixture
def sqlite_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    """A deployment on SQLite only, for behaviour of the command that no database changes."""
    return {"DATABASE_URL": sqlite_url, "SCRAPLEDGER_HOME": str(tmp_path / "var"), "SCRAPLEDGER_ORIGIN": ORIGIN,
            "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"}


def _register_yards(env: dict[str, str]) -> None:
    """Have the operator register three recycling and smelting yards after `init`."""
    settings = Settings.from_env(env)
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    log = Log(store, Signer.load(settings.log_key_file), settings.origin)
    operator = Signer.load(settings.home / "operator-key.pem")
    for party_id, legal_name, country in YARDS:
        now = datetime.now(UTC)
        body = {"party_id": party_id, "legal_name": legal_name, "registration_number": f"{country}-{party_id}",
                "country": country, "roles": ["recycler"], "public_keys": [seeded_signer(party_id).public_key.hex()]}
        submission = {"log": settings.origin, "party": "operator", "key_id": operator.key_id,
                      "submission_id": f"register-{party_id}", "timestamp": format_time(now),
                      "type": parties.REGISTER, "body": body}
        log.append(sign_submission(submission, operator), actor="operator", now=now)
    store.dispose()


@pytest.fixture
def initialised(run: Run, env: dict[str, str]) -> Run:
    """A ledger initialised by the command, with three yards registered (four entries)."""
    assert run("init", "--legal-name", "Ledger Operations B.V.").exit_code == 0
    _register_yards(env)
    return run


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_init_prints_the_operator_token_once(sqlite_env):
    result = _runner(sqlite_env)("init", "--legal-name", "Ledger Operations B.V.",
                                 "--registration-number", "NL-KVK-90000001")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("slt_") == 1
    assert "operator token (shown once): slt_" in result.stdout


def test_a_second_init_says_already_initialised_and_prints_no_token(run):
    run("init")
    again = run("init")
    assert again.exit_code == 0, again.output
    assert "already initialised" in again.stdout
    assert "slt_" not in again.output


def test_init_writes_the_log_and_operator_keys_readable_by_the_owner_only(sqlite_env):
    _runner(sqlite_env)("init")
    home = Path(sqlite_env["SCRAPLEDGER_HOME"])
    modes = {name: stat.S_IMODE((home / name).stat().st_mode) for name in ("log-key.pem", "operator-key.pem")}
    assert modes == {"log-key.pem": 0o600, "operator-key.pem": 0o600}


def test_verify_says_ok_on_an_untouched_ledger(initialised):
    result = initialised("verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 4 entries")


def test_verify_exits_1_naming_the_entry_someone_rewrote_in_the_database(initialised, env):
    engine = create_engine(env["DATABASE_URL"], poolclass=NullPool)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER entries_append_only ON entries"))
        else:
            connection.execute(text("DROP TRIGGER entries_no_update"))
        data = bytes(connection.execute(text("SELECT data FROM entries WHERE idx = 2")).scalar_one())
        marker = b'"legal_name":"'
        forged = data.replace(marker + b"Antwerp", marker + b"Antworp")
        connection.execute(text("UPDATE entries SET data = :d WHERE idx = 2"), {"d": forged})
    engine.dispose()
    result = initialised("verify")
    assert result.exit_code == 1
    assert "FAILED: entry 2:" in result.stderr


def test_an_export_verifies_offline_against_the_printed_log_key(initialised, tmp_path):
    entries, checkpoint = tmp_path / "entries.jsonl", tmp_path / "checkpoint.txt"
    exported = initialised("export", "--entries", str(entries), "--checkpoint", str(checkpoint))
    assert exported.stdout == "exported 4 entries\n"
    vkey = initialised("log-key").stdout.strip()
    offline = {"DATABASE_URL": UNREACHABLE_DATABASE, "SCRAPLEDGER_HOME": str(tmp_path / "auditor")}
    result = initialised("verify-export", "--entries", str(entries), "--checkpoint", str(checkpoint), "--log-key", vkey,
                         extra_env=offline)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 4 entries match the signed checkpoint")


def test_log_key_prints_the_vkey_the_api_serves(sqlite_env):
    run = _runner(sqlite_env)
    token = run("init").stdout.rsplit("operator token (shown once): ", 1)[1].strip()
    result = run("log-key")
    assert result.exit_code == 0, result.output
    app = create_app(sqlite_env)
    served = app.test_client().get("/v1/log-key", headers={"Authorization": f"Bearer {token}"})
    app.extensions["scrapledger"].store.dispose()
    assert (served.status_code, served.get_data(as_text=True)) == (200, result.stdout)


@dataclass(frozen=True)
class Export:
    """An auditor's copy of a ledger: entries, checkpoint and the log's vkey, all as files."""

    entries: Path
    checkpoint: Path
    vkey: str
    folder: Path

    def verify(self, *, entries: bytes | None = None, checkpoint: str | None = None, vkey: str | None = None) -> Result:
        """Run verify-export, offline, on this export with any of its parts replaced."""
        entries_path, checkpoint_path = self.folder / "given-entries.jsonl", self.folder / "given-checkpoint.txt"
        entries_path.write_bytes(self.entries.read_bytes() if entries is None else entries)
        checkpoint_path.write_text(self.checkpoint.read_text() if checkpoint is None else checkpoint)
        return CliRunner().invoke(main, ["verify-export", "--entries", str(entries_path), "--checkpoint",
                                         str(checkpoint_path), "--log-key", vkey or self.vkey],
                                  env={"DATABASE_URL": UNREACHABLE_DATABASE, "SCRAPLEDGER_HOME": str(self.folder)})


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Export:
    """One export of a four-entry SQLite ledger, shared: verify-export never touches a database."""
    folder = tmp_path_factory.mktemp("export")
    env = {"DATABASE_URL": f"sqlite:///{folder / 'ledger.db'}", "SCRAPLEDGER_HOME": str(folder / "var"),
           "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"}
    run = _runner(env)
    assert run("init").exit_code == 0
    _register_yards(env)
    entries, checkpoint = folder / "entries.jsonl", folder / "checkpoint.txt"
    assert run("export", "--entries", str(entries), "--checkpoint", str(checkpoint)).exit_code == 0
    return Export(entries, checkpoint, run("log-key").stdout.strip(), folder)


def test_the_shared_export_verifies_untouched(exported):
    result = exported.verify()
    assert result.exit_code == 0, result.output


def test_verify_export_reads_the_log_key_from_a_file(exported, tmp_path):
    key_file = tmp_path / "scrapledger.vkey"
    key_file.write_text(exported.vkey + "\n")
    assert exported.verify(vkey=str(key_file)).exit_code == 0


def _lines(exported: Export) -> list[bytes]:
    return exported.entries.read_bytes().splitlines(keepends=True)


def _flip_signature_byte(exported: Export) -> bytes:
    lines = _lines(exported)
    marker = b'"signature":"'
    position = lines[2].index(marker) + len(marker) + 30
    digit = lines[2][position : position + 1]
    lines[2] = lines[2][:position] + (b"1" if digit == b"0" else b"0") + lines[2][position + 1 :]  # still hex
    return b"".join(lines)


def _remove_line(number: int) -> Callable[[Export], bytes]:
    return lambda exported: b"".join(line for position, line in enumerate(_lines(exported)) if position != number)


@pytest.mark.parametrize(("change", "failure"), [
    (_flip_signature_byte, "FAILED: entry 2: signature check failed"),
    (_remove_line(1), "FAILED: entry 1: entry claims index 2"),
    (_remove_line(3), "FAILED: entry 3: a signed checkpoint covers 4 entries but only 3 remain"),
], ids=["a byte flipped in a signature", "a middle line removed", "the last line removed"])
def test_verify_export_exits_1_on_altered_entries(exported, change, failure):
    result = exported.verify(entries=change(exported))
    assert result.exit_code == 1
    assert failure in result.stderr


def test_verify_export_exits_1_on_a_checkpoint_signed_by_another_key(exported):
    body = exported.checkpoint.read_text().split("\n\n", 1)[0] + "\n"
    forged = sign_checkpoint(Checkpoint.from_text(body), seeded_signer("a stolen laptop"))
    result = exported.verify(checkpoint=forged)
    assert result.exit_code == 1
    assert "FAILED: malformed note: no signature by key" in result.stderr


def test_verify_export_exits_1_with_the_log_key_of_another_log(exported):
    stranger = NoteVerifier.from_public_key(ORIGIN, seeded_signer("another log").public_key).to_vkey()
    result = exported.verify(vkey=stranger)
    assert result.exit_code == 1
    name_and_key_id = "+".join(stranger.split("+", 2)[:2])
    assert f"FAILED: malformed note: no signature by key {name_and_key_id}" in result.stderr


def test_keygen_writes_a_key_only_its_owner_can_read(tmp_path):
    path = tmp_path / "rotterdam-metals.pem"
    result = CliRunner().invoke(main, ["keygen", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"key_id:     {Signer.load(path).key_id}" in result.stdout


def test_keygen_refuses_to_overwrite_an_existing_key(tmp_path):
    path = tmp_path / "rotterdam-metals.pem"
    CliRunner().invoke(main, ["keygen", str(path)])
    before = path.read_bytes()
    again = CliRunner().invoke(main, ["keygen", str(path)])
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.stderr
    assert path.read_bytes() == before



def test_verify_against_a_saved_checkpoint_passes_when_the_log_extends_it(initialised, tmp_path):
    saved = tmp_path / "saved.txt"
    initialised("export", "--entries", str(tmp_path / "entries.jsonl"), "--checkpoint", str(saved))
    result = initialised("verify", "--checkpoint", str(saved))
    assert result.exit_code == 0, result.output
    assert "extends the saved checkpoint of size 4" in result.stdout


def test_a_restored_backup_older_than_a_saved_checkpoint_fails_naming_the_missing_entries(sqlite_env, tmp_path):
    run = _runner(sqlite_env)
    assert run("init").exit_code == 0
    database = Path(sqlite_env["DATABASE_URL"].split(":///", 1)[1])
    backup = tmp_path / "backup.db"
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(backup)) as target:
        source.backup(target)
    _register_yards(sqlite_env)
    saved = tmp_path / "saved.txt"
    run("export", "--entries", str(tmp_path / "entries.jsonl"), "--checkpoint", str(saved))
    shutil.copyfile(backup, database)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    result = run("verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert "3 acknowledged entries are missing" in result.stderr
