"""docs/format.md names every entry type the registry knows, so a verifier can read every body."""

from __future__ import annotations

from pathlib import Path

from ledger.entry_types import REGISTRY

FORMAT = Path(__file__).resolve().parents[2] / "docs" / "format.md"


def documented_types() -> set[str]:
    """Return the names that open a table row (`` | `type` ``) or a bold heading (`` **`type`** ``)."""
    lines = FORMAT.read_text().splitlines()
    return {line.split("`")[1] for line in lines if line.startswith(("| `", "**`"))}


def test_every_registered_entry_type_has_a_row_in_the_format_document():
    assert set(REGISTRY) - documented_types() == set()
