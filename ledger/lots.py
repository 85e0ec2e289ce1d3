"""Lots (consignments): registration by recyclers and what readers are allowed to see.

A lot id is derived from the entry that made it (`lot-<index>`, outputs of a
transformation `lot-<index>-<n>`), so a client learns it from the append
result and an idempotent retry returns the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import claim_accounts, composition, scrap_codes
from .entry_type import Applied, EntryType
from .errors import InvalidInput, LotConsumed, LotInTransit, LotNotFound, NotHolder
from .masses import format_kg, parse_kg
from .parties import require_any_role
from .store import LotFilter, LotRecord, ReadTx, TransferRecord, WriteTx
from .validation import exact_fields, text


REGISTER = "lot.register"
REGISTRARS = ("recycler", "smelter")
READ_ALL_ROLES = ("auditor", "operator")


def lot_id(index: int, output: int | None = None) -> str:
    """Return the id of the lot made by the entry at `index` (its `output`-th output, from 1)."""
    return f"lot-{index}" if output is None else f"lot-{index}-{output}"


def check_description(body: dict[str, Any], prefix: str, *, waste_status_required: bool) -> dict[str, Any]:
    """Return the normalised descriptive attributes of a lot (shared by registrations and outputs)."""
    attributes: dict[str, Any] = {
        "material_family": scrap_codes.choice(body.get("material_family"), scrap_codes.MATERIAL_FAMILIES,
                                              f"{prefix}.material_family"),
    }
    if "grade" in body:
        attributes["grade"] = scrap_codes.grade(body["grade"], f"{prefix}.grade")
    has_ewc, has_eow = "ewc_code" in body, "end_of_waste" in body
    if has_ewc and has_eow:
        raise InvalidInput(f"{prefix}.end_of_waste", "a lot is either waste (ewc_code) or end-of-waste, not both")
    if waste_status_required and not (has_ewc or has_eow):
        raise InvalidInput(f"{prefix}.ewc_code", "is required unless end_of_waste is given")
    if has_ewc:
        attributes["ewc_code"] = scrap_codes.ewc_code(body["ewc_code"], f"{prefix}.ewc_code")
    if has_eow:
        attributes["end_of_waste"] = _end_of_waste(body["end_of_waste"], f"{prefix}.end_of_waste")
    if "hs_code" in body:
        attributes["hs_code"] = scrap_codes.hs_code(body["hs_code"], f"{prefix}.hs_code")
    if "reference" in body:
        attributes["reference"] = text(body, "reference", max_length=64, prefix=prefix)
    if "documents" in body:
        attributes["documents"] = _documents(body["documents"], f"{prefix}.documents")
    return attributes


def check_register(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Return the normalised attributes and net grams of a valid lot registration."""
    return _registration(body)


def _registration(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    exact_fields(body, ("material_family", "hs_code", "consumer_stage", "source_type", "origin", "net_mass_kg"),
                 ("grade", "ewc_code", "end_of_waste", "reference", "documents", "gross_mass_kg", "tare_mass_kg",
                  "weighbridge_ticket", "site"))
    claim_accounts.check_site(body)
    attributes = check_description(body, "body", waste_status_required=True)
    attributes["consumer_stage"] = scrap_codes.choice(body["consumer_stage"], scrap_codes.CONSUMER_STAGES,
                                                      "body.consumer_stage")
    attributes["source_type"] = scrap_codes.choice(body["source_type"], scrap_codes.SOURCE_TYPES, "body.source_type")
    origin = body["origin"]
    if not isinstance(origin, dict):
        raise InvalidInput("body.origin", "must be an object with country and site")
    exact_fields(origin, ("country", "site"), prefix="body.origin")
    attributes["origin"] = {"country": scrap_codes.country(origin["country"], "body.origin.country"),
                            "site": text(origin, "site", max_length=200, prefix="body.origin")}
    net = parse_kg(body["net_mass_kg"], "body.net_mass_kg")
    if ("gross_mass_kg" in body) != ("tare_mass_kg" in body):
        raise InvalidInput("body.tare_mass_kg", "gross and tare masses come together")
    if "gross_mass_kg" in body:
        gross = parse_kg(body["gross_mass_kg"], "body.gross_mass_kg")
        tare = parse_kg(body["tare_mass_kg"], "body.tare_mass_kg", allow_zero=True)
        if gross - tare != net:
            raise InvalidInput("body.net_mass_kg", f"must equal gross minus tare ({format_kg(gross - tare)} kg)")
        attributes["gross_mass_kg"], attributes["tare_mass_kg"] = format_kg(gross), format_kg(tare)
    if "weighbridge_ticket" in body:
        attributes["weighbridge_ticket"] = text(body, "weighbridge_ticket", max_length=64)
    return attributes, net


def apply_register(tx: WriteTx, entry: Applied) -> None:
    """Record a newly registered lot held and owned by the registering party."""
    require_any_role(tx, entry.actor, REGISTRARS)
    attributes, net = entry.checked or _registration(entry.body)
    makeup = composition.registered(attributes["consumer_stage"], attributes["origin"]["country"], net)
    new_id = lot_id(entry.index)
    lot = LotRecord(new_id, entry.index, entry.actor, entry.recorded_at, "registered", entry.actor, entry.actor,
                    "active", net, attributes["material_family"], attributes["consumer_stage"], attributes,
                    makeup.categories, makeup.origins,
                    site=claim_accounts.site_of(tx, entry.actor, (attributes["material_family"],), entry.body))
    tx.insert_lot(lot)
    tx.grant_access(new_id, entry.actor)
    claim_accounts.credit(tx, lot, entry)


def register_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"lot_id": lot_id(index)}


