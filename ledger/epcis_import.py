"""EPCIS 2.0 events read back as ledger submissions: the inverse of `ledger.epcis`, tolerant of other systems.

An event becomes one entry type and body, with the party that must sign it
(the event's `sl:ledgerEntry` submitter, else the shipping source, the
receiving destination, or the importer). Identifiers of lots, transfers and
parties are URIs; `References` turns them into this ledger's ids as earlier
events are imported. What the mapping does not cover raises `Unmapped`,
naming the event's field and the rule, so an import reports the event instead
of guessing: aggregation, association and transaction events, serialised
items (`epcList`), sensor data, error declarations, other business steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

from . import custody, lots, transformations
from .epcis import NAMESPACE, PRIMARY_METAL, TRANSFORMATION_STEP, camel_case, snake_case
from .epcis_hash import CBV, namespaces_of
from .epcis_sites import site_of_biz_location
from .gs1 import constrained_digital_link, digital_link_of_urn
from .masses import MAX_GRAMS, format_kg

GRAMS_PER_UNIT = {"KGM": Fraction(1000), "GRM": Fraction(1), "TNE": Fraction(1_000_000), "LBR": Fraction("453.59237")}
MAX_DECIMALS = 24
PARTY_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}\Z")
CBV_PREFIXES = tuple(f"{CBV}{kind}-" for kind in ("BizStep", "Disp", "SDT", "BTT")) + tuple(
    f"urn:epcglobal:cbv:{kind}:" for kind in ("bizstep", "disp", "sdt", "btt"))
INSPECTION = {"sl:result": ("conformant", "non_conformant"), "sl:radiationCheck": ("passed", "failed")}
SITED = (lots.REGISTER, custody.RECEIVE, transformations.TRANSFORM)  # the entries that may name the holder's site


class Unmapped(ValueError):
    """The event cannot become an entry; `field` names where, `rule` why."""

    def __init__(self, field_name: str, rule: str) -> None:
        super().__init__(f"{field_name}: {rule}")
        self.field, self.rule = field_name, rule


class NotYetKnown(Unmapped):
    """The event names a lot or transfer an earlier event of the document makes, which is not in the ledger yet."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """An event as an entry: its type and body, the party that signs it, the URIs its result will name."""

    entry_type: str
    body: dict[str, Any]
    actor: str
    makes: dict[str, str] = field(default_factory=dict)  # URI -> result member ("lot_id", "transfer_id", "outputs[0]")
    ignored: tuple[str, ...] = ()  # ILMD (and bizLocation) members of other namespaces: no ledger field holds them


@dataclass(slots=True)
class References:
    """This ledger's ids of the URIs an import has met: lots, transfers, and parties the importer named."""

    origin: str
    lots: dict[str, str] = field(default_factory=dict)
    transfers: dict[str, str] = field(default_factory=dict)
    open_transfers: dict[str, str] = field(default_factory=dict)  # lot id -> its transfer made in this import
    parties: dict[str, str] = field(default_factory=dict)  # URI (a GLN's Digital Link, another system's) -> party id
    made_here: dict[str, int] = field(default_factory=dict)  # URI -> the event of the document that makes it

    def lot(self, uri: Any, where: str) -> str:
        if not isinstance(uri, str):
            raise Unmapped(where, "must be the lot's URI, a string")
        own = f"https://{self.origin}/lots/"
        if uri in self.lots:
            return self.lots[uri]
        if uri in self.made_here:
            raise NotYetKnown(where, f"names the lot event {self.made_here[uri]} makes, which is not in the ledger")
        if uri.startswith(own):
            return uri.removeprefix(own)
        raise Unmapped(where, "names no lot registered by an event imported before it, nor a lot of this ledger")

    def party(self, uri: Any, where: str) -> str:
        """Return the party id of a URI: this ledger's `https://<origin>/parties/<id>`, or one the importer named."""
        text = uri if isinstance(uri, str) else ""
        own = text.removeprefix(f"https://{self.origin}/parties/")
        if own != text and PARTY_ID.match(own):
            return own
        canonical = (digital_link_of_urn(text) if text.startswith("urn:epc:") else constrained_digital_link(text))
        if (canonical or text) in self.parties:  # a pgln URN or a GLN's Digital Link on any domain, as its GLN
            return self.parties[canonical or text]
        raise Unmapped(where, f"names no party: this ledger's parties are https://{self.origin}/parties/<id>; "
                              "name others' GLNs or URIs with --gln GLN=PARTY or --party-uri URI=PARTY")

    def learn(self, mapped: Mapped, result: dict[str, Any]) -> None:
        """Record the ids an appended (or replayed) entry made for the URIs its event named."""
        for uri, member in mapped.makes.items():
            value = result["outputs"][int(member[8:-1])] if member.startswith("outputs[") else result[member]
            (self.transfers if member == "transfer_id" else self.lots)[uri] = value
        if mapped.entry_type == custody.DISPATCH:
            self.open_transfers[mapped.body["lot_id"]] = result["transfer_id"]


