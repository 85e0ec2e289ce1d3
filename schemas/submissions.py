"""The signed envelope every write carries, and what an append answers."""

from __future__ import annotations

import re
from typing import Any

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

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        """Dump an append's result directly: every write answers one, and a batch a thousand.

        The fields above still document it; a test holds the two to the same output.
        """
        if many or obj is None:
            return super()._serialize(obj, many=many)
        return {"index": obj.index, "entry_hash": bytes(obj.entry_hash).hex(), "recorded_at": obj.recorded_at,
                "type": obj.type, "result": dict(obj.result), "replayed": obj.replayed, "token": obj.token}


_SIGNATURE_HEX = re.compile(r"[0-9a-f]{128}\Z")


class Envelope(fields.Nested):
    """A nested SignedSubmissionSchema that loads a well-formed envelope without marshmallow's machinery.

    A weighbridge export is a thousand envelopes, and loading each through a
    nested schema cost more than checking its signature. An envelope of
    exactly the documented shape is loaded directly into what the schema
    would give; anything else takes the schema's way, so errors read the same.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(SignedSubmissionSchema, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, partial: Any = None, **kwargs: Any) -> Any:
        if type(value) is dict and len(value) == 2 and type(value.get("submission")) is dict:
            signature = value.get("signature")
            if type(signature) is str and _SIGNATURE_HEX.match(signature):
                return {"submission": dict(value["submission"]), "signature": bytes.fromhex(signature)}
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)


class BatchSchema(Schema):
    """Up to 1,000 signed submissions appended together (each its own entry), all or nothing."""

    items = fields.List(Envelope(), required=True, validate=validate.Length(min=1, max=1000))
    invalid_items = fields.String(
        load_default="refuse", validate=validate.OneOf(("refuse", "skip")),
        metadata={"description": "refuse: one invalid item refuses the batch (422, nothing appended); "
                                 "skip: the valid items are appended and each invalid one is named in `problems`"})
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "check every item exactly as an append would, append nothing, "
                                 "and name every problem (200)"})


class AppendResults(fields.Nested):
    """A nested AppendResultSchema that skips `Schema.dump`'s per-item bookkeeping for a batch's thousand results."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(AppendResultSchema, **kwargs)

    def _serialize(  # type: ignore[override]  # marshmallow's Nested renames Field's `value`
        self, nested_obj: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> Any:
        return None if nested_obj is None else self.schema._serialize(nested_obj)


class ItemProblemSchema(Schema):
    """Why one item of a batch was not appended: an RFC 9457 problem with the item's position."""

    item = fields.Integer(required=True)
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    field = fields.String()
    rule = fields.String()


class BatchResultSchema(Schema):
    results = fields.List(AppendResults(allow_none=True), required=True,
                          metadata={"description": "per item, where it landed (or would land, in a dry run); "
                                                   "null for an item named in `problems`"})
    problems = fields.List(fields.Nested(ItemProblemSchema), required=True)
    appended = fields.Boolean(required=True, metadata={"description": "false after a dry run, or when every item was refused"})