def held_lot(tx: ReadTx, lot: str, actor: str, field: str) -> LotRecord:
    """Return the lot if `actor` holds it and it is free to use; raise the precise reason otherwise."""
    record = tx.lot(lot)
    if record is None or (record.holder != actor and not tx.can_read_lot(actor, lot)):  # a holder may read it
        raise LotNotFound(f"no lot {lot} is visible to {actor}", field=field)
    if record.status == "consumed":
        raise LotConsumed(f"lot {lot} was consumed by entry {record.consumed_entry}", field=field)
    if record.holder != actor:
        raise NotHolder(f"lot {lot} is held by another party", field=field)
    if record.status == "in_transit":
        raise LotInTransit(f"lot {lot} is in transit ({record.open_transfer})", field=field)
    return record


@dataclass(frozen=True, slots=True)
class LotView:
    """A lot as a reader sees it: custody, mass, computed shares and origins, open transfer."""

    lot: LotRecord
    open_transfer: TransferRecord | None

    @property
    def makeup(self) -> composition.Makeup:
        return composition.Makeup(self.lot.composition, self.lot.origins)


def may_read_everything(tx: ReadTx, party_id: str) -> bool:
    """Return whether the party is an auditor or operator."""
    party = tx.party(party_id)
    return party is not None and any(role in party.roles for role in READ_ALL_ROLES)


def describe(tx: ReadTx, reader: str, lot: str) -> LotView:
    """Return the lot if `reader` may see it; 404 otherwise, so ids do not leak."""
    record = tx.lot(lot)
    if record is None or not (may_read_everything(tx, reader) or tx.can_read_lot(reader, lot)):
        raise LotNotFound(f"no lot {lot} is visible to {reader}", field="lot_id")
    transfer = tx.transfer(record.open_transfer) if record.open_transfer else None
    return LotView(record, transfer)


def listing(tx: ReadTx, reader: str, where: LotFilter, after: str | None, limit: int) -> list[LotView]:
    """Return one page of the lots `reader` may see that match `where`."""
    if not may_read_everything(tx, reader):
        where = LotFilter(**{**{name: getattr(where, name) for name in LotFilter.__slots__}, "visible_to": reader})
    records = tx.lots(where, after, limit)
    return [LotView(record, tx.transfer(record.open_transfer) if record.open_transfer else None)
            for record in records]


def _end_of_waste(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be an object with regime and statement_of_conformity")
    exact_fields(value, ("regime", "statement_of_conformity"), prefix=field)
    return {"regime": scrap_codes.choice(value["regime"], scrap_codes.END_OF_WASTE_REGIMES, f"{field}.regime"),
            "statement_of_conformity": text(value, "statement_of_conformity", max_length=64, prefix=field)}


def _documents(value: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > 50:
        raise InvalidInput(field, "must be a list of at most 50 documents")
    documents = []
    for position, document in enumerate(value):
        where = f"{field}[{position}]"
        if not isinstance(document, dict):
            raise InvalidInput(where, "must be an object with kind and sha256")
        exact_fields(document, ("kind", "sha256"), ("name",), prefix=where)
        checked = {"kind": scrap_codes.choice(document["kind"], scrap_codes.DOCUMENT_KINDS, f"{where}.kind"),
                   "sha256": text(document, "sha256", pattern=scrap_codes.SHA256_HEX,
                                  rule="must be 64 lowercase hex digits", prefix=where)}
        if "name" in document:
            checked["name"] = text(document, "name", max_length=200, prefix=where)
        documents.append(checked)
    return documents


ENTRY_TYPES = (EntryType(REGISTER, check_register, apply_register, register_result),)
