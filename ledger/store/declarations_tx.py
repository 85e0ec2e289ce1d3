"""Declarations, certificates, verdicts and audit jobs inside a transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlmodel import col

from .tables import AuditJobRow, CertificateRow, DeclarationRow, VerdictRow


@dataclass(frozen=True, slots=True)
class DeclarationRecord:
    declaration_id: str
    entry_index: int
    issuer: str
    recipient: str
    lot_id: str
    issued_at: str
    body: dict[str, Any]
    withdrawn_entry: int | None = None
    withdrawal_reason: str | None = None


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    certificate_id: str
    entry_index: int
    party_id: str
    kind: str
    number: str
    issuer: str
    valid_from: str
    valid_until: str


@dataclass(frozen=True, slots=True)
class AuditJob:
    job_id: str
    kind: str  # "verification" or "export"
    requested_by: str
    status: str
    tree_size: int
    verified: int
    started_at: str
    updated_at: str
    finished_at: str | None
    result: dict[str, Any] | None


class DeclarationReads:
    connection: Connection

    def declaration(self, declaration_id: str) -> DeclarationRecord | None:
        row = self.connection.execute(
            select(DeclarationRow).where(col(DeclarationRow.declaration_id) == declaration_id)).first()
        if row is None:
            return None
        values = {name: getattr(row, name) for name in DeclarationRecord.__slots__}
        return DeclarationRecord(**{**values, "body": json.loads(row.body)})

    def declarations_of(self, party_id: str, limit: int) -> list[DeclarationRecord]:
        """Return the newest declarations the party issued or received."""
        rows = self.connection.execute(
            select(DeclarationRow)
            .where(or_(col(DeclarationRow.issuer) == party_id, col(DeclarationRow.recipient) == party_id))
            .order_by(col(DeclarationRow.entry_index).desc()).limit(limit))
        return [DeclarationRecord(**{**{name: getattr(row, name) for name in DeclarationRecord.__slots__},
                                     "body": json.loads(row.body)}) for row in rows]

    def certificates(self, party_id: str) -> list[CertificateRecord]:
        rows = self.connection.execute(
            select(CertificateRow).where(col(CertificateRow.party_id) == party_id).order_by(col(CertificateRow.entry_index)))
        return [CertificateRecord(**{name: getattr(row, name) for name in CertificateRecord.__slots__}) for row in rows]

    def audit_job(self, job_id: str) -> AuditJob | None:
        row = self.connection.execute(select(AuditJobRow).where(col(AuditJobRow.job_id) == job_id)).first()
        return None if row is None else _job(row)

    def latest_audit_job(self, kind: str) -> AuditJob | None:
        row = self.connection.execute(select(AuditJobRow).where(col(AuditJobRow.kind) == kind)
                                      .order_by(col(AuditJobRow.started_at).desc()).limit(1)).first()
        return None if row is None else _job(row)

    def failing_verdicts(self) -> list[tuple[str, str, str]]:
        rows = self.connection.execute(
            select(col(VerdictRow.declaration_id), col(VerdictRow.failed_checks), col(VerdictRow.checked_at))
            .where(col(VerdictRow.verdict) == "fail").order_by(col(VerdictRow.declaration_id)))
        return [(row[0], row[1], row[2]) for row in rows]


class DeclarationWrites:
    connection: Connection

    def insert_declaration(self, record: DeclarationRecord) -> None:
        values = {name: getattr(record, name) for name in DeclarationRecord.__slots__}
        self.connection.execute(insert(DeclarationRow), [{**values, "body": json.dumps(record.body, sort_keys=True)}])

    def withdraw_declaration(self, declaration_id: str, entry_index: int, reason: str) -> None:
        self.connection.execute(update(DeclarationRow).where(col(DeclarationRow.declaration_id) == declaration_id)
                                .values(withdrawn_entry=entry_index, withdrawal_reason=reason))

    def insert_certificate(self, record: CertificateRecord) -> None:
        self.connection.execute(insert(CertificateRow), [{name: getattr(record, name) for name in record.__slots__}])

    def record_verdict(self, declaration_id: str, verdict: str, failed: list[str], checked_at: str, size: int) -> None:
        self.connection.execute(delete(VerdictRow).where(col(VerdictRow.declaration_id) == declaration_id))
        self.connection.execute(insert(VerdictRow), [{"declaration_id": declaration_id, "verdict": verdict,
                                                      "failed_checks": ",".join(failed), "checked_at": checked_at,
                                                      "tree_size": size}])

    def insert_audit_job(self, job: AuditJob) -> None:
        values = {name: getattr(job, name) for name in AuditJob.__slots__}
        self.connection.execute(insert(AuditJobRow), [{**values, "result": None}])

    def update_audit_job(self, job_id: str, **changes: Any) -> None:
        if "result" in changes:
            changes["result"] = json.dumps(changes["result"], sort_keys=True)
        self.connection.execute(update(AuditJobRow).where(col(AuditJobRow.job_id) == job_id).values(**changes))


def _job(row: Any) -> AuditJob:
    values = {name: getattr(row, name) for name in AuditJob.__slots__}
    return AuditJob(**{**values, "result": None if row.result is None else json.loads(row.result)})
