"""Exact masses: kilograms on the wire as decimal strings, integer grams inside.

No float ever carries a mass. Composition (how much of a lot is post-consumer,
from which country ...) is kept in whole grams and divided with the largest
remainder method, so the parts of every lot add up exactly to its mass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction

from .errors import InvalidInput

KG = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,3})?\Z")
MAX_GRAMS = 10**12  # a million tonnes: more than any one consignment


def parse_kg(value: object, field: str, *, allow_zero: bool = False) -> int:
    """Return the grams in a decimal string of kilograms (at most three decimals)."""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a decimal string of kilograms such as \"24380.5\" (not a number)")
    if not KG.match(value):
        raise InvalidInput(field, "must be a non-negative decimal of kilograms with at most three decimals")
    whole, _, fraction = value.partition(".")
    grams = int(whole) * 1000 + int((fraction + "000")[:3])
    if grams == 0 and not allow_zero:
        raise InvalidInput(field, "must be greater than zero")
    if grams > MAX_GRAMS:
        raise InvalidInput(field, "is larger than any plausible consignment")
    return grams


def format_kg(grams: int) -> str:
    """Return grams as a decimal string of kilograms with exactly three decimals."""
    sign = "-" if grams < 0 else ""
    whole, rest = divmod(abs(grams), 1000)
    return f"{sign}{whole}.{rest:03d}"


def share(part: int, whole: int) -> str:
    """Return part/whole as a decimal string with six decimals, rounded down (never overstated)."""
    if whole <= 0:
        return "0.000000"
    millionths = part * 1_000_000 // whole
    return f"{millionths // 1_000_000}.{millionths % 1_000_000:06d}"


def allocate(pool: Mapping[str, int], take: int) -> dict[str, int]:
    """Return `take` grams drawn from `pool` in proportion to its parts; no part gives more than it holds."""
    total = sum(pool.values())
    if not 0 <= take <= total:
        raise ValueError(f"cannot take {take} g from a pool of {total} g")
    return proportional(pool, take)


def proportional(pool: Mapping[str, int], grams: int) -> dict[str, int]:
    """Return `grams` split in proportion to the parts of `pool`, summing exactly to `grams`.

    Each part gets its floor share and the grams left over go to the parts with
    the largest remainders (ties broken by name, so it is deterministic).
    """
    total = sum(pool.values())
    if total == 0 or grams == 0:
        return {}
    exact = {name: Fraction(value * grams, total) for name, value in pool.items() if value}
    result = {name: int(value) for name, value in exact.items()}
    left = grams - sum(result.values())
    for name in sorted(exact, key=lambda name: (-(exact[name] - result[name]), name))[:left]:
        result[name] += 1
    return {name: value for name, value in result.items() if value}


def subtract(pool: Mapping[str, int], taken: Mapping[str, int]) -> dict[str, int]:
    """Return what remains of `pool` after `taken`."""
    return {name: grams - taken.get(name, 0) for name, grams in pool.items() if grams - taken.get(name, 0)}


def add(*pools: Mapping[str, int]) -> dict[str, int]:
    """Return the part-wise sum of several pools."""
    total: dict[str, int] = {}
    for pool in pools:
        for name, grams in pool.items():
            total[name] = total.get(name, 0) + grams
    return {name: grams for name, grams in total.items() if grams}
