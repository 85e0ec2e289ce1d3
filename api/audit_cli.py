"""Offline and remote checks for auditors and smelters: saved reports and saved checkpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ledger.audit import check_consistency
from ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from ledger.errors import LedgerError
from ledger.evidence import check_report

from .client import ClientError, Reply, http_transport


def _fetch(server: str, path: str) -> Reply:
    reply = http_transport(server)("GET", path, None, {})
    if reply.status >= 400:
        raise ClientError(reply)
    return reply


def _vkey(value: str | None) -> str | None:
    if value and Path(value).is_file():
        return Path(value).read_text(encoding="utf-8").strip()
    return value


def _prove_extends(server: str, old: Checkpoint, new: Checkpoint) -> None:
    """Return if the server's consistency proof shows `new` extends `old`; raise otherwise."""
    proof: list[bytes] = []
    if old.size != new.size:
        answer = _fetch(server, f"/v1/consistency-proof?first={old.size}&second={new.size}").body
        proof = [bytes.fromhex(node) for node in answer["consistency"]]
    check_consistency(old, new, proof)


@click.command(name="verify-report")
@click.argument("report_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--log-key", help="the trusted log vkey (text or file); default: the one in the report")
@click.option("--server", help="also prove the report's checkpoint is consistent with this server's log")
def verify_report(report_path: Path, log_key: str | None, server: str | None) -> None:
    """Re-check a saved verification report offline (and, with --server, its consistency with the log now)."""
    try:
        report = json.loads(report_path.read_bytes())
        checked = check_report(report, _vkey(log_key))
        if server:
            verifier = NoteVerifier.from_vkey(checked.vkey)
            old = open_checkpoint(report["evidence"]["checkpoint"], verifier)
            new = open_checkpoint(_fetch(server, "/v1/checkpoint").text, verifier)
            _prove_extends(server, old, new)
            click.echo(f"consistent with {server}: the log grew from {old.size} to {new.size} entries")
    except (LedgerError, ClientError, OSError, ValueError, KeyError, TypeError) as error:
        click.echo(f"FAILED: {getattr(error, 'detail', error)}", err=True)
        sys.exit(1)
    if not log_key:
        click.echo(f"note: trusting the log key in the report ({checked.vkey}); pin it with --log-key", err=True)
    click.echo(f"OK: {checked.declaration_id} verdict {checked.verdict}; {checked.entries} entries proven under "
               f"the checkpoint of size {checked.tree_size}")


@click.group()
def audit() -> None:
    """Auditor's checks against saved checkpoints."""


@audit.command()
@click.argument("old_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--server", required=True, help="the scrapledger server to fetch the consistency proof from")
@click.option("--log-key", help="the trusted log vkey (text or file); default: fetched from the server")
def consistency(old_path: Path, new_path: Path, server: str, log_key: str | None) -> None:
    """Prove that the log at NEW extends the log at OLD: nobody rewrote history in between."""
    try:
        verifier = NoteVerifier.from_vkey(_vkey(log_key) or _fetch(server, "/v1/log-key").text.strip())
        old = open_checkpoint(old_path.read_text(encoding="utf-8"), verifier)
        new = open_checkpoint(new_path.read_text(encoding="utf-8"), verifier)
        _prove_extends(server, old, new)
    except (LedgerError, ClientError, OSError) as error:
        click.echo(f"FAILED: {getattr(error, 'detail', error)}", err=True)
        sys.exit(1)
    click.echo(f"OK: the log of size {new.size} extends the log of size {old.size}")
