"""The files an import writes beside its input, for the ERP and for whoever fixes the rows.

`<name>.result.csv`: per row its status, submission id, entry index and the
ids the ledger made (lot id, transfer id), so the ERP can store them.
`<name>.errors.csv`: one line per problem: row, column, value, field, rule.
`<name>.rejected.csv`: the refused rows as they were, under the same header,
to fix and import on their own (editing the whole file would make it a new
import). They are written as UTF-8 with a byte-order mark, which Excel needs
to show accents, with the input's delimiter, and flushed after each batch.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import IO, Any

from .mapping import Kind
from .run import REFUSED, Outcome

ERROR_COLUMNS = ("row", "column", "value", "field", "rule", "detail")


class Reports:
    """Writes the result, error and rejected-row files of one run and counts the rows by status."""

    def __init__(self, directory: Path, name: str, header: list[str], kind: Kind, *, delimiter: str,
                 dry_run: bool) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.counts: Counter[str] = Counter()
        self.problems = 0
        self._header = header
        self._kind = kind
        self._files: list[IO[str]] = []
        self.errors_path = directory / f"{name}.errors.csv"
        self._errors = self._writer(self.errors_path, delimiter, ERROR_COLUMNS)
        self.result_path = self.rejected_path = None
        self._results = self._rejected = None
        if not dry_run:
            self.result_path = directory / f"{name}.result.csv"
            self._results = self._writer(self.result_path, delimiter, (
                "row", "status", "submission_id", "entry_index", *kind.results, "problem"))
            self.rejected_path = directory / f"{name}.rejected.csv"
            self._rejected = self._writer(self.rejected_path, delimiter, header)

    def add(self, outcomes: list[Outcome]) -> None:
        """Write one batch's outcomes and flush them."""
        for outcome in outcomes:
            self.counts[outcome.status] += 1
            for problem in outcome.problems:
                self.problems += 1
                self._errors.writerow((problem.row, problem.column, problem.value, problem.field, problem.rule,
                                       problem.detail))
            if self._results is not None:
                self._results.writerow((
                    outcome.row.number, outcome.status, outcome.submission_id,
                    "" if outcome.index is None else outcome.index,
                    *(outcome.result.get(name, "") for name in self._kind.results),
                    "; ".join(problem.detail for problem in outcome.problems)))
            if self._rejected is not None and outcome.status == REFUSED:
                self._rejected.writerow([str(outcome.row.cells.get(column, "")) for column in self._header])
        for file in self._files:
            file.flush()

    def close(self) -> None:
        """Close every file; a rejected-rows file with no rows is removed."""
        for file in self._files:
            file.close()
        if self.rejected_path is not None and not self.counts[REFUSED]:
            self.rejected_path.unlink(missing_ok=True)

    def _writer(self, path: Path, delimiter: str, header: Any) -> Any:
        file = path.open("w", encoding="utf-8-sig", newline="")
        self._files.append(file)
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        return writer
