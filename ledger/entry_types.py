"""The registry of entry types: how each body is checked, applied and answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import custody, declarations, lots, parties, transformations
from .errors import InvalidInput
from .store import Wanted, WriteTx

Body = dict[str, Any]
NOTHING = Wanted()


@dataclass(frozen=True, slots=True)
class Applied:
    """The entry being applied: who made it, its body, where and when it landed.

    `checked` is what the type's `check` returned for this body when the log
    took the submission, so `apply` need not work it out again; a rebuild,
    which replays bodies alone, leaves it None.
    """

    actor: str
    body: Body
    index: int
    recorded_at: str
    checked: Any = None


@dataclass(frozen=True, slots=True)
class EntryType:
    """One kind of entry.

    `check` validates the body alone (pure) and may return what it made of
    it (see `Applied.checked`); `apply` enforces the rules against
    the current state and updates the projections (replayed by rebuild);
    `result` derives what the submitter gets back from the entry alone, so an
    idempotent retry receives the same answer; `wants` names, from a checked
    body, the rows `apply` will read, so the log reads them with the head.
    """

    name: str
    check: Callable[[Body], Any]
    apply: Callable[[WriteTx, Applied], None]
    result: Callable[[int, Body], Body]
    issues_token: bool = False
    wants: Callable[[Body], Wanted] = lambda _body: NOTHING


def _party_result(index: int, body: Body) -> Body:
    return {"party_id": body["party_id"]}


def _register_party(tx: WriteTx, entry: Applied) -> None:
    parties.apply_register(tx, entry.actor, entry.body, entry.index)


def _key_change(entry_type: str) -> Callable[[WriteTx, Applied], None]:
    def apply(tx: WriteTx, entry: Applied) -> None:
        parties.apply_key_change(tx, entry.actor, entry_type, entry.body, entry.index)

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


register(EntryType(parties.REGISTER, parties.check_register, _register_party, _party_result, issues_token=True))
register(EntryType(parties.ROTATE, parties.check_rotate, _key_change(parties.ROTATE), _party_result))
register(EntryType(parties.REVOKE, parties.check_revoke, _key_change(parties.REVOKE), _party_result))
register(EntryType(lots.REGISTER, lots.check_register, lots.apply_register, lots.register_result))
register(EntryType(custody.DISPATCH, custody.check_dispatch, custody.apply_dispatch, custody.dispatch_result,
                   wants=custody.dispatch_wants))
register(EntryType(custody.RECEIVE, custody.check_receive, custody.apply_receive, custody.close_result,
                   wants=custody.receive_wants))
register(EntryType(custody.REJECT, custody.check_reject, custody.apply_reject, custody.close_result,
                   wants=custody.reject_wants))
register(EntryType(transformations.TRANSFORM, transformations.check_transform, transformations.apply_transform,
                   transformations.transform_result, wants=transformations.transform_wants))
register(EntryType(declarations.ISSUE, declarations.check_issue, declarations.apply_issue, declarations.issue_result))
register(EntryType(declarations.WITHDRAW, declarations.check_withdraw, declarations.apply_withdraw,
                   declarations.withdraw_result))
register(EntryType(declarations.CERTIFY, declarations.check_certificate, declarations.apply_certificate,
                   declarations.certificate_result))
