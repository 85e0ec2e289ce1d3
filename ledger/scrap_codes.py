"""The code lists a lot is described with: countries, EWC, HS, grades, stages and sources."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InvalidInput

DATA = Path(__file__).parent / "data"

MATERIAL_FAMILIES = ("ferrous", "stainless_steel", "aluminium", "copper", "brass", "bronze", "lead", "zinc", "nickel",
                     "tin", "precious_metals", "mixed_non_ferrous", "other")
CONSUMER_STAGES = ("pre_consumer", "post_consumer", "home_scrap", "mixed", "unknown")
SOURCE_TYPES = ("elv", "weee", "construction_demolition", "industrial_new_scrap", "cable", "packaging", "municipal",
                "other")
DOCUMENT_KINDS = ("weighbridge_ticket", "radiation_certificate", "statement_of_conformity", "annex_vii_form",
                  "contract", "assay")
END_OF_WASTE_REGIMES = ("333/2011", "715/2013", "national")
GRADE_SCHEMES = ("ISRI", "EU-27", "EN 13920", "EN 12861", "customer")

# ISRI/ReMA scrap specification code words most traded in the chain (a customer grade covers the rest).
ISRI_CODE_WORDS = frozenset("""
Barley Berry Birch Candy Cliff Clove Cobra Cocoa Drink Druid Ebony Elias Elmo Enerv Ester Grape Hitch Honey Ivory
Lace Lake Lamb Lark Lemon Lily Maize Malar Melon Naggle Niece Ocean Pales Palms Radio Rakes Rink Roach Saves Scabs
Scope Scull Segs Shelf Sheema Sheet Shelmo Tabloid Taint/Tabor Take Talap Talc Taldon Taldork Talk Tall Tarry Teens
Telic Tense Tepid Terse Thirl Throb Tough Tread Trill Tweak Twang Twitch Twire Tann Zebra Zorba Zurik Zeppelin
""".split()) | {"HMS 1", "HMS 2", "HMS 1&2", "Shredded", "P&S", "No. 1 Busheling", "No. 1 Bundles", "No. 2 Bundles",
                "Cast Iron", "Turnings"}
EU27_GRADES = frozenset({"E1", "E2", "E3", "E40", "E5H", "E5M", "E6", "E8", "E46"})

# European List of Waste: the metal-bearing sub-chapters (four digits) and single codes (six digits).
EWC_METAL_SUBCHAPTERS = frozenset({"1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010", "1101",
                                   "1102", "1105", "1201", "1601", "1602", "1606", "1608", "1704", "1910"})
EWC_METAL_CODES = frozenset({"150104", "191001", "191002", "191202", "191203", "200133", "200134", "200135",
                             "200136", "200140"})
EWC = re.compile(r"^([0-9]{2}) ?([0-9]{2}) ?([0-9]{2})(\*?)\Z")
HS = re.compile(r"^[0-9]{4}([0-9]{2}){0,2}\Z")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}\Z")


@cache
def countries() -> frozenset[str]:
    """Return the ISO 3166-1 alpha-2 codes shipped in ledger/data."""
    lines = (DATA / "iso3166_alpha2.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def country(value: Any, field: str) -> str:
    """Return `value` if it is an assigned ISO 3166-1 alpha-2 code."""
    if not isinstance(value, str) or value not in countries():
        raise InvalidInput(field, "must be an ISO 3166-1 alpha-2 country code such as NL")
    return value


def ewc_code(value: Any, field: str) -> str:
    """Return the EWC code normalised to 'dd dd dd' (hazardous '*' kept) if it is metal-bearing."""
    match = EWC.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(field, "must be a six-digit European List of Waste code such as \"17 04 05\"")
    digits = "".join(match.group(1, 2, 3))
    if digits[:4] not in EWC_METAL_SUBCHAPTERS and digits not in EWC_METAL_CODES:
        raise InvalidInput(field, "must be a code of a metal-bearing chapter of the List of Waste")
    return f"{digits[:2]} {digits[2:4]} {digits[4:]}{match.group(4)}"


def hs_code(value: Any, field: str) -> str:
    """Return `value` if it is a 4, 6 or 8 digit HS code."""
    if not isinstance(value, str) or not HS.match(value):
        raise InvalidInput(field, "must be a Harmonized System code of 4, 6 or 8 digits such as 720449")
    return value


def grade(value: Any, field: str) -> dict[str, str]:
    """Return {scheme, code} if the code is valid in its scheme."""
    if not isinstance(value, dict) or set(value) != {"scheme", "code"}:
        raise InvalidInput(field, "must be an object with exactly scheme and code")
    scheme, code = value["scheme"], value["code"]
    if scheme not in GRADE_SCHEMES:
        raise InvalidInput(f"{field}.scheme", f"must be one of {', '.join(GRADE_SCHEMES)}")
    if not isinstance(code, str) or not 0 < len(code) <= 64:
        raise InvalidInput(f"{field}.code", "must be a string of 1-64 characters")
    rules = {
        "ISRI": (code in ISRI_CODE_WORDS, "must be an ISRI/ReMA code word such as Zorba, Berry or HMS 1&2"),
        "EU-27": (code in EU27_GRADES, "must be an EU-27 steel scrap grade such as E3 or E40"),
        "EN 13920": (re.fullmatch(r"EN 13920-([2-9]|1[0-6])", code) is not None,
                     "must name a part of EN 13920 such as EN 13920-4"),
        "EN 12861": (re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ./-]{0,31}", code) is not None,
                     "must be an EN 12861 grade designation"),
        "customer": (code.strip() == code and code != "", "must not start or end with spaces"),
    }
    valid, rule = rules[scheme]
    if not valid:
        raise InvalidInput(f"{field}.code", rule)
    return {"scheme": scheme, "code": code}


def choice(value: Any, options: tuple[str, ...], field: str) -> str:
    """Return `value` if it is one of `options`."""
    if value not in options:
        raise InvalidInput(field, f"must be one of {', '.join(options)}")
    return str(value)