def made_by(event: Any) -> list[str]:
    """Return the URIs an event makes: a commissioned lot, a shipment's transfer, a transformation's outputs."""
    if not isinstance(event, dict):
        return []
    step = _step(event.get("bizStep"))
    if event.get("type") == "TransformationEvent" or step == "commissioning":
        items = event.get("outputQuantityList" if event.get("type") == "TransformationEvent" else "quantityList")
        return [item["epcClass"] for item in items if isinstance(item, dict)
                and isinstance(item.get("epcClass"), str)] if isinstance(items, list) else []
    try:
        transfer = _transfer_uri(event) if step == "shipping" else None
    except Unmapped:  # an unreadable bizTransactionList: the event itself is refused when it is read
        return []
    return [transfer] if transfer else []


def read_event(event: Any, refs: References, importer: str) -> Mapped:
    """Return the submission an EPCIS event stands for; raise Unmapped naming what cannot be mapped.

    Members the mapping does not read (a readPoint, another namespace's extension, the bizLocation of
    a shipment or rejection: those entries name no site) are named in `ignored`.
    """
    mapped = _read(event, refs, importer)
    located = mapped.entry_type in SITED and "bizLocation" in event
    if located:
        mapped = _located(mapped, event["bizLocation"], refs)
    unread = tuple(key for key in event if key not in READ and not (located and key == "bizLocation"))
    return replace(mapped, ignored=unread + mapped.ignored) if unread else mapped


READ = {"@context", "type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime", "action", "bizStep",
        "disposition", "quantityList", "inputQuantityList", "outputQuantityList", "ilmd", "bizTransactionList",
        "sourceList", "destinationList", "transformationID", "sl:ledgerEntry", "sl:transportReference",
        "sl:inspection", "sl:rejectionReason", "sl:lossesKg"}


def _read(event: Any, refs: References, importer: str) -> Mapped:
    if not isinstance(event, dict):
        raise Unmapped("event", "must be a JSON object")
    for name, rule in (("errorDeclaration", "error declarations are not imported: the ledger corrects by new entries"),
                       ("epcList", "serialised items are not lots: a lot is a quantity of a class (quantityList)"),
                       ("sensorElementList", "sensor data is not imported")):
        if name in event:
            raise Unmapped(name, rule)
    kind, step = event.get("type"), _step(event.get("bizStep"))
    if kind == "TransformationEvent":
        return _transformation(event, refs, _signer(event, refs, None, importer))
    if kind != "ObjectEvent":
        raise Unmapped("type", f"{kind} is not mapped: only ObjectEvents and TransformationEvents are")
    if event.get("action") == "ADD" and step == "commissioning":
        return _registration(event, _signer(event, refs, None, importer))
    if event.get("action") != "OBSERVE":
        raise Unmapped("action", "an ObjectEvent other than commissioning must OBSERVE")
    if step == "shipping":
        return _dispatch(event, refs, _signer(event, refs, "source", importer))
    if step == "receiving":
        return _receipt(event, refs, _signer(event, refs, "destination", importer))
    if step == "inspecting" and _step(event.get("disposition")) == "non_conformant":
        return _rejection(event, refs, _signer(event, refs, "destination", importer))
    raise Unmapped("bizStep", f"{event.get('bizStep')!r} is not mapped: commissioning, shipping, receiving, "
                              "inspecting (non_conformant) and the transformation steps are")


