"""The ledger's history as GS1 EPCIS 2.0 events (JSON-LD), each tied to the entry that proves it.

One event per physical entry: a registration is a commissioning `ObjectEvent`,
a dispatch a shipping and a receipt a receiving `ObjectEvent` (a rejection an
inspecting one), a transformation a `TransformationEvent`; the holder's site an
entry names is its `bizLocation` (`epcis_sites`). Quantities are in kilograms
(`KGM`). What EPCIS has no standard field for travels in the `sl:` namespace: a
registration's lot attributes and a transformation's outputs as ILMD, the rest
as event extensions. Every event carries `sl:ledgerEntry` (the
entry's index, leaf hash and URL) and, as its `eventID`, its CBV 2.0 event hash.
docs/epcis.md states the mapping field by field; `epcis_import` reads it back.

Parties are named by their GLN's Digital Link URI when they registered one, by
`https://<origin>/parties/<id>` otherwise; lots, transfers and transformations
by URIs under the log's origin. Declarations, certificates and party entries
are not physical events and have none.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from . import custody, lots, transformations
from .epcis_hash import event_hash
from .epcis_sites import biz_location_id
from .gs1 import party_uri
from .entries import format_time
from .hashing import leaf_hash
from .log import Log
from .store import LotRecord, ReadTx, TransferRecord

CHUNK = 2000
MEDIA_TYPE = "application/ld+json"
NAMESPACE = "https://ns.scrapledger.org/epcis/"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"sl": NAMESPACE}]
PRIMARY_METAL = NAMESPACE + "primary-metal/"
TRANSFORMATION_STEP = NAMESPACE + "BizStep-"  # + the transformation kind: split, sort, bale, blend, melt
EVENT_TYPES = (lots.REGISTER, custody.DISPATCH, custody.RECEIVE, custody.REJECT, transformations.TRANSFORM)
DOCUMENT_TYPES = {"contract": "po", "assay": "testres", "statement_of_conformity": "cert",
                  "radiation_certificate": "cert"}  # other kinds get an sl: business transaction type


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One stored entry, decoded, with its leaf hash."""

    index: int
    recorded_at: str
    party: str
    timestamp: str
    type: str
    body: dict[str, Any]
    leaf_hash: str

    @classmethod
    def decode(cls, data: bytes) -> LedgerEntry:
        entry = json.loads(data)
        submission = entry["submission"]
        return cls(entry["index"], entry["recorded_at"], submission["party"], submission["timestamp"],
                   submission["type"], submission["body"], leaf_hash(data).hex())


class Identifiers:
    """The URIs of one log's parties, lots, transfers and entries."""

    def __init__(self, tx: ReadTx, origin: str) -> None:
        self.tx, self.base = tx, f"https://{origin}"
        self._glns: dict[str, str | None] = {}

    def party(self, party_id: str) -> str:
        if party_id not in self._glns:
            self._glns[party_id] = self._gln(party_id)
        gln = self._glns[party_id]
        return party_uri(gln) if gln else f"{self.base}/parties/{party_id}"

    def _gln(self, party_id: str) -> str | None:
        party = self.tx.party(party_id)
        stored = None if party is None else self.tx.entry(party.registered_at)
        if stored is None:
            return None
        gln = json.loads(stored.data)["submission"]["body"].get("gln")
        return gln if isinstance(gln, str) else None

    def lot(self, lot_id: str) -> str:
        return f"{self.base}/lots/{lot_id}"

    def transfer(self, transfer_id: str) -> str:
        return f"{self.base}/transfers/{transfer_id}"

    def entry(self, index: int) -> str:
        return f"{self.base}/v1/entries/{index}"


def lot_events(tx: ReadTx, reader: str, lot_id: str, origin: str) -> list[dict[str, Any]]:
    """Return the events of a lot's history (its ancestry's registrations, custody and transformations).

    Raises as `lots.describe` does for a lot the reader may not see.
    """
    lots.describe(tx, reader, lot_id)
    ancestry = tx.ancestry(lot_id)
    indices = {lot.created_entry for lot in ancestry.lots}
    indices |= {transfer.dispatched_entry for transfer in ancestry.transfers}
    indices |= {transfer.closed_entry for transfer in ancestry.transfers if transfer.closed_entry is not None}
    return list(events(tx, origin, (LedgerEntry.decode(stored.data) for stored in tx.entries_at(sorted(indices)))))


def export_events(log: Log, out: IO[str], now: datetime) -> int:
    """Write the whole log's history as one EPCISDocument to `out`, streamed; return how many events.

    One read transaction: the document is a consistent snapshot however long it takes.
    """
    with log.store.read() as tx:
        return write_document(out, ledger_events(tx, log.origin), format_time(now))


