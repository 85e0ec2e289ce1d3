"""Verification of a declaration against the ledger: named checks, each pass, warn or fail.

Every check states its reason in one sentence and the entry indexes it relied
on, so the report (see evidence.py) can carry exactly those entries with their
inclusion proofs. The verdict is the worst status of any check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from fractions import Fraction

from .cahra import HighRiskList
from .claim_accounts import allocations_to, content
from .composition import Makeup
from .declarations import parse_share
from .entries import Entry
from .errors import LedgerError
from .masses import format_kg, parse_kg, share
from .store import Ancestry, DeclarationRecord, LotRecord, ReadTx, TransferRecord

ORDER = {"pass": 0, "warn": 1, "fail": 2}
SHARES = (("recycled_share", "recycled", "recycled"), ("post_consumer_share", "post-consumer", "post_consumer"))


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str
    reason: str
    entries: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """What the operator configured: the high-risk list, the mass tolerance, how to judge flagged transfers."""

    high_risk: HighRiskList
    tolerance: Fraction
    flagged_transfers: str = "warn"


def verdict(checks: Iterable[Check]) -> str:
    """Return the worst status among the checks."""
    return max((check.status for check in checks), key=ORDER.__getitem__, default="pass")


def run_checks(tx: ReadTx, declaration: DeclarationRecord, policy: Policy) -> list[Check]:
    """Return every check of the declaration except ledger integrity (which needs the proofs)."""
    ancestry = tx.ancestry(declaration.lot_id)
    lot = next(item for item in ancestry.lots if item.lot_id == declaration.lot_id)
    body = declaration.body
    makeup = Makeup(lot.composition, lot.origins)
    if body["chain_of_custody"] == "mass_balance":
        shares = [_claimed_share(tx, field, label, characteristic, declaration, lot)
                  for field, label, characteristic in SHARES]
    else:
        shares = [_share(field, label, Fraction(content(lot, characteristic), makeup.mass), body, lot)
                  for field, label, characteristic in SHARES]
        shares.append(_home_scrap(body, makeup, ancestry))
    return [
        _withdrawn(declaration),
        _signature(tx, declaration),
        _custody(declaration, lot, ancestry.transfers),
        _mass(body, lot, ancestry.transfers, policy.tolerance),
        _material(body, lot),
        *shares,
        _origins(body, ancestry),
        _high_risk(body, ancestry, policy.high_risk),
        _transfers(declaration, ancestry, policy.flagged_transfers),
        _certificates(tx, declaration),
    ]


def _withdrawn(declaration: DeclarationRecord) -> Check:
    if declaration.withdrawn_entry is None:
        return Check("not_withdrawn", "pass", "The issuer has not withdrawn the declaration.", (declaration.entry_index,))
    return Check("not_withdrawn", "fail",
                 f"The issuer withdrew the declaration at entry {declaration.withdrawn_entry}: "
                 f"{declaration.withdrawal_reason}.", (declaration.entry_index, declaration.withdrawn_entry))


def _signature(tx: ReadTx, declaration: DeclarationRecord) -> Check:
    stored = tx.entry(declaration.entry_index)
    assert stored is not None
    signed = Entry.from_bytes(stored.data).signed
    key = tx.key(signed.key_id)
    if key is None or key.party_id != declaration.issuer or not key.active_at(declaration.entry_index):
        return Check("signature", "fail", "The declaration is not signed by a key the issuer held at signing time.",
                     (declaration.entry_index,))
    cited = (declaration.entry_index, key.added_at) + ((key.ended_at,) if key.ended_at is not None else ())
    try:
        signed.verify(key.public_key)
    except LedgerError:
        return Check("signature", "fail", "The declaration's signature does not verify.", cited)
    if key.end_reason == "revoked":
        return Check("signature", "fail",
                     f"The signing key was revoked at entry {key.ended_at}, so its signatures can no longer be trusted.",
                     cited)
    return Check("signature", "pass", "Signed by a key of the issuer that was active at signing and is not revoked.",
                 cited)


def _custody(declaration: DeclarationRecord, lot: LotRecord, transfers: list[TransferRecord]) -> Check:
    at = declaration.entry_index
    cited = [lot.created_entry]
    if lot.consumed_entry is not None and lot.consumed_entry < at:
        return Check("custody", "fail", f"The lot was consumed by entry {lot.consumed_entry} before it was declared.",
                     (*cited, lot.consumed_entry, at))
    holder, in_transit = lot.created_by, None
    for transfer in (t for t in transfers if t.lot_id == lot.lot_id and t.dispatched_entry < at):
        cited.append(transfer.dispatched_entry)
        if transfer.closed_entry is not None and transfer.closed_entry < at:
            cited.append(transfer.closed_entry)
            holder = transfer.receiver if transfer.status == "received" else holder
        else:
            in_transit = transfer
    if in_transit is None and holder == declaration.issuer:
        return Check("custody", "pass", "The issuer held the lot when it declared it.", (*cited, at))
    if in_transit is not None and in_transit.sender == declaration.issuer and in_transit.receiver == declaration.recipient:
        return Check("custody", "pass", "The issuer had dispatched the lot to the recipient when it declared it.",
                     (*cited, at))
    who = f"in transit to {in_transit.receiver}" if in_transit is not None else f"held by {holder}"
    return Check("custody", "fail", f"When declared, the lot was {who}, not held by the issuer.", (*cited, at))


def _mass(body: dict[str, Any], lot: LotRecord, transfers: list[TransferRecord], tolerance: Fraction) -> Check:
    declared = parse_kg(body["mass_kg"], "mass_kg")
    cited = (lot.created_entry, *(t.closed_entry for t in transfers if t.lot_id == lot.lot_id and t.closed_entry))
    if abs(declared - lot.mass_g) <= tolerance * lot.mass_g:
        return Check("mass", "pass", f"Declared {format_kg(declared)} kg is within {float(tolerance):.2%} of the "
                     f"ledger's {format_kg(lot.mass_g)} kg.", cited)
    return Check("mass", "fail", f"Declared {format_kg(declared)} kg differs from the ledger's "
                 f"{format_kg(lot.mass_g)} kg by more than {float(tolerance):.2%}.", cited)


def _material(body: dict[str, Any], lot: LotRecord) -> Check:
    if body["material_family"] != lot.material_family:
        return Check("material", "fail", f"Declared {body['material_family']}, the ledger records "
                     f"{lot.material_family}.", (lot.created_entry,))
    if body["consumer_stage"] != lot.consumer_stage:
        return Check("material", "warn", f"Material matches, but the declared consumer stage "
                     f"{body['consumer_stage']} differs from the computed {lot.consumer_stage}.", (lot.created_entry,))
    return Check("material", "pass", "Material and consumer stage match the ledger.", (lot.created_entry,))


def _share(field: str, label: str, computed: Fraction, body: dict[str, Any], lot: LotRecord) -> Check:
    declared = parse_share(body[field], field)
    shown = share(computed.numerator, computed.denominator)
    if declared > computed:
        return Check(field, "fail", f"Declares a {label} share of {body[field]}, above the {shown} computed from "
                     "the inputs.", (lot.created_entry,))
    return Check(field, "pass", f"Declared {label} share {body[field]} does not exceed the computed {shown}.",
                 (lot.created_entry,))


def _claimed_share(tx: ReadTx, field: str, label: str, characteristic: str, declaration: DeclarationRecord,
                   lot: LotRecord) -> Check:
    """Judge a share declared under mass balance against the grams allocated to the lot before the declaration.

    The check cites those allocations and the conversions that gave their accounts credit in the same periods.
    """
    body = declaration.body
    declared = parse_share(body[field], field)
    allocations = [movement for movement in allocations_to(tx, lot.lot_id, characteristic)
                   if movement.entry_index < declaration.entry_index]
    grams = sum(movement.grams for movement in allocations)
    shown = share(grams, lot.mass_g)
    cited = tuple(sorted({movement.entry_index for movement in allocations} | {
        movement.entry_index for allocation in allocations for movement in tx.movements(allocation.account_id)
        if movement.kind == "converted" and movement.period == allocation.period}))
    if declared > Fraction(grams, lot.mass_g):
        return Check(field, "fail", f"Declares a {label} share of {body[field]} under mass balance, above the {shown} "
                     f"allocated to the lot ({format_kg(grams)} kg).", cited or (lot.created_entry,))
    return Check(field, "pass", f"Declared {label} share {body[field]} under mass balance does not exceed the {shown} "
                 f"allocated to the lot ({format_kg(grams)} kg of account credit).", cited or (lot.created_entry,))


def _home_scrap(body: dict[str, Any], makeup: Makeup, ancestry: Ancestry) -> Check:
    home = Fraction(makeup.categories.get("home_scrap", 0), makeup.mass)
    cited = tuple(lot.created_entry for lot in ancestry.lots if lot.consumer_stage == "home_scrap"
                  and lot.origin_kind == "registered")
    declared = parse_share(body["recycled_share"], "recycled_share")
    if body["consumer_stage"] == "home_scrap" and declared > 0:
        return Check("home_scrap", "fail", "Home scrap is declared with a recycled share; home scrap is not "
                     "recycled content (ISO 14021).", cited)
    if home and declared > 1 - home:
        return Check("home_scrap", "fail", "The declared recycled share can only be reached by counting home scrap "
                     "as recycled.", cited)
    return Check("home_scrap", "pass", "No home scrap is counted as recycled content.", cited)


def _registered_origins(ancestry: Ancestry) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for lot in ancestry.lots:
        if lot.origin_kind == "registered":
            found.setdefault(lot.attributes["origin"]["country"], []).append(lot.created_entry)
    return found


def _origins(body: dict[str, Any], ancestry: Ancestry) -> Check:
    origins = _registered_origins(ancestry)
    cited = tuple(sorted(index for entries in origins.values() for index in entries))
    hidden = sorted(set(origins) - set(body["origin_countries"]))
    if hidden:
        return Check("origins", "fail", f"The ancestry has origins the declaration does not name: "
                     f"{', '.join(hidden)}.", cited)
    extra = sorted(set(body["origin_countries"]) - set(origins))
    if extra:
        return Check("origins", "warn", f"Every origin is declared, and some declared origins are not in the "
                     f"ancestry: {', '.join(extra)}.", cited)
    return Check("origins", "pass", f"The declared origins cover the full ancestry ({len(ancestry.lots)} lots).", cited)


def _high_risk(body: dict[str, Any], ancestry: Ancestry, high_risk: HighRiskList) -> Check:
    origins = _registered_origins(ancestry)
    risky = sorted(set(origins) & high_risk.countries)
    cited = tuple(sorted(index for country in risky for index in origins[country]))
    listed = f"the high-risk list ({high_risk.source}, {high_risk.date})"
    if not risky:
        return Check("high_risk_origins", "pass", f"No origin in the ancestry is on {listed}.", ())
    if body["no_high_risk_origin"]:
        return Check("high_risk_origins", "fail", f"Declares no high-risk origin, but {', '.join(risky)} "
                     f"{'is' if len(risky) == 1 else 'are'} on {listed}.", cited)
    return Check("high_risk_origins", "warn", f"The ancestry has origins on {listed}: {', '.join(risky)}; "
                 "the declaration says so.", cited)


def _transfers(declaration: DeclarationRecord, ancestry: Ancestry, status: str) -> Check:
    def delivery_underway(transfer: TransferRecord) -> bool:
        """The declared lot on its way to the recipient: open by design, not a red flag."""
        return (transfer.lot_id == declaration.lot_id and transfer.sender == declaration.issuer
                and transfer.receiver == declaration.recipient and transfer.status == "open")

    flagged = [t for t in ancestry.transfers if not delivery_underway(t)
               and (t.status in ("open", "rejected") or t.discrepancy)]
    if not flagged:
        return Check("transfers", "pass", "No open, rejected or discrepant transfer in the ancestry.",
                     tuple(t.dispatched_entry for t in ancestry.transfers))
    described = [f"{t.transfer_id} ({'discrepancy' if t.discrepancy else t.status})" for t in flagged]
    cited = tuple(sorted({index for t in flagged for index in (t.dispatched_entry, t.closed_entry) if index is not None}))
    return Check("transfers", status, f"The ancestry has flagged transfers: {', '.join(described)}.", cited)


def _certificates(tx: ReadTx, declaration: DeclarationRecord) -> Check:
    claimed = declaration.body.get("end_of_waste")
    if claimed is None:
        return Check("certificates", "pass", "No end-of-waste status is claimed, so no certificate is needed.", ())
    day = declaration.issued_at[:10]
    valid = [c for c in tx.certificates(declaration.issuer)
             if c.kind == "end_of_waste_qms" and c.valid_from <= day <= c.valid_until and c.entry_index < declaration.entry_index]
    if valid:
        return Check("certificates", "pass", f"End-of-waste status under {claimed['regime']} is backed by certificate "
                     f"{valid[0].number} valid on {day}.", (valid[0].entry_index,))
    return Check("certificates", "fail", f"End-of-waste status is claimed, but the issuer had no valid end-of-waste "
                 f"quality management certificate on {day}.", ())
