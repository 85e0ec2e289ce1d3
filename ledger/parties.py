"""Parties and their keys: registration, rotation and revocation are entries too.

A key is active for the entries after the one that added it and before the one
that retired or revoked it, so a signature is judged by the key history at its
own index. `key_changes` states that history once; the database projection and
the offline `KeyRing` both apply it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import gs1, scrap_codes, signing
from .entry_type import Applied, EntryType
from .errors import InvalidInput, NotAuthorised, PartyNotFound, UnknownKey
from .store import KeyRecord, PartyRecord, ReadTx, WriteTx
from .validation import PARTY_ID, exact_fields, hex_bytes, text

ROLES = ("recycler", "smelter", "auditor", "operator")
REGISTER, ROTATE, REVOKE = "party.register", "party.rotate_key", "party.revoke_key"


@dataclass(frozen=True, slots=True)
class KeyChange:
    """One step of a party's key history, taken by the entry at `index`."""

    party_id: str
    index: int
    added: bytes | None = None
    ended_key_id: str | None = None
    reason: str | None = None


def check_register(body: dict[str, Any]) -> None:
    """Return if `body` is a valid party registration."""
    exact_fields(body, ("party_id", "legal_name", "registration_number", "country", "roles", "public_keys"), ("gln",))
    text(body, "party_id", max_length=63, pattern=PARTY_ID, rule="2-63 characters of a-z 0-9 -, starting alphanumeric")
    text(body, "legal_name", max_length=200)
    text(body, "registration_number", max_length=64)
    scrap_codes.country(body["country"], "body.country")
    if "gln" in body and not (isinstance(body["gln"], str) and gs1.is_gln(body["gln"])):
        raise InvalidInput("body.gln", "must be a 13-digit GS1 Global Location Number with its check digit")
    roles = body["roles"]
    if not isinstance(roles, list) or not roles or any(role not in ROLES for role in roles) or len(set(roles)) != len(roles):
        raise InvalidInput("body.roles", f"must be a non-empty list of distinct roles from {', '.join(ROLES)}")
    keys = body["public_keys"]
    if not isinstance(keys, list) or not 1 <= len(keys) <= 8:
        raise InvalidInput("body.public_keys", "must list 1 to 8 Ed25519 public keys in hex")
    raw = [hex_bytes({"public_keys": key}, "public_keys", signing.PUBLIC_KEY_SIZE) for key in keys]
    if len(set(raw)) != len(raw):
        raise InvalidInput("body.public_keys", "must not repeat a key")
    for key in raw:
        signing.public_key_from_bytes(key)


def check_rotate(body: dict[str, Any]) -> None:
    """Return if `body` adds a key (and optionally retires one) for a party."""
    exact_fields(body, ("party_id", "new_public_key"), ("retire_key_id",))
    text(body, "party_id", max_length=63, pattern=PARTY_ID, rule="must be a party id")
    signing.public_key_from_bytes(hex_bytes(body, "new_public_key", signing.PUBLIC_KEY_SIZE))
    if "retire_key_id" in body:
        hex_bytes(body, "retire_key_id", 32)


def check_revoke(body: dict[str, Any]) -> None:
    """Return if `body` revokes one key of a party."""
    exact_fields(body, ("party_id", "key_id"), ("reason",))
    text(body, "party_id", max_length=63, pattern=PARTY_ID, rule="must be a party id")
    hex_bytes(body, "key_id", 32)
    if "reason" in body:
        text(body, "reason", max_length=500)


def key_changes(entry_type: str, body: dict[str, Any], index: int) -> list[KeyChange]:
    """Return the key history steps that the entry at `index` takes."""
    party_id = str(body.get("party_id", ""))
    if entry_type == REGISTER:
        return [KeyChange(party_id, index, added=bytes.fromhex(key)) for key in body["public_keys"]]
    if entry_type == ROTATE:
        changes = [KeyChange(party_id, index, added=bytes.fromhex(body["new_public_key"]))]
        if "retire_key_id" in body:
            changes.append(KeyChange(party_id, index, ended_key_id=body["retire_key_id"], reason="retired"))
        return changes
    if entry_type == REVOKE:
        return [KeyChange(party_id, index, ended_key_id=body["key_id"], reason="revoked")]
    return []


def apply_register(tx: WriteTx, entry: Applied) -> None:
    """Record a new party, if the actor is an operator (or this is the genesis operator)."""
    actor, body, index = entry.actor, entry.body, entry.index
    if index > 0:
        require_role(tx, actor, "operator")
    elif actor != body["party_id"] or "operator" not in body["roles"]:
        raise NotAuthorised("the first entry must be the operator registering itself", rule="genesis")
    if tx.party(body["party_id"]) is not None:
        raise InvalidInput("body.party_id", "is already registered")
    tx.insert_party(PartyRecord(body["party_id"], body["legal_name"], body["registration_number"], body["country"],
                                tuple(body["roles"]), index))
    _apply_key_changes(tx, key_changes(REGISTER, body, index))


