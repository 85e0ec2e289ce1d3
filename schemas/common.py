"""Wire shapes shared by every resource: problems, hex digests, pagination."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate


MAX_INDEX = 2**63 - 1  # the database's BIGINT: larger indexes and sizes cannot exist


class Hex(fields.String):
    """Bytes on the wire as lowercase hex (documented in OpenAPI as a string)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else bytes(value).hex()

    def _deserialize(  # type: ignore[override]  # loads bytes from a hex string
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> bytes:
        if not isinstance(value, str):
            raise ValidationError("must be a string of lowercase hex digits")
        text = value
        if text != text.lower():
            raise ValidationError("must be lowercase hex")
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise ValidationError("must be lowercase hex") from None


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the field and rule that failed."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    field = fields.String()
    rule = fields.String()
    errors = fields.List(fields.Dict())


class PageQuerySchema(Schema):
    start = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INDEX))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
