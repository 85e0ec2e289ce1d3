"""The auditor's endpoints: full verification as a polled job, findings, mass balance."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from ledger import audit_jobs, claims_audit, findings, mass_balance
from ledger.entries import parse_time
from ledger.errors import EntryNotFound
from ledger.parties import require_any_role
from ledger.store import AuditJob
from schemas.audit import AuditJobSchema, FindingsPageSchema, FindingsQuerySchema, MassBalanceQuerySchema, MassBalanceSchema

from ..openapi import LedgerBlueprint
from ..services import now, services

bp = LedgerBlueprint("audit", __name__, url_prefix="/v1/audit", description="Auditor's tools")
AUDITORS = ("auditor", "operator")


@bp.before_request
def auditors_only() -> None:
    services().read(lambda tx: require_any_role(tx, g.party, AUDITORS))


@bp.route("/verification")
class Verification(MethodView):
    @bp.response(200, AuditJobSchema)
    @bp.alt_response(202, schema=AuditJobSchema, description="the verification is running: poll its job")
    def get(self) -> tuple[AuditJob, int]:
        """Return the full-log verification: the finished result for the current log, or a running job to poll."""
        job = audit_jobs.current_job(services().log, g.party, now())
        return job, 202 if job.status == "running" else 200


@bp.route("/verification/<job_id>")
class VerificationJob(MethodView):
    @bp.response(200, AuditJobSchema)
    @bp.alt_response(202, schema=AuditJobSchema, description="still running")
    def get(self, job_id: str) -> tuple[AuditJob, int]:
        """Return one verification job, with its progress or outcome."""
        job = audit_jobs.job(services().log, job_id, "verification")
        if job is None:
            raise EntryNotFound(f"no verification job {job_id}", field="job_id")
        return job, 202 if job.status == "running" else 200


@bp.route("/findings")
class Findings(MethodView):
    @bp.arguments(FindingsQuerySchema, location="query")
    @bp.response(200, FindingsPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Return discrepancies, rejections, stale transfers, high-risk origins, failing declarations, revoked keys."""
        settings = services().settings
        every = services().read(lambda tx: findings.findings(tx, services().policy.high_risk,
                                                             settings.open_transfer_days, now()))
        chosen = [f for f in every if (not query.get("kind") or f.kind == query["kind"])
                  and (not query.get("party") or query["party"] in f.parties)]
        start, end = query["offset"], query["offset"] + query["limit"]
        return {"findings": chosen[start:end], "total": len(chosen), "next_offset": end if end < len(chosen) else None}


@bp.route("/mass-balance-accounts")
class MassBalanceAccounts(MethodView):
    @bp.response(200, FindingsPageSchema)
    def get(self) -> dict[str, Any]:
        """Recompute every mass-balance account from the log alone: a finding for each that differs or went negative."""
        found = claims_audit.account_findings(services().store)
        return {"findings": found, "total": len(found), "next_offset": None}


@bp.route("/mass-balance")
class MassBalance(MethodView):
    @bp.arguments(MassBalanceQuerySchema, location="query")
    @bp.response(200, MassBalanceSchema)
    def get(self, query: dict[str, Any]) -> mass_balance.MassBalanceReport:
        """Return inputs, outputs, losses and balance per party and material, with any problem found."""
        for name, label in (("registered_from", "from"), ("registered_until", "until")):
            if name in query:
                parse_time(query[name], label)
        return mass_balance.report(services().store, party=query.get("party"), material=query.get("material_family"),
                                   created_from=query.get("registered_from"),
                                   created_until=query.get("registered_until"), recompute=query["recompute"])
