"""The `scrapledger` command: operate, verify and export a ledger."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click

from ledger import epcis, untp
from ledger.audit import check_extends, verify_store
from ledger.checkpoint import open_checkpoint
from ledger.config import Settings
from ledger.errors import LedgerError
from ledger.export import export, verify_export
from ledger.genesis import initialise, load_or_create_key, open_log
from ledger.log import Log
from ledger.log_keys import rotate
from ledger.rebuild import rebuild
from ledger.signing import Signer
from ledger.store import Store

from .audit_cli import audit, verify_report
from .import_cli import import_group
from .serving import gunicorn_command


@contextmanager
def _log(settings: Settings) -> Iterator[Log]:
    """Yield this deployment's log; its database connections close when the command ends."""
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        try:
            log = open_log(settings, store)
        except LedgerError as error:
            raise click.ClickException(error.detail) from None
        yield log
    finally:
        store.dispose()


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """Yield a progress callback drawing a bar on a terminal, or None when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _fail(error: LedgerError) -> None:
    click.echo(f"FAILED: {error.detail}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """scrapledger: a tamper-evident ledger of scrap lots, custody and transformations."""


@main.command()
@click.option("--operator-id", default=lambda: os.environ.get("SCRAPLEDGER_OPERATOR_ID", "operator"), show_default="operator")
@click.option("--legal-name", default="scrapledger operator", show_default=True)
@click.option("--registration-number", default="-", show_default=True)
@click.option("--country", default="NL", show_default=True)
def init(operator_id: str, legal_name: str, registration_number: str, country: str) -> None:
    """Create the schema, the log key and the operator party (prints the operator token once)."""
    settings = Settings.from_env()
    try:
        done = initialise(settings, operator_id=operator_id, legal_name=legal_name,
                          registration_number=registration_number, country=country, now=datetime.now(UTC))
    except LedgerError as error:
        _fail(error)
    if not done.created:
        click.echo(f"ledger already initialised at {settings.database_url.split('@')[-1]}")
        return
    click.echo(f"initialised ledger {settings.origin}")
    click.echo(f"log key:      {settings.log_key_file}")
    click.echo(f"operator:     {done.operator_id} (key {done.operator_key_file})")
    click.echo(f"operator token (shown once): {done.operator_token}")


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(bind: str, workers: int) -> None:
    """Serve the API with gunicorn."""
    command = gunicorn_command(bind, workers)
    os.execvp(command[0], command)


@main.command()
@click.option("--checkpoint", "saved_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a checkpoint saved earlier: the log must extend it (e.g. after restoring a backup)")
def verify(saved_path: Path | None) -> None:
    """Re-derive every hash, chain link, signature and the Merkle root against every signed checkpoint."""
    with _log(Settings.from_env()) as log:
        try:
            with _progress(log.size(), "verifying") as progress:
                result = verify_store(log.store, log.verifier, progress)
            if saved_path is not None:
                saved = open_checkpoint(saved_path.read_text(encoding="utf-8"), log.verifier)
                check_extends(log.store, saved)
                click.echo(f"the log extends the saved checkpoint of size {saved.size}")
        except LedgerError as error:
            _fail(error)
        click.echo(f"OK: {result.size} entries, {result.checkpoints_checked} signed checkpoints, root {result.root.hex()}")


@main.command(name="export")
@click.option("--entries", "entries_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--checkpoint", "checkpoint_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--epcis", "epcis_path", type=click.Path(dir_okay=False, path_type=Path),
              help="write the whole history as an EPCIS 2.0 JSON-LD document (docs/epcis.md)")
@click.option("--untp", "untp_path", type=click.Path(dir_okay=False, path_type=Path),
              help="write the whole history as signed UNTP DTE credentials, one JSON line per 1000 events")
def export_command(entries_path: Path | None, checkpoint_path: Path | None, epcis_path: Path | None,
                   untp_path: Path | None) -> None:
    """Write every entry as JSON lines with the signed checkpoint that covers them, and/or the history as EPCIS or UNTP."""
    if (entries_path is None) != (checkpoint_path is None) or (entries_path, epcis_path, untp_path) == (None,) * 3:
        raise click.UsageError("give --entries with --checkpoint, --epcis FILE or --untp FILE (any of them together)")
    with _log(Settings.from_env()) as log:
        if entries_path is not None and checkpoint_path is not None:
            with entries_path.open("wb") as entries_out, checkpoint_path.open("w", encoding="utf-8") as checkpoint_out:
                count = export(log, entries_out, checkpoint_out, datetime.now(UTC))
            click.echo(f"exported {count} entries")
        if epcis_path is not None:
            with _replacing(epcis_path) as out:
                count = epcis.export_events(log, out, datetime.now(UTC))
            click.echo(f"exported {count} EPCIS events to {epcis_path}")
        if untp_path is not None:
            with _replacing(untp_path) as out:
                count = untp.export_credentials(log, out, datetime.now(UTC))
            click.echo(f"exported {count} events as UNTP traceability credentials to {untp_path}")


@contextmanager
def _replacing(path: Path) -> Iterator[IO[str]]:
    """Yield a text file that becomes `path` only once it is complete (never a half-written document)."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


