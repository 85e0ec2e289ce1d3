"""Lots, custody transfers and transformations."""

from __future__ import annotations

from typing import Any

from flask import Response, g
from flask.views import MethodView

from ledger import custody, epcis, lots, transformations
from ledger.entries import parse_time
from ledger.log import AppendResult
from ledger.provenance import provenance_json
from ledger.store import LotFilter
from schemas.lots import LotPageSchema, LotQuerySchema, LotSchema, ProvenanceSchema
from schemas.submissions import AppendResultSchema, SignedSubmissionSchema

from ..openapi import LedgerBlueprint
from .. import exports
from ..services import services
from ..writes import append

bp = LedgerBlueprint("lots", __name__, url_prefix="/v1", description="Lots, custody and transformations")


@bp.route("/lots")
class Lots(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any]) -> AppendResult:
        """Register a lot (recycler or smelter): a signed lot.register submission."""
        return append(payload, lots.REGISTER)

    @bp.arguments(LotQuerySchema, location="query")
    @bp.response(200, LotPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List the lots the caller may see, filtered, in creation order, a page at a time."""
        for name in ("registered_from", "registered_until"):
            if name in query:
                parse_time(query[name], name)
        where = LotFilter(holder=query.get("holder"), status=query.get("status"),
                          material_family=query.get("material_family"), country=query.get("country"),
                          created_from=query.get("registered_from"), created_until=query.get("registered_until"))
        page = services().read(lambda tx: lots.listing(tx, g.party, where, query.get("cursor"), query["limit"]))
        cursor = page[-1].lot.lot_id if len(page) == query["limit"] else None
        return {"lots": page, "next_cursor": cursor}


@bp.route("/lots/<lot_id>")
class Lot(MethodView):
    @bp.response(200, LotSchema)
    def get(self, lot_id: str) -> lots.LotView:
        """Return a lot: holder, owner, status, mass, computed shares, origins, open transfer."""
        return services().read(lambda tx: lots.describe(tx, g.party, lot_id))


@bp.route("/lots/<lot_id>/provenance")
class LotProvenance(MethodView):
    @bp.response(200, ProvenanceSchema)
    def get(self, lot_id: str) -> Response:
        """Return the ancestry graph of a lot back to its registrations."""
        document = services().read(lambda tx: provenance_json(tx, g.party, lot_id))
        return Response(document, mimetype="application/json")


@bp.route("/lots/<lot_id>/epcis")
class LotEpcis(MethodView):
    @bp.response(200, content_type=epcis.MEDIA_TYPE,
                 description="an EPCIS 2.0 EPCISDocument (JSON-LD); docs/epcis.md states the mapping")
    def get(self, lot_id: str) -> Response:
        """Return the lot's history (its ancestry's registrations, custody and transformations) as EPCIS 2.0 events."""
        return exports.lot_epcis(lot_id)


@bp.route("/lots/<lot_id>/untp")
class LotTraceabilityCredential(MethodView):
    @bp.response(200, content_type=exports.UNTP_MEDIA_TYPE,
                 description="a UNTP Digital Traceability Event credential signed by the log key (eddsa-jcs-2022)")
    def get(self, lot_id: str) -> Response:
        """Return the lot's history as a UNTP DTE credential: its EPCIS events, signed by the log as a did:key."""
        return exports.lot_untp(lot_id)


@bp.route("/lots/<lot_id>/dispatches")
class Dispatches(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], lot_id: str) -> AppendResult:
        """Dispatch a held lot to another party: a signed lot.dispatch submission."""
        return append(payload, custody.DISPATCH, lot_id=lot_id)


@bp.route("/transfers/<transfer_id>/receipt")
class Receipt(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], transfer_id: str) -> AppendResult:
        """Receive a transfer addressed to the caller: a signed lot.receive submission."""
        return append(payload, custody.RECEIVE, transfer_id=transfer_id)


@bp.route("/transfers/<transfer_id>/rejection")
class Rejection(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], transfer_id: str) -> AppendResult:
        """Reject a transfer addressed to the caller: a signed lot.reject submission."""
        return append(payload, custody.REJECT, transfer_id=transfer_id)


@bp.route("/transformations")
class Transformations(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any]) -> AppendResult:
        """Split, sort, bale, blend or melt held lots: a signed lot.transform submission."""
        return append(payload, transformations.TRANSFORM)
