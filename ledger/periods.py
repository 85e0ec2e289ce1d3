"""Accounting periods of a mass-balance account: calendar months, quarters or years, in UTC.

A period is named `2026-03` (month), `2026-Q1` (quarter) or `2026` (year); an
entry belongs to the period its `recorded_at` falls in. Names of one rule sort
in time order as strings.
"""

from __future__ import annotations

import re

RULES = {"month": re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])\Z"), "quarter": re.compile(r"[0-9]{4}-Q[1-4]\Z"),
         "year": re.compile(r"[0-9]{4}\Z")}


def period_of(recorded_at: str, rule: str) -> str:
    """Return the period of `rule` that a log time (`2026-03-02T08:00:00.412000Z`) falls in."""
    year, month = recorded_at[:4], int(recorded_at[5:7])
    if rule == "month":
        return f"{year}-{month:02d}"
    if rule == "quarter":
        return f"{year}-Q{(month - 1) // 3 + 1}"
    return year


def is_period(name: object, rule: str) -> bool:
    """Return whether `name` names a period of `rule`."""
    return isinstance(name, str) and RULES[rule].match(name) is not None


def following(period: str, rule: str) -> str:
    """Return the period after `period`."""
    year = int(period[:4])
    if rule == "month":
        month = int(period[5:7])
        return f"{year + month // 12}-{month % 12 + 1:02d}"
    if rule == "quarter":
        quarter = int(period[6])
        return f"{year + quarter // 4}-Q{quarter % 4 + 1}"
    return str(year + 1)


def start(period: str) -> str:
    """Return the log time at which `period` begins, comparable with `recorded_at` as a string."""
    year, _, part = period.partition("-")
    month = 1 if not part else (int(part[1]) - 1) * 3 + 1 if part.startswith("Q") else int(part)
    return f"{year}-{month:02d}-01T00:00:00.000000Z"


def end(period: str, rule: str) -> str:
    """Return the log time at which `period` is over (the start of the next)."""
    return start(following(period, rule))