@main.command(name="verify-export")
@click.option("--entries", "entries_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--checkpoint", "checkpoint_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--log-key", "log_key", required=True, help="the vkey text, or a file holding it")
def verify_export_command(entries_path: Path, checkpoint_path: Path, log_key: str) -> None:
    """Verify an export offline: no database, no server."""
    vkey = Path(log_key).read_text(encoding="utf-8") if Path(log_key).is_file() else log_key
    try:
        result = verify_export(entries_path, checkpoint_path.read_text(encoding="utf-8"), vkey)
    except LedgerError as error:
        _fail(error)
    click.echo(f"OK: {result.size} entries match the signed checkpoint, root {result.root.hex()}")


@main.command(name="rebuild")
def rebuild_command() -> None:
    """Rebuild every projection (parties, keys, lots, transfers ...) from the log alone."""
    with _log(Settings.from_env()) as log:
        try:
            count = rebuild(log.store)
        except LedgerError as error:
            _fail(error)
        click.echo(f"rebuilt projections from {count} entries")


@main.command(name="rotate-log-key")
@click.option("--new-key", "new_key", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the new log key (PKCS#8 PEM); created, mode 0600, if it does not exist")
def rotate_log_key(new_key: Path) -> None:
    """Make NEW_KEY the log key: a transition checkpoint is signed by both keys, the old one is retired."""
    settings = Settings.from_env()
    with _log(settings) as log:
        try:
            rotation = rotate(log.store, settings.origin, Signer.load(settings.log_key_file),
                              load_or_create_key(new_key), datetime.now(UTC))
        except LedgerError as error:
            _fail(error)
        click.echo(f"log key rotated at tree size {rotation.size}; new verifier key:")
        click.echo(rotation.new_vkey)
        click.echo(f"now point SCRAPLEDGER_LOG_KEY_FILE at {new_key} and restart the servers")


@main.command(name="log-key")
def log_key() -> None:
    """Print the log's verifier key (C2SP vkey)."""
    with _log(Settings.from_env()) as log:
        click.echo(log.verifier.to_vkey())


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen(path: Path) -> None:
    """Create an Ed25519 key file (mode 0600) and print its public key and key id."""
    if path.exists():
        raise click.ClickException(f"{path} exists; refusing to overwrite a key")
    signer = load_or_create_key(path)
    click.echo(f"public_key: {signer.public_key.hex()}")
    click.echo(f"key_id:     {signer.key_id}")


main.add_command(verify_report)
main.add_command(audit)
main.add_command(import_group)


from . import claims_cli, client_cli, demo  # noqa: E402  (these modules never import cli, so no cycle)

for command in (*client_cli.COMMANDS, *claims_cli.COMMANDS, demo.command):
    main.add_command(command)
