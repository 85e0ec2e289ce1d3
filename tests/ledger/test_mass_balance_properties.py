"""Mass is never created and every lot's makeup adds up, for any amounts and any graph of transformations.

The pure part checks the gram arithmetic (`masses`, `composition`) on arbitrary
pools. The stateful part drives a real log on SQLite through random
registrations, splits, sorts, bales, blends and melts with primary additions,
in a fresh database per example (copied from one initialised template, since
function-scoped fixtures do not reset between Hypothesis examples), and checks
after every step:

    mass of active lots + stated losses + unaccounted mass == registered mass + primary additions
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from ledger import lots, parties, transformations
from ledger.composition import CATEGORIES, PRIMARY, Makeup, drawn, rescaled
from ledger.config import Settings
from ledger.entries import format_time, sign_submission
from ledger.errors import LotConsumed
from ledger.genesis import initialise
from ledger.log import Log
from ledger.masses import allocate, format_kg, proportional, share
from ledger.signing import Signer
from ledger.store import LotFilter, Store
from ledger.store.tables import TransformationRow
from tests.conftest import ORIGIN, seeded_signer
from tests.factories import lot_body, output, transform_body

COUNTRIES = ("NL", "BE", "DE", "FR", "PL")
RECYCLER = "rotterdam-metals"
TONNES = 1_000_000

grams = st.integers(min_value=0, max_value=50_000 * TONNES)
names = st.sampled_from(CATEGORIES + COUNTRIES)
pools = st.dictionaries(names, st.integers(min_value=0, max_value=50 * TONNES), min_size=1).filter(
    lambda pool: sum(pool.values()) > 0)
registrations = st.tuples(st.integers(1_000, 40 * TONNES),
                          st.sampled_from(("pre_consumer", "post_consumer", "home_scrap", "mixed", "unknown")),
                          st.sampled_from(COUNTRIES))


def parts_of(draw: Any, total: int, count: int, *, minimum: int = 0) -> list[int]:
    """Return `count` parts, each at least `minimum`, that sum to `total`."""
    spare = total - count * minimum
    cuts = sorted(draw(st.lists(st.integers(0, spare), min_size=count - 1, max_size=count - 1)))
    return [minimum + high - low for low, high in zip([0, *cuts], [*cuts, spare], strict=True)]


@st.composite
def makeups(draw: Any) -> Makeup:
    """Return a makeup as the ledger keeps it: origins account for exactly the non-primary grams."""
    categories = draw(st.dictionaries(st.sampled_from(CATEGORIES), st.integers(1, 50 * TONNES), min_size=1))
    scrap = sum(categories.values()) - categories.get(PRIMARY, 0)
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=len(COUNTRIES), unique=True))
    origins = {country: part for country, part in zip(countries, parts_of(draw, scrap, len(countries)), strict=True)
               if part}
    return Makeup(categories, origins)


@st.composite
def draws(draw: Any) -> tuple[list[Makeup], int, list[int]]:
    """Return pooled inputs, primary grams added, and output masses that the pool can cover."""
    inputs = draw(st.lists(makeups(), min_size=1, max_size=5))
    primary = draw(st.integers(0, 5 * TONNES))
    total = sum(item.mass for item in inputs) + primary
    used = draw(st.one_of(st.just(total), st.integers(1, total)))
    count = draw(st.integers(1, min(6, used)))
    return inputs, primary, parts_of(draw, used, count, minimum=1)


@given(pools, grams)
def test_proportional_parts_sum_exactly_to_the_requested_grams(pool, wanted):
    assert sum(proportional(pool, wanted).values()) == wanted


@given(pools, grams)
def test_proportional_never_makes_a_negative_or_empty_part(pool, wanted):
    assert all(part > 0 for part in proportional(pool, wanted).values())


@given(pools, grams)
def test_proportional_gives_each_part_its_exact_share_rounded_up_or_down(pool, wanted):
    total = sum(pool.values())
    for name, part in proportional(pool, wanted).items():
        assert abs(part - Fraction(pool[name] * wanted, total)) < 1


@given(pools, st.data())
def test_allocate_never_takes_more_from_a_part_than_it_holds(pool, data):
    taken = allocate(pool, data.draw(st.integers(0, sum(pool.values()))))
    assert all(0 < part <= pool[name] for name, part in taken.items())


@given(pools, st.data())
def test_allocate_takes_exactly_the_requested_grams(pool, data):
    wanted = data.draw(st.integers(0, sum(pool.values())))
    assert sum(allocate(pool, wanted).values()) == wanted


@given(pools, st.integers(1, TONNES))
def test_allocate_refuses_to_take_more_than_the_pool_holds(pool, excess):
    with pytest.raises(ValueError):
        allocate(pool, sum(pool.values()) + excess)


@given(makeups(), st.integers(1, 50 * TONNES))
def test_a_rescaled_makeup_sums_to_the_new_mass(makeup, mass):
    assert rescaled(makeup, mass).mass == mass


@given(makeups(), st.integers(1, 50 * TONNES))
def test_a_rescaled_makeups_origins_sum_to_its_mass_minus_primary(makeup, mass):
    scaled = rescaled(makeup, mass)
    assert sum(scaled.origins.values()) == mass - scaled.categories.get(PRIMARY, 0)


@given(draws())
def test_each_drawn_output_sums_exactly_to_its_mass(case):
    inputs, primary, masses = case
    assert [made.mass for made in drawn(inputs, primary, masses)] == masses


@given(draws())
def test_each_drawn_outputs_origins_sum_to_its_mass_minus_primary(case):
    inputs, primary, masses = case
    for made in drawn(inputs, primary, masses):
        assert sum(made.origins.values()) == made.mass - made.categories.get(PRIMARY, 0)
        assert all(part > 0 for part in made.origins.values())


@given(draws())
def test_drawn_outputs_together_take_no_more_of_a_category_than_the_pool_had(case):
    inputs, primary, masses = case
    pooled = {PRIMARY: primary}
    for item in inputs:
        for name, part in item.categories.items():
            pooled[name] = pooled.get(name, 0) + part
    made = drawn(inputs, primary, masses)
    for name in CATEGORIES:
        assert sum(lot.categories.get(name, 0) for lot in made) <= pooled.get(name, 0)


@given(makeups())
def test_every_share_of_a_makeup_lies_between_zero_and_one(makeup):
    assert all(0 <= Fraction(value) <= 1 for value in makeup.shares().values())


@given(st.integers(0, 50_000 * TONNES), st.data())
def test_a_share_is_never_overstated(whole, data):
    part = data.draw(st.integers(0, whole))
    assert Fraction(share(part, whole)) <= (Fraction(part, whole) if whole else 0)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the home of an initialised SQLite ledger with one recycler, to copy for each example."""
    home = tmp_path_factory.mktemp("mass-balance-template")
    config = Settings.from_env({"DATABASE_URL": f"sqlite:///{home / 'ledger.db'}", "SCRAPLEDGER_HOME": str(home),
                                "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"})
    now = datetime.now(UTC)
    initialise(config, operator_id="operator", legal_name="Ledger Operations B.V.",
               registration_number="NL-KVK-90000001", country="NL", now=now)
    store = Store(config.database_url, sqlite_synchronous="NORMAL")
    operator = Signer.load(home / "operator-key.pem")
    body = {"party_id": RECYCLER, "legal_name": "Rotterdam Metals Recycling B.V.",
            "registration_number": "KVK-24121990", "country": "NL", "roles": ["recycler"],
            "public_keys": [seeded_signer(RECYCLER).public_key.hex()]}
    submission = {"log": ORIGIN, "party": "operator", "key_id": operator.key_id, "submission_id": "register-recycler",
                  "timestamp": format_time(now), "type": parties.REGISTER, "body": body}
    Log(store, Signer.load(config.log_key_file), ORIGIN).append(sign_submission(submission, operator),
                                                              actor="operator", now=now)
    store.dispose()
    return home