def _located(mapped: Mapped, location: Any, refs: References) -> Mapped:
    """Return `mapped` at the site its bizLocation names: the id itself, or the label of this ledger's site URI.

    The ledger checks the site as it checks a submitted one (refusing it as `bizLocation.id`).
    """
    if not isinstance(location, dict) or "id" not in location:
        raise Unmapped("bizLocation", "must be an object with the id of the site")
    if not isinstance(location["id"], str):
        raise Unmapped("bizLocation.id", "must be the site's id, a string")
    holder, site = site_of_biz_location(f"https://{refs.origin}", location["id"])
    if holder not in (None, mapped.actor):
        raise Unmapped("bizLocation.id", f"names a site of {holder}, but {mapped.actor} signs this event: "
                                         "an entry names its holder's own site")
    others = tuple(f"bizLocation.{key}" for key in location if key != "id")
    return replace(mapped, body={**mapped.body, "site": site}, ignored=mapped.ignored + others)


def _registration(event: dict[str, Any], actor: str) -> Mapped:
    epc_class, grams = _single_quantity(event, "quantityList")
    ignored: list[str] = []
    body = plain(event.get("ilmd", {}), "ilmd", ignored)
    if "site" in body:  # not a lot attribute: where the holder keeps the lot
        raise Unmapped("ilmd.sl:site", "the site where the holder keeps the lot is the event's bizLocation")
    if event.get("bizTransactionList") and "documents" not in body:  # the ledger holds documents in sl:documents
        ignored.append("bizTransactionList")
    body["net_mass_kg"] = format_kg(grams)
    return Mapped(lots.REGISTER, body, actor, {epc_class: "lot_id"}, tuple(ignored))


def _dispatch(event: dict[str, Any], refs: References, actor: str) -> Mapped:
    epc_class, grams = _single_quantity(event, "quantityList")
    destinations = _listed(event, "destinationList", "destination")
    to_party = destinations.get("possessing_party") or destinations.get("owning_party")
    if to_party is None:
        raise Unmapped("destinationList", "a shipment names the possessing (or owning) party it goes to")
    body: dict[str, Any] = {"lot_id": refs.lot(epc_class, "quantityList[0].epcClass"),
                            "to_party": refs.party(to_party, "destinationList"),
                            "declared_mass_kg": format_kg(grams),
                            "transport_reference": _transport_reference(event)}
    if "possessing_party" in destinations and "owning_party" not in destinations:
        body["transfers_ownership"] = False
    transfer = _transfer_uri(event)
    return Mapped(custody.DISPATCH, body, actor, {transfer: "transfer_id"} if transfer else {})


def _receipt(event: dict[str, Any], refs: References, actor: str) -> Mapped:
    epc_class, grams = _single_quantity(event, "quantityList")
    inspection = event.get("sl:inspection")
    if not isinstance(inspection, dict) or set(INSPECTION) - set(inspection):
        raise Unmapped("sl:inspection", "a receipt records its inspection: sl:result and sl:radiationCheck")
    for member, (good, bad) in INSPECTION.items():
        if inspection[member] not in (good, bad):
            raise Unmapped(f"sl:inspection.{member}", f"must be {good} or {bad}")
    checked: dict[str, Any] = {"conformant": inspection["sl:result"] == "conformant",
                               "radiation_check_passed": inspection["sl:radiationCheck"] == "passed"}
    if "sl:notes" in inspection:
        checked["notes"] = inspection["sl:notes"]
    body = {"transfer_id": _transfer(event, refs, epc_class), "weighed_mass_kg": format_kg(grams),
            "inspection": checked}
    return Mapped(custody.RECEIVE, body, actor)


def _rejection(event: dict[str, Any], refs: References, actor: str) -> Mapped:
    quantities = event.get("quantityList")
    epc_class = quantities[0].get("epcClass") if isinstance(quantities, list) and quantities and isinstance(
        quantities[0], dict) else None
    reason = event.get("sl:rejectionReason")
    if not isinstance(reason, str):
        raise Unmapped("sl:rejectionReason", "a rejection states its reason")
    return Mapped(custody.REJECT, {"transfer_id": _transfer(event, refs, epc_class), "reason": reason}, actor)


