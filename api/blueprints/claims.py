"""Mass-balance accounts: opening, allocations to output lots, period closes and their statements."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, g
from flask.views import MethodView

from ledger import claims
from ledger.entries import format_time
from ledger.log import AppendResult
from schemas.claims import AccountListSchema, AccountSchema, StatementSchema
from schemas.submissions import AppendResultSchema, SignedSubmissionSchema

from ..openapi import LedgerBlueprint
from ..services import now, services
from ..writes import append

bp = LedgerBlueprint("mass-balance", __name__, url_prefix="/v1/mass-balance",
                     description="Mass-balance accounts, claims and period statements")
STATEMENT_COLUMNS = ("account_id", "period", "status", "starts", "ends", "closed_entry",
                     *(f"{line}_kg" for line in claims.STATEMENT_LINES), "entries")


@bp.route("/accounts")
class Accounts(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any]) -> AppendResult:
        """Open a mass-balance account for a site, material family and characteristic: claim.open_account."""
        return append(payload, claims.OPEN)

    @bp.response(200, AccountListSchema)
    def get(self) -> dict[str, Any]:
        """Return your accounts (every account to auditors and operators) with their balances."""
        return {"items": services().read(lambda tx: claims.accounts_for(tx, g.party))}


@bp.route("/accounts/<account_id>")
class Account(MethodView):
    @bp.response(200, AccountSchema)
    def get(self, account_id: str) -> dict[str, Any]:
        """Return an account to its holder, auditors and operators: balances, open and closed periods."""
        return services().read(lambda tx: claims.account_view(tx, claims.readable_account(tx, g.party, account_id)))


@bp.route("/accounts/<account_id>/allocations")
class Allocations(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], account_id: str) -> AppendResult:
        """Allocate credit to one of your output lots: claim.allocate (refused naming the rule it breaks)."""
        return append(payload, claims.ALLOCATE, account_id=account_id)


@bp.route("/accounts/<account_id>/periods")
class Periods(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], account_id: str) -> AppendResult:
        """Close the account's next period after it ended: claim.close_period."""
        return append(payload, claims.CLOSE, account_id=account_id)


@bp.route("/accounts/<account_id>/periods/<period>")
class Period(MethodView):
    @bp.response(200, StatementSchema)
    def get(self, account_id: str, period: str) -> dict[str, Any]:
        """Return a period's statement: opening, credits, allocations, losses, closing, carried and forfeited."""
        return services().read(lambda tx: claims.period_statement(tx, g.party, account_id, period,
                                                                           format_time(now())))


@bp.route("/statements.csv")
class Statements(MethodView):
    @bp.response(200, content_type="text/csv", description="one row per closed period of every account")
    def get(self) -> Response:
        """Return every closed period's statement as CSV, for the certification body (auditors, operators)."""
        rows = services().read(lambda tx: claims.closed_statements(tx, g.party))
        return Response(statements_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="mass-balance-statements.csv"'})


def statements_csv(statements: list[dict[str, Any]]) -> str:
    """Return statements as CSV text, one row each, entries joined by spaces."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    for statement in statements:
        writer.writerow([" ".join(map(str, statement["entries"])) if column == "entries" else statement[column]
                         for column in STATEMENT_COLUMNS])
    return out.getvalue()
