"""`scrapledger mass-balance`: open accounts, allocate credit to output lots, close periods, read statements."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from ledger import periods, scrap_codes
from ledger.claim_accounts import CHARACTERISTICS
from ledger.claims import ALLOCATE, CLOSE, OPEN, STATEMENT_LINES

from .client_cli import Connection, party_command


@click.group("mass-balance")
def mass_balance() -> None:
    """Mass-balance accounts: recycled-content credit from your intake, claimed on your output lots."""


def _path(account_id: str, *rest: str) -> str:
    """Return an account's URL path, each part quoted (an id or period typed with '?' stays a path)."""
    return "/".join(["/v1/mass-balance/accounts", *(quote(part, safe="") for part in (account_id, *rest))])


def _account_line(account: dict[str, Any]) -> str:
    return (f"{account['account_id']}  {account['material_family']} {account['characteristic']} at "
            f"{account['site']}  available {account['available_kg']} kg, in stock {account['in_stock_kg']} kg, "
            f"open period {account['open_period']}")


def _statement_text(statement: dict[str, Any]) -> str:
    head = f"{statement['account_id']} {statement['period']} ({statement['status']})"
    width = max(map(len, STATEMENT_LINES))
    lines = [f"  {line.replace('_', ' '):<{width}}  {statement[f'{line}_kg']:>16} kg" for line in STATEMENT_LINES]
    return "\n".join([head, *lines, f"  entries: {' '.join(map(str, statement['entries'])) or 'none'}"])


@party_command(mass_balance.command, "open")
@click.option("--site", required=True, help="the site whose intake the account keeps")
@click.option("--material", "material_family", required=True, type=click.Choice(scrap_codes.MATERIAL_FAMILIES))
@click.option("--characteristic", required=True, type=click.Choice(CHARACTERISTICS))
@click.option("--period", required=True, type=click.Choice(tuple(periods.RULES)), help="the accounting period")
@click.option("--carry-forward-cap", help="share of a period's credits that may carry forward, e.g. 0.25 "
                                          "(none may without it)")
def open_account(connection: Connection, site: str, material_family: str, characteristic: str, period: str,
                 carry_forward_cap: str | None) -> Any:
    """Open a mass-balance account (claim.open_account)."""
    body = {"site": site, "material_family": material_family, "characteristic": characteristic,
            "model": "mass_balance", "period": period, "carry_forward": carry_forward_cap is not None,
            **({"carry_forward_cap": carry_forward_cap} if carry_forward_cap is not None else {})}
    return connection.writer().submit("/v1/mass-balance/accounts", OPEN, body)


@party_command(mass_balance.command, "allocate")
@click.argument("account_id")
@click.argument("lot_id")
@click.option("--mass", required=True, help="kilograms of credit to allocate to the lot")
def allocate(connection: Connection, account_id: str, lot_id: str, mass: str) -> Any:
    """Allocate credit of ACCOUNT_ID to LOT_ID, an output lot of yours (claim.allocate)."""
    body = {"account_id": account_id, "lot_id": lot_id, "mass_kg": mass}
    return connection.writer().submit(_path(account_id, "allocations"), ALLOCATE, body)


@party_command(mass_balance.command, "close")
@click.argument("account_id")
@click.argument("period")
def close(connection: Connection, account_id: str, period: str) -> Any:
    """Close PERIOD (2026-03, 2026-Q1 or 2026) of ACCOUNT_ID after it ended (claim.close_period)."""
    return connection.writer().submit(_path(account_id, "periods"), CLOSE,
                                      {"account_id": account_id, "period": period})


@party_command(mass_balance.command, "accounts", render=lambda answer: "\n".join(map(_account_line, answer["items"]))
               or "no accounts")
def accounts(connection: Connection) -> Any:
    """List your accounts (every account for auditors) with what each holds."""
    return connection.reader().get("/v1/mass-balance/accounts")


@party_command(mass_balance.command, "statement", render=_statement_text)
@click.argument("account_id")
@click.argument("period")
def statement(connection: Connection, account_id: str, period: str) -> Any:
    """Show the statement of PERIOD of ACCOUNT_ID: opening, credits, allocations, losses, closing."""
    return connection.reader().get(_path(account_id, "periods", period))


@party_command(mass_balance.command, "statements", render=lambda written: f"wrote {written}")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def statements(connection: Connection, out_file: Path) -> Any:
    """Write every closed period of every account to a CSV file for the certification body (auditors)."""
    text = connection.reader().get("/v1/mass-balance/statements.csv")
    out_file.write_text(text, encoding="utf-8")
    return str(out_file)


def _findings_text(answer: dict[str, Any]) -> str:
    if not answer["findings"]:
        return "every account recomputes from the log and never went negative"
    return "\n".join(f"{found['kind']}: {found['subject']} ({', '.join(found['parties'])}): {found['detail']}"
                     for found in answer["findings"])


@party_command(mass_balance.command, "audit", render=_findings_text)
def audit(connection: Connection) -> Any:
    """Recompute every account from the log alone and list each that differs or went negative (auditors)."""
    return connection.reader().get("/v1/audit/mass-balance-accounts")


COMMANDS = (mass_balance,)
