"""Mass-balance pages: your accounts, one account's balances and statement, allocations and period closes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from ledger import claims, periods, scrap_codes
from ledger.claim_accounts import CHARACTERISTICS
from ledger.entries import format_time
from ledger.masses import format_kg
from ledger.store import ReadTx

from ..services import now, services
from .sessions import signed_in

bp = Blueprint("claim_pages", __name__)


@bp.get("/mass-balance")
@signed_in
def accounts() -> str:
    """Your mass-balance accounts (every account to auditors) and the form to open one."""
    found = services().read(lambda tx: claims.accounts_for(tx, g.party))
    return render_template("claim_accounts.html", accounts=found,
                           codes={"materials": scrap_codes.MATERIAL_FAMILIES, "characteristics": CHARACTERISTICS,
                                  "periods": tuple(periods.RULES)})


@bp.get("/mass-balance/<account_id>")
@bp.get("/mass-balance/<account_id>/<period>")
@signed_in
def account(account_id: str, period: str | None = None) -> str:
    """One account: what it holds, a period's statement (the open one unless named), allocate and close."""
    def read(tx: ReadTx) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, str]]]:
        record = claims.readable_account(tx, g.party, account_id)
        view = claims.account_view(tx, record)
        shown = claims.period_statement(tx, g.party, account_id, period or view["open_period"],
                                         format_time(now()))
        lots = [(lot.lot_id, format_kg(lot.mass_g), format_kg(lot.mass_g - claimed))
                for lot, claimed in claims.claimable(tx, record)] if record.holder == g.party else []
        return view, shown, lots
    view, statement, lots = services().read(read)
    return render_template("claim_account.html", account=view, statement=statement, lots=lots,
                           lines=claims.STATEMENT_LINES)
