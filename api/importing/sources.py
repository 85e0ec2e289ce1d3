"""The rows of a spreadsheet or CSV export, read one at a time, as a European office writes them.

A CSV file may be UTF-8 with or without a byte-order mark or Windows-1252,
separated by `;`, `,`, tab or `|`; an `.xlsx` workbook is read through
openpyxl's read-only mode. Nothing reads a whole file into memory: a first
pass hashes it (the import's identity), counts its lines and finds its
encoding; the second yields rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

DELIMITERS = (";", ",", "\t", "|")
CHUNK = 1 << 20

Cell = str | Decimal  # a CSV cell is text; a workbook's number cell is already a number


class SourceError(Exception):
    """The file cannot be read as a table: its encoding, its header or its format."""


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and its cells by column."""

    number: int
    cells: dict[str, Cell]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the first pass learns: the content hash, an estimate of the rows, and the CSV encoding."""

    sha256: str
    lines: int
    encoding: str


def fingerprint(path: Path, encoding: str = "auto") -> Fingerprint:
    """Return the file's SHA-256 and line count and, for CSV, its encoding ("auto": BOM, else UTF-8, else Windows-1252)."""
    digest, lines = hashlib.sha256(), 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, first = True, b""
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            first = first or chunk[:3]
            digest.update(chunk)
            lines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if encoding == "auto":
        encoding = "utf-8-sig" if first == codecs.BOM_UTF8 else "utf-8" if utf8 else "cp1252"
    return Fingerprint(digest.hexdigest(), lines, encoding)


def is_workbook(path: Path) -> bool:
    """Return whether `path` is an Excel workbook rather than a CSV file."""
    return path.suffix.lower() in (".xlsx", ".xlsm")


@dataclass(frozen=True, slots=True)
class Table:
    """A file opened for import: its header's column names, its data rows (lazily) and its delimiter."""

    header: list[str]
    rows: Iterator[Row]
    delimiter: str | None  # None for a workbook


def open_table(path: Path, *, encoding: str, delimiter: str | None = None, header_row: int = 1,
               sheet: str | None = None) -> Table:
    """Return the table in `path`, the header read from `header_row`, blank rows skipped."""
    if is_workbook(path):
        records = _workbook_records(path, sheet)
    else:
        delimiter = delimiter or _delimiter_of(path, encoding, header_row)
        records = _csv_records(path, encoding, delimiter)
    for number, record in records:
        if number == header_row:
            header = [str(cell).strip().lstrip("\ufeff") for cell in record]  # a BOM read under a named encoding
            _check_header(header)
            return Table(header, _rows(header, records), delimiter)
    raise SourceError(f"the file has no header row {header_row}")


def _rows(header: list[str], records: Iterator[tuple[int, list[Cell]]]) -> Iterator[Row]:
    for number, record in records:
        if any(str(cell).strip() for cell in record):
            yield Row(number, {name: record[at] if at < len(record) else "" for at, name in enumerate(header) if name})


def _check_header(header: list[str]) -> None:
    named = [name for name in header if name]
    if not named:
        raise SourceError("the header row is empty")
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        raise SourceError(f"the header names column {twice[0]!r} more than once")


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    with path.open("r", encoding=encoding, newline="") as file:
        try:
            for number, record in enumerate(csv.reader(file, delimiter=delimiter), start=1):
                yield number, list(record)
        except UnicodeDecodeError:
            raise SourceError(f"the file is not valid {encoding} text; "
                              "name its encoding in the mapping ([file] encoding)") from None
        except csv.Error as error:
            raise SourceError(f"malformed CSV: {error}") from None


def _delimiter_of(path: Path, encoding: str, header_row: int) -> str:
    """Return the delimiter the header line uses most (a comma if it uses none)."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as file:
        first = ""
        for _ in range(header_row):
            first = file.readline()
    counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _workbook_records(path: Path, sheet: str | None) -> Iterator[tuple[int, list[Cell]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as error:
        raise SourceError(f"cannot open the workbook: {error}") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise SourceError(f"the workbook has no sheet {sheet!r} (it has {', '.join(workbook.sheetnames)})")
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(value) for value in values]
    finally:
        workbook.close()


def _cell(value: Any) -> Cell:
    """Return a workbook value as the import reads it: numbers exactly as Excel shows them, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest decimal that is this double: what Excel displays
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
