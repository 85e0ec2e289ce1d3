"""Auditor views on the wire: verification jobs, findings, mass balances."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ledger.findings import KINDS
from ledger.mass_balance import FLOWS

from .lots import Kg


class AuditJobSchema(Schema):
    job_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running, passed, failed or error"})
    tree_size = fields.Integer(required=True)
    verified = fields.Integer(required=True, metadata={"description": "entries verified so far"})
    requested_by = fields.String(required=True)
    started_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    finished_at = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True, metadata={"description": "size and root, or the first bad index and why"})


class FindingsQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    party = fields.String()
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class FindingSchema(Schema):
    kind = fields.String(required=True)
    subject = fields.String(required=True)
    parties = fields.List(fields.String(), required=True)
    detail = fields.String(required=True)
    entries = fields.List(fields.Integer(), required=True)


class FindingsPageSchema(Schema):
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    total = fields.Integer(required=True)
    next_offset = fields.Integer(allow_none=True, required=True)


class MassBalanceQuerySchema(Schema):
    party = fields.String()
    material_family = fields.String()
    registered_from = fields.String(data_key="from", metadata={"description": "RFC 3339, inclusive"})
    registered_until = fields.String(data_key="until", metadata={"description": "RFC 3339, exclusive"})
    recompute = fields.Boolean(load_default=False, metadata={"description": "also recompute from the log"})


class BalanceSchema(Schema):
    party_id = fields.String(required=True)
    material_family = fields.String(required=True)
    flows_kg = fields.Function(lambda b: {name: Kg()._serialize(b.flows[name], None, None) for name in FLOWS},
                               required=True)
    balance_kg = Kg(attribute="balance", required=True)
    holdings_kg = Kg(attribute="holdings", required=True)


class MassBalanceSchema(Schema):
    balances = fields.List(fields.Nested(BalanceSchema), required=True)
    whole_history = fields.Boolean(required=True)
    problems = fields.List(fields.String(), required=True,
                           metadata={"description": "negative balances, holdings that differ, projections that "
                                                    "differ from the log"})
    recomputed_from_log = fields.Boolean(required=True)
