"""Mass-balance claims: accounts opened, credited grams allocated to output lots, periods closed with statements.

Under the mass-balance model (ISO 22095 3.3.4) a smelter sells recycled
content from an account rather than from the physical mix: the grams its
processing turned into credit (`claim_accounts`) may be allocated to any of
its output lots of the same family, up to the lot's mass, never beyond what
the account holds. A period is closed after it ends, in order; its balance is
carried forward within the account's cap or forfeited, and its statement is
kept as the log alone recomputes it. Allocations wait until every earlier
period is closed, so credits that lapsed cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import claim_accounts, periods, scrap_codes
from .claim_accounts import CHARACTERISTICS
from .declarations import parse_share
from .entry_type import Applied, EntryType
from .errors import AccountNotFound, ClaimRefused, InvalidInput
from .lots import READ_ALL_ROLES, REGISTRARS, held_lot, may_read_everything
from .masses import format_kg, parse_kg
from .parties import require_any_role
from .store import AccountRecord, LotFilter, LotRecord, ReadTx, WriteTx
from .validation import exact_fields, text

OPEN, ALLOCATE, CLOSE = "claim.open_account", "claim.allocate", "claim.close_period"
MODEL = "mass_balance"
OTHER_MODELS = ("controlled_blending needs no account: every lot's shares are computed through every step; "
                "identity preserved and segregated material keep their own lots; book-and-claim is not supported")


def account_id(index: int) -> str:
    """Return the id of the account opened by the entry at `index`."""
    return f"mba-{index}"


def check_open(body: dict[str, Any]) -> None:
    """Return if `body` opens a well-formed account."""
    exact_fields(body, ("site", "material_family", "characteristic", "model", "period", "carry_forward"),
                 ("carry_forward_cap",))
    claim_accounts.check_site(body)
    scrap_codes.choice(body["material_family"], scrap_codes.MATERIAL_FAMILIES, "body.material_family")
    scrap_codes.choice(body["characteristic"], CHARACTERISTICS, "body.characteristic")
    if body["model"] != MODEL:
        raise InvalidInput("body.model", f"must be {MODEL}: {OTHER_MODELS}")
    scrap_codes.choice(body["period"], tuple(periods.RULES), "body.period")
    if not isinstance(body["carry_forward"], bool):
        raise InvalidInput("body.carry_forward", "must be true or false")
    if body["carry_forward"] != ("carry_forward_cap" in body):
        raise InvalidInput("body.carry_forward_cap", "is given exactly when carry_forward is true")
    if body["carry_forward"]:
        parse_share(body["carry_forward_cap"], "body.carry_forward_cap")


def apply_open(tx: WriteTx, entry: Applied) -> None:
    """Open the account; a holder keeps one per site, material family and characteristic."""
    require_any_role(tx, entry.actor, REGISTRARS)
    body = entry.body
    opened = (body["site"], body["material_family"], body["characteristic"])
    for account in tx.accounts(entry.actor):
        if (account.site, account.material_family, account.characteristic) == opened:
            raise ClaimRefused("body.site", f"{account.account_id} already keeps {account.characteristic} "
                                            f"{account.material_family} at {account.site}: one account per site, "
                                            "family and characteristic")
    tx.insert_account(AccountRecord(account_id(entry.index), entry.index, entry.actor, body["site"],
                                    body["material_family"], body["characteristic"], body["period"],
                                    body.get("carry_forward_cap"), entry.recorded_at))


def check_allocate(body: dict[str, Any]) -> int:
    """Return the grams a well-formed allocation assigns."""
    exact_fields(body, ("account_id", "lot_id", "mass_kg"))
    text(body, "account_id", max_length=64)
    text(body, "lot_id", max_length=64)
    return parse_kg(body["mass_kg"], "body.mass_kg")


def apply_allocate(tx: WriteTx, entry: Applied) -> None:
    """Allocate available credit to an output lot the holder made under the account; refuse what breaks a rule."""
    body = entry.body
    grams = entry.checked or check_allocate(body)
    account = _held_account(tx, body["account_id"], entry.actor)
    lot = held_lot(tx, body["lot_id"], entry.actor, "body.lot_id")
    if lot.material_family != account.material_family:
        raise ClaimRefused("body.lot_id", f"no allocation across material families: the lot is {lot.material_family}, "
                                          f"the account {account.material_family}")
    if lot.origin_kind == "registered" or lot.created_by != entry.actor or lot.created_entry < account.entry_index:
        raise ClaimRefused("body.lot_id", f"only an output lot {entry.actor} made after opening the account at "
                                          f"{account.site} can carry its claim")
    if lot.site != account.site:
        raise ClaimRefused("body.lot_id", f"no allocation across sites: the lot was made at "
                                          f"{lot.site or 'no named site'}, the account keeps {account.site}")
    if _came_back(tx, [lot.lot_id]):
        raise ClaimRefused("body.lot_id", "the lot left and came back by a receipt: credit goes only to a lot "
                                          "still at the site that made it")
    pending = first_open_period(tx, account)
    now = periods.period_of(entry.recorded_at, account.period_rule)
    if now != pending:
        raise ClaimRefused("body.account_id", f"period {pending} is not closed: allocations in {now} wait until "
                                              "every earlier period is closed")
    already = claim_accounts.claimed(tx, lot.lot_id, account.characteristic)
    if already + grams > lot.mass_g:
        raise ClaimRefused("body.mass_kg", f"the lot weighs {format_kg(lot.mass_g)} kg and already claims "
                                           f"{format_kg(already)} kg: no allocation beyond the lot's mass")
    _, available = claim_accounts.held(tx, account.account_id)
    if grams > available:
        raise ClaimRefused("body.mass_kg", f"the account has {format_kg(available)} kg available: "
                                           "no balance may go negative")
    tx.insert_movements([claim_accounts.movement(account, entry, "allocated", lot.lot_id, grams)])


def check_close(body: dict[str, Any]) -> None:
    exact_fields(body, ("account_id", "period"))
    text(body, "account_id", max_length=64)
    text(body, "period", max_length=8)


def apply_close(tx: WriteTx, entry: Applied) -> None:
    """Close the account's next period once it has ended: carry forward within the cap, forfeit the rest."""
    body = entry.body
    account = _held_account(tx, body["account_id"], entry.actor)
    period = body["period"]
    if not periods.is_period(period, account.period_rule):
        raise InvalidInput("body.period", f"must name a {account.period_rule} such as "
                                          f"{periods.period_of(entry.recorded_at, account.period_rule)}")
    pending = first_open_period(tx, account)
    if period != pending:
        raise ClaimRefused("body.period", f"periods close in order: the next to close is {pending}")
    ends = periods.end(period, account.period_rule)
    if entry.recorded_at < ends:
        raise ClaimRefused("body.period", f"{period} ends at {ends}: a period closes after it ends")
    closed = statement(tx, account, period, closing_entry=entry.index)
    forfeited = closed.grams["forfeited"]
    if forfeited:
        tx.insert_movements([claim_accounts.movement(account, entry, "forfeited", None, forfeited, period=period)])
    tx.insert_period(account.account_id, period, entry.index, closed.as_json())


