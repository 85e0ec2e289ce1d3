"""Saved verification reports: re-checked offline, any altered byte fails, a forked log is caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from api.cli import main
from api.client import LedgerClient
from ledger.errors import LedgerError
from ledger.evidence import check_report
from ledger.signing import Signer
from tests.conftest import ORIGIN, _reset_postgres, _template, seeded_signer
from tests.conftest import test_client_transport as transport_over
from tests.factories import declaration_body, lot_body


@pytest.fixture
def saved_report(make_party, tmp_path) -> tuple[Path, str, Any]:
    """A pass report on an honest declaration, saved as the smelter would keep it, and the log's vkey."""
    recycler = make_party("rotterdam-metals", roles=("recycler",))
    smelter = make_party("ijmuiden-steel", roles=("smelter",))
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    declaration = recycler.submit("/v1/declarations", "declaration.issue",
                                  declaration_body(lot, "ijmuiden-steel"))["result"]["declaration_id"]
    report = smelter.post(f"/v1/declarations/{declaration}/verification", {})
    path = tmp_path / "report.json"
    path.write_bytes(json.dumps(report, indent=1).encode())
    return path, smelter.get("/v1/log-key").strip(), recycler


def verify_report(*args: str) -> Any:
    return CliRunner().invoke(main, ["verify-report", *args])


def test_a_saved_report_verifies_offline_with_the_pinned_log_key(saved_report):
    path, vkey, _ = saved_report
    result = verify_report(str(path), "--log-key", vkey)
    assert result.exit_code == 0, result.output
    assert "verdict pass" in result.stdout


def test_without_a_pinned_key_the_report_verifies_but_says_which_key_it_trusted(saved_report):
    path, _, _ = saved_report
    result = verify_report(str(path))
    assert result.exit_code == 0
    assert "pin it with --log-key" in result.stderr


@pytest.mark.parametrize("field", ["verdict", "checks", "evidence", "declaration", "policy", "verified_at"])
def test_changing_any_part_of_a_report_makes_verify_report_fail(saved_report, field):
    path, vkey, _ = saved_report
    report = json.loads(path.read_bytes())
    if field == "verdict":
        report["verdict"] = "fail"
    elif field == "checks":
        report["checks"][0]["status"] = "warn"
    elif field == "evidence":
        report["evidence"]["entries"][0]["entry"]["recorded_at"] = "2026-01-01T00:00:00.000000Z"
    elif field == "declaration":
        report["declaration"]["body"]["recycled_share"] = "0.5"
    elif field == "policy":
        report["policy"]["mass_tolerance"] = "0.5"
    else:
        report["verified_at"] = "2030-01-01T00:00:00.000000Z"
    path.write_text(json.dumps(report))
    assert verify_report(str(path), "--log-key", vkey).exit_code == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flipping_any_byte_of_a_saved_report_makes_it_fail(saved_report, data):
    path, vkey, _ = saved_report
    original = path.read_bytes()
    position = data.draw(st.integers(0, len(original) - 1))
    bit = data.draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64]))
    altered = original[:position] + bytes([original[position] ^ bit]) + original[position + 1:]
    try:
        report = json.loads(altered)
    except ValueError:
        return  # no longer JSON: nothing to verify, the CLI refuses it too
    if report == json.loads(original):
        return  # the flip only changed insignificant whitespace or escaping
    with pytest.raises((LedgerError, ValueError, KeyError, TypeError, AttributeError)):
        check_report(report, vkey)


def test_a_signature_spelled_in_uppercase_hex_is_refused(saved_report):
    path, vkey, _ = saved_report
    report = json.loads(path.read_bytes())
    report["signature"] = report["signature"].upper()

    with pytest.raises(LedgerError, match="lowercase hex"):
        check_report(report, vkey)


def test_a_report_against_a_forked_log_is_caught_by_the_consistency_check(
        saved_report, env, client, monkeypatch, templates, tmp_path_factory):
    path, vkey, recycler = saved_report
    served = {"client": client}
    monkeypatch.setattr("api.audit_cli.http_transport", lambda base_url, timeout=30.0: transport_over(served["client"]))
    recycler.submit("/v1/lots", "lot.register", lot_body(reference="RTM-later"))
    first = verify_report(str(path), "--log-key", vkey, "--server", "http://ledger")
    assert first.exit_code == 0, first.output

    served["client"] = _fork(env, templates, tmp_path_factory).test_client()
    result = verify_report(str(path), "--log-key", vkey, "--server", "http://ledger")
    assert result.exit_code == 1
    assert "FAILED" in result.stderr


def _fork(env: dict[str, str], templates: Any, factory: Any) -> Any:
    """Return an app on another history signed by the same log key: same genesis, then other entries."""
    kind = "sqlite" if env["DATABASE_URL"].startswith("sqlite") else "postgres"
    template = _template(kind, templates, factory, env["DATABASE_URL"])
    home = factory.mktemp("fork") / "var"
    shutil.copytree(template.home, home)
    database = home.parent / "fork.db"
    fork_env = {**env, "DATABASE_URL": f"sqlite:///{database}", "SCRAPLEDGER_HOME": str(home)}
    if kind == "sqlite":
        shutil.copyfile(template.database, database)
    else:
        fork_env["DATABASE_URL"] = env["DATABASE_URL"]  # PostgreSQL: the fork replaces the served history
        _reset_postgres(env["DATABASE_URL"], template.database)
    app = create_app(fork_env)
    operator = LedgerClient(transport_over(app.test_client()), party_id="operator", token=template.genesis.operator_token,
                            signer=Signer.load(home / "operator-key.pem"), origin=ORIGIN)
    for n in range(6):
        operator.submit("/v1/parties", "party.register", {
            "party_id": f"other-yard-{n}", "legal_name": f"Other Yard {n}", "registration_number": f"X-{n}",
            "country": "NL", "roles": ["recycler"], "public_keys": [seeded_signer(f"other-{n}").public_key.hex()]})
    return app
