"""The high-risk origin list a verification judges origins against, with its source and date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInput
from .scrap_codes import countries

DEFAULT = Path(__file__).parent / "data" / "cahra.json"


@dataclass(frozen=True, slots=True)
class HighRiskList:
    source: str
    date: str
    countries: frozenset[str]

    @classmethod
    def load(cls, path: Path | None = None) -> HighRiskList:
        """Return the list in `path` (default: the one shipped); raise InvalidInput if malformed."""
        try:
            data = json.loads((path or DEFAULT).read_text(encoding="utf-8"))
            listed = frozenset(data["countries"])
            source, date = str(data["source"]), str(data["date"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput("SCRAPLEDGER_CAHRA_FILE", f"is not a readable CAHRA list: {exc}") from exc
        unknown = sorted(listed - countries())
        if unknown:
            raise InvalidInput("SCRAPLEDGER_CAHRA_FILE", f"lists unknown country codes {unknown}")
        return cls(source, date, listed)
