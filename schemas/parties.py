"""Parties and their keys on the wire."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import Hex


class PartyKeySchema(Schema):
    key_id = fields.String(required=True)
    public_key = Hex(required=True)
    added_at = fields.Integer(required=True, metadata={"description": "index of the entry that added the key"})
    ended_at = fields.Integer(allow_none=True, metadata={"description": "index of the entry that ended it"})
    end_reason = fields.String(allow_none=True, metadata={"description": "retired or revoked"})


class PartySchema(Schema):
    party_id = fields.String(required=True)
    legal_name = fields.String(required=True)
    registration_number = fields.String(required=True)
    country = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    registered_at = fields.Integer(required=True)
    keys = fields.List(fields.Nested(PartyKeySchema), required=True)
