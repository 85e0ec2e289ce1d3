"""Lots, transfers, transformations and provenance on the wire (masses as kg decimal strings)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ledger import scrap_codes
from ledger.composition import Makeup
from ledger.masses import format_kg, share


class Kg(fields.String):
    """Integer grams inside, a decimal string of kilograms with three decimals outside."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_kg(int(value))


class TransferSchema(Schema):
    transfer_id = fields.String(required=True)
    lot_id = fields.String(required=True)
    sender = fields.String(required=True)
    receiver = fields.String(required=True)
    declared_mass_kg = Kg(attribute="declared_g", required=True)
    weighed_mass_kg = Kg(attribute="weighed_g", allow_none=True)
    transport_reference = fields.String(required=True)
    transfers_ownership = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "open, received or rejected"})
    outcome = fields.Dict(allow_none=True, metadata={"description": "the inspection, or the rejection reason"})
    discrepancy = fields.Boolean(required=True)
    dispatched_entry = fields.Integer(required=True)
    dispatched_at = fields.String(required=True)
    closed_entry = fields.Integer(allow_none=True)
    closed_at = fields.String(allow_none=True)


def _origins(makeup: Makeup) -> list[dict[str, str]]:
    return [{"country": country, "mass_kg": format_kg(grams), "share": share(grams, makeup.mass)}
            for country, grams in sorted(makeup.origins.items(), key=lambda item: (-item[1], item[0]))]


class OriginSchema(Schema):
    country = fields.String(required=True)
    mass_kg = fields.String(required=True)
    share = fields.String(required=True)


class LotSchema(Schema):
    """A lot: custody, status, exact mass, attributes, computed shares and origins, open transfer."""

    lot_id = fields.String(attribute="lot.lot_id", required=True)
    status = fields.String(attribute="lot.status", required=True, metadata={"description": "active, in_transit or consumed"})
    holder = fields.String(attribute="lot.holder", required=True)
    owner = fields.String(attribute="lot.owner", required=True)
    mass_kg = Kg(attribute="lot.mass_g", required=True)
    material_family = fields.String(attribute="lot.material_family", required=True)
    consumer_stage = fields.String(attribute="lot.consumer_stage", required=True)
    made_by = fields.String(attribute="lot.origin_kind", required=True,
                            metadata={"description": "registered, or the transformation that made it"})
    attributes = fields.Dict(attribute="lot.attributes", required=True)
    shares = fields.Function(lambda view: view.makeup.shares(), required=True,
                             metadata={"description": "computed from the inputs, mass-weighted; six decimals"})
    origins = fields.Function(lambda view: _origins(view.makeup), required=True)
    discrepancy = fields.Boolean(attribute="lot.discrepancy", required=True)
    site = fields.String(attribute="lot.site", allow_none=True,
                         metadata={"description": "the holder's site the lot is at, where mass-balance accounts "
                                                  "are kept per site"})
    open_transfer = fields.Nested(TransferSchema, allow_none=True)
    created_by = fields.String(attribute="lot.created_by", required=True)
    created_at = fields.String(attribute="lot.created_at", required=True)
    created_entry = fields.Integer(attribute="lot.created_entry", required=True)
    consumed_entry = fields.Integer(attribute="lot.consumed_entry", allow_none=True)


class LotPageSchema(Schema):
    lots = fields.List(fields.Nested(LotSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class LotQuerySchema(Schema):
    holder = fields.String()
    status = fields.String(validate=validate.OneOf(("active", "in_transit", "consumed")))
    material_family = fields.String(validate=validate.OneOf(scrap_codes.MATERIAL_FAMILIES))
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="must be an ISO 3166-1 alpha-2 code"))
    registered_from = fields.String(metadata={"description": "RFC 3339 time, inclusive"})
    registered_until = fields.String(metadata={"description": "RFC 3339 time, exclusive"})
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ProvenanceLotSchema(Schema):
    lot_id = fields.String(required=True)
    made_by = fields.String(attribute="origin_kind", required=True)
    material_family = fields.String(required=True)
    consumer_stage = fields.String(required=True)
    mass_kg = Kg(attribute="mass_g", required=True)
    status = fields.String(required=True)
    holder = fields.String(required=True)
    owner = fields.String(required=True)
    created_by = fields.String(required=True)
    created_entry = fields.Integer(required=True)
    consumed_entry = fields.Integer(allow_none=True)
    discrepancy = fields.Boolean(required=True)
    origins = fields.Function(lambda lot: _origins(Makeup(lot.composition, lot.origins)), required=True)
    shares = fields.Function(lambda lot: Makeup(lot.composition, lot.origins).shares(), required=True)


class TransformationSchema(Schema):
    entry_index = fields.Integer(required=True)
    kind = fields.String(required=True)
    actor = fields.String(required=True)
    recorded_at = fields.String(required=True)
    input_mass_kg = Kg(attribute="input_g", required=True)
    additions_kg = Kg(attribute="additions_g", required=True)
    output_mass_kg = Kg(attribute="output_g", required=True)
    losses_kg = Kg(attribute="losses_g", required=True)
    unaccounted_kg = Kg(attribute="unaccounted_g", required=True)


class EdgeSchema(Schema):
    child = fields.Function(lambda edge: edge[0], required=True)
    parent = fields.Function(lambda edge: edge[1], required=True)
    entry_index = fields.Function(lambda edge: edge[2], required=True)


class ProvenancePartySchema(Schema):
    party_id = fields.String(required=True)
    legal_name = fields.String(required=True)
    country = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    registered_at = fields.Integer(required=True)


class ProvenanceSchema(Schema):
    """The ancestry graph: every node cites the entry indexes that prove it."""

    lot_id = fields.String(required=True)
    lots = fields.List(fields.Nested(ProvenanceLotSchema), attribute="ancestry.lots", required=True)
    edges = fields.List(fields.Nested(EdgeSchema), attribute="ancestry.edges", required=True)
    transfers = fields.List(fields.Nested(TransferSchema), attribute="ancestry.transfers", required=True)
    transformations = fields.List(fields.Nested(TransformationSchema), attribute="ancestry.transformations",
                                  required=True)
    parties = fields.List(fields.Nested(ProvenancePartySchema), required=True)