class MassBalance(RuleBasedStateMachine):
    """A recycler registering and transforming lots at random on a fresh ledger."""

    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.home = tempfile.TemporaryDirectory(prefix="mass-balance-")
        for path in self.template.glob("ledger.db*"):
            shutil.copy(path, self.home.name)
        self.store = Store(f"sqlite:///{Path(self.home.name) / 'ledger.db'}", sqlite_synchronous="NORMAL")
        self.log = Log(self.store, Signer.load(self.template / "log-key.pem"), ORIGIN)
        self.signer = seeded_signer(RECYCLER)
        self.active: dict[str, int] = {}
        self.consumed: list[str] = []
        self.registered_g = 0
        self.added_g = 0
        self.seen: list[Any] | None = None
        self.attempts = 0

    def teardown(self) -> None:
        self.store.dispose()
        self.home.cleanup()

    def submit(self, entry_type: str, body: dict[str, Any]) -> dict[str, Any]:
        self.seen = None
        self.attempts += 1
        now = datetime.now(UTC)
        submission = {"log": ORIGIN, "party": RECYCLER, "key_id": self.signer.key_id,
                      "submission_id": f"{entry_type}-{self.attempts}", "timestamp": format_time(now),
                      "type": entry_type, "body": body}
        return self.log.append(sign_submission(submission, self.signer), actor=RECYCLER, now=now).result

    def register_lot(self, mass: int, stage: str, country: str) -> None:
        made = self.submit(lots.REGISTER, lot_body(net_mass_kg=format_kg(mass), gross_mass_kg=None, tare_mass_kg=None,
                                                   consumer_stage=stage, origin={"country": country, "site": "yard"}))
        self.active[made["lot_id"]] = mass
        self.registered_g += mass

    @initialize(found=st.lists(registrations, min_size=2, max_size=4))
    def register_the_first_lots(self, found: list[tuple[int, str, str]]) -> None:
        for mass, stage, country in found:
            self.register_lot(mass, stage, country)

    @precondition(lambda self: len(self.active) < 6)  # otherwise registrations crowd out the transformations
    @rule(found=registrations)
    def register(self, found: tuple[int, str, str]) -> None:
        self.register_lot(*found)

    @precondition(lambda self: self.active)
    @rule(data=st.data())
    def transform(self, data: st.DataObject) -> None:
        splittable = sorted(lot for lot, mass in self.active.items() if mass >= 2)
        kinds = ["sort", "bale", "melt"] + ["split"] * bool(splittable) + ["blend"] * (len(self.active) > 1)
        kind = data.draw(st.sampled_from(kinds), label="kind")
        candidates = splittable if kind == "split" else sorted(self.active)
        fewest, most = {"split": (1, 1), "blend": (2, 4)}.get(kind, (1, 3))
        inputs = data.draw(st.lists(st.sampled_from(candidates), min_size=fewest, max_size=most, unique=True),
                           label="inputs")
        additions = []
        if kind == "melt":
            additions = data.draw(st.lists(st.integers(1, 2 * TONNES), max_size=2), label="additions")
        available = sum(self.active[lot] for lot in inputs) + sum(additions)
        count = data.draw(st.integers(2 if kind == "split" else 1, min(4, available)), label="outputs")
        losses = data.draw(st.integers(0, available - count), label="losses")
        used = data.draw(st.one_of(st.just(available - losses), st.integers(count, available - losses)), label="used")
        masses = parts_of(data.draw, used, count, minimum=1)
        body = transform_body(kind, inputs, [output(format_kg(mass)) for mass in masses], losses=format_kg(losses))
        if additions:
            body["additions"] = [{"material": "pig iron", "mass_kg": format_kg(mass)} for mass in additions]
        made = self.submit(transformations.TRANSFORM, body)
        for lot in inputs:
            del self.active[lot]
            self.consumed.append(lot)
        self.active.update(zip(made["outputs"], masses, strict=True))
        self.added_g += sum(additions)

    @precondition(lambda self: self.consumed)
    @rule(data=st.data())
    def reuse_a_consumed_lot(self, data: st.DataObject) -> None:
        spent = data.draw(st.sampled_from(self.consumed), label="consumed lot")
        before = self.log.size()
        with pytest.raises(LotConsumed):
            self.submit(transformations.TRANSFORM, transform_body("bale", [spent], [output("0.001")]))
        assert self.log.size() == before

    def lots(self) -> list[Any]:
        """Return every lot in the ledger, read once per step for all the invariants."""
        if self.seen is None:
            with self.store.read() as tx:
                self.seen = tx.lots(LotFilter(), None, 100_000)
        return self.seen

    @invariant()
    def mass_is_never_created(self) -> None:
        with self.store.read() as tx:
            losses, unaccounted, added = tx.connection.execute(select(
                func.coalesce(func.sum(TransformationRow.losses_g), 0),
                func.coalesce(func.sum(TransformationRow.unaccounted_g), 0),
                func.coalesce(func.sum(TransformationRow.additions_g), 0))).one()
            negative = tx.connection.execute(select(func.count()).where(TransformationRow.unaccounted_g < 0)).scalar()
        active = sum(lot.mass_g for lot in self.lots() if lot.status == "active")
        assert negative == 0
        assert added == self.added_g
        assert active + losses + unaccounted == self.registered_g + self.added_g

    @invariant()
    def the_active_lots_are_the_ones_never_consumed(self) -> None:
        found = self.lots()
        assert {lot.lot_id: lot.mass_g for lot in found if lot.status == "active"} == self.active
        assert sorted(lot.lot_id for lot in found if lot.status == "consumed") == sorted(self.consumed)

    @invariant()
    def every_lots_composition_sums_to_its_mass(self) -> None:
        for lot in self.lots():
            assert sum(lot.composition.values()) == lot.mass_g, lot
            assert all(part > 0 for part in lot.composition.values()), lot

    @invariant()
    def every_lots_origins_sum_to_its_mass_minus_primary(self) -> None:
        for lot in self.lots():
            assert sum(lot.origins.values()) == lot.mass_g - lot.composition.get(PRIMARY, 0), lot

    @invariant()
    def every_share_including_recycled_lies_between_zero_and_one(self) -> None:
        for lot in self.lots():
            shares = Makeup(lot.composition, lot.origins).shares()
            assert all(0 <= Fraction(value) <= 1 for value in shares.values()), (lot, shares)


def test_random_transformation_graphs_never_create_mass_and_keep_every_makeup_exact(template: Path) -> None:
    MassBalance.template = template
    run_state_machine_as_test(MassBalance, settings=settings(max_examples=25, stateful_step_count=12, deadline=None))

