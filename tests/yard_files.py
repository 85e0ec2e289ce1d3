"""Factories for the files a yard's office exports: weighbridge CSVs and ERP sheets, with the mistakes they hold."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

HEADER = ("Ticket", "Datum", "Soort", "Materiaal", "EURAL", "GN-code", "Herkomst", "Bron", "Land", "Locatie",
          "Netto (t)", "Weegbon")

# (the yard's grade, material, EWC, HS) as a Dutch weighbridge writes them; HMS1/2 and Shred need translating
GRADES = (("HMS1/2", "ferrous", "17 04 05", "720449"), ("Shred", "ferrous", "19 10 01", "720449"),
          ("Zorba", "mixed_non_ferrous", "19 10 02", "7602"), ("Berry", "copper", "17 04 01", "740400"),
          ("Taint/Tabor", "aluminium", "17 04 02", "7602"), ("No. 1 Busheling", "ferrous", "12 01 01", "720441"))
SITES = ("Waalhaven Zuid", "Moerdijk haven", "Botlek terrein", "Zaandam – Hemhavens")

# Each kind of bad row: (column, bad value, the field the problem names, a word of the rule it breaks)
BAD_ROWS = {
    "unreadable mass": ("Netto (t)", "24,38O", "net_mass_kg", "decimal mark"),
    "negative mass": ("Netto (t)", "-2,5", "net_mass_kg", "non-negative"),
    "mass finer than a gram": ("Netto (t)", "1,0000005", "net_mass_kg", "three decimals"),
    "missing mass": ("Netto (t)", "", "net_mass_kg", "required"),
    "unknown grade": ("Soort", "Mengsel B", "grade.code", "ISRI"),
    "ewc code of no metal chapter": ("EURAL", "20 03 01", "ewc_code", "metal-bearing"),
    "short hs code": ("GN-code", "72", "hs_code", "Harmonized System"),
    "country not iso": ("Land", "Holland", "origin.country", "ISO 3166"),
    "unknown consumer stage": ("Herkomst", "consument", "consumer_stage", "one of"),
    "reference too long": ("Ticket", "RTM-" + "9" * 70, "reference", "64"),
}

MAPPING = '''
[file]
delimiter = ";"
decimal = ","

[columns]
reference = "Ticket"
"grade.code" = "Soort"
material_family = "Materiaal"
ewc_code = "EURAL"
hs_code = "GN-code"
consumer_stage = "Herkomst"
source_type = "Bron"
"origin.country" = "Land"
"origin.site" = "Locatie"
net_mass_kg = "Netto (t)"
weighbridge_ticket = "Weegbon"

[fixed]
"grade.scheme" = "ISRI"

[units]
net_mass_kg = "t"

[translate."grade.code"]
"HMS1/2" = "HMS 1&2"
"Shred" = "Shredded"
'''


def good_row(n: int) -> dict[str, str]:
    """Return the nth lot of a yard's weighbridge export: mixed grades, masses in tonnes with a decimal comma."""
    grade, material, ewc, hs = GRADES[n % len(GRADES)]
    tonnes = f"{12 + n % 17},{(n * 37) % 1000:03d}"
    return {"Ticket": f"RTM-2026-{n:05d}", "Datum": f"{1 + n % 28:02d}-11-2026", "Soort": grade,
            "Materiaal": material, "EURAL": ewc, "GN-code": hs,
            "Herkomst": ("post_consumer", "pre_consumer")[n % 2],
            "Bron": ("construction_demolition", "elv", "industrial_new_scrap")[n % 3], "Land": ("NL", "BE", "DE")[n % 3],
            "Locatie": SITES[n % len(SITES)], "Netto (t)": tonnes, "Weegbon": f"WB-{118000 + n}"}


def expected_kg(n: int) -> str:
    """Return the net mass the ledger shows for good row n, as its three-decimal kg string."""
    return f"{(12 + n % 17) * 1000 + (n * 37) % 1000}.000"


def yard_rows(count: int, *, bad_every: int = 0) -> Iterator[tuple[dict[str, str], str | None]]:
    """Yield `count` rows and, for every `bad_every`th, the kind of mistake it holds (cycling through BAD_ROWS)."""
    kinds = list(BAD_ROWS)
    for n in range(count):
        row, kind = good_row(n), None
        if bad_every and n % bad_every == bad_every - 1:
            kind = kinds[(n // bad_every) % len(kinds)]
            column, value = BAD_ROWS[kind][:2]
            row[column] = value
        yield row, kind


def write_yard_export(path: Path, count: int, *, bad_every: int = 0, encoding: str = "utf-8-sig",
                      delimiter: str = ";") -> dict[int, str]:
    """Write a weighbridge export of `count` rows; return the spreadsheet row number of each bad row and its kind."""
    bad: dict[int, str] = {}
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(HEADER)
        for number, (row, kind) in enumerate(yard_rows(count, bad_every=bad_every), start=2):
            writer.writerow([row[column] for column in HEADER])
            if kind:
                bad[number] = kind
    return bad


def write_mapping(path: Path, text: str = MAPPING) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    """Return the rows of a report the import wrote (UTF-8 with BOM, `;` or `,`)."""
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
