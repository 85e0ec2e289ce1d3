"""The registry of entry types: how each body is checked, applied and answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import parties
from .errors import InvalidInput
from .store import WriteTx

Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EntryType:
    """One kind of entry.

    `check` validates the body alone (pure); `apply` enforces the rules against
    the current state and updates the projections (replayed by rebuild);
    `result` derives what the submitter gets back from the entry alone, so an
    idempotent retry receives the same answer.
    """

    name: str
    check: Callable[[Body], None]
    apply: Callable[[WriteTx, str, Body, int], None]
    result: Callable[[int, Body], Body]
    issues_token: bool = False


def _party_result(index: int, body: Body) -> Body:
    return {"party_id": body["party_id"]}


def _key_change(entry_type: str) -> Callable[[WriteTx, str, Body, int], None]:
    def apply(tx: WriteTx, actor: str, body: Body, index: int) -> None:
        parties.apply_key_change(tx, actor, entry_type, body, index)

    return apply


REGISTRY: dict[str, EntryType] = {}


def register(entry_type: EntryType) -> None:
    """Add an entry type to the registry (modules of the domain call this at import)."""
    REGISTRY[entry_type.name] = entry_type


def lookup(name: str) -> EntryType:
    """Return the entry type called `name` or raise InvalidInput."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidInput("submission.type", f"unknown entry type; known: {', '.join(sorted(REGISTRY))}") from None


register(EntryType(parties.REGISTER, parties.check_register, parties.apply_register, _party_result, issues_token=True))
register(EntryType(parties.ROTATE, parties.check_rotate, _key_change(parties.ROTATE), _party_result))
register(EntryType(parties.REVOKE, parties.check_revoke, _key_change(parties.REVOKE), _party_result))
