"""The import page: upload a file and its mapping, see the ledger's dry-run report, fix, and sign in the browser.

The server keeps the upload (under SCRAPLEDGER_HOME/imports) and makes each
row's body with the same mapping code as `scrapledger import`; the browser
signs the bodies with the party's key, under the same submission ids as the
CLI (`imp-<file hash>-<kind>-<row>`), so a file imported from either is never
imported twice: a row signed again is answered as a replay. Each signed batch goes through the batch append path
(dry run or skip), and the answer is placed in the file by row and column.
"""

from __future__ import annotations

import secrets
import shutil
from itertools import islice
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request
from werkzeug.wrappers import Response

from ledger.errors import InvalidInput, NotTried
from ledger.signing import SIGNATURE_SIZE
from ledger.validation import lowercase_hex

from ..importing.mapping import KINDS, Mapping, MappingError
from ..importing.run import Outcome, outcome_of, submission_id, unreadable_outcome
from ..importing.sources import Row, SourceError, fingerprint
from ..importing.templates import TEMPLATES
from ..problems import ledger_problem_body
from ..services import services
from ..writes import append_valid_items
from .sessions import signed_in

bp = Blueprint("import_pages", __name__)
MAX_ROWS = 5000  # a bigger file goes through `scrapledger import`, which streams
SUFFIXES = (".csv", ".txt", ".xlsx")


