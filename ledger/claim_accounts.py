"""Mass-balance bookkeeping: what each custody change and transformation does to the holder's accounts.

An account (party × site × material family × characteristic) holds grams in
two places. *In stock*: the recycled (or post-consumer) grams of lots that
came into the holder's custody — registered or received — and are not yet
processed; they are tied to their lot. *Available*: grams that processing
turned into usable credit, which allocations draw on. Processing a credited
lot converts its grams in the proportion of the transformation's yield; the
rest is lost. A credited lot that leaves unprocessed is withdrawn. So every
lot is credited once per holding, nothing is credited that did not come in,
and neither place can go below zero.

A lot made by a transformation under a mass-balance account carries no
physical credit for its next holder, only the grams allocated to it (its
claim): its physical content already counted at its producer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

from . import composition, periods
from .entry_type import Applied
from .errors import InvalidInput
from .store import AccountRecord, LotRecord, Movement, ReadTx, WriteTx
from .validation import text

CHARACTERISTICS = ("recycled", "post_consumer")
SITE = re.compile(r"\S(.*\S)?\Z", re.DOTALL)  # one spelling per site: no whitespace around it
# kind -> its sign on (in stock, available)
KINDS = {"received": (1, 0), "converted": (-1, 1), "lost": (-1, 0), "withdrawn": (-1, 0),
         "allocated": (0, -1), "forfeited": (0, -1)}


def check_site(body: dict[str, Any]) -> None:
    """Return if the site an entry may name (where the holder keeps the lot) is well formed.

    Sites are compared exactly, so a site has one spelling: no whitespace around it, Unicode NFC, and
    no invisible format or control characters (a zero-width space would make another site).
    """
    if "site" in body:
        site = text(body, "site", max_length=64, pattern=SITE, rule="must not begin or end with whitespace")
        if unicodedata.normalize("NFC", site) != site:
            raise InvalidInput("body.site", "must be in Unicode normal form C (composed characters)")
        if any(unicodedata.category(character) in ("Cc", "Cf") for character in site):
            raise InvalidInput("body.site", "must not hold control or invisible format characters")


def site_of(tx: ReadTx, holder: str, families: Iterable[str], body: dict[str, Any],
            inputs: Iterable[LotRecord] = ()) -> str | None:
    """Return the holder's site an entry places lots at: the one it names, else the one it can only mean.

    Unnamed, it is the inputs' common site, else the one site where the holder keeps accounts for these
    families, else no site. A holder keeping accounts for them at several sites must name one.
    """
    if "site" in body:
        return str(body["site"])
    common = {lot.site for lot in inputs}
    if len(common) == 1 and None not in common:
        return common.pop()
    wanted = set(families)
    sites = account_sites(tx, holder, wanted)
    if len(sites) > 1:
        raise InvalidInput("body.site", f"is required: {holder} keeps mass-balance accounts for "
                                        f"{', '.join(sorted(wanted))} at {', '.join(sites)}")
    return sites[0] if sites else None


def account_sites(tx: ReadTx, holder: str, families: Iterable[str] | None = None) -> list[str]:
    """Return the sites where the holder keeps accounts (for any of `families`, if given), sorted."""
    wanted = None if families is None else set(families)
    return sorted({account.site for account in tx.accounts(holder) if wanted is None or account.material_family in wanted})


def content(lot: LotRecord, characteristic: str) -> int:
    """Return the lot's computed grams of a characteristic (controlled blending: drawn through every step)."""
    makeup = composition.Makeup(lot.composition, lot.origins)
    return makeup.recycled if characteristic == "recycled" else lot.composition.get("post_consumer", 0)


def allocations_to(tx: ReadTx, lot_id: str, characteristic: str) -> list[Movement]:
    """Return the allocations of a characteristic to a lot, in log order."""
    return [movement for movement in tx.lot_movements(lot_id) if movement.kind == "allocated"
            and (account := tx.account(movement.account_id)) is not None and account.characteristic == characteristic]


def claimed(tx: ReadTx, lot_id: str, characteristic: str) -> int:
    """Return the grams of a characteristic allocated to a lot (its mass-balance claim)."""
    return sum(movement.grams for movement in allocations_to(tx, lot_id, characteristic))