def ledger_events(tx: ReadTx, origin: str) -> Iterator[dict[str, Any]]:
    """Yield the event of every physical entry of the whole log, reading its entries a chunk at a time."""
    size = tx.head().size
    entries = (LedgerEntry.decode(stored.data) for start in range(0, size, CHUNK)
               for stored in tx.entries(start, min(CHUNK, size - start)))
    return events(tx, origin, entries)


def events(tx: ReadTx, origin: str, entries: Iterable[LedgerEntry]) -> Iterator[dict[str, Any]]:
    """Yield the EPCIS event of every physical entry among `entries`, in their order."""
    mapper = _Mapper(tx, Identifiers(tx, origin))
    for entry in entries:
        if entry.type in EVENT_TYPES:
            yield mapper.event(entry)


def document(events_: Iterable[dict[str, Any]], created: str) -> dict[str, Any]:
    """Return an EPCISDocument holding `events_`."""
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": created,
            "epcisBody": {"eventList": list(events_)}}


def write_document(out: IO[str], events_: Iterable[dict[str, Any]], created: str) -> int:
    """Write an EPCISDocument to the text stream `out` one event at a time; return how many events."""
    head = json.dumps(document((), created), ensure_ascii=False)
    opening, closing = head[:-len("[]}}")], "]}}"
    out.write(opening + "[")
    count = 0
    for event in events_:
        out.write(("," if count else "") + "\n" + json.dumps(event, ensure_ascii=False))
        count += 1
    out.write("\n" + closing + "\n")
    return count