@dataclass(frozen=True, slots=True)
class Statement:
    """One period of an account: opening, credits, allocations, losses, closing (and the stock behind them)."""

    account: AccountRecord
    period: str
    grams: dict[str, int]
    entries: list[int]
    closed_entry: int | None

    def as_json(self) -> dict[str, Any]:
        return {"account_id": self.account.account_id, "period": self.period,
                "status": "open" if self.closed_entry is None else "closed", "closed_entry": self.closed_entry,
                "starts": periods.start(self.period), "ends": periods.end(self.period, self.account.period_rule),
                **{f"{name}_kg": format_kg(grams) for name, grams in self.grams.items()},
                "entries": self.entries}


STATEMENT_LINES = ("opening", "credits", "allocations", "losses", "closing", "carried_forward", "forfeited",
                   "in_stock_opening", "received", "withdrawn", "in_stock_closing")


def statement(tx: ReadTx, account: AccountRecord, period: str, *, closing_entry: int | None = None) -> Statement:
    """Return a period's statement computed from the account's movements.

    Closing (`closing_entry` given) fixes what carries forward: at most the
    account's cap times the period's credits; the rest is forfeited.
    """
    during = tx.movement_totals(account.account_id, period=period)
    total = {kind: during.get(kind, 0) for kind in claim_accounts.KINDS}  # its own close's forfeit is not read
    stock, opening = claim_accounts.balances_of(tx.movement_totals(account.account_id, before=period))
    closing = opening + total["converted"] - total["allocated"]
    grams = {"opening": opening, "credits": total["converted"], "allocations": total["allocated"],
             "losses": total["lost"], "closing": closing, "carried_forward": 0, "forfeited": 0,
             "in_stock_opening": stock, "received": total["received"], "withdrawn": total["withdrawn"],
             "in_stock_closing": stock + total["received"] - total["converted"] - total["lost"] - total["withdrawn"]}
    if closing_entry is not None:
        cap = Fraction(account.carry_forward_cap or 0)
        grams["carried_forward"] = min(closing, int(cap * total["converted"]))
        grams["forfeited"] = closing - grams["carried_forward"]
    return Statement(account, period, grams, tx.period_entries(account.account_id, period), closing_entry)


