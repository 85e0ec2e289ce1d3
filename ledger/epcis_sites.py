"""A holder's site as an EPCIS `bizLocation` id, and back: the ledger keeps the site as a label.

EPCIS wants a URI for a location; a site is any label of up to 64 characters.
A site that is already a URI (an SGLN URN, a GS1 Digital Link) is its own id, so
a party whose documents name its sites by SGLN keeps that label both ways. Any
other label ("Hamburg Peute refinery") is named under its holder, as a party
without a GLN is named under the log's origin, and read back to the same label.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
# RFC 3986 URIs of the shapes sites take: a URN-like path, or a plain host and path; no fragment.
# A strict subset of the grammar, so a label it passes is a URI to any schema validator.
URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:(?://[A-Za-z0-9\-._~]+(?::[0-9]*)?(?:/{_PCHAR}*)*"
                 rf"|{_PCHAR}+(?:/{_PCHAR}*)*)(?:\?(?:{_PCHAR}|[/?])*)?\Z")

OWN_ID_SCHEMES = ("urn", "http", "https")  # a label such as "Yard:North" is a label, not a URI of scheme "Yard"


def biz_location_id(base: str, holder: str, site: str) -> str:
    """Return the bizLocation id of `holder`'s site under the log's `base` URL (`https://<origin>`).

    A site that is a URN or an http(s) URL, and not one under `base` (which would be read back as this
    ledger's), is its own id.
    """
    if URI.match(site) and site.partition(":")[0].lower() in OWN_ID_SCHEMES and not site.startswith(base + "/"):
        return site
    return f"{base}/parties/{holder}/sites/{quote(site, safe='')}"


def site_of_biz_location(base: str, location_id: str) -> tuple[str | None, str]:
    """Return the holder and site a bizLocation id names: (party, label) for this ledger's, (None, id) for others."""
    holder, named, label = location_id.removeprefix(f"{base}/parties/").partition("/sites/")
    if location_id.startswith(f"{base}/parties/") and named:
        return holder, unquote(label)
    return None, location_id
