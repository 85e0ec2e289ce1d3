"""The CBV 2.0 event hash ID of an EPCIS event (`ni:///sha-256;<hex>?ver=CBV2.0`).

Written from the algorithm the CBV 2.0 standard specifies (section 8.9, "EPCIS
event hash ID"): a *pre-hash string* of `key=value` pieces in a canonical
property order, no separators; list members sorted as strings; CBV words as
their `https://ref.gs1.org/cbv/` URIs; EPC URNs as canonical GS1 Digital Link
URIs; timestamps in UTC with milliseconds; numbers without trailing zeros; ILMD
and user extensions as `{namespace}local=value`, sorted. `certificationInfo`,
which the standard's table does not place, comes after `eventTimeZoneOffset`,
where the GS1 reference implementation puts it.

Sensor elements are not hashed: `UnhashableEvent` names the field, and the
importer reports such an event instead of guessing.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .gs1 import digital_link_of_urn, constrained_digital_link

CBV = "https://ref.gs1.org/cbv/"
STANDARD_NAMESPACES = {"cbv": CBV, "gs1": "https://gs1.org/voc/", "epcis": "https://ref.gs1.org/epcis/",
                       "cbvmda": "urn:epcglobal:cbv:mda:"}
URN_VOCABULARIES = {"bizstep": "BizStep", "disp": "Disp", "btt": "BTT", "sdt": "SDT", "er": "ER"}
IGNORED = {"type", "eventID", "recordTime", "errorDeclaration", "@context"}
QUANTITY_MEMBERS = ("epcClass", "quantity", "uom")


class UnhashableEvent(ValueError):
    """The event holds something the pre-hash string cannot be built from; `field` names it."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field, self.rule = field, rule


def event_hash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """Return the event hash ID of `event`, CURIE prefixes resolved through `namespaces` (the document's)."""
    try:
        digest = hashlib.sha256(pre_hash(event, namespaces).encode("utf-8")).hexdigest()
    except UnicodeEncodeError:
        raise UnhashableEvent("event", "holds a lone surrogate (an unpaired \\ud800-\\udfff escape): not text") from None
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def pre_hash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """Return the pre-hash string of `event`."""
    return "".join(pre_hash_pieces(event, namespaces))


