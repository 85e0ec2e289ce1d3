"""What one entry type is: how its body is checked, applied and answered.

The domain modules (`parties`, `lots`, `custody`, `transformations`,
`declarations`) each describe their entry types with these values in an
`ENTRY_TYPES` tuple; `entry_types` collects them into the registry. This module
imports no domain module, so the dependency runs one way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def _wants_nothing(_body: Body) -> Wanted:
    return NOTHING


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
    wants: Callable[[Body], Wanted] = _wants_nothing