def _key_change(entry_type: str) -> Callable[[WriteTx, Applied], None]:
    """Return the `apply` that rotates or revokes a key, if the actor is the party itself or an operator."""

    def apply(tx: WriteTx, entry: Applied) -> None:
        party_id = entry.body["party_id"]
        if tx.party(party_id) is None:
            raise PartyNotFound(f"party {party_id} is not registered", field="body.party_id")
        if entry.actor != party_id:
            require_role(tx, entry.actor, "operator")
        _apply_key_changes(tx, key_changes(entry_type, entry.body, entry.index))

    return apply


def _apply_key_changes(tx: WriteTx, changes: list[KeyChange]) -> None:
    for change in changes:
        if change.added is not None:
            if tx.key(signing.key_id(change.added)) is not None:
                raise InvalidInput("body.public_keys", "a key is already registered (to this or another party)")
            tx.insert_key(KeyRecord(signing.key_id(change.added), change.party_id, change.added, change.index, None, None))
        else:
            key = tx.key(str(change.ended_key_id))
            if key is None or key.party_id != change.party_id or key.ended_at is not None:
                raise UnknownKey("the key to end is not an active key of this party", field="body.key_id")
            tx.end_key(key.key_id, change.index, str(change.reason))


def require_role(tx: ReadTx, party_id: str, role: str) -> PartyRecord:
    """Return the party if it has `role`; raise NotAuthorised otherwise."""
    return require_any_role(tx, party_id, (role,))


def active_key(tx: ReadTx, party_id: str, key_id: str, index: int) -> bytes:
    """Return the public key `key_id` of `party_id` if it may sign the entry at `index`."""
    key = tx.key(key_id)
    if key is None or key.party_id != party_id:
        raise UnknownKey("the key is not registered to the submitting party", field="submission.key_id")
    if not key.active_at(index):
        raise UnknownKey(f"the key was {key.end_reason} at entry {key.ended_at}", field="submission.key_id")
    return key.public_key


def issue_token(tx: WriteTx, party_id: str, created_at: str) -> str:
    """Return a new API token for `party_id`; only its SHA-256 is stored."""
    token = "slt_" + secrets.token_urlsafe(32)
    tx.insert_token(token_hash(token), party_id, created_at)
    return token


def token_hash(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class KeyRing:
    """The key history in memory, for verifiers that stream the log without a database."""

    def __init__(self) -> None:
        self._keys: dict[str, KeyRecord] = {}

    def apply(self, entry_type: str, body: dict[str, Any], index: int) -> None:
        """Take the key history steps of one entry."""
        for change in key_changes(entry_type, body, index):
            if change.added is not None:
                key_id = signing.key_id(change.added)
                self._keys[key_id] = KeyRecord(key_id, change.party_id, change.added, index, None, None)
            elif ((key := self._keys.get(str(change.ended_key_id))) is not None and key.ended_at is None
                  and key.party_id == change.party_id):
                self._keys[key.key_id] = KeyRecord(key.key_id, key.party_id, key.public_key, key.added_at, index, change.reason)

    def active_key(self, party_id: str, key_id: str, index: int) -> bytes:
        """Return the public key if it was active for `party_id` at `index`; raise UnknownKey."""
        key = self._keys.get(key_id)
        if key is None or key.party_id != party_id:
            raise UnknownKey("the key is not registered to the submitting party")
        if not key.active_at(index):
            raise UnknownKey(f"the key was not active at entry {index}")
        return key.public_key


@dataclass(frozen=True, slots=True)
class PartyView:
    """A party with its whole key history, as readers see it."""

    party_id: str
    legal_name: str
    registration_number: str
    country: str
    roles: tuple[str, ...]
    registered_at: int
    keys: tuple[KeyRecord, ...]


def describe(tx: ReadTx, party_id: str) -> PartyView:
    """Return the party and its key history or raise PartyNotFound."""
    party = tx.party(party_id)
    if party is None:
        raise PartyNotFound(f"no party has id {party_id}", field="party_id")
    return PartyView(party.party_id, party.legal_name, party.registration_number, party.country, party.roles,
                     party.registered_at, tuple(tx.party_keys(party_id)))


def require_any_role(tx: ReadTx, party_id: str, roles: tuple[str, ...]) -> PartyRecord:
    """Return the party if it has one of `roles`; raise NotAuthorised otherwise."""
    party = tx.party(party_id)
    if party is None or not any(role in party.roles for role in roles):
        raise NotAuthorised(f"only a party with the role {' or '.join(roles)} may do this",
                            rule=f"role:{'|'.join(roles)}")
    return party


def _party_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"party_id": body["party_id"]}


ENTRY_TYPES = (
    EntryType(REGISTER, check_register, apply_register, _party_result, issues_token=True),
    EntryType(ROTATE, check_rotate, _key_change(ROTATE), _party_result),
    EntryType(REVOKE, check_revoke, _key_change(REVOKE), _party_result),
)
