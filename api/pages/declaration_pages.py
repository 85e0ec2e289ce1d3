"""Declarations: issue one for a lot, withdraw it, and verify it into a signed report with its verdict."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Blueprint, g, render_template, request

from ledger import declarations, lots, scrap_codes
from ledger.evidence import report_for
from schemas.declarations import DeclarationSchema
from schemas.lots import LotSchema

from ..services import now, services
from .sessions import signed_in

bp = Blueprint("declaration_pages", __name__)


@bp.get("/declarations")
@signed_in
def listing() -> str:
    """Declarations the party issued or received, newest first."""
    found = services().read(lambda tx: declarations.involving(tx, g.party))
    return render_template("declarations.html", declarations=DeclarationSchema(many=True).dump(found))


@bp.get("/declarations/new")
@signed_in
def new() -> str:
    """The declaration form for a lot, filled in with what the ledger computed for it."""
    view = services().read(lambda tx: lots.describe(tx, g.party, request.args.get("lot", "")))
    return render_template("declaration_new.html", lot=LotSchema().dump(view),
                           codes={"materials": scrap_codes.MATERIAL_FAMILIES, "stages": scrap_codes.CONSUMER_STAGES,
                                  "regimes": scrap_codes.END_OF_WASTE_REGIMES,
                                  "chains_of_custody": declarations.CHAINS_OF_CUSTODY})


@bp.get("/declarations/<declaration_id>")
@signed_in
def show(declaration_id: str) -> str:
    """A declaration as signed, with the withdrawal form for its issuer and verification for its recipient."""
    record = services().read(lambda tx: declarations.describe(tx, g.party, declaration_id))
    return render_template("declaration.html", declaration=DeclarationSchema().dump(record))


@bp.post("/declarations/<declaration_id>/verification")
@signed_in
def verify(declaration_id: str) -> str:
    """Verify the declaration now: the verdict, each named check, and the signed report to keep."""
    report: dict[str, Any] = report_for(services().log, g.party, declaration_id, services().policy, now())
    encoded = base64.b64encode(json.dumps(report, indent=2).encode()).decode()
    return render_template("report.html", report=report, download=f"data:application/json;base64,{encoded}")
