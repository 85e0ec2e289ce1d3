"""Entries and Merkle proofs on the wire (hashes as lowercase hex)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import MAX_INDEX, Hex


class EntrySchema(Schema):
    """An entry exactly as hashed, plus its entry and leaf hashes."""

    index = fields.Integer(required=True)
    prev_hash = fields.String(required=True)
    recorded_at = fields.String(required=True)
    signature = fields.String(required=True)
    submission = fields.Dict(required=True)
    entry_hash = Hex(required=True)
    leaf_hash = Hex(required=True)


class EntryPageSchema(Schema):
    entries = fields.List(fields.Nested(EntrySchema), required=True)
    next_start = fields.Integer(allow_none=True, required=True)


class InclusionQuerySchema(Schema):
    tree_size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INDEX))


class InclusionProofSchema(Schema):
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = Hex(required=True)
    audit_path = fields.List(Hex(), required=True)


class ConsistencyQuerySchema(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INDEX))
    second = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INDEX))


class ConsistencyProofSchema(Schema):
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    consistency = fields.List(Hex(), required=True)