def _transformation(event: dict[str, Any], refs: References, actor: str) -> Mapped:
    step = event.get("bizStep")
    kind = step.removeprefix(TRANSFORMATION_STEP) if isinstance(step, str) else ""
    if kind not in transformations.KINDS:
        raise Unmapped("bizStep", f"names no transformation kind: {TRANSFORMATION_STEP}<split|sort|bale|blend|melt>")
    inputs, additions, input_grams = [], [], 0
    consumed = _quantities(event, "inputQuantityList")
    for position, (uri, grams) in enumerate(consumed):
        where = f"inputQuantityList[{position}].epcClass"
        if isinstance(uri, str) and uri.startswith(PRIMARY_METAL):
            if grams is None:
                raise Unmapped(f"inputQuantityList[{position}].quantity", "a primary-metal addition states its mass")
            additions.append({"material": unquote(uri.removeprefix(PRIMARY_METAL)), "mass_kg": format_kg(grams)})
        else:
            inputs.append(refs.lot(uri, where))
        input_grams += grams or 0
    ilmd = event.get("ilmd", {})
    listed = ilmd.get("sl:outputs", []) if isinstance(ilmd, dict) else None
    if not isinstance(listed, list):
        raise Unmapped("ilmd.sl:outputs", "must be a list of the outputs' attributes")
    described = {output["sl:lot"]: output for output in listed
                 if isinstance(output, dict) and isinstance(output.get("sl:lot"), str)}
    outputs, makes, output_grams = [], {}, 0
    ignored: list[str] = []
    for position, (uri, grams) in enumerate(_quantities(event, "outputQuantityList")):
        if grams is None:
            raise Unmapped(f"outputQuantityList[{position}].quantity", "an output states its mass")
        if not isinstance(uri, str):
            raise Unmapped(f"outputQuantityList[{position}].epcClass", "must be the output lot's URI, a string")
        attributes = plain({key: value for key, value in described.get(uri, {}).items() if key != "sl:lot"},
                           f"ilmd.sl:outputs[{position}]", ignored)
        outputs.append({**attributes, "net_mass_kg": format_kg(grams)})
        makes[uri] = f"outputs[{position}]"
        output_grams += grams
    losses = event.get("sl:lossesKg")
    if not isinstance(losses, str):
        if any(grams is None for _, grams in consumed):
            raise Unmapped("sl:lossesKg", "give the losses, or the mass of every input")
        losses = format_kg(input_grams - output_grams)
    body: dict[str, Any] = {"kind": kind, "inputs": inputs, "outputs": outputs, "losses_kg": losses}
    if additions:
        body["additions"] = additions
    return Mapped(transformations.TRANSFORM, body, actor, makes, tuple(ignored))


def plain(members: Any, where: str, ignored: list[str]) -> dict[str, Any]:
    """Return `sl:` extension members as body members (camelCase to snake_case, nested alike).

    Members of other namespaces have no ledger field: their paths go to `ignored`, for the report.
    """
    if not isinstance(members, dict):
        raise Unmapped(where, "must be an object")
    body = {}
    for key, value in members.items():
        if not key.startswith("sl:"):
            ignored.append(f"{where}.{key}")
            continue
        inner = f"{where}.{key}"
        body[snake_case(key[3:])] = (plain(value, inner, ignored) if isinstance(value, dict) else
                                     [plain(item, inner, ignored) if isinstance(item, dict) else item
                                      for item in value] if isinstance(value, list) else value)
    return body


RENAMED = {  # ledger field -> where the event holds it, for the members that are not `sl:` ILMD
    "body.net_mass_kg": "quantityList[0].quantity", "body.declared_mass_kg": "quantityList[0].quantity",
    "body.weighed_mass_kg": "quantityList[0].quantity", "body.lot_id": "quantityList[0].epcClass",
    "body.to_party": "destinationList", "body.transport_reference": "sl:transportReference",
    "body.transfer_id": "bizTransactionList", "body.inputs": "inputQuantityList",
    "body.outputs": "outputQuantityList", "body.losses_kg": "sl:lossesKg", "body.additions": "inputQuantityList",
    "body.reason": "sl:rejectionReason", "body.kind": "bizStep", "body.site": "bizLocation.id",
}