class Upload:
    """A file and its mapping kept for one party: `imports/<hash>-<party>/`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.kind = (directory / "kind").read_text(encoding="utf-8").strip()
        self.source = next(path for path in directory.iterdir() if path.name.startswith("source"))
        self.mapping = Mapping.load(directory / "mapping.toml", self.kind)
        self.fingerprint = fingerprint(self.source, self.mapping.encoding)

    @property
    def upload_id(self) -> str:
        return self.fingerprint.sha256[:32]

    def submission_id(self, row: int) -> str:
        return submission_id(self.fingerprint.sha256, self.kind, row)

    def rows(self) -> tuple[list[str], list[Row], str]:
        """Return the header, the first MAX_ROWS + 1 rows and the decimal mark."""
        table = self.mapping.table(self.source, self.fingerprint.encoding)
        return table.header, list(islice(table.rows, MAX_ROWS + 1)), self.mapping.decimal_mark(table.delimiter or "")


def _imports() -> Path:
    return services().settings.home / "imports"


def _upload(upload_id: str) -> Upload:
    directory = _imports() / f"{upload_id}-{g.party}"
    if not upload_id.isalnum() or not directory.is_dir():
        abort(404, "no such import: upload the file again")
    return Upload(directory)


@bp.get("/imports")
@signed_in
def new_import() -> str:
    """The upload form: a file, its kind and its mapping."""
    return render_template("import_new.html", kinds=KINDS, templates=TEMPLATES, problem=None)


@bp.post("/imports")
@signed_in
def upload() -> Response | tuple[str, int]:
    """Keep the uploaded file and mapping, then show them read (303 to the import's page)."""
    kind, file, mapping = request.form.get("kind", ""), request.files.get("file"), request.files.get("mapping")
    problem = _refusal(kind, file, mapping)
    if problem:
        return render_template("import_new.html", kinds=KINDS, templates=TEMPLATES, problem=problem,
                               kind=kind), 422
    assert file is not None and mapping is not None
    staging = _imports() / f"upload-{secrets.token_hex(8)}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    suffix = Path(file.filename or "").suffix.lower()
    file.save(staging / f"source{suffix}")
    mapping_bytes = mapping.read()
    (staging / "mapping.toml").write_bytes(mapping_bytes)
    (staging / "kind").write_text(kind, encoding="utf-8")
    try:
        kept = Upload(staging)
        kept.rows()
        final = _imports() / f"{kept.upload_id}-{g.party}"
        if not final.exists():  # the same file uploaded again keeps the first copy: it is the same bytes
            staging.rename(final)
    except (MappingError, SourceError, OSError) as error:
        field = "mapping" if isinstance(error, MappingError) else "file"
        return render_template("import_new.html", kinds=KINDS, templates=TEMPLATES, kind=kind,
                               problem={"field": field, "detail": str(error)}), 422
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (final / "mapping.toml").write_bytes(mapping_bytes)  # a new mapping or kind for the same file replaces the old
    (final / "kind").write_text(kind, encoding="utf-8")
    return redirect(f"/imports/{kept.upload_id}", 303)


def _refusal(kind: str, file: Any, mapping: Any) -> dict[str, str] | None:
    if kind not in KINDS:
        return {"field": "kind", "detail": f"choose one of {', '.join(KINDS)}"}
    if file is None or not file.filename:
        return {"field": "file", "detail": "choose the CSV or .xlsx file to import"}
    if Path(file.filename).suffix.lower() not in SUFFIXES:
        return {"field": "file", "detail": "must be a .csv or .xlsx file"}
    if mapping is None or not mapping.filename:
        return {"field": "mapping", "detail": "choose the mapping (.toml) that says which column is which field"}
    return None


@bp.get("/imports/<upload_id>")
@signed_in
def show(upload_id: str) -> str:
    """The file as read: rows the import cannot read, and every other row's body, ready to sign."""
    kept = _upload(upload_id)
    header, rows, decimal_mark = kept.rows()
    too_many = len(rows) > MAX_ROWS
    unreadable, ready = [], []
    for row in rows[:MAX_ROWS]:
        body, problems = kept.mapping.body(row, decimal_mark)
        if problems:
            unreadable.append(unreadable_outcome(kept.mapping, row, kept.submission_id(row.number), problems))
        else:
            ready.append({"row": row.number, "submission_id": kept.submission_id(row.number), "body": body})
    return render_template("import.html", upload=kept, header=header, unreadable=unreadable, ready=ready,
                           too_many=too_many, max_rows=MAX_ROWS, entry_type=kept.mapping.kind.entry_type)


@bp.post("/pages/imports/<upload_id>/batches")
@signed_in
def batch(upload_id: str) -> dict[str, Any]:
    """Check (dry run) or append the signed rows of this import; answer each row's outcome, placed in the file."""
    kept = _upload(upload_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list) or not payload["items"]:
        raise InvalidInput("items", "must be a list of signed envelopes")
    if len(payload["items"]) > 1000:
        raise InvalidInput("items", "at most 1,000 rows a batch")
    _, rows, _ = kept.rows()
    by_id = {kept.submission_id(row.number): row for row in rows[:MAX_ROWS]}
    signed_rows = [_row_of(by_id, item, position) for position, item in enumerate(payload["items"])]
    dry_run = payload.get("dry_run") is True
    items = [{"submission": item["submission"],
              "signature": lowercase_hex(item.get("signature"), SIGNATURE_SIZE, f"items[{position}].signature")}
             for position, item in enumerate(payload["items"])]
    outcome = append_valid_items(items, dry_run=dry_run)
    for _ in range(len(items)):  # items the server did not try (too many refused before them) go again
        untried = [position for position, error in outcome.problems.items() if isinstance(error, NotTried)]
        if not untried:
            break
        again = append_valid_items([items[position] for position in untried], dry_run=dry_run)
        for at, position in enumerate(untried):
            outcome.results[position] = again.results[at]
            outcome.problems.pop(position)
            if at in again.problems:
                outcome.problems[position] = again.problems[at]
    answers = []
    for position, row in enumerate(signed_rows):
        result, error = outcome.results[position], outcome.problems.get(position)
        answers.append(_answer(outcome_of(
            kept.mapping, row, kept.submission_id(row.number),
            None if result is None else {"replayed": result.replayed, "index": result.index, "result": result.result},
            None if error is None else ledger_problem_body(error), dry_run)))
    return {"rows": answers, "appended": not dry_run}


def _row_of(by_id: dict[str, Row], item: Any, position: int) -> Row:
    """Return the row of this file an envelope is for (its submission id names it), before anything is appended."""
    submission = item.get("submission") if isinstance(item, dict) else None
    named = submission.get("submission_id") if isinstance(submission, dict) else None
    if named not in by_id:
        raise InvalidInput(f"items[{position}].submission.submission_id", "must name a row of this file")
    return by_id[named]


def _answer(outcome: Outcome) -> dict[str, Any]:
    return {"row": outcome.row.number, "status": outcome.status, "index": outcome.index, "result": outcome.result,
            "problems": [{"column": p.column, "value": p.value, "field": p.field, "rule": p.rule, "detail": p.detail}
                         for p in outcome.problems]}
