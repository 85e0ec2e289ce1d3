"""Transformations: split, sort, bale, blend and melt — inputs consumed whole, outputs made.

Mass balance is exact in grams: outputs + losses <= inputs + additions, and
only melts may add primary metal. Whatever is left over is recorded as
unaccounted mass for the auditor. Each output's makeup (recycled and consumer
shares, origin countries) is drawn from the pooled inputs, never typed in.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import claim_accounts, composition
from .entry_type import Applied, EntryType
from .errors import InvalidInput, MassImbalance
from .lots import check_description, held_lot, lot_id
from .masses import format_kg, parse_kg
from .store import LotRecord, TransformationRecord, Wanted, WriteTx
from .validation import exact_fields, text


TRANSFORM = "lot.transform"
KINDS = ("split", "sort", "bale", "blend", "melt")
MAX_LOTS = 200


def check_transform(body: dict[str, Any]) -> None:
    """Return if `body` is a well-formed transformation (the mass balance is checked against the ledger)."""
    _outputs(body)


def _outputs(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int], int, int]:
    exact_fields(body, ("kind", "inputs", "outputs", "losses_kg"), ("additions", "site"))
    claim_accounts.check_site(body)
    kind = body["kind"]
    if kind not in KINDS:
        raise InvalidInput("body.kind", f"must be one of {', '.join(KINDS)}")
    inputs = body["inputs"]
    if not isinstance(inputs, list) or not 1 <= len(inputs) <= MAX_LOTS or not all(isinstance(i, str) for i in inputs):
        raise InvalidInput("body.inputs", f"must list 1 to {MAX_LOTS} lot ids")
    if len(set(inputs)) != len(inputs):
        raise InvalidInput("body.inputs", "must not name a lot twice")
    if kind == "split" and len(inputs) != 1:
        raise InvalidInput("body.inputs", "a split takes exactly one input lot")
    if kind == "blend" and len(inputs) < 2:
        raise InvalidInput("body.inputs", "a blend takes at least two input lots")
    outputs = body["outputs"]
    if not isinstance(outputs, list) or not 1 <= len(outputs) <= MAX_LOTS:
        raise InvalidInput("body.outputs", f"must list 1 to {MAX_LOTS} output lots")
    if kind == "split" and len(outputs) < 2:
        raise InvalidInput("body.outputs", "a split makes at least two output lots")
    described, masses = [], []
    for position, output in enumerate(outputs):
        where = f"body.outputs[{position}]"
        if not isinstance(output, dict):
            raise InvalidInput(where, "must be an object")
        exact_fields(output, ("material_family", "net_mass_kg"),
                     ("grade", "ewc_code", "end_of_waste", "hs_code", "reference", "documents"), prefix=where)
        described.append(check_description(output, where, waste_status_required=False))
        masses.append(parse_kg(output["net_mass_kg"], f"{where}.net_mass_kg"))
    losses = parse_kg(body["losses_kg"], "body.losses_kg", allow_zero=True)
    additions = body.get("additions", [])
    if additions and kind != "melt":
        raise InvalidInput("body.additions", "only a melt may add primary metal")
    if not isinstance(additions, list) or len(additions) > 20:
        raise InvalidInput("body.additions", "must be a list of at most 20 additions")
    added = 0
    for position, addition in enumerate(additions):
        where = f"body.additions[{position}]"
        if not isinstance(addition, dict):
            raise InvalidInput(where, "must be an object with material and mass_kg")
        exact_fields(addition, ("material", "mass_kg"), prefix=where)
        text(addition, "material", max_length=200, prefix=where)
        added += parse_kg(addition["mass_kg"], f"{where}.mass_kg")
    return described, masses, losses, added


def apply_transform(tx: WriteTx, entry: Applied) -> None:
    """Consume the inputs, make the outputs with drawn makeups, record the balance."""
    body = entry.body
    described, masses, losses, added = _outputs(body)
    inputs = [held_lot(tx, lot, entry.actor, f"body.inputs[{n}]") for n, lot in enumerate(body["inputs"])]
    input_g = sum(lot.mass_g for lot in inputs)
    output_g = sum(masses)
    if output_g + losses > input_g + added:
        raise MassImbalance(
            f"outputs {format_kg(output_g)} kg + losses {format_kg(losses)} kg exceed inputs "
            f"{format_kg(input_g)} kg + additions {format_kg(added)} kg", input_g + added, output_g + losses)
    owners = {lot.owner for lot in inputs}
    owner = owners.pop() if len(owners) == 1 else entry.actor
    makeups = composition.drawn((composition.Makeup(lot.composition, lot.origins) for lot in inputs), added, masses)
    site = claim_accounts.site_of(tx, entry.actor, {lot.material_family for lot in inputs}
                                  | {attributes["material_family"] for attributes in described}, body, inputs)
    tx.consume_lots([lot.lot_id for lot in inputs], entry.index)
    claim_accounts.convert(tx, inputs, Fraction(output_g, input_g + added), entry)
    for number, (attributes, grams, makeup) in enumerate(zip(described, masses, makeups, strict=True), start=1):
        made = lot_id(entry.index, number)
        tx.insert_lot(LotRecord(made, entry.index, entry.actor, entry.recorded_at, body["kind"], entry.actor, owner,
                                "active", grams, attributes["material_family"], makeup.stage(), attributes,
                                makeup.categories, makeup.origins, site=site))
        tx.insert_edges([(made, lot.lot_id, entry.index) for lot in inputs])
        tx.grant_access(made, entry.actor, owner)
    tx.insert_transformation(TransformationRecord(
        entry.index, entry.actor, body["kind"], entry.recorded_at, input_g, added, output_g, losses,
        input_g + added - output_g - losses, _family(inputs)))


def transform_wants(body: dict[str, Any]) -> Wanted:
    return Wanted(lots=body["inputs"])


def transform_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"outputs": [lot_id(index, number) for number in range(1, len(body["outputs"]) + 1)],
            "consumed": list(body["inputs"])}


def _family(inputs: list[LotRecord]) -> str:
    families = {lot.material_family for lot in inputs}
    return families.pop() if len(families) == 1 else "mixed"


ENTRY_TYPES = (EntryType(TRANSFORM, check_transform, apply_transform, transform_result, wants=transform_wants),)
