"""Independent checks of EPCIS documents: GS1's JSON Schema and GS1's reference event hash.

`generator_pre_hashes` asks `epcis-event-hash-generator` 1.9.3; `as_the_generator_orders`
states its one known gap with the CBV 2.0 canonical order: it does not place `sourceList` at
position 21 (after `bizTransactionList`) but sorts it, with `ilmd` and the user extensions, into
one group at the end of the pre-hash string.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from epcis_event_hash_generator import hash_generator, json_to_py
from jsonschema import Draft7Validator, FormatChecker

HERE = Path(__file__).parent / "epcis"
EXAMPLES = HERE / "examples"
SORTED_TOGETHER = ("sourceList", "ilmd", "{")


@lru_cache(maxsize=1)
def validator() -> Draft7Validator:
    """Return a validator for GS1's EPCIS 2.0 JSON Schema that checks formats (uri, date-time) too."""
    schema = json.loads((HERE / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=FormatChecker())


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Return every way `document` breaks the EPCIS 2.0 JSON Schema, as path: message lines."""
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator().iter_errors(document)]


def generator_pre_hashes(document: dict[str, Any]) -> list[str]:
    """Return the reference implementation's pre-hash string of every event of `document`."""
    events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
    return list(hash_generator.derive_prehashes_from_events(events, ""))


def as_the_generator_orders(pieces: list[str]) -> str:
    """Return our pre-hash pieces joined in the order the reference implementation uses (its known gap)."""
    placed = [piece for piece in pieces if not piece.startswith(SORTED_TOGETHER)]
    return "".join(placed + sorted(piece for piece in pieces if piece.startswith(SORTED_TOGETHER)))


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
