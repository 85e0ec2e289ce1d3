"""Parties: registration (operator), reading, key rotation and revocation."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ledger import parties
from ledger.log import AppendResult
from schemas.parties import PartySchema
from schemas.submissions import AppendResultSchema, SignedSubmissionSchema

from ..openapi import LedgerBlueprint
from ..services import services
from ..writes import append

bp = LedgerBlueprint("parties", __name__, url_prefix="/v1/parties", description="Parties and their keys")


@bp.route("")
class Parties(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any]) -> AppendResult:
        """Register a party (operator only): a signed party.register submission."""
        return append(payload, parties.REGISTER)


@bp.route("/<party_id>")
class Party(MethodView):
    @bp.response(200, PartySchema)
    def get(self, party_id: str) -> parties.PartyView:
        """Return a party and its key history."""
        return services().read(lambda tx: parties.describe(tx, party_id))


@bp.route("/<party_id>/keys")
class PartyKeys(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], party_id: str) -> AppendResult:
        """Add a key and optionally retire one: a signed party.rotate_key submission."""
        return append(payload, parties.ROTATE, party_id=party_id)


@bp.route("/<party_id>/keys/<key_id>/revocation")
class KeyRevocation(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], party_id: str, key_id: str) -> AppendResult:
        """Revoke a key: a signed party.revoke_key submission."""
        return append(payload, parties.REVOKE, party_id=party_id, key_id=key_id)
