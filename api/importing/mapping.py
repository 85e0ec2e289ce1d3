"""A mapping file: which column is which ledger field, fixed values, units and code translations.

The mapping turns a row into the body of a signed submission and nothing more:
whether a value is allowed is the ledger's rule, judged by the server, and
the mapping only lets its answer name the column the value came from. The
import's own rules are about the file: a number written in the file's
decimal format, a unit it can convert, a column the header has.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from .sources import Cell, Row, Table, open_table

GRAM = Decimal("0.001")
UNITS = {"kg": Decimal(1), "t": Decimal(1000), "lb": Decimal("0.45359237")}  # the pound is exact by definition
TRUE = frozenset({"true", "yes", "y", "ja", "j", "oui", "1", "x", "ok"})
FALSE = frozenset({"false", "no", "n", "nee", "nein", "non", "0", "-"})
DOCUMENT = "documents."


@dataclass(frozen=True, slots=True)
class Kind:
    """What rows of one kind become: an entry type, its fields, which of them are masses or yes/no."""

    name: str
    entry_type: str
    fields: tuple[str, ...]
    masses: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()
    results: tuple[str, ...] = ()


KINDS = {kind.name: kind for kind in (
    Kind("lots", "lot.register",
         ("reference", "material_family", "grade.scheme", "grade.code", "ewc_code", "hs_code", "consumer_stage",
          "source_type", "origin.country", "origin.site", "net_mass_kg", "gross_mass_kg", "tare_mass_kg",
          "weighbridge_ticket", "site", "documents.weighbridge_ticket", "documents.radiation_certificate",
          "documents.statement_of_conformity", "documents.annex_vii_form", "documents.contract", "documents.assay"),
         masses=("net_mass_kg", "gross_mass_kg", "tare_mass_kg"), results=("lot_id",)),
    Kind("dispatches", "lot.dispatch",
         ("lot_id", "to_party", "declared_mass_kg", "transport_reference", "transfers_ownership"),
         masses=("declared_mass_kg",), booleans=("transfers_ownership",), results=("transfer_id", "lot_id")),
    Kind("receipts", "lot.receive",
         ("transfer_id", "weighed_mass_kg", "site", "inspection.conformant", "inspection.radiation_check_passed",
          "inspection.notes"),
         masses=("weighed_mass_kg",), booleans=("inspection.conformant", "inspection.radiation_check_passed"),
         results=("transfer_id",)),
)}


class MappingError(Exception):
    """The mapping file is not a valid mapping for this kind of import."""


@dataclass(frozen=True, slots=True)
class CellProblem:
    """A value the import itself cannot read: the field it was meant for and the rule it breaks."""

    field: str
    rule: str


@dataclass(frozen=True, slots=True)
class Mapping:
    """A parsed mapping file for one kind of import."""

    kind: Kind
    columns: dict[str, str]  # field -> column header
    fixed: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    translate: dict[str, dict[str, str]] = field(default_factory=dict)
    decimal: str = "auto"
    delimiter: str | None = None
    encoding: str = "auto"
    header_row: int = 1
    sheet: str | None = None

    @classmethod
    def load(cls, path: Path, kind: str) -> Mapping:
        """Return the mapping in the TOML file at `path`, or raise MappingError naming what is wrong."""
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise MappingError(f"cannot read the mapping {path}: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise MappingError(f"the mapping {path} is not valid TOML: {error}") from None
        return cls.from_document(document, KINDS[kind])

    @classmethod
    def from_document(cls, document: dict[str, Any], kind: Kind) -> Mapping:
        """Return the mapping a parsed TOML document describes."""
        unknown = sorted(set(document) - {"file", "columns", "fixed", "units", "translate"})
        if unknown:
            raise MappingError(f"unknown section [{unknown[0]}] (sections: file, columns, fixed, units, translate)")
        columns = _fields(document.get("columns", {}), "columns", kind)
        fixed = _fields(document.get("fixed", {}), "fixed", kind)
        units = _fields(document.get("units", {}), "units", kind)
        translate = _fields(document.get("translate", {}), "translate", kind, tables=True)
        for section, entries, kinds in (("columns", columns, str), ("units", units, str),
                                        ("fixed", fixed, str | int | float | bool)):
            for name, value in entries.items():
                if not isinstance(value, kinds):
                    raise MappingError(f"[{section}] {name}: must be a "
                                       + ("column name" if section == "columns" else "unit" if section == "units"
                                          else "text, number or true/false"))
        for name, table in translate.items():
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise MappingError(f'[translate."{name}"] must be a table of "your code" = "the ledger\'s code"')
        if not columns:
            raise MappingError("[columns] names no column")
        for name in sorted(set(columns) & set(fixed)):
            raise MappingError(f"{name} is both in [columns] and [fixed]")
        for name, unit in units.items():
            if name not in kind.masses:
                raise MappingError(f"[units] {name}: only a mass ({', '.join(kind.masses)}) has a unit")
            if unit not in UNITS:
                raise MappingError(f"[units] {name}: {unit!r} is not one of {', '.join(UNITS)}")
        settings = document.get("file", {})
        if not isinstance(settings, dict):
            raise MappingError("[file] must be a table")
        unknown = sorted(set(settings) - {"decimal", "delimiter", "encoding", "header_row", "sheet"})
        if unknown:
            raise MappingError(f"[file] {unknown[0]}: unknown setting (decimal, delimiter, encoding, header_row, sheet)")
        decimal = settings.get("decimal", "auto")
        if decimal not in ("auto", ",", "."):
            raise MappingError('[file] decimal: must be "," or "."')
        delimiter = settings.get("delimiter")
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            raise MappingError("[file] delimiter: must be one character, e.g. \";\" or \"\\t\"")
        header_row = settings.get("header_row", 1)
        if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
            raise MappingError("[file] header_row: must be a row number from 1")
        encoding = str(settings.get("encoding", "auto"))
        if encoding != "auto":
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise MappingError(f"[file] encoding: {encoding!r} is not an encoding (try utf-8 or cp1252)") from None
        if not isinstance(settings.get("sheet", ""), str):
            raise MappingError("[file] sheet: must be the sheet's name")
        return cls(kind, dict(columns), fixed, units, {name: dict(table) for name, table in translate.items()},
                   decimal, delimiter, encoding, header_row, settings.get("sheet"))

    def check_header(self, header: list[str]) -> None:
        """Raise MappingError if a mapped column is missing from the file's header."""
        for name, column in self.columns.items():
            if column not in header:
                raise MappingError(f"[columns] {name} = {column!r}, but the file's header has no such column "
                                   f"(it has: {', '.join(repr(c) for c in header if c)})")

    def table(self, path: Path, encoding: str) -> Table:
        """Return the table in `path` read with this mapping's file settings, its header checked against the columns."""
        table = open_table(path, encoding=encoding, delimiter=self.delimiter, header_row=self.header_row,
                           sheet=self.sheet)
        self.check_header(table.header)
        return table

    def decimal_mark(self, delimiter: str) -> str:
        """Return the decimal mark of number cells: as set, else a comma when columns are split by `;`."""
        return self.decimal if self.decimal != "auto" else "," if delimiter == ";" else "."

    def body(self, row: Row, decimal_mark: str) -> tuple[dict[str, Any], list[CellProblem]]:
        """Return the submission body a row makes, and what in the row the import itself cannot read."""
        values: dict[str, Any] = {}
        problems = []
        for name, fixed in self.fixed.items():  # a TOML number is read as the decimal it writes
            try:
                values[name] = fixed if isinstance(fixed, bool) or not isinstance(fixed, str | int | float) \
                    else self._value(name, fixed if isinstance(fixed, str) else Decimal(str(fixed)), ".")
            except ValueError as error:
                problems.append(CellProblem(name, str(error)))
        for name, column in self.columns.items():
            cell = row.cells.get(column, "")
            if isinstance(cell, str):
                cell = cell.strip()
            if cell == "":
                continue  # an empty cell leaves the field out: the ledger says whether it was required
            try:
                values[name] = self._value(name, cell, decimal_mark)
            except ValueError as error:
                problems.append(CellProblem(name, str(error)))
        return _nest(values), problems

    def column_of(self, field: str) -> str:
        """Return the column (or the mapping setting) a problem's field came from: `body.origin.country` -> its column."""
        path = field.removeprefix("body.")
        if path.startswith("documents"):
            path = next((name for name in self.columns if name.startswith(DOCUMENT)), path)
        while path:
            if path in self.columns:
                return self.columns[path]
            if path in self.fixed:
                return f"[fixed] {path}"
            for name in self.columns:
                if name.startswith(path + "."):
                    return self.columns[name]
            path = path.rpartition(".")[0]
        return ""

    def _value(self, name: str, cell: Cell, decimal_mark: str) -> Any:
        text = str(cell)
        if name in self.translate:
            text = self.translate[name].get(text, text)
        if name in self.kind.masses:
            return kilograms(cell if isinstance(cell, Decimal) else text, self.units.get(name, "kg"), decimal_mark,
                             inferred=self.decimal == "auto")
        if name in self.kind.booleans:
            lowered = text.lower()
            return True if lowered in TRUE else False if lowered in FALSE else text
        return text