def document_field(entry_type: str, ledger_field: str) -> str:
    """Return where in the event a field the ledger refused came from (`body.hs_code` -> `ilmd.sl:hsCode`)."""
    head = re.match(r"body\.[a-z_]+", ledger_field)
    if head and head.group(0) in RENAMED and not (entry_type == transformations.TRANSFORM
                                                  and ledger_field.startswith("body.outputs[")):
        return RENAMED[head.group(0)] + ledger_field[head.end():]
    path = ledger_field.removeprefix("body.")
    if entry_type == custody.RECEIVE and path.startswith("inspection"):
        return "sl:inspection"
    if entry_type == transformations.TRANSFORM and path.startswith("outputs["):
        position, _, rest = path.removeprefix("outputs[").partition("]")
        if rest == ".net_mass_kg":
            return f"outputQuantityList[{position}].quantity"
        return f"ilmd.sl:outputs[{position}]" + _sl_path(rest.lstrip("."))
    if entry_type == lots.REGISTER and ledger_field.startswith("body."):
        return "ilmd" + _sl_path(path)
    return ledger_field


def _sl_path(path: str) -> str:
    return "".join(f".sl:{camel_case(part)}" for part in path.split(".") if part)


def _step(value: Any) -> str:
    """Return a CBV value as its bare word (`shipping` for the word, its URI or its URN)."""
    text = value if isinstance(value, str) else ""
    for prefix in CBV_PREFIXES:
        if text.startswith(prefix):
            return text.removeprefix(prefix)
    return text


def _signer(event: dict[str, Any], refs: References, side: str | None, importer: str) -> str:
    """Return the party that signs an event: its `sl:submitter`, else its `side` party (source, destination), else you.

    A submitter that is not the event's own source (of a shipment) or destination (of a receipt) is refused.
    """
    link = event.get("sl:ledgerEntry")
    submitter = refs.party(link["sl:submitter"], "sl:ledgerEntry.sl:submitter") if isinstance(
        link, dict) and "sl:submitter" in link else None
    party = _side(event, side, refs) if side else None
    if submitter and party and submitter != party:
        raise Unmapped(f"{side}List", f"names {party}, but sl:ledgerEntry.sl:submitter is {submitter}: "
                                      f"the {side} party signs this event")
    return submitter or party or importer


def _side(event: dict[str, Any], side: str, refs: References) -> str | None:
    listed = _listed(event, f"{side}List", side)
    party = listed.get("possessing_party") or listed.get("owning_party")
    return refs.party(party, f"{side}List") if party else None


def _listed(event: dict[str, Any], name: str, member: str) -> dict[str, Any]:
    items = event.get(name, [])
    if not isinstance(items, list):
        raise Unmapped(name, "must be a list")
    return {_step(item.get("type")): item.get(member)
            for item in items if isinstance(item, dict)}


def _quantities(event: dict[str, Any], name: str) -> list[tuple[Any, int | None]]:
    items = event.get(name)
    if not isinstance(items, list) or not items:
        raise Unmapped(name, "must list at least one quantity element")
    found = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise Unmapped(f"{name}[{position}]", "must be a quantity element")
        found.append((item.get("epcClass"), _grams(item, f"{name}[{position}]") if "quantity" in item else None))
    return found


def _single_quantity(event: dict[str, Any], name: str) -> tuple[str, int]:
    items = _quantities(event, name)
    if len(items) != 1 or items[0][1] is None:
        raise Unmapped(name, "must hold exactly one quantity of one lot class, with its mass")
    uri, grams = items[0]
    if not isinstance(uri, str):
        raise Unmapped(f"{name}[0].epcClass", "must be the lot's URI, a string")
    assert grams is not None
    return uri, grams


