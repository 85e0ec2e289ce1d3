"""An import run: the file's rows in order, in batches, signed by the party and sent through POST /v1/batches.

Each row's submission id is the file's SHA-256 and the row number, and the
journal keeps the timestamp it was signed with, so running the same import
again appends only what is missing: the server answers every row it already
holds as a replay, with the lot or transfer id it made. A dry run sends the
same batches with `dry_run`, so every row is judged by the ledger's own
rules and nothing is appended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from ledger.entries import format_time

from ..client import ClientError, LedgerClient
from .journal import Journal, ranges
from .mapping import Mapping
from .sources import Fingerprint, Row, fingerprint, open_table

IMPORTED, ALREADY, VALID, REFUSED = "imported", "already imported", "valid", "refused"
STALE, NOT_TRIED = "timestamp outside window", "not tried"  # problem titles an import answers by sending again


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one row: where (row, column, value) and which rule."""

    row: int
    column: str
    value: str
    field: str
    rule: str
    detail: str


@dataclass(slots=True)
class Outcome:
    """What became of one row."""

    row: Row
    status: str
    submission_id: str
    index: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class ImportStopped(Exception):
    """The import stopped before the end of the file; running it again continues where it stopped."""

    def __init__(self, reason: str, outcomes: list[Outcome] | None = None) -> None:
        super().__init__(reason)
        self.outcomes = outcomes or []


class Importer:
    """Imports one file with one mapping as the client's party."""

    def __init__(self, client: LedgerClient, mapping: Mapping, path: Path, *, state_dir: Path,
                 batch_size: int = 500, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.client = client
        self.mapping = mapping
        self.path = path
        self.batch_size = batch_size
        self.clock = clock
        self.fingerprint: Fingerprint = fingerprint(path, mapping.encoding)
        table = self._table()
        self.header = table.header
        self.delimiter = table.delimiter or ","  # the reports' delimiter: the file's, or a comma for a workbook
        mapping.check_header(self.header)
        self.journal = Journal(state_dir / f"{self.fingerprint.sha256}-{client.party_id}.journal")

    @property
    def estimated_rows(self) -> int:
        """Return about how many data rows the file has (its lines below the header)."""
        return max(self.fingerprint.lines - self.mapping.header_row, 0)

    def submission_id(self, row: int) -> str:
        """Return the submission id of a row: the same for the same file, whoever runs it and whenever."""
        return f"imp-{self.fingerprint.sha256[:32]}-{row}"

    def batches(self, *, dry_run: bool = False, refuse_invalid: bool = False) -> Iterator[list[Outcome]]:
        """Yield the outcomes of the file's rows, a batch at a time, in row order.

        With `refuse_invalid` the first invalid row stops the import
        (ImportStopped); otherwise invalid rows are refused and the rest go on.
        """
        table = self._table()
        while rows := list(islice(table.rows, self.batch_size)):
            yield self._batch(rows, dry_run, refuse_invalid, self.mapping.decimal_mark(table.delimiter or ""))

    def _table(self) -> Any:
        return open_table(self.path, encoding=self.fingerprint.encoding, delimiter=self.mapping.delimiter,
                          header_row=self.mapping.header_row, sheet=self.mapping.sheet)

    def _batch(self, rows: list[Row], dry_run: bool, refuse_invalid: bool, decimal_mark: str) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        pending: dict[int, tuple[Row, dict[str, Any]]] = {}
        for row in rows:
            body, unreadable = self.mapping.body(row, decimal_mark)
            if unreadable:
                outcomes[row.number] = Outcome(row, REFUSED, self.submission_id(row.number), problems=[
                    self._problem(row, problem.field, problem.rule, problem.rule) for problem in unreadable])
            else:
                pending[row.number] = (row, body)
        if refuse_invalid and outcomes:
            raise ImportStopped("a row cannot be read", list(outcomes.values()))
        resign: set[int] = set()
        while pending:
            retry: dict[int, tuple[Row, dict[str, Any]]] = {}
            answer, journaled = self._send(pending, resign, dry_run, refuse_invalid)
            problems = {problem["item"]: problem for problem in answer["problems"]}
            for item, (number, (row, body)) in enumerate(pending.items()):
                result, problem = answer["results"][item], problems.get(item)
                if result is not None:
                    status = ALREADY if result["replayed"] else VALID if dry_run else IMPORTED
                    outcomes[number] = Outcome(row, status, self.submission_id(number), result["index"],
                                               result["result"])
                elif problem["title"] == NOT_TRIED or (problem["title"] == STALE and number in journaled):
                    if problem["title"] == STALE:
                        resign.add(number)
                    retry[number] = (row, body)
                else:
                    outcomes[number] = self._refused(row, problem)
            pending = retry
        return [outcomes[row.number] for row in rows]

    def _send(self, pending: dict[int, tuple[Row, dict[str, Any]]], resign: set[int], dry_run: bool,
              refuse_invalid: bool) -> tuple[dict[str, Any], set[int]]:
        """Sign and post the pending rows; return the answer and the rows signed with a journaled timestamp."""
        numbers = list(pending)
        journaled = {} if dry_run else self.journal.timestamps([number for number in numbers if number not in resign])
        now = format_time(self.clock())
        if not dry_run:
            self.journal.record(ranges([number for number in numbers if number not in journaled], now))
        entry_type = self.mapping.kind.entry_type
        items = [self.client.signed(entry_type, pending[number][1], self.submission_id(number),
                                    journaled.get(number, now)) for number in numbers]
        payload = {"items": items, "invalid_items": "refuse" if refuse_invalid else "skip", "dry_run": dry_run}
        try:
            return self.client.post("/v1/batches", payload), set(journaled)
        except ClientError as error:
            item = _item_of(error.problem.get("field"))
            if refuse_invalid and item is not None:
                row = pending[numbers[item]][0]
                named = error.problem["field"]
                problem = {**error.problem, "field": named.split(".", 1)[1] if "." in named else "",
                           "detail": str(error.problem.get("detail", "")).removeprefix(f"items[{item}]: ")}
                raise ImportStopped(f"row {row.number} was refused", [self._refused(row, problem)]) from None
            raise ImportStopped(f"the server refused the batch: {error}") from None

    def _refused(self, row: Row, problem: dict[str, Any]) -> Outcome:
        return Outcome(row, REFUSED, self.submission_id(row.number), problems=[self._problem(
            row, problem.get("field", ""), problem.get("rule") or problem["title"], problem["detail"])])

    def _problem(self, row: Row, field_name: str, rule: str, detail: str) -> Problem:
        column = self.mapping.column_of(field_name)
        if column.startswith("[fixed] "):
            value = str(self.mapping.fixed[column.removeprefix("[fixed] ")])
        else:
            value = str(row.cells.get(column, ""))
        return Problem(row.number, column, value, field_name.removeprefix("body."), rule, detail)


def _item_of(field_name: Any) -> int | None:
    """Return the batch position a refused batch's problem names (`items[3].body.x` -> 3)."""
    if isinstance(field_name, str) and field_name.startswith("items[") and "]" in field_name:
        position = field_name[len("items["):field_name.index("]")]
        return int(position) if position.isdigit() else None
    return None