def kilograms(value: Decimal | str, unit: str, decimal_mark: str, *, inferred: bool = False) -> str:
    """Return a mass in `unit` as the ledger's kg string, exact for kg and t, to the nearest gram for lb."""
    number = value if isinstance(value, Decimal) else number_in(value, decimal_mark, inferred=inferred)
    kg = number * UNITS[unit]
    if unit == "lb":
        kg = kg.quantize(GRAM, rounding=ROUND_HALF_EVEN)
    return format(kg.normalize(), "f")


def number_in(text: str, decimal_mark: str, *, inferred: bool = False) -> Decimal:
    """Return the number `text` writes with `decimal_mark`, thousands grouped by the other mark or a space.

    With an `inferred` decimal mark, `24,380` or `1.234` (one group of three
    after the other mark) could mean either number, so it is refused rather
    than read a thousand times too large or too small.
    """
    pattern, grouping = _NUMBER[decimal_mark]
    cleaned = text if text.isdigit() else _SPACES.sub(grouping, text.strip())
    if not pattern.fullmatch(cleaned):
        raise ValueError(f"not a number written with the decimal mark {decimal_mark!r}")
    if inferred and _ONE_GROUP[decimal_mark].fullmatch(cleaned) and not _SPACES.search(text):
        raise ValueError(f"ambiguous: {text} could be read with either decimal mark; "
                         "set [file] decimal in the mapping")
    return Decimal(cleaned.replace(grouping, "").replace(decimal_mark, "."))


