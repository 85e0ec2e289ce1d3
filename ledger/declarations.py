"""Provenance declarations: a party states to a recipient what a lot is; the issuer may withdraw it.

Issuing checks only what keeps the ledger sound (the lot is known to the
issuer, the recipient exists). Whether the statement is *true* is the job of
verification, which judges it against the ledger with named checks.
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from typing import Any

from . import scrap_codes
from .entry_type import Applied, EntryType
from .errors import (
    DeclarationNotFound,
    DeclarationWithdrawn,
    InvalidInput,
    LotNotFound,
    NotAuthorised,
    PartyNotFound,
)
from .lots import may_read_everything
from .masses import parse_kg
from .parties import require_any_role
from .store import CertificateRecord, DeclarationRecord, ReadTx, WriteTx
from .validation import exact_fields, text


ISSUE, WITHDRAW, CERTIFY = "declaration.issue", "declaration.withdraw", "party.certificate"
SHARE = re.compile(r"(0(\.[0-9]{1,6})?|1(\.0{1,6})?)\Z")
CHAINS_OF_CUSTODY = ("controlled_blending", "mass_balance")  # what a share is judged against (docs/chain-of-custody.md)
CERTIFICATE_KINDS = ("end_of_waste_qms", "iso_14001", "iso_9001", "rmap", "asi_coc", "other")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def declaration_id(index: int) -> str:
    """Return the id of the declaration issued by the entry at `index`."""
    return f"decl-{index}"


def certificate_id(index: int) -> str:
    return f"cert-{index}"


def parse_share(value: Any, field: str) -> Fraction:
    """Return a share given as a decimal string between 0 and 1 (at most six decimals)."""
    if not isinstance(value, str) or not SHARE.match(value):
        raise InvalidInput(field, "must be a decimal string between 0 and 1 with at most six decimals, such as \"0.85\"")
    return Fraction(value)


def check_issue(body: dict[str, Any]) -> None:
    """Return if `body` is a well-formed declaration."""
    exact_fields(body, ("lot_id", "recipient", "mass_kg", "material_family", "consumer_stage", "recycled_share",
                        "post_consumer_share", "origin_countries", "no_high_risk_origin", "chain_of_custody"),
                 ("grade", "end_of_waste", "statement"))
    text(body, "lot_id", max_length=64)
    text(body, "recipient", max_length=63)
    parse_kg(body["mass_kg"], "body.mass_kg")
    scrap_codes.choice(body["material_family"], scrap_codes.MATERIAL_FAMILIES, "body.material_family")
    scrap_codes.choice(body["consumer_stage"], scrap_codes.CONSUMER_STAGES, "body.consumer_stage")
    scrap_codes.choice(body["chain_of_custody"], CHAINS_OF_CUSTODY, "body.chain_of_custody")
    recycled = parse_share(body["recycled_share"], "body.recycled_share")
    if parse_share(body["post_consumer_share"], "body.post_consumer_share") > recycled:
        raise InvalidInput("body.post_consumer_share", "cannot exceed the recycled share")
    origins = body["origin_countries"]
    if not isinstance(origins, list) or not origins or len(set(origins)) != len(origins):
        raise InvalidInput("body.origin_countries", "must list distinct ISO 3166-1 alpha-2 codes")
    for position, country in enumerate(origins):
        scrap_codes.country(country, f"body.origin_countries[{position}]")
    if not isinstance(body["no_high_risk_origin"], bool):
        raise InvalidInput("body.no_high_risk_origin", "must be true or false")
    if "grade" in body:
        scrap_codes.grade(body["grade"], "body.grade")
    if "end_of_waste" in body:
        eow = body["end_of_waste"]
        if not isinstance(eow, dict):
            raise InvalidInput("body.end_of_waste", "must be an object with regime and statement_of_conformity")
        exact_fields(eow, ("regime", "statement_of_conformity"), prefix="body.end_of_waste")
        scrap_codes.choice(eow["regime"], scrap_codes.END_OF_WASTE_REGIMES, "body.end_of_waste.regime")
        text(eow, "statement_of_conformity", max_length=64, prefix="body.end_of_waste")
    if "statement" in body:
        text(body, "statement", max_length=2000)


def apply_issue(tx: WriteTx, entry: Applied) -> None:
    """Record a declaration about a lot the issuer knows, to a registered recipient."""
    body = entry.body
    if tx.lot(body["lot_id"]) is None or not tx.can_read_lot(entry.actor, body["lot_id"]):
        raise LotNotFound(f"no lot {body['lot_id']} is visible to {entry.actor}", field="body.lot_id")
    if tx.party(body["recipient"]) is None:
        raise PartyNotFound(f"party {body['recipient']} is not registered", field="body.recipient")
    tx.insert_declaration(DeclarationRecord(declaration_id(entry.index), entry.index, entry.actor, body["recipient"],
                                            body["lot_id"], entry.recorded_at, body))
    tx.grant_access(body["lot_id"], body["recipient"])


def check_withdraw(body: dict[str, Any]) -> None:
    exact_fields(body, ("declaration_id", "reason"))
    text(body, "declaration_id", max_length=64)
    text(body, "reason", max_length=1000)


def apply_withdraw(tx: WriteTx, entry: Applied) -> None:
    """Withdraw a declaration; only its issuer may, and only once."""
    record = tx.declaration(entry.body["declaration_id"])
    if record is None or entry.actor not in (record.issuer, record.recipient):
        raise DeclarationNotFound(f"no declaration {entry.body['declaration_id']}", field="body.declaration_id")
    if record.issuer != entry.actor:
        raise NotAuthorised("only the issuer may withdraw a declaration", field="body.declaration_id")
    if record.withdrawn_entry is not None:
        raise DeclarationWithdrawn(f"already withdrawn by entry {record.withdrawn_entry}", field="body.declaration_id")
    tx.withdraw_declaration(record.declaration_id, entry.index, entry.body["reason"])


def check_certificate(body: dict[str, Any]) -> None:
    exact_fields(body, ("party_id", "kind", "number", "issuer", "valid_from", "valid_until"))
    text(body, "party_id", max_length=63)
    scrap_codes.choice(body["kind"], CERTIFICATE_KINDS, "body.kind")
    text(body, "number", max_length=64)
    text(body, "issuer", max_length=200)
    start, end = (_date(body, name) for name in ("valid_from", "valid_until"))
    if end < start:
        raise InvalidInput("body.valid_until", "must not be before valid_from")


def apply_certificate(tx: WriteTx, entry: Applied) -> None:
    """Record a certificate of a party, stated by an operator or an auditor (the certification body)."""
    require_any_role(tx, entry.actor, ("operator", "auditor"))
    body = entry.body
    if tx.party(body["party_id"]) is None:
        raise PartyNotFound(f"party {body['party_id']} is not registered", field="body.party_id")
    tx.insert_certificate(CertificateRecord(certificate_id(entry.index), entry.index, body["party_id"], body["kind"],
                                            body["number"], body["issuer"], body["valid_from"], body["valid_until"]))


def issue_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"declaration_id": declaration_id(index)}


def withdraw_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"declaration_id": body["declaration_id"]}


def certificate_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"certificate_id": certificate_id(index)}


def describe(tx: ReadTx, reader: str, declaration: str) -> DeclarationRecord:
    """Return a declaration to its issuer, recipient, auditors and operators; 404 to anyone else."""
    record = tx.declaration(declaration)
    if record is None or not (reader in (record.issuer, record.recipient) or may_read_everything(tx, reader)):
        raise DeclarationNotFound(f"no declaration {declaration} is visible to {reader}", field="declaration_id")
    return record


def _date(body: dict[str, Any], name: str) -> date:
    value = body[name]
    if not isinstance(value, str) or not DATE.match(value):
        raise InvalidInput(f"body.{name}", "must be a date such as 2026-01-31")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"body.{name}", "is not a calendar date") from None


ENTRY_TYPES = (
    EntryType(ISSUE, check_issue, apply_issue, issue_result),
    EntryType(WITHDRAW, check_withdraw, apply_withdraw, withdraw_result),
    EntryType(CERTIFY, check_certificate, apply_certificate, certificate_result),
)


def involving(tx: ReadTx, party: str, limit: int = 500) -> list[DeclarationRecord]:
    """Return the newest declarations `party` issued or received."""
    return tx.declarations_of(party, limit)
