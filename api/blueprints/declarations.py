"""Provenance declarations, their withdrawal and verification; party certificates."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g
from flask.views import MethodView

from ledger import declarations, untp
from ledger.entries import format_time
from ledger.evidence import report_for
from ledger.log import AppendResult
from ledger.store import DeclarationRecord
from schemas.declarations import DeclarationSchema, ReportSchema
from schemas.submissions import AppendResultSchema, SignedSubmissionSchema

from .. import exports
from ..openapi import LedgerBlueprint
from ..services import now, services
from ..writes import append

bp = LedgerBlueprint("declarations", __name__, url_prefix="/v1", description="Declarations and their verification")


@bp.route("/declarations")
class Declarations(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any]) -> AppendResult:
        """Declare to a recipient what a lot is: a signed declaration.issue submission."""
        return append(payload, declarations.ISSUE)


@bp.route("/declarations/<declaration_id>")
class Declaration(MethodView):
    @bp.response(200, DeclarationSchema)
    def get(self, declaration_id: str) -> DeclarationRecord:
        """Return a declaration to its issuer, recipient, auditors and operators."""
        return services().read(lambda tx: declarations.describe(tx, g.party, declaration_id))


@bp.route("/declarations/<declaration_id>/withdrawal")
class Withdrawal(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], declaration_id: str) -> AppendResult:
        """Withdraw a declaration (issuer only): a signed declaration.withdraw submission."""
        return append(payload, declarations.WITHDRAW, declaration_id=declaration_id)


@bp.route("/declarations/<declaration_id>/verification")
class Verification(MethodView):
    @bp.response(200, ReportSchema)
    def post(self, declaration_id: str) -> dict[str, Any]:
        """Verify a declaration against the ledger (recipient, auditor, operator): a signed report with evidence."""
        return report_for(services().log, g.party, declaration_id, services().policy, now())


@bp.route("/declarations/<declaration_id>/verification/credential")
class VerificationCredential(MethodView):
    @bp.response(200, content_type=exports.UNTP_MEDIA_TYPE,
                 description="a UNTP Digital Conformity Credential carrying the signed report (eddsa-jcs-2022)")
    def post(self, declaration_id: str) -> Response:
        """Verify a declaration as above and return the report as a UNTP conformity credential signed by the log."""
        log = services().log
        report = report_for(log, g.party, declaration_id, services().policy, now())
        credential = untp.conformity_credential(untp.Issuer.of(log), report, format_time(now()))
        return Response(json.dumps(credential, ensure_ascii=False), mimetype=exports.UNTP_MEDIA_TYPE)


@bp.route("/parties/<party_id>/certificates")
class Certificates(MethodView):
    @bp.arguments(SignedSubmissionSchema)
    @bp.response(201, AppendResultSchema)
    def post(self, payload: dict[str, Any], party_id: str) -> AppendResult:
        """Record a party's certificate (operator or auditor): a signed party.certificate submission."""
        return append(payload, declarations.CERTIFY, party_id=party_id)