_SPACES = re.compile(r"[ \u00a0\u202f']")
_NUMBER = {mark: (re.compile(rf"-?(\d{{1,3}}(?:{re.escape(grouping)}\d{{3}})+|\d+)(?:{re.escape(mark)}\d+)?"), grouping)
           for mark, grouping in ((",", "."), (".", ","))}
_ONE_GROUP = {",": re.compile(r"-?\d{1,3}\.\d{3}"), ".": re.compile(r"-?\d{1,3},\d{3}")}


def _fields(table: Any, section: str, kind: Kind, *, tables: bool = False) -> dict[str, Any]:
    """Return a section's entries by dotted field path (`origin.country`), refusing fields this kind lacks."""
    if not isinstance(table, dict):
        raise MappingError(f"[{section}] must be a table")
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and not (tables and prefix in kind.fields):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            flat[prefix] = value

    walk("", table)
    for name in flat:
        if name not in kind.fields:
            raise MappingError(f"[{section}] {name}: not a field of {kind.entry_type} "
                               f"(fields: {', '.join(kind.fields)})")
    return flat


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    """Return dotted paths as nested objects; `documents.<kind>` becomes the documents list."""
    body: dict[str, Any] = {}
    documents = []
    for path, value in values.items():
        if path.startswith(DOCUMENT):
            documents.append({"kind": path.removeprefix(DOCUMENT), "sha256": value})
            continue
        *parents, last = path.split(".")
        place = body
        for parent in parents:
            place = place.setdefault(parent, {})
        place[last] = value
    if documents:
        body["documents"] = documents
    return body
