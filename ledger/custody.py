"""Two-sided custody: the holder dispatches, the addressee receives (weighed, inspected) or rejects.

While a lot is in transit it cannot be used for anything else. A weighed mass
outside the ledger's tolerance of the declared mass is kept as a flagged
discrepancy on the transfer and the lot; the received mass becomes the lot's.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import claim_accounts, composition
from .entry_type import Applied, EntryType
from .errors import InvalidInput, NotAuthorised, PartyNotFound, TransferClosed, TransferNotFound
from .lots import describe, held_lot, listing, may_read_everything
from .masses import parse_kg
from .store import LotFilter, ReadTx, TransferRecord, Wanted, WriteTx
from .validation import exact_fields, text


DISPATCH, RECEIVE, REJECT = "lot.dispatch", "lot.receive", "lot.reject"
DEFAULT_TOLERANCE = "0.01"
TOLERANCE = "mass_tolerance"  # the meta entry that fixes it for this ledger


def transfer_id(index: int) -> str:
    """Return the id of the transfer opened by the dispatch entry at `index`."""
    return f"tr-{index}"


def check_dispatch(body: dict[str, Any]) -> None:
    """Return if `body` is a valid dispatch."""
    exact_fields(body, ("lot_id", "to_party", "declared_mass_kg", "transport_reference"), ("transfers_ownership",))
    text(body, "lot_id", max_length=64)
    text(body, "to_party", max_length=63)
    parse_kg(body["declared_mass_kg"], "body.declared_mass_kg")
    text(body, "transport_reference", max_length=200)
    if not isinstance(body.get("transfers_ownership", True), bool):
        raise InvalidInput("body.transfers_ownership", "must be true or false")


def check_receive(body: dict[str, Any]) -> None:
    """Return if `body` is a valid receipt with its inspection."""
    exact_fields(body, ("transfer_id", "weighed_mass_kg", "inspection"), ("site",))
    text(body, "transfer_id", max_length=64)
    claim_accounts.check_site(body)
    parse_kg(body["weighed_mass_kg"], "body.weighed_mass_kg")
    inspection = body["inspection"]
    if not isinstance(inspection, dict):
        raise InvalidInput("body.inspection", "must be an object")
    exact_fields(inspection, ("conformant", "radiation_check_passed"), ("notes",), prefix="body.inspection")
    for name in ("conformant", "radiation_check_passed"):
        if not isinstance(inspection[name], bool):
            raise InvalidInput(f"body.inspection.{name}", "must be true or false")
    if "notes" in inspection:
        text(inspection, "notes", max_length=1000, prefix="body.inspection")


def check_reject(body: dict[str, Any]) -> None:
    """Return if `body` is a valid rejection."""
    exact_fields(body, ("transfer_id", "reason"))
    text(body, "transfer_id", max_length=64)
    text(body, "reason", max_length=1000)


def apply_dispatch(tx: WriteTx, entry: Applied) -> None:
    """Open a transfer of a lot the actor holds to a registered party."""
    body = entry.body
    lot = held_lot(tx, body["lot_id"], entry.actor, "body.lot_id")
    receiver = body["to_party"]
    if tx.party(receiver) is None:
        raise PartyNotFound(f"party {receiver} is not registered", field="body.to_party")
    if receiver == entry.actor:
        raise InvalidInput("body.to_party", "must be another party than the sender")
    opened = transfer_id(entry.index)
    tx.insert_transfer(TransferRecord(
        opened, lot.lot_id, entry.actor, receiver, parse_kg(body["declared_mass_kg"], "body.declared_mass_kg"),
        lot.mass_g, body["transport_reference"], body.get("transfers_ownership", True), entry.index, entry.recorded_at, "open"))
    tx.update_lot(lot, status="in_transit", open_transfer=opened)
    tx.grant_access(lot.lot_id, receiver)


def apply_receive(tx: WriteTx, entry: Applied) -> None:
    """Close the transfer: the receiver takes custody at the weighed mass, at the site it names or can only mean."""
    body = entry.body
    transfer = _open_transfer_for(tx, body["transfer_id"], entry.actor)
    weighed = parse_kg(body["weighed_mass_kg"], "body.weighed_mass_kg")
    flagged = abs(weighed - transfer.declared_g) > tolerance(tx) * transfer.declared_g
    lot = tx.lot(transfer.lot_id)
    assert lot is not None
    site = claim_accounts.site_of(tx, entry.actor, (lot.material_family,), body)
    tx.close_transfer(transfer, status="received", closed_entry=entry.index, closed_at=entry.recorded_at,
                      weighed_g=weighed, outcome=body["inspection"], discrepancy=flagged)
    makeup = composition.rescaled(composition.Makeup(lot.composition, lot.origins), weighed)
    received = tx.update_lot(lot, status="active", open_transfer=None, holder=entry.actor, mass_g=weighed,
                             owner=entry.actor if transfer.transfers_ownership else lot.owner,
                             composition=makeup.categories, origins=makeup.origins,
                             discrepancy=lot.discrepancy or flagged, site=site)
    claim_accounts.withdraw(tx, transfer.sender, lot.lot_id, entry)
    claim_accounts.credit(tx, received, entry, before=lot)


def apply_reject(tx: WriteTx, entry: Applied) -> None:
    """Close the transfer as rejected: custody stays with (returns to) the sender."""
    transfer = _open_transfer_for(tx, entry.body["transfer_id"], entry.actor)
    tx.close_transfer(transfer, status="rejected", closed_entry=entry.index, closed_at=entry.recorded_at,
                      outcome={"reason": entry.body["reason"]})
    lot = tx.lot(transfer.lot_id)
    assert lot is not None
    tx.update_lot(lot, status="active", open_transfer=None)


def tolerance(tx: ReadTx) -> Fraction:
    """Return the ledger's mass tolerance, fixed in `meta` at init so a rebuild flags the same transfers."""
    return Fraction(tx.meta(TOLERANCE) or DEFAULT_TOLERANCE)


