"""What a lot is made of, in whole grams: consumer-stage categories and origin countries.

Every registered lot starts as one category (its consumer stage) from one
country. Transformations pool their inputs (and primary-metal additions) and
draw each output from the pool in proportion; a receipt at a different weight
rescales. Shares are therefore computed, never typed in, and the parts of a lot
always add up exactly to its mass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from .masses import add, allocate, proportional, share, subtract

PRIMARY = "primary"
RECYCLED = ("pre_consumer", "post_consumer", "mixed")  # ISO 14021: home scrap is not recycled content
CATEGORIES = ("pre_consumer", "post_consumer", "mixed", "home_scrap", "unknown", PRIMARY)


@dataclass(frozen=True, slots=True)
class Makeup:
    """Grams per category (summing to the mass) and grams of scrap per origin country."""

    categories: dict[str, int]
    origins: dict[str, int]

    @property
    def mass(self) -> int:
        return sum(self.categories.values())

    @property
    def recycled(self) -> int:
        return sum(self.categories.get(name, 0) for name in RECYCLED)

    def shares(self) -> dict[str, str]:
        """Return the recycled share and each category's share of the mass (six decimals, rounded down)."""
        mass = self.mass
        found = {"recycled": share(self.recycled, mass)}
        found.update({name: share(self.categories.get(name, 0), mass) for name in CATEGORIES})
        return found

    def stage(self) -> str:
        """Return the single consumer stage of the scrap content, or mixed."""
        scrap = [name for name, grams in self.categories.items() if grams and name != PRIMARY]
        return scrap[0] if len(scrap) == 1 else "mixed"


def registered(stage: str, country: str, grams: int) -> Makeup:
    """Return the makeup of a freshly registered lot."""
    return Makeup({stage: grams}, {country: grams})


def rescaled(makeup: Makeup, grams: int) -> Makeup:
    """Return the makeup scaled in proportion to a new mass (a receipt at another weight)."""
    categories = proportional(makeup.categories, grams)
    return Makeup(categories, proportional(makeup.origins, grams - categories.get(PRIMARY, 0)))


def drawn(inputs: Iterable[Makeup], primary_g: int, outputs_g: list[int]) -> list[Makeup]:
    """Return each output's makeup, drawn in turn and in proportion from the pooled inputs and additions."""
    pool = list(inputs)
    categories = add(*(item.categories for item in pool), {PRIMARY: primary_g})
    origins = add(*(item.origins for item in pool))
    made = []
    for grams in outputs_g:
        taken = allocate(categories, grams)
        taken_origins = allocate(origins, grams - taken.get(PRIMARY, 0))
        categories, origins = subtract(categories, taken), subtract(origins, taken_origins)
        made.append(Makeup(taken, taken_origins))
    return made
