"""The registry of entry types, collected from the domain modules that define them.

Each domain module lists its types in `ENTRY_TYPES` (see `entry_type.EntryType`);
this module only gathers them, so nothing in the domain imports it back. The
recipe for adding an entry type is in docs/entry-types.md.
"""

from __future__ import annotations

from . import claims, custody, declarations, lots, parties, transformations
from .entry_type import EntryType
from .errors import InvalidInput

MODULES = (parties, lots, custody, transformations, declarations, claims)
REGISTRY: dict[str, EntryType] = {kind.name: kind for module in MODULES for kind in module.ENTRY_TYPES}


def lookup(name: str) -> EntryType:
    """Return the entry type called `name` or raise InvalidInput."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidInput("submission.type", f"unknown entry type; known: {', '.join(sorted(REGISTRY))}") from None
