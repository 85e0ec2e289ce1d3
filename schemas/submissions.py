"""The signed envelope every write carries, and what an append answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import Hex


class SignedSubmissionSchema(Schema):
    """A submission and the submitter's Ed25519 signature over its RFC 8785 bytes."""

    submission = fields.Dict(required=True, metadata={"description": "see docs/format.md, section Submission"})
    signature = Hex(
        required=True,
        validate=validate.Length(equal=64, error="must be 128 hex digits (a 64-byte Ed25519 signature)"),
        metadata={"description": "Ed25519 signature, 128 lowercase hex digits"},
    )


class AppendResultSchema(Schema):
    index = fields.Integer(required=True)
    entry_hash = Hex(required=True)
    recorded_at = fields.String(required=True)
    type = fields.String(required=True)
    result = fields.Dict(required=True)
    replayed = fields.Boolean(required=True)
    token = fields.String(allow_none=True, metadata={"description": "the new party's API token, shown once"})


class BatchSchema(Schema):
    """Up to 1,000 signed submissions appended together (each its own entry), all or nothing."""

    items = fields.List(fields.Nested(SignedSubmissionSchema), required=True,
                        validate=validate.Length(min=1, max=1000))


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(AppendResultSchema), required=True)
