"""GS1 identifiers: the GLN check digit, and EPC URNs and Digital Link URIs in canonical form.

From the GS1 General Specifications (the mod-10 check digit), the EPC Tag Data
Standard (the URN forms) and GS1 Digital Link 1.2 (section 4.11, the canonical
`https://id.gs1.org/...` form). Only the schemes EPCIS traceability data uses
are converted; `digital_link_of_urn` returns None for the others.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

DIGITAL_LINK = "https://id.gs1.org"
# Primary key -> its length in digits (None: alphanumeric) and its qualifiers, finest first.
PRIMARY_KEYS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "00": (18, ()), "01": (14, ("21", "235", "10")), "253": (None, ()), "255": (None, ()),
    "401": (None, ()), "402": (17, ()), "414": (13, ("254",)), "417": (13, ()), "8003": (None, ()),
    "8004": (None, ()), "8006": (18, ("21", "10")), "8010": (None, ("8011",)), "8017": (18, ()), "8018": (18, ()),
}
KEY_SEGMENT = re.compile("/(" + "|".join(PRIMARY_KEYS) + ")/[^/]")
SAFE = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\"$&'();=@[]^`{|}"  # never percent-encoded


def check_digit(digits: str) -> str:
    """Return the GS1 mod-10 check digit of `digits` (weights 3, 1, 3, ... from the right)."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def is_gln(text: str) -> bool:
    """Return whether `text` is a 13-digit Global Location Number with a correct check digit."""
    return re.fullmatch(r"[0-9]{13}", text) is not None and check_digit(text[:12]) == text[12]


def party_uri(gln: str) -> str:
    """Return the canonical Digital Link URI of a party GLN (application identifier 417)."""
    return f"{DIGITAL_LINK}/417/{gln}"


def digital_link_of_urn(urn: str) -> str | None:
    """Return the canonical Digital Link URI of an EPC URN, or None for a scheme not converted."""
    match = re.fullmatch(r"urn:epc:(id|class|idpat):([a-z]+):([^.]+)\.([^.]*)(?:\.(.+))?", urn)
    if match is None:
        return None
    _, scheme, prefix, reference, extra = match.groups()
    key = _urn_key(scheme, prefix, reference, extra)
    return None if key is None else DIGITAL_LINK + key


def _urn_key(scheme: str, prefix: str, reference: str, extra: str | None) -> str | None:
    digits = prefix if scheme == "giai" else prefix + reference  # only an asset reference may hold letters
    if re.fullmatch("[0-9]*", digits) is None:
        return None
    def keyed(body: str) -> str:
        return body + check_digit(body)
    if scheme in ("sgtin", "lgtin") and reference:
        gtin = keyed(reference[0] + prefix + reference[1:])
        if extra in (None, "*"):
            return f"/01/{gtin}"
        return f"/01/{gtin}/{'21' if scheme == 'sgtin' else '10'}/{_encoded(extra)}"
    if scheme == "sscc" and reference and extra is None:
        return f"/00/{keyed(reference[0] + prefix + reference[1:])}"
    if scheme == "sgln" and extra is not None:
        gln = keyed(prefix + reference)
        return f"/414/{gln}" if extra == "0" else f"/414/{gln}/254/{_encoded(extra)}"
    if scheme == "pgln" and extra is None:
        return f"/417/{keyed(prefix + reference)}"
    if scheme == "grai" and extra is not None:
        return f"/8003/0{keyed(prefix + reference)}{_encoded(extra)}"
    if scheme == "giai" and extra is None:
        return f"/8004/{_encoded(prefix + reference)}"
    if scheme == "gsrn" and extra is None:
        return f"/8018/{keyed(prefix + reference)}"
    if scheme == "gdti" and extra is not None:
        return f"/253/{keyed(prefix + reference)}{_encoded(extra)}"
    return None


def constrained_digital_link(uri: str) -> str | None:
    """Return a GS1 Digital Link URI in constrained canonical form, or None if `uri` is not one.

    The domain becomes id.gs1.org, the query goes, and only the finest level of
    identification stays (a serial before a lot: `/01/…/10/…/21/…` -> `/01/…/21/…`).
    """
    if KEY_SEGMENT.search(uri) is None:  # most URIs (a lot's, a party's): no GS1 key, nothing to parse
        return None
    try:
        path = urlsplit(uri).path
    except ValueError:  # not a URI at all (an unclosed IPv6 host)
        return None
    segments = [unquote(segment) for segment in path.split("/")]
    for position in range(1, len(segments) - 1):
        key = segments[position]
        if key not in PRIMARY_KEYS or not _fits(key, segments[position + 1]):
            continue
        length, qualifiers = PRIMARY_KEYS[key]
        value = segments[position + 1].zfill(length) if length and key == "01" else segments[position + 1]
        pairs = dict(zip(segments[position + 2::2], segments[position + 3::2]))
        finest = next((qualifier for qualifier in qualifiers if qualifier in pairs), None)
        tail = f"/{finest}/{_encoded(pairs[finest])}" if finest else ""
        return f"{DIGITAL_LINK}/{key}/{_encoded(value)}{tail}"
    return None


def _fits(key: str, value: str) -> bool:
    length = PRIMARY_KEYS[key][0]
    if key == "01":
        return re.fullmatch(r"[0-9]{8}|[0-9]{12,14}", value) is not None
    return bool(value) and (length is None or re.fullmatch(f"[0-9]{{{length}}}", value) is not None)


def _encoded(text: str) -> str:
    return quote(unquote(text), safe=SAFE)
