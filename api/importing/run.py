"""An import run: the file's rows in order, in batches, signed by the party and sent through POST /v1/batches.

Each row's submission id is the file's SHA-256, the kind and the row, and the
journal keeps the timestamp it was signed with, so running the same import
again appends only what is missing: the server answers every row it already
holds as a replay, with the lot or transfer id it made. A dry run sends the
same batches with `dry_run`, so every row is judged by the ledger's own
rules and nothing is appended.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from ledger.entries import SignedSubmission, format_time

from ..client import ClientError, LedgerClient
from .journal import Journal, ranges
from .mapping import CellProblem, Mapping
from .sources import Fingerprint, Row, Table, fingerprint

IMPORTED, ALREADY, VALID, REFUSED = "imported", "already imported", "valid", "refused"
QUEUED_AHEAD = 2  # batches signed and queued behind the one being answered, so the server never waits for us
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


@dataclass(slots=True)
class _Batch:
    """Rows on their way: the outcomes known so far and the bodies still to be answered, by row number."""

    rows: list[Row]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    pending: dict[int, tuple[Row, dict[str, Any]]] = field(default_factory=dict)
    resign: set[int] = field(default_factory=set)  # rows the server found stale: sign them anew
    journaled: set[int] = field(default_factory=set)  # rows last signed with the timestamp the journal held


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
        self.journal = Journal(state_dir / f"{self.fingerprint.sha256}-{client.party_id}.journal")

    @property
    def estimated_rows(self) -> int:
        """Return about how many data rows the file has (its lines below the header)."""
        return max(self.fingerprint.lines - self.mapping.header_row, 0)

    def submission_id(self, row: int) -> str:
        """Return the submission id of a row: the same for the same file and kind, whoever runs it and whenever."""
        return submission_id(self.fingerprint.sha256, self.mapping.kind.name, row)

    def batches(self, *, dry_run: bool = False, stop_at_refusal: bool = False) -> Iterator[list[Outcome]]:
        """Yield the outcomes of the file's rows, a batch at a time, in row order.

        Invalid rows are refused and the rest go on, unless `stop_at_refusal`:
        then nothing is sent after a batch with a refused row (ImportStopped).
        Batches are read and signed while the server appends the ones before
        them, and one thread sends them in file order, back to back; a row the
        server did not try is sent again after the batches already queued.
        """
        table = self._table()
        decimal_mark = self.mapping.decimal_mark(table.delimiter or "")
        ahead = 0 if stop_at_refusal else QUEUED_AHEAD
        sender = ThreadPoolExecutor(1, thread_name_prefix="scrapledger-import")
        sent: deque[tuple[_Batch, Future[dict[str, Any]]]] = deque()
        try:
            while rows := list(islice(table.rows, self.batch_size)):
                batch = self._read(rows, decimal_mark)
                sent.append((batch, sender.submit(self._post, self._sign(batch, dry_run))))
                if len(sent) > ahead:
                    yield self._finish(sender, *sent.popleft(), dry_run, stop_at_refusal)
            while sent:
                yield self._finish(sender, *sent.popleft(), dry_run, stop_at_refusal)
        finally:  # stopped (Ctrl-C, a refused batch, a network cut): send nothing more
            sender.shutdown(wait=True, cancel_futures=True)

    def _table(self) -> Table:
        return self.mapping.table(self.path, self.fingerprint.encoding)

    def _read(self, rows: list[Row], decimal_mark: str) -> _Batch:
        """Return the batch of `rows`: the bodies to send, and the rows the import itself cannot read."""
        batch = _Batch(rows)
        for row in rows:
            body, unreadable = self.mapping.body(row, decimal_mark)
            if unreadable:
                batch.outcomes[row.number] = unreadable_outcome(self.mapping, row, self.submission_id(row.number),
                                                                unreadable)
            else:
                batch.pending[row.number] = (row, body)
        return batch

    def _finish(self, sender: ThreadPoolExecutor, batch: _Batch, sent: Future[dict[str, Any]], dry_run: bool,
                stop_at_refusal: bool) -> list[Outcome]:
        """Return the batch's outcomes once every row is answered, sending again what the server did not try."""
        answer = sent.result()
        while True:
            retry: dict[int, tuple[Row, dict[str, Any]]] = {}
            problems = {problem["item"]: problem for problem in answer["problems"]}
            for item, (number, (row, body)) in enumerate(batch.pending.items()):
                problem = problems.get(item)
                if problem is not None and (problem["title"] == NOT_TRIED
                                            or (problem["title"] == STALE and number in batch.journaled)):
                    if problem["title"] == STALE:
                        batch.resign.add(number)
                    retry[number] = (row, body)
                else:
                    batch.outcomes[number] = outcome_of(self.mapping, row, self.submission_id(number),
                                                        answer["results"][item], problem, dry_run)
            batch.pending = retry
            if not retry:
                break
            answer = sender.submit(self._post, self._sign(batch, dry_run)).result()
        outcomes = [batch.outcomes[row.number] for row in batch.rows]
        refused = [outcome for outcome in outcomes if outcome.status == REFUSED]
        if stop_at_refusal and refused:
            raise ImportStopped(f"row {refused[0].row.number} was refused", outcomes)
        return outcomes

    def _sign(self, batch: _Batch, dry_run: bool) -> bytes:
        """Return the batch request for the pending rows, noting in `batch` which rows kept a journalled timestamp.

        A row keeps the timestamp the journal holds for it (so it signs into
        the same bytes as before) unless the server found it stale; a new
        timestamp is journalled before the request can be sent.
        """
        numbers = list(batch.pending)
        journaled = {} if dry_run else self.journal.timestamps(
            [number for number in numbers if number not in batch.resign])
        now = format_time(self.clock())
        if not dry_run:
            self.journal.record(ranges([number for number in numbers if number not in journaled], now))
        batch.journaled = set(journaled)
        entry_type = self.mapping.kind.entry_type
        items = b",".join(envelope(self.client.sign(entry_type, batch.pending[number][1], self.submission_id(number),
                                                     journaled.get(number, now))) for number in numbers)
        return b'{"items":[' + items + b'],"invalid_items":"skip","dry_run":' + json.dumps(dry_run).encode() + b"}"

    def _post(self, payload: bytes) -> dict[str, Any]:
        """Post a signed batch; a batch the server refuses as a whole stops the import."""
        try:
            answer: dict[str, Any] = self.client.post("/v1/batches", payload)
            return answer
        except ClientError as error:
            raise ImportStopped(f"the server refused the batch: {error}") from None