def produced_under_account(tx: ReadTx, lot: LotRecord) -> bool:
    """Return whether a transformation made the lot while its maker held any mass-balance account.

    Whatever the output's family or the account's characteristic, and however often the maker re-melted it:
    its content was credit at the maker (post-consumer grams are recycled grams too), and only its claim may
    travel on. Content the maker never credited is lost to the chain, never counted twice.
    """
    return lot.origin_kind != "registered" and any(
        account.entry_index < lot.created_entry for account in tx.accounts(lot.created_by))


def creditable(tx: ReadTx, lot: LotRecord, characteristic: str, before: LotRecord | None = None) -> int:
    """Return what a lot brings to its new holder's account: its claim if made under an account, else its content.

    A lot received heavier than it was sent (`before`) brings no more than it held when sent.
    """
    if produced_under_account(tx, lot):
        return min(lot.mass_g, claimed(tx, lot.lot_id, characteristic))
    return min(content(lot, characteristic), content(before, characteristic)) if before else content(lot, characteristic)


def credit(tx: WriteTx, lot: LotRecord, entry: Applied, before: LotRecord | None = None) -> None:
    """Credit a lot that came into the actor's custody (registered or received) to its accounts at its site."""
    tx.insert_movements([movement(account, entry, "received", lot.lot_id, grams)
                         for account in tx.accounts(entry.actor)
                         if (account.site, account.material_family) == (lot.site, lot.material_family)
                         and (grams := creditable(tx, lot, account.characteristic, before))])


def withdraw(tx: WriteTx, former_holder: str, lot_id: str, entry: Applied) -> None:
    """Withdraw what a lot still holds in stock on its former holder's accounts (it left unprocessed)."""
    tx.insert_movements([movement(account, entry, "withdrawn", lot_id, left)
                         for account in tx.accounts(former_holder) if (left := in_stock(tx, account, lot_id))])


def convert(tx: WriteTx, inputs: list[LotRecord], yield_: Fraction, entry: Applied) -> None:
    """Turn the stock of consumed lots into available credit in the transformation's yield; the rest is lost."""
    for account in tx.accounts(entry.actor):
        moved: list[tuple[str, str, int]] = []
        for lot in inputs:
            stock = in_stock(tx, account, lot.lot_id)
            converted = int(stock * yield_)  # rounded down: never more credit than came through
            moved += [(kind, lot.lot_id, grams) for kind, grams in (("converted", converted), ("lost", stock - converted))
                      if grams]
        tx.insert_movements([movement(account, entry, kind, lot_id, grams, seq=seq)
                             for seq, (kind, lot_id, grams) in enumerate(moved)])


def in_stock(tx: ReadTx, account: AccountRecord, lot_id: str) -> int:
    """Return the grams a lot holds in stock on an account."""
    return balances(tx.movements(account.account_id, lot_id=lot_id))[0]


def running(movements: Iterable[Movement]) -> Iterator[tuple[Movement, int, int]]:
    """Yield each movement with the account's (in stock, available) just after it."""
    stock = available = 0
    for movement in movements:
        signs = KINDS[movement.kind]
        stock, available = stock + signs[0] * movement.grams, available + signs[1] * movement.grams
        yield movement, stock, available


def balances(movements: Iterable[Movement]) -> tuple[int, int]:
    """Return (in stock, available) after `movements`."""
    stock = available = 0
    for _, stock, available in running(movements):
        pass
    return stock, available


def held(tx: ReadTx, account_id: str) -> tuple[int, int]:
    """Return what an account holds now: (in stock, available)."""
    return balances_of(tx.movement_totals(account_id))


def balances_of(totals: dict[str, int]) -> tuple[int, int]:
    """Return (in stock, available) of grams per movement kind."""
    return (sum(KINDS[kind][0] * grams for kind, grams in totals.items()),
            sum(KINDS[kind][1] * grams for kind, grams in totals.items()))


def movement(account: AccountRecord, entry: Applied, kind: str, lot_id: str | None, grams: int,
             *, seq: int = 0, period: str | None = None) -> Movement:
    """Return the `seq`-th movement of an entry on an account (an entry writes those all at once).

    It falls in the entry's period unless `period` is given.
    """
    return Movement(account.account_id, entry.index, seq,
                    period or periods.period_of(entry.recorded_at, account.period_rule), kind, lot_id, grams)