def _grams(item: dict[str, Any], where: str) -> int:
    unit = item.get("uom")
    if not isinstance(unit, str) or unit not in GRAMS_PER_UNIT:
        raise Unmapped(f"{where}.uom", f"must be a mass unit: {', '.join(GRAMS_PER_UNIT)}")
    quantity = item["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float, Decimal)):
        raise Unmapped(f"{where}.quantity", "must be a JSON number")
    amount = Decimal(str(quantity))
    if not amount.is_finite() or not 0 <= amount <= MAX_GRAMS:
        raise Unmapped(f"{where}.quantity", f"must be a mass from 0 to {format_kg(MAX_GRAMS)} kg")
    sign, digits, exponent = amount.as_tuple()
    while isinstance(exponent, int) and exponent < 0 and digits and digits[-1] == 0:  # 24.3800 is 24.38
        digits, exponent = digits[:-1], exponent + 1
    if not isinstance(exponent, int) or exponent < -MAX_DECIMALS:
        raise Unmapped(f"{where}.quantity", f"has more than {MAX_DECIMALS} decimals: no weighing is that fine")
    grams = Fraction(amount) * GRAMS_PER_UNIT[unit]  # exact, at any number of digits
    if grams > MAX_GRAMS:
        raise Unmapped(f"{where}.quantity", f"must be a mass from 0 to {format_kg(MAX_GRAMS)} kg")
    if unit != "LBR" and grams.denominator != 1:
        raise Unmapped(f"{where}.quantity", "must be whole grams: the ledger weighs to the gram")
    return round(grams)  # pounds: to the nearest gram, half to even


def _business_transactions(event: dict[str, Any]) -> list[Any]:
    items = event.get("bizTransactionList", [])
    if not isinstance(items, list):
        raise Unmapped("bizTransactionList", "must be a list")
    return items


def _transfer_uri(event: dict[str, Any]) -> str | None:
    for item in _business_transactions(event):
        if isinstance(item, dict) and _step(item.get("type")) == "desadv":
            return str(item.get("bizTransaction"))
    return None


def _transfer(event: dict[str, Any], refs: References, epc_class: Any) -> str:
    uri = _transfer_uri(event)
    if uri is not None and uri in refs.transfers:
        return refs.transfers[uri]
    own = f"https://{refs.origin}/transfers/"
    if uri is not None and uri.startswith(own) and uri not in refs.made_here:
        return uri.removeprefix(own)
    lot_id = refs.lots.get(epc_class) if isinstance(epc_class, str) else None
    if lot_id in refs.open_transfers:
        return refs.open_transfers[lot_id]
    if uri in refs.made_here or (isinstance(epc_class, str) and epc_class in refs.made_here):
        raise NotYetKnown("bizTransactionList", "names a transfer an earlier event makes, which is not in the ledger")
    raise Unmapped("bizTransactionList", "names no transfer dispatched by an event imported before it")


def _transport_reference(event: dict[str, Any]) -> str:
    reference = event.get("sl:transportReference")
    if isinstance(reference, str):
        return reference
    for item in _business_transactions(event):
        if isinstance(item, dict) and _step(item.get("type")) in ("bol", "desadv"):
            return str(item.get("bizTransaction"))[:200]
    raise Unmapped("sl:transportReference", "a shipment names its transport document (or a bol business transaction)")


MAX_DEPTH = 32  # as the write interface: deeper events are refused before anything recurses into them


def too_deep(value: Any) -> bool:
    """Return whether `value` nests arrays and objects deeper than MAX_DEPTH (found without recursion)."""
    level = [value]
    for _ in range(MAX_DEPTH + 1):
        level = [item for node in level if isinstance(node, (dict, list))
                 for item in (node.values() if isinstance(node, dict) else node)]
        if not level:
            return False
    return True


def in_sl_spelling(value: Any, namespaces: dict[str, str]) -> Any:
    """Return an event with the ledger's members spelled `sl:`, whatever prefix (or whole IRI) its document uses.

    A document that binds `sl` to another namespace has those members renamed to their IRIs, so none is read as ours.
    """
    ours = {prefix for prefix, uri in namespaces.items() if uri == NAMESPACE}

    def spelled(key: str) -> str:
        prefix, colon, local = key.partition(":")
        if colon and prefix in ours:
            return "sl:" + local
        if key.startswith(NAMESPACE):
            return "sl:" + key.removeprefix(NAMESPACE)
        return namespaces[prefix] + local if colon and prefix == "sl" else key

    if isinstance(value, dict):
        return {spelled(key): in_sl_spelling(item, namespaces) for key, item in value.items()}
    if isinstance(value, list):
        return [in_sl_spelling(item, namespaces) for item in value]
    return value


def check_document(document: Any) -> tuple[list[Any], dict[str, str]]:
    """Return an EPCISDocument's events and the namespaces its @context declares; raise Unmapped if it is none."""
    if not isinstance(document, dict) or document.get("type") != "EPCISDocument":
        raise Unmapped("type", "the file must hold an EPCISDocument")
    events = document.get("epcisBody", {}).get("eventList") if isinstance(document.get("epcisBody"), dict) else None
    if not isinstance(events, list):
        raise Unmapped("epcisBody.eventList", "must be a list of events")
    return events, {"sl": NAMESPACE, **namespaces_of(document.get("@context"))}

