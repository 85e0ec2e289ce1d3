"""The import's memory between runs: the timestamp each row was signed with.

Everything else in a row's submission follows from the file, the mapping and
the party (its submission id is the file's hash and the row number). Ed25519
signatures are deterministic, so a row signed again with the same timestamp
gives the same bytes, and the server answers a row it already holds as a
replay, with the lot id it made. A line is written and flushed to disk before
its batch is sent, so a crash, a Ctrl-C or a SIGKILL loses nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Signing:
    """Rows `first` to `last` were signed at `timestamp`."""

    first: int
    last: int
    timestamp: str


class Journal:
    """An append-only file of Signing lines; a later line for a row wins."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signings: list[Signing] = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    self._signings.append(Signing(int(record["first"]), int(record["last"]), str(record["timestamp"])))
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by a crash while it was written was never acted on

    def timestamps(self, rows: list[int]) -> dict[int, str]:
        """Return the timestamp each of `rows` was last signed with, for those signed before."""
        if not rows or not self._signings:
            return {}
        low, high = min(rows), max(rows)
        found: dict[int, str] = {}
        wanted = set(rows)
        for signing in self._signings:
            if signing.last >= low and signing.first <= high:
                found.update((row, signing.timestamp) for row in range(max(signing.first, low),
                                                                         min(signing.last, high) + 1) if row in wanted)
        return found

    def record(self, signings: list[Signing]) -> None:
        """Append `signings` and make them durable before the rows they name are sent."""
        if not signings:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = self.path.exists() and self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n")
        with self.path.open("a", encoding="utf-8") as file:
            if torn:  # a line cut short by a crash stays a line of its own, skipped on reading
                file.write("\n")
            for signing in signings:
                file.write(json.dumps({"first": signing.first, "last": signing.last,
                                       "timestamp": signing.timestamp}) + "\n")
            file.flush()
            os.fsync(file.fileno())
        self._signings.extend(signings)


def ranges(rows: list[int], timestamp: str) -> list[Signing]:
    """Return the runs of consecutive rows in `rows` (sorted) as Signing lines for one timestamp."""
    signings: list[Signing] = []
    for row in rows:
        if signings and signings[-1].last == row - 1:
            signings[-1] = Signing(signings[-1].first, row, timestamp)
        else:
            signings.append(Signing(row, row, timestamp))
    return signings