def first_open_period(tx: ReadTx, account: AccountRecord) -> str:
    """Return the account's earliest period not yet closed."""
    closed = tx.closed_periods(account.account_id)
    return periods.following(closed[-1][0], account.period_rule) if closed else periods.period_of(
        account.opened_at, account.period_rule)


def _held_account(tx: ReadTx, account: str, actor: str) -> AccountRecord:
    record = tx.account(account)
    if record is None or record.holder != actor:
        raise AccountNotFound(f"{actor} holds no account {account}", field="body.account_id")
    return record


def open_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": account_id(index)}


def allocate_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": body["account_id"], "lot_id": body["lot_id"]}


def close_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": body["account_id"], "period": body["period"]}


ENTRY_TYPES = (
    EntryType(OPEN, check_open, apply_open, open_result),
    EntryType(ALLOCATE, check_allocate, apply_allocate, allocate_result),
    EntryType(CLOSE, check_close, apply_close, close_result),
)


def readable_account(tx: ReadTx, reader: str, account: str) -> AccountRecord:
    """Return an account to its holder, auditors and operators (404 to anyone else)."""
    record = tx.account(account)
    if record is None or not (record.holder == reader or may_read_everything(tx, reader)):
        raise AccountNotFound(f"no account {account} is visible to {reader}", field="account_id")
    return record


def period_statement(tx: ReadTx, reader: str, account: str, period: str, now: str) -> dict[str, Any]:
    """Return a period's statement: as closed (stored), or as it stands while it is open (once it has begun)."""
    record = readable_account(tx, reader, account)
    if not periods.is_period(period, record.period_rule):
        raise InvalidInput("period", f"must name a {record.period_rule} of this account, such as "
                                     f"{first_open_period(tx, record)}")
    for name, _, stored in tx.closed_periods(account):
        if name == period:
            return stored
    if period < periods.period_of(record.opened_at, record.period_rule):
        raise InvalidInput("period", f"the account opened in {periods.period_of(record.opened_at, record.period_rule)}")
    if periods.start(period) > now:
        raise InvalidInput("period", f"{period} has not begun: it starts at {periods.start(period)}")
    return statement(tx, record, period).as_json()


def account_view(tx: ReadTx, record: AccountRecord) -> dict[str, Any]:
    """Return an account with what it holds now, its open period and its closed periods."""
    stock, available = claim_accounts.held(tx, record.account_id)
    return {**{name: getattr(record, name) for name in AccountRecord.__slots__}, "model": MODEL,
            "available_kg": format_kg(available), "in_stock_kg": format_kg(stock),
            "open_period": first_open_period(tx, record),
            "closed_periods": [period for period, _, _ in tx.closed_periods(record.account_id)]}


def accounts_for(tx: ReadTx, reader: str) -> list[dict[str, Any]]:
    """Return the reader's own accounts; every account to auditors and operators."""
    return [account_view(tx, record) for record in tx.accounts(None if may_read_everything(tx, reader) else reader)]


def closed_statements(tx: ReadTx, reader: str) -> list[dict[str, Any]]:
    """Return every closed period's statement of every account, in period order (auditors and operators)."""
    require_any_role(tx, reader, READ_ALL_ROLES)
    return [stored for record in tx.accounts() for _, _, stored in tx.closed_periods(record.account_id)]


def claimable(tx: ReadTx, record: AccountRecord) -> list[tuple[LotRecord, int]]:
    """Return the output lots the holder may allocate the account's credit to, each with what it claims already."""
    lots_ = tx.lots(LotFilter(holder=record.holder, status="active", material_family=record.material_family), None,
                    1000)
    made = [lot for lot in lots_ if lot.origin_kind != "registered" and lot.created_by == record.holder
            and lot.created_entry > record.entry_index and lot.site == record.site]
    returned = _came_back(tx, [lot.lot_id for lot in made])
    return [(lot, claim_accounts.claimed(tx, lot.lot_id, record.characteristic)) for lot in made
            if lot.lot_id not in returned]


def _came_back(tx: ReadTx, lot_ids: list[str]) -> set[str]:
    """Return the lots among `lot_ids` that were ever received: the site they are at may not be where they were made."""
    return {transfer.lot_id for transfer in tx.transfers_of(lot_ids) if transfer.status == "received"} if lot_ids else set()
