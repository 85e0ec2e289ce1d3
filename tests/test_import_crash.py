"""A 5,000-row import SIGKILLed halfway and run again: every good row in the ledger exactly once, the log verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import seeded_signer
from tests.test_faults import RECYCLER, REPO, any_database_url, audit, initialise_ledger, servers  # noqa: F401
from tests.yard_files import read_csv, write_mapping, write_yard_export

ROWS, BAD_EVERY = 5000, 100  # 1% bad rows, the ten kinds of tests/yard_files.py five times each
SCRAPLEDGER = str(Path(sys.executable).with_name("scrapledger"))


def lines_in(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_an_import_killed_halfway_and_run_again_appends_every_good_row_once(any_database_url, tmp_path, servers):  # noqa: F811
    ledger = initialise_ledger(any_database_url, tmp_path / "var")
    server = servers(ledger)
    server.start()
    key = tmp_path / "rotterdam.pem"
    seeded_signer(RECYCLER).save(key)
    export = tmp_path / "weegbrug-2026-11.csv"
    bad = write_yard_export(export, ROWS, bad_every=BAD_EVERY)
    mapping = write_mapping(tmp_path / "mapping.toml")
    command = [SCRAPLEDGER, "import", "lots", str(export), "--map", str(mapping), "--batch-size", "100"]
    env = {**os.environ, "SCRAPLEDGER_URL": server.url, "SCRAPLEDGER_TOKEN": ledger.tokens[RECYCLER],
           "SCRAPLEDGER_PARTY": RECYCLER, "SCRAPLEDGER_KEY_FILE": str(key),
           "SCRAPLEDGER_STATE_DIR": str(tmp_path / "state")}
    results = tmp_path / "weegbrug-2026-11.result.csv"

    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while lines_in(results) < ROWS // 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the first run ended before it could be killed halfway"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    landed_before = len(audit(ledger.env).entries)

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    server.kill()

    assert second.returncode == 1, second.stderr  # the bad rows are refused
    rows = read_csv(results)
    statuses = Counter(row["status"] for row in rows)
    assert statuses["refused"] == len(bad) == ROWS // BAD_EVERY
    assert statuses["already imported"] >= ROWS // 2 - len(bad)
    assert statuses["already imported"] + statuses["imported"] == ROWS - len(bad)
    assert {int(row["row"]) for row in rows if row["status"] == "refused"} == set(bad)
    found = audit(ledger.env)
    imported = Counter(entry.signed.submission_id for entry in found.entries
                       if entry.signed.submission_id.startswith("imp-"))
    assert len(imported) == ROWS - len(bad) and set(imported.values()) == {1}
    references = Counter(entry.signed.body["reference"] for entry in found.entries if entry.signed.type == "lot.register")
    assert len(references) == ROWS - len(bad) and set(references.values()) == {1}
    assert landed_before < len(found.entries)
    assert found.verified_size == len(found.entries)
    verify = subprocess.run([SCRAPLEDGER, "verify"], env={**os.environ, **ledger.env}, capture_output=True, text=True,
                            cwd=REPO, timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
