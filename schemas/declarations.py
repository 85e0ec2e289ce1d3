"""Declarations, certificates and verification reports on the wire."""

from __future__ import annotations

from marshmallow import Schema, fields


class DeclarationSchema(Schema):
    declaration_id = fields.String(required=True)
    entry_index = fields.Integer(required=True)
    issuer = fields.String(required=True)
    recipient = fields.String(required=True)
    lot_id = fields.String(required=True)
    issued_at = fields.String(required=True)
    body = fields.Dict(required=True, metadata={"description": "the declaration as signed by the issuer"})
    withdrawn_entry = fields.Integer(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)


class CheckSchema(Schema):
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pass, warn or fail"})
    reason = fields.String(required=True)
    entries = fields.List(fields.Integer(), required=True)


class EvidenceEntrySchema(Schema):
    index = fields.Integer(required=True)
    entry = fields.Dict(required=True)
    inclusion_proof = fields.List(fields.String(), required=True)


class EvidenceSchema(Schema):
    log_vkey = fields.String(required=True)
    checkpoint = fields.String(required=True)
    entries = fields.List(fields.Nested(EvidenceEntrySchema), required=True)


class ReportSchema(Schema):
    """A verification report: verdict, named checks and the evidence to re-check it offline (docs/format.md)."""

    declaration_id = fields.String(required=True)
    declaration = fields.Dict(required=True)
    verdict = fields.String(required=True, metadata={"description": "pass, warn or fail"})
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    policy = fields.Dict(required=True)
    verified_at = fields.String(required=True)
    evidence = fields.Nested(EvidenceSchema, required=True)
    signature = fields.String(required=True, metadata={"description": "log key's Ed25519 signature, hex"})