def submission_id(file_sha256: str, kind: str, row: int) -> str:
    """Return the submission id of a row of a file imported as `kind` (lots, dispatches, receipts)."""
    return f"imp-{file_sha256[:32]}-{kind}-{row}"


def outcome_of(mapping: Mapping, row: Row, submission_id: str, result: dict[str, Any] | None,
               problem: dict[str, Any] | None, dry_run: bool) -> Outcome:
    """Return what the server's answer for one row's item (its result, or its problem) says of the row."""
    if result is not None:
        status = ALREADY if result["replayed"] else VALID if dry_run else IMPORTED
        return Outcome(row, status, submission_id, result["index"], result["result"])
    assert problem is not None
    return Outcome(row, REFUSED, submission_id, problems=[problem_at(
        mapping, row, problem.get("field", ""), problem.get("rule") or problem["title"], problem["detail"])])


def unreadable_outcome(mapping: Mapping, row: Row, submission_id: str, problems: list[CellProblem]) -> Outcome:
    """Return the refusal of a row the import itself cannot read (it is never sent)."""
    return Outcome(row, REFUSED, submission_id, problems=[
        problem_at(mapping, row, problem.field, problem.rule, problem.rule) for problem in problems])


def problem_at(mapping: Mapping, row: Row, field_name: str, rule: str, detail: str) -> Problem:
    """Return a problem placed in the file: the column (or mapping setting) and the value its field came from."""
    column = mapping.column_of(field_name)
    if column.startswith("[fixed] "):
        value = str(mapping.fixed[column.removeprefix("[fixed] ")])
    else:
        value = str(row.cells.get(column, ""))
    return Problem(row.number, column, value, field_name.removeprefix("body."), rule, detail)


def envelope(signed: SignedSubmission) -> bytes:
    """Return the JSON of a signed envelope, reusing the submission's canonical bytes (they are JSON)."""
    return b'{"submission":' + signed.canonical + b',"signature":"' + signed.signature.hex().encode() + b'"}'