def dispatch_wants(body: dict[str, Any]) -> Wanted:
    return Wanted(lots=(body["lot_id"],), parties=(body["to_party"],))


def receive_wants(body: dict[str, Any]) -> Wanted:
    return Wanted(transfers=(body["transfer_id"],), meta=(TOLERANCE,))


def reject_wants(body: dict[str, Any]) -> Wanted:
    return Wanted(transfers=(body["transfer_id"],))


def dispatch_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"transfer_id": transfer_id(index), "lot_id": body["lot_id"]}


def close_result(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"transfer_id": body["transfer_id"]}


def _open_transfer_for(tx: ReadTx, transfer: str, actor: str) -> TransferRecord:
    record = tx.transfer(transfer)
    if record is None or actor not in (record.receiver, record.sender):
        raise TransferNotFound(f"no transfer {transfer} is addressed to {actor}", field="body.transfer_id")
    if record.receiver != actor:
        raise NotAuthorised("only the addressee may receive or reject a transfer", field="body.transfer_id")
    if record.status != "open":
        raise TransferClosed(f"transfer {transfer} was already {record.status}", field="body.transfer_id")
    return record


ENTRY_TYPES = (
    EntryType(DISPATCH, check_dispatch, apply_dispatch, dispatch_result, wants=dispatch_wants),
    EntryType(RECEIVE, check_receive, apply_receive, close_result, wants=receive_wants),
    EntryType(REJECT, check_reject, apply_reject, close_result, wants=reject_wants),
)


def lot_history(tx: ReadTx, reader: str, lot: str) -> list[TransferRecord]:
    """Return every transfer of a lot the reader may see, in dispatch order (404 otherwise)."""
    describe(tx, reader, lot)
    return tx.transfers_of([lot])


def inbox(tx: ReadTx, reader: str, limit: int = 500) -> list[TransferRecord]:
    """Return the open transfers addressed to `reader`, oldest first."""
    in_transit = listing(tx, reader, LotFilter(status="in_transit"), None, limit)
    return [view.open_transfer for view in in_transit
            if view.open_transfer is not None and view.open_transfer.receiver == reader]


def describe_transfer(tx: ReadTx, reader: str, transfer: str) -> TransferRecord:
    """Return a transfer to its sender, its addressee, auditors and operators (404 to anyone else)."""
    record = tx.transfer(transfer)
    if record is None or not (reader in (record.sender, record.receiver) or may_read_everything(tx, reader)):
        raise TransferNotFound(f"no transfer {transfer} is visible to {reader}", field="transfer_id")
    return record