def pre_hash_pieces(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> list[str]:
    """Return the pre-hash string of `event` in its pieces: one per field present, in canonical order."""
    return _hasher(frozenset((namespaces or {}).items())).pieces(event)


@lru_cache(maxsize=32)
def _hasher(namespaces: frozenset[tuple[str, str]]) -> _Hasher:
    """Return the hasher of a document's namespaces (one per document, not one per event)."""
    return _Hasher({**STANDARD_NAMESPACES, **dict(namespaces)})


def namespaces_of(context: Any) -> dict[str, str]:
    """Return the prefixes an EPCIS document's `@context` declares inline (its remote contexts add none we use).

    A prefix is a term bound to an IRI, directly (`"ex": "https://…"`) or as an expanded term (`{"@id": "https://…"}`).
    """
    declared: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            for key, value in item.items():
                iri = value.get("@id") if isinstance(value, dict) else value
                if isinstance(iri, str) and ":" in iri:
                    declared[key] = iri
    return declared


class _Hasher:
    def __init__(self, namespaces: Mapping[str, str]) -> None:
        self.namespaces = namespaces
        self.order: list[tuple[str, Callable[[str, Any], str]]] = [
            ("eventTime", self.time), ("eventTimeZoneOffset", self.plain), ("certificationInfo", self.identifiers),
            ("parentID", self.identifier), ("epcList", self.epcs), ("inputEPCList", self.epcs),
            ("childEPCs", self.epcs), ("quantityList", self.quantities), ("childQuantityList", self.quantities),
            ("inputQuantityList", self.quantities), ("outputEPCList", self.epcs),
            ("outputQuantityList", self.quantities), ("action", self.plain), ("transformationID", self.identifier),
            ("bizStep", self.vocabulary("BizStep")), ("disposition", self.vocabulary("Disp")),
            ("persistentDisposition", self.persistent_disposition), ("readPoint", self.place),
            ("bizLocation", self.place), ("bizTransactionList", self.typed("bizTransaction", "BTT")),
            ("sourceList", self.typed("source", "SDT")), ("destinationList", self.typed("destination", "SDT")),
            ("sensorElementList", self.unhashable), ("ilmd", self.ilmd),
        ]

    def pieces(self, event: Mapping[str, Any]) -> list[str]:
        if not isinstance(event, Mapping):
            raise UnhashableEvent("event", "must be a JSON object")
        if not isinstance(event.get("type"), str):
            raise UnhashableEvent("type", "every event names its event type")
        known = {name for name, _ in self.order}
        for key in event:
            if key not in known and key not in IGNORED and ":" not in key:
                raise UnhashableEvent(key, "is neither an EPCIS 2.0 event field nor a namespaced extension")
        pieces = [f"eventType={event['type']}"]
        pieces += [render(name, event[name]) for name, render in self.order if name in event]
        pieces += sorted(self.extension(key, event[key], key)
                         for key in event if key not in known and key not in IGNORED)
        return pieces

    # Values

    def plain(self, name: str, value: Any) -> str:
        return f"{name}={self.scalar(name, value)}"

    def scalar(self, name: str, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float, Decimal)):
            try:
                return number(value)
            except ArithmeticError:
                raise UnhashableEvent(name, "is a number too large to write out") from None
        if not isinstance(value, str):
            raise UnhashableEvent(name, "must be a string or a number here")
        return value.strip()

    def time(self, name: str, value: Any) -> str:
        return f"{name}={utc_milliseconds(self.scalar(name, value), name)}"

    def uri(self, name: str, value: Any) -> str:
        """Return an identifier in the form the hash takes: EPC URNs and Digital Links canonical, CURIEs expanded."""
        text = self.scalar(name, value)
        if text.startswith(("urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:")):
            converted = digital_link_of_urn(text)
            if converted is None:
                raise UnhashableEvent(name, f"the EPC URI {text} has no GS1 Digital Link form this ledger converts")
            return converted
        if text.startswith(("https://", "http://")):
            return constrained_digital_link(text) or text
        return self.expanded(text)

    def expanded(self, text: str) -> str:
        prefix, colon, rest = text.partition(":")
        if colon and prefix in self.namespaces and not rest.startswith("//"):
            return self.namespaces[prefix] + rest
        return text

    def identifier(self, name: str, value: Any) -> str:
        return f"{name}={self.uri(name, value)}"

    def identifiers(self, name: str, value: Any) -> str:
        values = value if isinstance(value, list) else [value]
        return "".join(sorted(f"{name}={self.uri(name, item)}" for item in values))

    def epcs(self, name: str, value: Any) -> str:
        return name + "".join(sorted(f"epc={self.uri(name, epc)}" for epc in _listed(name, value)))

    def quantities(self, name: str, value: Any) -> str:
        elements = []
        for position, element in enumerate(_listed(name, value)):
            where = f"{name}[{position}]"
            if not isinstance(element, dict) or set(element) - set(QUANTITY_MEMBERS):
                raise UnhashableEvent(where, "must hold epcClass and optionally quantity and uom")
            text = f"epcClass={self.uri(where + '.epcClass', element.get('epcClass'))}"
            text += "".join(f"{member}={self.scalar(where + '.' + member, element[member])}"
                            for member in QUANTITY_MEMBERS[1:] if member in element)
            elements.append("quantityElement" + text)
        return name + "".join(sorted(elements))

    def vocabulary(self, kind: str) -> Callable[[str, Any], str]:
        def render(name: str, value: Any) -> str:
            return f"{name}={self.word(name, value, kind)}"
        return render

    def word(self, name: str, value: Any, kind: str) -> str:
        """Return a CBV value as its Web URI: bare words, URNs and CURIEs alike."""
        text = self.scalar(name, value)
        urn = re.fullmatch(r"urn:epcglobal:cbv:([a-z]+):(.+)", text)
        if urn and urn.group(1) in URN_VOCABULARIES:
            return f"{CBV}{URN_VOCABULARIES[urn.group(1)]}-{urn.group(2)}"
        if re.fullmatch(r"[a-z_]+", text):
            return f"{CBV}{kind}-{text}"
        return self.expanded(text)

    def persistent_disposition(self, name: str, value: Any) -> str:
        if not isinstance(value, dict) or set(value) - {"set", "unset"}:
            raise UnhashableEvent(name, "must hold set and/or unset lists")
        return name + "".join("".join(sorted(f"{part}={self.word(name, item, 'Disp')}"
                                             for item in _listed(f"{name}.{part}", value[part])))
                              for part in ("set", "unset") if part in value)

    def place(self, name: str, value: Any) -> str:
        if not isinstance(value, dict) or "id" not in value:
            raise UnhashableEvent(name, "must be an object with an id")
        extensions = sorted(self.extension(key, item, f"{name}.{key}") for key, item in value.items() if key != "id")
        return f"{name}id={self.uri(name + '.id', value['id'])}" + "".join(extensions)

    def typed(self, member: str, kind: str) -> Callable[[str, Any], str]:
        def render(name: str, value: Any) -> str:
            elements = []
            for position, element in enumerate(_listed(name, value)):
                where = f"{name}[{position}]"
                if not isinstance(element, dict) or member not in element or set(element) - {member, "type"}:
                    raise UnhashableEvent(where, f"must be an object with {member} and optionally type")
                typed = f"type={self.word(where + '.type', element['type'], kind)}" if "type" in element else ""
                elements.append(typed + f"{member}={self.uri(where + '.' + member, element[member])}")
            return name + "".join(sorted(elements))
        return render

    def unhashable(self, name: str, value: Any) -> str:
        raise UnhashableEvent(name, "sensor data is not part of what this ledger hashes or imports")

    def ilmd(self, name: str, value: Any) -> str:
        if not isinstance(value, dict):
            raise UnhashableEvent(name, "must be an object")
        return name + "".join(sorted(self.extension(key, item, f"{name}.{key}") for key, item in value.items()))

    def extension(self, key: str, value: Any, where: str) -> str:
        """Return `{namespace}local=value`, nested objects and lists spelled out, siblings sorted.

        `where` is the member's path in the event, for a refusal.
        """
        name = self.qualified(key, where)
        if isinstance(value, dict):
            return name + "".join(sorted(self.extension(child, item, f"{where}.{child}")
                                         for child, item in value.items()))
        if isinstance(value, list):
            return "".join(sorted(self.extension(key, item, where) for item in value))
        return f"{name}={self.scalar(where, value)}"

    def qualified(self, key: str, where: str) -> str:
        prefix, colon, local = key.partition(":")
        if colon and prefix in self.namespaces:
            return "{" + self.namespaces[prefix] + "}" + local
        if key.startswith(("https://", "http://")):  # a whole IRI: no rule splits it, hashed as given (as GS1's tool)
            return key
        raise UnhashableEvent(where, "uses a namespace prefix the document's @context does not declare")


def number(value: int | float | Decimal) -> str:
    """Return a number without trailing zeros or an exponent (`1`, `0.3434`, `24380.5`)."""
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = format(exact.normalize(), "f")
    return "0" if text in ("-0", "") else text


def utc_milliseconds(text: str, field: str) -> str:
    """Return an RFC 3339 time in UTC at millisecond precision (microseconds rounded half to even)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnhashableEvent(field, "must be an RFC 3339 date and time") from None
    if moment.tzinfo is None:
        raise UnhashableEvent(field, "must carry a time zone offset")
    try:
        moment = moment.astimezone(timezone.utc)
        moment = moment.replace(microsecond=0) + timedelta(milliseconds=round(moment.microsecond / 1000))
    except OverflowError:
        raise UnhashableEvent(field, "lies outside the years 1 to 9999 in UTC") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _listed(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise UnhashableEvent(name, "must be a list")
    return value
