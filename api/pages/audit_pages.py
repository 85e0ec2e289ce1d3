"""The auditor's dashboard: integrity, the log's growth, findings, mass balance, and an export to keep.

A full verification and an export run as background jobs (ledger/audit_jobs.py):
the buttons start them and return at once, the page shows their progress.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from ledger import audit, audit_jobs, findings, mass_balance
from ledger.entries import Entry
from ledger.errors import EntryNotFound, LedgerError
from ledger.parties import require_any_role
from ledger.store import AuditJob
from schemas.audit import AuditJobSchema, FindingSchema, MassBalanceSchema

from ..blueprints.audit import AUDITORS
from ..services import now, services
from .sessions import signed_in

bp = Blueprint("audit_pages", __name__)
RULES = {
    "discrepancy": "Weighed mass differs from the declared mass by more than the tolerance",
    "rejected_delivery": "Deliveries the receiver rejected",
    "stale_transfer": "In transit longer than {open_days} days",
    "high_risk_origin": "Registered with an origin on the high-risk (CAHRA) list",
    "failing_declaration": "Declarations whose latest verification failed",
    "key_revoked_after_use": "Signing keys revoked after they had signed entries",
}


def _export_dir() -> Any:
    return services().settings.home / "exports"


def _require_auditor() -> None:
    services().read(lambda tx: require_any_role(tx, g.party, AUDITORS))


def _job(job: AuditJob | None) -> dict[str, Any] | None:
    return None if job is None else AuditJobSchema().dump(job)  # type: ignore[no-any-return]


def _dashboard(consistency: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    log, settings = services().log, services().settings
    checkpoint = log.checkpoint(now())
    every, growth = services().read(lambda tx: (
        findings.findings(tx, services().policy.high_risk, settings.open_transfer_days, now()), audit.growth(tx)))
    grouped = {kind: [FindingSchema().dump(f) for f in every if f.kind == kind] for kind in findings.KINDS}
    balances = MassBalanceSchema().dump(mass_balance.report(services().store))
    export = audit_jobs.latest(log, "export")
    return render_template(
        "audit.html", checkpoint=checkpoint, verification=_job(audit_jobs.latest(log, "verification")),
        export=_job(export), export_ready=export is not None and audit_jobs.archive_path(_export_dir(), export),
        growth=growth, growth_json=json.dumps(growth), findings=grouped, total_findings=len(every),
        rules={kind: text.format(open_days=settings.open_transfer_days) for kind, text in RULES.items()},
        balances=balances, balances_json=json.dumps(balances["balances"]), consistency=consistency or {},
    ), status


@bp.get("/audit")
@signed_in
def dashboard() -> tuple[str, int]:
    """Is the record intact, how did it grow, what should I look at, does the mass balance?"""
    _require_auditor()
    return _dashboard()


@bp.post("/audit/verification")
@signed_in
def verify() -> BaseResponse:
    """Start a full verification of the log (or find the one running) and go back to the dashboard."""
    _require_auditor()
    audit_jobs.current_job(services().log, g.party, now())
    return redirect(url_for("audit_pages.dashboard", _anchor="integrity"), 303)


@bp.post("/audit/exports")
@signed_in
def start_export() -> BaseResponse:
    """Start an export of every entry with a signed checkpoint (or find the one running)."""
    _require_auditor()
    audit_jobs.current_export(services().log, g.party, now(), _export_dir())
    return redirect(url_for("audit_pages.dashboard", _anchor="export"), 303)


@bp.get("/audit/exports/<job_id>")
@signed_in
def download_export(job_id: str) -> Response:
    """The finished export as one ZIP: entries, checkpoint, log key and how to verify them."""
    _require_auditor()
    job = audit_jobs.job(services().log, job_id, "export")
    path = None if job is None else audit_jobs.archive_path(_export_dir(), job)
    if path is None:
        raise EntryNotFound(f"no finished export {job_id} (an export is kept until three newer ones exist)",
                            field="job_id")
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=path.name)


@bp.post("/audit/consistency")
@signed_in
def consistency() -> tuple[str, int]:
    """Does the log now extend the checkpoint I saved earlier? The answer, with the proof to keep."""
    _require_auditor()
    saved = request.form.get("checkpoint", "")
    try:
        proven = audit.prove_extends(services().log, saved, now())
    except LedgerError as error:
        return _dashboard({"text": saved, "error": error.detail}, 422)
    return _dashboard({"text": saved, "saved_size": proven.saved.size, "size": proven.now.size,
                       "proof": [node.hex() for node in proven.proof], "note": proven.now_note})


@bp.get("/pages/audit/jobs/<job_id>")
@signed_in
def job_progress(job_id: str) -> Response:
    """A job's progress, for the dashboard's script to poll."""
    _require_auditor()
    found = services().read(lambda tx: tx.audit_job(job_id))
    if found is None:
        raise EntryNotFound(f"no audit job {job_id}", field="job_id")
    return jsonify(_job(found))


@bp.get("/entries/<int(max=9223372036854775807):index>")
@signed_in
def entry(index: int) -> str:
    """One log entry as hashed and signed: who, when, what, and its place in the chain."""
    found: Entry = services().log.entry(index)
    return render_template("entry.html", entry=found, size=services().log.size(),
                           body=json.dumps(found.signed.body, indent=2, ensure_ascii=False))
