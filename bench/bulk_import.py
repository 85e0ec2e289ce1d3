"""`scrapledger import lots` of a 100,000-row CSV, against POST /v1/batches of the same kind of rows pre-signed.

Both go to the same `scrapledger serve` gunicorn command on a fresh SQLite
ledger (synchronous=FULL), 500 rows a batch, one client. The baseline's
batches are the bodies the import's own mapping makes of another file's rows,
signed before the timed window, so the ratio is what reading, mapping,
signing, journalling and reporting add. The import runs as the CLI in a
subprocess; its peak RSS on a 10,000-row and on the 100,000-row file shows
that memory does not grow with the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.importing.mapping import KINDS, Mapping
from api.importing.sources import open_table

from . import loadgen, workload
from .ledgers import CACHE, ORIGIN, lot_body

ROWS, SMALL, BASELINE_ROWS = 100_000, 10_000, 40_000
BATCH = 500
SECONDS = 60.0
MIN_RATIO, MAX_RSS_GROWTH = 0.70, 1.15
RECYCLER = "recycler-rotterdam"
# Runs the command as its only child and prints that child's peak RSS (KiB) last on stderr.
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
HEADER = "Ticket;Soort;Materiaal;EURAL;GN-code;Herkomst;Bron;Land;Locatie;Netto (kg);Bruto (kg);Tarra (kg)\n"
MAPPING = '''
[file]
delimiter = ";"
decimal = ","
[columns]
reference = "Ticket"
"grade.code" = "Soort"
material_family = "Materiaal"
ewc_code = "EURAL"
hs_code = "GN-code"
consumer_stage = "Herkomst"
source_type = "Bron"
"origin.country" = "Land"
"origin.site" = "Locatie"
net_mass_kg = "Netto (kg)"
gross_mass_kg = "Bruto (kg)"
tare_mass_kg = "Tarra (kg)"
[fixed]
"grade.scheme" = "ISRI"
'''


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report rows of the import benchmark."""
    home = CACHE / f"run-import-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    try:
        now = datetime.now(UTC)
        ledger = workload.initialised(home, ORIGIN, now, [(RECYCLER, ("recycler",))])
        party = ledger.parties[0]
        ledger.log.store.dispose()
        mapping_file = home / "mapping.toml"
        mapping_file.write_text(MAPPING, encoding="utf-8")
        files = {name: _write_export(home / f"{name}.csv", first, count) for name, first, count in (
            ("baseline", 0, BASELINE_ROWS), ("small", 1_000_000, SMALL), ("large", 2_000_000, ROWS))}
        plan = _signed_batches(files["baseline"], mapping_file, party)
        key = home / "recycler.pem"
        party.signer.save(key)
        env = {"SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "FULL"}
        server = loadgen.Server(env, home / "gunicorn.log")
        try:
            half = len(plan) // 2
            before = loadgen.load(server.port, [plan[:half]], 201, SECONDS, server)
            small_rss = _import(files["small"], mapping_file, server, party, key, home)[1]
            seconds, large_rss = _import(files["large"], mapping_file, server, party, key, home)
            after = loadgen.load(server.port, [plan[half:]], 201, SECONDS, server)
        finally:
            server.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    baseline = max(len(done.latencies) * BATCH / done.seconds for done in (before, after))
    rate = ROWS / seconds
    return [
        {"name": f"scrapledger import lots, {ROWS:,}-row CSV, {BATCH} a batch",
         "measured": f"{rate:,.0f} rows/s ({seconds:.1f} s)",
         "baseline": f"{baseline:,.0f} entries/s: POST /v1/batches of {BATCH} pre-signed, better of before/after",
         "ratio": rate / baseline, "target": f">= {MIN_RATIO:.2f}", "passed": rate / baseline >= MIN_RATIO},
        {"name": "scrapledger import lots, peak RSS",
         "measured": f"{large_rss / 1024:.1f} MiB at {ROWS:,} rows",
         "baseline": f"{small_rss / 1024:.1f} MiB at {SMALL:,} rows",
         "ratio": large_rss / small_rss, "target": f"<= {MAX_RSS_GROWTH:.2f}",
         "passed": large_rss / small_rss <= MAX_RSS_GROWTH},
    ]


def _write_export(path: Path, first: int, count: int) -> Path:
    """Write a yard's weighbridge export of `count` lots (decimal commas, `;`), streamed."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        file.write(HEADER)
        for number in range(first, first + count):
            body = lot_body(number)
            masses = ";".join(body[name].replace(".", ",") for name in ("net_mass_kg", "gross_mass_kg", "tare_mass_kg"))
            file.write(f"RTM-{number:08d};{body['grade']['code']};{body['material_family']};{body['ewc_code']};"
                       f"{body['hs_code']};{body['consumer_stage']};{body['source_type']};"
                       f"{body['origin']['country']};{body['origin']['site']};{masses}\n")
    return path


def _signed_batches(path: Path, mapping_file: Path, party: workload.Party) -> list[bytes]:
    """Return the baseline: the import's own bodies of `path`'s rows, signed now, as raw batch requests."""
    mapping = Mapping.load(mapping_file, "lots")
    table = open_table(path, encoding="utf-8-sig", delimiter=";")
    now = datetime.now(UTC)
    items = []
    for row in table.rows:
        body, problems = mapping.body(row, ",")
        assert not problems, problems
        signed = workload.sign(party, KINDS["lots"].entry_type, body, f"base-{row.number}", now)
        items.append({"submission": signed.submission, "signature": signed.signature.hex()})
    return [loadgen.request("POST", "/v1/batches", party.token,
                            json.dumps({"items": items[at:at + BATCH]}).encode())
            for at in range(0, len(items), BATCH)]


def _import(path: Path, mapping_file: Path, server: loadgen.Server, party: workload.Party, key: Path,
            home: Path) -> tuple[float, int]:
    """Run the import CLI on `path`; return its wall seconds and the children's peak RSS so far (KiB)."""
    command = [str(Path(sys.executable).with_name("scrapledger")), "import", "lots", str(path), "--map",
               str(mapping_file), "--batch-size", str(BATCH)]
    env = {**os.environ, "SCRAPLEDGER_URL": f"http://127.0.0.1:{server.port}", "SCRAPLEDGER_TOKEN": party.token,
           "SCRAPLEDGER_PARTY": party.party_id, "SCRAPLEDGER_KEY_FILE": str(key),
           "SCRAPLEDGER_STATE_DIR": str(home / "state")}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the import failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, int(done.stderr.strip().splitlines()[-1])
