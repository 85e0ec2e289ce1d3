"""`scrapledger import`: lots, dispatches and receipts from weighbridge and ERP files, nothing lost, nothing doubled.

By default an invalid row is refused and reported and the other rows are
imported; `--all-or-nothing` first checks the whole file and appends nothing
unless every row is valid. Exit status: 0 when every row is in the ledger,
1 when a row was refused or the import stopped (run it again to continue).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from ledger import gs1
from ledger.epcis_import import PARTY_ID

from .client_cli import CONNECTION_OPTIONS, Connection
from .importing.epcis_run import UNMAPPED, EpcisImport
from .importing.mapping import KINDS, Mapping, MappingError
from .importing.reports import Reports
from .importing.run import ALREADY, IMPORTED, REFUSED, VALID, Importer, ImportStopped, Outcome
from .importing.sources import SourceError
from .importing.templates import TEMPLATES

SHOWN_PROBLEMS = 20


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "scrapledger" / "imports"


@click.group("import")
def import_group() -> None:
    """Import lots, dispatches or receipts from a CSV or .xlsx file, with a mapping file."""


def _import_command(kind: str, summary: str) -> None:
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--map", "mapping_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="the mapping (TOML)")
    @click.option("--dry-run", is_flag=True, help="check every row with the ledger's rules; append nothing")
    @click.option("--all-or-nothing", is_flag=True,
                  help="append nothing unless every row is valid (default: refuse invalid rows, import the rest)")
    @click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 1000))
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="where the result, error and rejected-row files go (default: beside FILE)")
    @click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), envvar="SCRAPLEDGER_STATE_DIR",
                  show_envvar=True, help="where the import remembers what it signed (default ~/.local/state)")
    def command(file: Path, mapping_file: Path, dry_run: bool, all_or_nothing: bool, batch_size: int,
                out_dir: Path | None, state_dir: Path | None, server: str, token: str, party: str | None,
                key_file: str | None) -> None:
        try:
            mapping = Mapping.load(mapping_file, kind)
            writer = Connection(server, token, party, key_file).writer()
            importer = Importer(writer, mapping, file, state_dir=state_dir or _state_dir(), batch_size=batch_size)
        except (MappingError, SourceError) as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            raise click.ClickException(f"cannot reach {server}: {error}") from None
        if all_or_nothing and not dry_run:
            click.echo("checking every row first (--all-or-nothing)", err=True)
            if _run(importer, file, out_dir, dry_run=True, stop_at_refusal=False)[REFUSED]:
                click.echo("nothing was appended: fix the rows above and run again", err=True)
                sys.exit(1)
        counts = _run(importer, file, out_dir, dry_run=dry_run, stop_at_refusal=all_or_nothing)
        sys.exit(1 if counts[REFUSED] else 0)

    for option in reversed(CONNECTION_OPTIONS[:4]):
        command = option(command)
    import_group.command(kind, help=f"{summary}\n\nFILE is CSV or .xlsx; the mapping says which column is which "
                         "field (see `scrapledger import template`).")(command)


@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--gln", "glns", multiple=True, metavar="GLN=PARTY",
              help="the party a GLN in the document stands for (repeat); this ledger's party URIs need none")
@click.option("--party-uri", "party_uris", multiple=True, metavar="URI=PARTY",
              help="the party another system's party URI stands for (repeat)")
@click.option("--dry-run", is_flag=True, help="check the events with the ledger's rules and append nothing (an "
                                             "event needing a lot or transfer an earlier event makes is refused)")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="where the report goes (default: beside FILE)")
def epcis(file: Path, glns: tuple[str, ...], party_uris: tuple[str, ...], dry_run: bool, batch_size: int,
          out_dir: Path | None, server: str, token: str, party: str | None, key_file: str | None) -> None:
    """Import the events of an EPCIS 2.0 JSON-LD document as your submissions (docs/epcis.md).

    Writes <FILE without its suffix>.epcis-report.csv: every event's status, entry and ids, or the field and rule
    that kept it out. Exit status 1 when an event was refused or not mapped.
    """
    known = {gs1.party_uri(gln): party_id for gln, party_id in _pairs(glns, "--gln", "GLN").items()}
    known.update(_pairs(party_uris, "--party-uri", "URI"))
    try:
        document = json.loads(file.read_bytes(), parse_float=Decimal)
        run = EpcisImport(Connection(server, token, party, key_file).writer(), document, parties=known,
                          batch_size=batch_size)
    except ValueError as error:
        raise click.ClickException(f"{file} is not an EPCIS document: {error}") from None
    except RecursionError:
        raise click.ClickException(f"{file} is not an EPCIS document: it nests arrays or objects too deeply") from None
    except OSError as error:
        raise click.ClickException(f"cannot reach {server}: {error}") from None
    report = (out_dir or file.parent) / f"{file.stem}.epcis-report.csv"
    report.parent.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    with report.open("w", encoding="utf-8-sig", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["event", "status", "entry_type", "party", "submission_id", "entry_index", "result",
                       "field", "rule", "note", "event_hash"])
        try:
            for outcome in run.outcomes(dry_run=dry_run):
                counts[outcome.status] += 1
                rows.writerow([outcome.number, outcome.status, outcome.entry_type, outcome.actor,
                               outcome.submission_id, "" if outcome.index is None else outcome.index,
                               json.dumps(outcome.result) if outcome.result else "", outcome.field, outcome.rule,
                               outcome.note, outcome.event_hash])
                if outcome.field or outcome.rule:
                    click.echo(f"event {outcome.number}: {outcome.status}: {outcome.field}: {outcome.rule}", err=True)
        except ImportStopped as stop:
            click.echo(f"stopped: {stop}", err=True)
            counts[REFUSED] += 1
    click.echo(", ".join(f"{count} {status}" for status, count in sorted(counts.items())) + f"; report: {report}")
    sys.exit(1 if counts[REFUSED] or counts[UNMAPPED] else 0)


def _pairs(values: tuple[str, ...], option: str, left: str) -> dict[str, str]:
    """Return `LEFT=PARTY` option values as a dict; a malformed, repeated or (for GLNs) invalid one is refused."""
    pairs: dict[str, str] = {}
    for value in values:
        key, equals, party_id = value.partition("=")
        if not equals or not key or not party_id:
            raise click.BadParameter(f"{value!r}: give {left}=PARTY", param_hint=option)
        if key in pairs:
            raise click.BadParameter(f"{key} is given twice", param_hint=option)
        if not PARTY_ID.match(party_id):
            raise click.BadParameter(f"{party_id} is not a party id: 2 to 63 of a-z 0-9 -", param_hint=option)
        if option == "--gln" and not gs1.is_gln(key):
            raise click.BadParameter(f"{key} is not a GLN: 13 digits with a correct check digit", param_hint=option)
        pairs[key] = party_id
    return pairs


for _option in reversed(CONNECTION_OPTIONS[:4]):
    epcis = _option(epcis)
import_group.command("epcis")(epcis)


_import_command("lots", "Register a lot for every row of FILE.")
_import_command("dispatches", "Dispatch a lot you hold for every row of FILE.")
_import_command("receipts", "Receive an open transfer addressed to you for every row of a weighbridge ticket FILE.")


def _run(importer: Importer, file: Path, out_dir: Path | None, *, dry_run: bool, stop_at_refusal: bool) -> Any:
    """Run one pass over the file, drawing progress and writing the reports; return the counts by status."""
    reports = Reports(out_dir or file.parent, file.stem, importer.header, importer.mapping.kind,
                      delimiter=importer.delimiter, dry_run=dry_run)
    bar = tqdm(total=importer.estimated_rows, unit=" rows", file=sys.stderr, disable=None, dynamic_ncols=True,
               desc="checking" if dry_run else "importing")
    stop = None
    try:
        for outcomes in importer.batches(dry_run=dry_run, stop_at_refusal=stop_at_refusal):
            _take(reports, bar, outcomes)
    except ImportStopped as stopped:
        _take(reports, bar, stopped.outcomes)
        stop = f"the import stopped: {stopped}. What was appended stays; run the same command again to continue"
    except OSError as error:
        stop = f"the server stopped answering ({error}). Nothing is lost: run the same command again to continue"
    except KeyboardInterrupt:
        stop = "stopped. Nothing is lost: run the same command again to continue"
    finally:
        bar.close()
        reports.close()
    _summary(reports, dry_run)
    if stop:
        raise click.ClickException(stop)
    return reports.counts


def _take(reports: Reports, bar: Any, outcomes: list[Outcome]) -> None:
    shown = reports.problems
    reports.add(outcomes)
    for outcome in outcomes:
        for problem in outcome.problems:
            if shown < SHOWN_PROBLEMS:
                column = f"column {problem.column!r}" if problem.column else "row"
                said = f"{problem.field} {problem.rule}" if problem.field and problem.rule != problem.detail \
                    else problem.detail
                bar.write(f"row {problem.row}, {column}, value {problem.value!r}: {said}", file=sys.stderr)
            shown += 1
    bar.update(len(outcomes))


def _summary(reports: Reports, dry_run: bool) -> None:
    counts = reports.counts
    rows = sum(counts.values())
    if reports.problems > SHOWN_PROBLEMS:
        click.echo(f"... and {reports.problems - SHOWN_PROBLEMS} more problems", err=True)
    if dry_run:
        click.echo(f"{rows:,} rows checked: {counts[VALID]:,} valid, {counts[ALREADY]:,} already imported, "
                   f"{counts[REFUSED]:,} with problems. Nothing was appended.")
    else:
        click.echo(f"{rows:,} rows: {counts[IMPORTED]:,} imported, {counts[ALREADY]:,} already imported, "
                   f"{counts[REFUSED]:,} refused.")
        click.echo(f"ledger ids per row: {reports.result_path}")
    if reports.problems:
        click.echo(f"problems, one per line: {reports.errors_path}")
    if counts[REFUSED] and not dry_run:
        click.echo(f"the refused rows, to fix and import on their own: {reports.rejected_path}")


@import_group.command("template")
@click.argument("kind", type=click.Choice(tuple(KINDS)), default="lots")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)
def template(kind: str, directory: Path) -> None:
    """Write a ready CSV template and a sample mapping for KIND (lots, dispatches or receipts)."""
    rows, mapping = TEMPLATES[kind]
    directory.mkdir(parents=True, exist_ok=True)
    csv_path, mapping_path = directory / f"{kind}-template.csv", directory / f"{kind}-mapping.toml"
    for path in (csv_path, mapping_path):
        if path.exists():
            raise click.ClickException(f"{path} exists; not overwriting it")
    csv_path.write_text(rows, encoding="utf-8-sig", newline="")
    mapping_path.write_text(mapping, encoding="utf-8")
    click.echo(f"wrote {csv_path} and {mapping_path}\n"
               f"try: scrapledger import {kind} {csv_path} --map {mapping_path} --dry-run")