class _Mapper:
    def __init__(self, tx: ReadTx, ids: Identifiers) -> None:
        self.tx, self.ids = tx, ids

    def event(self, entry: LedgerEntry) -> dict[str, Any]:
        body = entry.body
        made = {lots.REGISTER: self.registration, custody.DISPATCH: self.dispatch, custody.RECEIVE: self.receipt,
                custody.REJECT: self.rejection, transformations.TRANSFORM: self.transformation}[entry.type]
        event = {"type": "ObjectEvent", "eventTime": entry.timestamp, "eventTimeZoneOffset": "+00:00",
                 "recordTime": entry.recorded_at, **made(entry.index, body)}
        if "site" in body:  # only a registration, receipt or transformation names one; an unnamed site is not guessed
            event["bizLocation"] = {"id": biz_location_id(self.ids.base, entry.party, body["site"])}
        event["sl:ledgerEntry"] = {"sl:entry": self.ids.entry(entry.index), "sl:index": entry.index,
                                    "sl:leafHash": entry.leaf_hash, "sl:entryType": entry.type,
                                    "sl:submitter": self.ids.party(entry.party)}
        return {"eventID": event_hash(event, {"sl": NAMESPACE}), **event}

    def registration(self, index: int, body: dict[str, Any]) -> dict[str, Any]:
        attributes = {key: value for key, value in body.items() if key not in ("net_mass_kg", "site")}
        made: dict[str, Any] = {
            "action": "ADD", "bizStep": "commissioning", "disposition": "active",
            "quantityList": [self.quantity(self.ids.lot(lots.lot_id(index)), body["net_mass_kg"])],
        }
        if body.get("documents"):
            made["bizTransactionList"] = [_document_reference(document) for document in body["documents"]]
        made["ilmd"] = extension(attributes)
        return made

    def dispatch(self, index: int, body: dict[str, Any]) -> dict[str, Any]:
        sender_id = self.closed_transfer(custody.transfer_id(index)).sender
        ownership = body.get("transfers_ownership", True)
        return {
            "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
            "quantityList": [self.quantity(self.ids.lot(body["lot_id"]), body["declared_mass_kg"])],
            "bizTransactionList": [self.transfer_reference(custody.transfer_id(index))],
            "sourceList": self.parties("source", sender_id, ownership),
            "destinationList": self.parties("destination", body["to_party"], ownership),
            "sl:transportReference": body["transport_reference"],
        }

    def receipt(self, index: int, body: dict[str, Any]) -> dict[str, Any]:
        transfer = self.closed_transfer(body["transfer_id"])
        inspection = body["inspection"]
        checked = {"result": "conformant" if inspection["conformant"] else "non_conformant",
                   "radiation_check": "passed" if inspection["radiation_check_passed"] else "failed"}
        if "notes" in inspection:
            checked["notes"] = inspection["notes"]
        return {
            "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
            "quantityList": [self.quantity(self.ids.lot(transfer.lot_id), body["weighed_mass_kg"])],
            "bizTransactionList": [self.transfer_reference(transfer.transfer_id)],
            "sourceList": self.parties("source", transfer.sender, transfer.transfers_ownership),
            "destinationList": self.parties("destination", transfer.receiver, transfer.transfers_ownership),
            "sl:inspection": extension(checked),
        }

    def rejection(self, index: int, body: dict[str, Any]) -> dict[str, Any]:
        transfer = self.closed_transfer(body["transfer_id"])
        return {
            "action": "OBSERVE", "bizStep": "inspecting", "disposition": "non_conformant",
            "quantityList": [self.quantity(self.ids.lot(transfer.lot_id), None)],
            "bizTransactionList": [self.transfer_reference(transfer.transfer_id)],
            "sl:rejectionReason": body["reason"],
        }

    def transformation(self, index: int, body: dict[str, Any]) -> dict[str, Any]:
        inputs = [self.quantity(self.ids.lot(lot_id), None, self.input_lot(lot_id).mass_g) for lot_id in body["inputs"]]
        inputs += [self.quantity(PRIMARY_METAL + quote(addition["material"], safe=""), addition["mass_kg"])
                   for addition in body.get("additions", [])]
        outputs = [self.ids.lot(lots.lot_id(index, number)) for number in range(1, len(body["outputs"]) + 1)]
        return {
            "type": "TransformationEvent",
            "inputQuantityList": inputs,
            "outputQuantityList": [self.quantity(uri, output["net_mass_kg"])
                                   for uri, output in zip(outputs, body["outputs"])],
            "transformationID": f"{self.ids.base}/transformations/{index}",
            "bizStep": TRANSFORMATION_STEP + body["kind"],
            "ilmd": {"sl:outputs": [{"sl:lot": uri, **extension({key: value for key, value in output.items()
                                                                 if key != "net_mass_kg"})}
                                    for uri, output in zip(outputs, body["outputs"])]},
            "sl:lossesKg": body["losses_kg"],
        }

    def quantity(self, epc_class: str, kilograms: str | None, grams: int | None = None) -> dict[str, Any]:
        if grams is not None:
            kilograms = str(Decimal(grams) / 1000)
        element: dict[str, Any] = {"epcClass": epc_class}
        if kilograms is not None:
            element.update(quantity=kilograms_number(kilograms), uom="KGM")
        return element

    def parties(self, side: str, party_id: str, ownership: bool) -> list[dict[str, str]]:
        listed = [{"type": "possessing_party", side: self.ids.party(party_id)}]
        return ([{"type": "owning_party", side: self.ids.party(party_id)}] if ownership else []) + listed

    def transfer_reference(self, transfer_id: str) -> dict[str, str]:
        return {"type": "desadv", "bizTransaction": self.ids.transfer(transfer_id)}

    def closed_transfer(self, transfer_id: str) -> TransferRecord:
        transfer = self.tx.transfer(transfer_id)
        if transfer is None:
            raise LookupError(f"the log holds no transfer {transfer_id}")
        return transfer

    def input_lot(self, lot_id: str) -> LotRecord:
        lot = self.tx.lot(lot_id)
        if lot is None:
            raise LookupError(f"the log holds no lot {lot_id}")
        return lot


def kilograms_number(kilograms: str) -> float | int:
    """Return a decimal string of kilograms as the JSON number EPCIS wants (exact: at most 13 digits)."""
    value = Decimal(kilograms)
    return int(value) if value == value.to_integral_value() else float(value)


def extension(members: dict[str, Any]) -> dict[str, Any]:
    """Return body members as `sl:` extension members: snake_case names in camelCase, nested alike."""
    return {"sl:" + camel_case(key): _extension_value(value) for key, value in members.items()}


def _extension_value(value: Any) -> Any:
    if isinstance(value, dict):
        return extension(value)
    if isinstance(value, list):
        return [_extension_value(item) for item in value]
    return value


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def snake_case(name: str) -> str:
    return re.sub(r"[A-Z]", lambda upper: "_" + upper.group(0).lower(), name)


def _document_reference(document: dict[str, str]) -> dict[str, str]:
    """Return a lot document as a business transaction: its kind as the type, its SHA-256 as an RFC 6920 URI."""
    kind = document["kind"]
    digest = bytes.fromhex(document["sha256"])
    return {"type": DOCUMENT_TYPES.get(kind, f"{NAMESPACE}BTT-{kind}"),
            "bizTransaction": "ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode().rstrip("=")}
