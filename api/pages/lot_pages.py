"""The recycler's and everyone's lot pages: home, my lots, register, the lot itself, transform."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, jsonify, render_template, request

from ledger import claim_accounts, custody, lots, scrap_codes, transformations
from ledger.provenance import provenance_json
from ledger.provenance_graph import provenance_graph
from ledger.store import LotFilter
from schemas.lots import LotSchema, TransferSchema

from .. import exports
from ..services import services
from .sessions import signed_in

bp = Blueprint("lot_pages", __name__)
STATUSES = ("active", "in_transit", "consumed")
CODES = {"materials": scrap_codes.MATERIAL_FAMILIES, "stages": scrap_codes.CONSUMER_STAGES,
         "sources": scrap_codes.SOURCE_TYPES, "schemes": scrap_codes.GRADE_SCHEMES,
         "regimes": scrap_codes.END_OF_WASTE_REGIMES, "document_kinds": scrap_codes.DOCUMENT_KINDS,
         "isri": sorted(scrap_codes.ISRI_CODE_WORDS), "eu27": sorted(scrap_codes.EU27_GRADES),
         "countries": sorted(scrap_codes.countries()), "kinds": transformations.KINDS}


def _my_lots(status: str | None) -> list[dict[str, Any]]:
    where = LotFilter(holder=g.party, status=status)
    views = services().read(lambda tx: lots.listing(tx, g.party, where, None, 1000))
    return LotSchema(many=True).dump(views)  # type: ignore[no-any-return]


def _account_sites() -> list[str]:
    return services().read(lambda tx: claim_accounts.account_sites(tx, g.party))


@bp.get("/")
@signed_in
def home() -> str:
    """The party's desk: what it holds, what is on its way to it."""
    inbox = services().read(lambda tx: custody.inbox(tx, g.party))
    return render_template("home.html", lots=_my_lots("active"), inbox=TransferSchema(many=True).dump(inbox))


@bp.get("/lots")
@signed_in
def my_lots() -> str:
    """The lots the party holds, by state."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    return render_template("lots.html", lots=_my_lots(status), status=status, statuses=STATUSES)


@bp.get("/lots/new")
@signed_in
def new_lot() -> str:
    """The registration form of a lorry load, with the code lists the ledger accepts."""
    return render_template("lot_new.html", codes=CODES, sites=_account_sites())


@bp.get("/lots/<lot_id>")
@signed_in
def lot(lot_id: str) -> str:
    """A lot: attributes, custody, composition, origins and its custody timeline."""
    view, history = services().read(lambda tx: (lots.describe(tx, g.party, lot_id),
                                                custody.lot_history(tx, g.party, lot_id)))
    return render_template("lot.html", lot=LotSchema().dump(view), history=TransferSchema(many=True).dump(history),
                           holds=view.lot.holder == g.party and view.lot.status == "active")


@bp.get("/pages/lots/<lot_id>/provenance-graph")
@signed_in
def provenance_picture(lot_id: str) -> Response:
    """The lot's provenance cut into a readable picture; `expand` opens groups (`inputs:<entry>,older:<entry>,…`)."""
    opened = [name for name in request.args.get("expand", "").split(",") if name]
    document = json.loads(services().read(lambda tx: provenance_json(tx, g.party, lot_id)))
    return jsonify(provenance_graph(document, services().policy.high_risk.countries, opened))


@bp.get("/pages/lots/<lot_id>/history.epcis.jsonld")
@signed_in
def epcis_download(lot_id: str) -> Response:
    """The lot's history as an EPCIS 2.0 document, to save."""
    return exports.lot_epcis(lot_id, download=True)


@bp.get("/pages/lots/<lot_id>/history.untp.json")
@signed_in
def untp_download(lot_id: str) -> Response:
    """The lot's history as a UNTP traceability credential signed by the log, to save."""
    return exports.lot_untp(lot_id, download=True)


@bp.get("/transform")
@signed_in
def transform() -> str:
    """Split, sort, bale, blend or melt held lots, with a live mass balance before signing."""
    held = _my_lots("active")
    chosen = set(request.args.getlist("input"))
    return render_template("transform.html", lots=held, chosen=chosen, codes=CODES, sites=_account_sites())
