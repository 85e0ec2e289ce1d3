"""Rotating the log key: a cosigned transition, old checkpoints still verify, the old key is refused."""

from __future__ import annotations

from click.testing import CliRunner

from api import create_app
from api.cli import main
from ledger.checkpoint import NoteVerifier, open_checkpoint
from ledger.signing import Signer


def test_rotation_cosigns_a_transition_and_keeps_the_log_verifiable(env, genesis, settings, tmp_path):
    runner = CliRunner()
    old_vkey = runner.invoke(main, ["log-key"], env=env).output.strip()
    new_key = tmp_path / "log-key-2027.pem"
    rotated = runner.invoke(main, ["rotate-log-key", "--new-key", str(new_key)], env=env)
    assert rotated.exit_code == 0, rotated.output
    new_vkey = rotated.output.splitlines()[1]
    moved = {**env, "SCRAPLEDGER_LOG_KEY_FILE": str(new_key)}

    client = create_app(moved).test_client()
    note = client.get("/v1/checkpoint").get_data(as_text=True)
    assert client.get("/v1/log-key").get_data(as_text=True).strip() == new_vkey
    transition = open_checkpoint(note, NoteVerifier.from_vkey(old_vkey))
    assert open_checkpoint(note, NoteVerifier.from_vkey(new_vkey)) == transition

    verified = runner.invoke(main, ["verify"], env=moved)
    assert verified.exit_code == 0, verified.output


def test_the_retired_log_key_can_no_longer_serve_the_ledger(env, genesis, tmp_path):
    runner = CliRunner()
    runner.invoke(main, ["rotate-log-key", "--new-key", str(tmp_path / "next.pem")], env=env)
    response = create_app(env).test_client().get("/v1/checkpoint")
    assert response.status_code == 503
    assert "current log key" in response.get_json()["detail"]
    assert runner.invoke(main, ["verify"], env=env).exit_code != 0


def test_rotating_to_the_same_key_is_refused(env, genesis, settings):
    result = CliRunner().invoke(main, ["rotate-log-key", "--new-key", str(settings.log_key_file)], env=env)
    assert result.exit_code == 1
    assert Signer.load(settings.log_key_file).public_key.hex()


def test_a_server_started_before_the_rotation_stops_signing_with_the_retired_key(env, genesis, operator, client,
                                                                                  tmp_path):
    assert client.get("/v1/checkpoint").status_code == 200
    CliRunner().invoke(main, ["rotate-log-key", "--new-key", str(tmp_path / "next.pem")], env=env)
    operator.submit("/v1/parties", "party.register", {
        "party_id": "late-yard", "legal_name": "Late Yard B.V.", "registration_number": "KVK-1", "country": "NL",
        "roles": ["recycler"], "public_keys": [Signer.from_seed(bytes(range(32))).public_key.hex()]})
    response = client.get("/v1/checkpoint")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
