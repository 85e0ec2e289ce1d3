"""The log's credentials checked by an independent `eddsa-jcs-2022` verifier.

The verifier below shares no code with `ledger`, `rfc8785` or `base58`: it is
written from W3C "Data Integrity EdDSA Cryptosuites v1.0" §3.3 (Verify Proof,
Transformation, Hashing, Proof Configuration and Proof Verification for
`eddsa-jcs-2022`), RFC 8785 (JSON Canonicalization Scheme), the did:key
method and the multibase draft (base58btc). Only the Ed25519 primitive comes
from `cryptography`. The project is imported solely to issue the credentials
under test.

Verify Proof §3.3.2 step 4 asks that the document's `@context` *start with*
the proof's `@context`, not equal it, and then verifies against the proof's;
the verifier follows that rule.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import struct
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.data_integrity import secure, verification_method
from ledger.signing import Signer
from ledger.untp import Issuer, conformity_credential, traceability_credential

# --- the independent verifier -------------------------------------------------------------------

BASE58_BITCOIN = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PUB = b"\xed\x01"  # multicodec 0xed as an unsigned varint
ED25519_PRIV = b"\x80\x26"  # multicodec 0x1300 as an unsigned varint
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                 "\t": "\\t"}
XSD_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


class ProofRejected(ValueError):
    """The proof does not verify; the message names the check that failed."""


def jcs(value: Any) -> bytes:
    """Return the RFC 8785 canonical form of a JSON value, UTF-8 encoded."""
    return _serialise(value).encode("utf-8")


def _serialise(value: Any) -> str:
    """Serialise a JSON value as RFC 8785 §3.2 does: sorted members, no whitespace."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, list):
        return "[" + ",".join(_serialise(item) for item in value) + "]"
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda member: member[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_string(name)}:{_serialise(item)}" for name, item in members) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _string(text: str) -> str:
    """Quote a string as RFC 8785 §3.2.2.2: only `"`, `\\` and controls are escaped."""
    return '"' + "".join(SHORT_ESCAPES.get(char) or (f"\\u{ord(char):04x}" if char < " " else char)
                         for char in text) + '"'


def _number(value: int | float) -> str:
    """Format a number as ECMAScript's Number.prototype.toString (RFC 8785 §3.2.2.3)."""
    number = float(value)
    if not math.isfinite(number) or number != value:
        raise ValueError(f"not an IEEE 754 double: {value!r}")
    if number == 0:
        return "0"
    digits, n = _shortest_digits(abs(number))
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        fraction = "." + digits[1:] if k > 1 else ""
        body = f"{digits[0]}{fraction}e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return ("-" if number < 0 else "") + body


def _shortest_digits(number: float) -> tuple[str, int]:
    """Return (s, n): the shortest round-trip digits s of a positive double, which is 0.s × 10^n."""
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits, point = whole + fraction, len(whole) + int(exponent or 0)
    significant = digits.lstrip("0")
    return significant.rstrip("0"), point - (len(digits) - len(significant))


def base58btc_decode(text: str) -> bytes:
    """Decode base58 in the Bitcoin alphabet; each leading "1" is a zero byte."""
    number = 0
    for char in text:
        if char not in BASE58_BITCOIN:
            raise ProofRejected(f"not base58btc: {char!r}")
        number = number * 58 + BASE58_BITCOIN.index(char)
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def multibase_decode(value: Any) -> bytes:
    """Decode a multibase string, which must be base58btc (prefix "z")."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofRejected(f"not multibase base58btc: {value!r}")
    return base58btc_decode(value[1:])


def resolve_did_key(url: Any) -> tuple[str, bytes]:
    """Return (DID, Ed25519 public key) named by a `did:key:<mb>#<mb>` verification method."""
    did, _, fragment = str(url).partition("#")
    if not did.startswith("did:key:"):
        raise ProofRejected(f"not a did:key verification method: {url!r}")
    value = did.removeprefix("did:key:")
    if fragment != value:
        raise ProofRejected(f"fragment does not name the DID's own key: {url!r}")
    decoded = multibase_decode(value)
    if not decoded.startswith(ED25519_PUB) or len(decoded) != len(ED25519_PUB) + 32:
        raise ProofRejected(f"not an Ed25519 did:key: {url!r}")
    return did, decoded[len(ED25519_PUB):]


def contexts(value: Any) -> list[Any]:
    """Return an `@context` value as a list of its entries."""
    return value if isinstance(value, list) else [value]


def hash_data(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    """Return SHA-256(JCS(proof configuration)) || SHA-256(JCS(document)), §3.3.3 to §3.3.5."""
    suite = options.get("type"), options.get("cryptosuite")
    if suite != ("DataIntegrityProof", "eddsa-jcs-2022"):
        raise ProofRejected("proof is not a DataIntegrityProof with cryptosuite eddsa-jcs-2022")
    if "created" in options and not XSD_DATETIME.fullmatch(str(options["created"])):
        raise ProofRejected(f"created is not an XML Schema dateTime: {options['created']!r}")
    return hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(unsecured)).digest()


def verify(secured: dict[str, Any]) -> dict[str, Any]:
    """Verify a secured document's eddsa-jcs-2022 assertion proof (§3.3.2); return it unsecured."""
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        raise ProofRejected("document has no single proof")
    unsecured = {key: value for key, value in secured.items() if key != "proof"}
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    signature = multibase_decode(proof.get("proofValue"))
    if len(signature) != 64:
        raise ProofRejected("proofValue is not a 64-byte Ed25519 signature")
    if "@context" in options:
        expected = contexts(options["@context"])
        if contexts(unsecured.get("@context"))[:len(expected)] != expected:
            raise ProofRejected("document @context does not start with the proof's @context")
        unsecured["@context"] = options["@context"]
    if options.get("proofPurpose") != "assertionMethod":
        raise ProofRejected(f"proofPurpose is not assertionMethod: {options.get('proofPurpose')!r}")
    data = hash_data(unsecured, options)
    _, public_key = resolve_did_key(options.get("verificationMethod"))
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except InvalidSignature:
        raise ProofRejected("signature does not verify") from None
    return unsecured


# --- the credentials under test -----------------------------------------------------------------

ORIGIN = "scrapledger.local/log"
NOW = "2026-03-02T09:30:00.000000Z"
SIGNER = Signer.from_seed(bytes(32))
LOG = Issuer(ORIGIN, SIGNER.public_key, SIGNER.sign)


def epcis_events() -> list[dict[str, Any]]:
    """A lot's commissioning and its melt into an ingot lot, as `ledger.epcis` maps them."""
    return [
        {"eventID": "ni:///sha-256;" + "3f" * 32 + "?ver=CBV2.0", "type": "ObjectEvent",
         "eventTime": "2026-03-02T08:00:00.412000Z", "eventTimeZoneOffset": "+00:00",
         "action": "ADD", "bizStep": "commissioning", "disposition": "active",
         "quantityList": [{"epcClass": f"https://{ORIGIN}/lots/lot-7", "quantity": 24380.5,
                           "uom": "KGM"}],
         "ilmd": {"sl:grade": "Zorba", "sl:origin": "Hamburg-Veddel, Überseezentrum"},
         "sl:ledgerEntry": {"sl:index": 7, "sl:leafHash": "a1" * 32}},
        {"eventID": "ni:///sha-256;" + "c4" * 32 + "?ver=CBV2.0", "type": "TransformationEvent",
         "eventTime": "2026-03-02T08:45:10.000000Z", "eventTimeZoneOffset": "+00:00",
         "inputQuantityList": [{"epcClass": f"https://{ORIGIN}/lots/lot-7", "quantity": 24380.5,
                                "uom": "KGM"},
                               {"epcClass": "https://ns.scrapledger.org/epcis/primary/silicon",
                                "quantity": 120, "uom": "KGM"}],
         "outputQuantityList": [{"epcClass": f"https://{ORIGIN}/lots/lot-37-1",
                                 "quantity": 23010.125, "uom": "KGM"}],
         "transformationID": f"https://{ORIGIN}/transformations/37",
         "bizStep": "https://ns.scrapledger.org/epcis/BizStep-melt", "sl:lossesKg": 1490.375,
         "sl:ledgerEntry": {"sl:index": 37, "sl:leafHash": "5e" * 32}},
    ]


def verification_report() -> dict[str, Any]:
    """A minimal verification report of a declaration on the melt's output lot."""
    return {"declaration_id": "decl-40", "declaration": {"lot_id": "lot-37-1"}, "verdict": "pass",
            "verified_at": "2026-03-02T09:00:00.000000Z",
            "checks": [{"check": "mass_balance", "passed": True,
                        "detail": "23010.125 ≤ 24500.5 kg"},
                       {"check": "custody_chain", "passed": True, "detail": None}]}


# --- the spec's published example (vc-di-eddsa, "Representation: eddsa-jcs-2022") --------------

SPEC_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2"]
SPEC_UNSECURED: dict[str, Any] = {
    "@context": SPEC_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_PROOF_OPTIONS: dict[str, Any] = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": f"did:key:{SPEC_PUBLIC_KEY}#{SPEC_PUBLIC_KEY}",
    "proofPurpose": "assertionMethod",
    "@context": SPEC_CONTEXT,
}
SPEC_PROOF_VALUE = ("z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJd"
                    "cnTMuVor51aX")
SPEC_SECURED: dict[str, Any] = {**SPEC_UNSECURED,
                                "proof": {**SPEC_PROOF_OPTIONS, "proofValue": SPEC_PROOF_VALUE}}
SPEC_CANONICAL_CONTEXT = ('"@context":["https://www.w3.org/ns/credentials/v2",'
                          '"https://www.w3.org/ns/credentials/examples/v2"]')
SPEC_CANONICAL_DOCUMENT = (
    '{' + SPEC_CANONICAL_CONTEXT + ','
    '"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},'
    '"description":"A minimum viable example of an Alumni Credential.",'
    '"id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",'
    '"issuer":"https://vc.example/issuers/5678",'
    '"name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],'
    '"validFrom":"2023-01-01T00:00:00Z"}'
)
SPEC_CANONICAL_PROOF_OPTIONS = (
    '{' + SPEC_CANONICAL_CONTEXT + ','
    '"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022",'
    '"proofPurpose":"assertionMethod","type":"DataIntegrityProof",'
    '"verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2'
    '#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}'
)
SPEC_COMBINED_HASH = ("66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
                      "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19")

# RFC 8785 Appendix B: IEEE 754 binary64 (hex) and its canonical text; NaN and Infinity are errors.
RFC_8785_NUMBERS = [
    ("0000000000000000", "0"), ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"), ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"), ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"), ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"), ("43143ff3c1cb0959", "1424953923781206.2"),
]


# --- the log's credentials ----------------------------------------------------------------------

def test_a_traceability_credential_signed_by_the_log_verifies() -> None:
    credential = traceability_credential(LOG, epcis_events(), NOW)

    verified = verify(credential)

    did, public_key = resolve_did_key(credential["proof"]["verificationMethod"])
    assert verified["credentialSubject"][0]["quantityList"][0]["quantity"] == 24380.5
    assert credential["issuer"]["id"] == did
    assert public_key == SIGNER.public_key


def test_a_conformity_credential_signed_by_the_log_verifies() -> None:
    credential = conformity_credential(LOG, verification_report(), NOW)

    assert verify(credential)["credentialSubject"]["sl:verdict"] == "pass"


def test_changing_a_quantity_after_signing_fails() -> None:
    credential = traceability_credential(LOG, epcis_events(), NOW)
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"][1]["outputQuantityList"][0]["quantity"] = 23110.125

    with pytest.raises(ProofRejected, match="signature"):
        verify(tampered)


def test_changing_the_proofs_created_fails() -> None:
    credential = traceability_credential(LOG, epcis_events(), NOW)
    tampered = copy.deepcopy(credential)
    tampered["proof"]["created"] = "2026-03-02T09:30:01.000000Z"

    with pytest.raises(ProofRejected, match="signature"):
        verify(tampered)


def test_replacing_the_documents_context_fails() -> None:
    credential = traceability_credential(LOG, epcis_events(), NOW)
    tampered = {**credential, "@context": ["https://www.w3.org/ns/credentials/v2"]}

    with pytest.raises(ProofRejected, match="@context"):
        verify(tampered)


def test_a_document_whose_context_extends_the_proofs_still_verifies() -> None:
    """Verify Proof §3.3.2 step 4: the proof's @context need only be a prefix of the document's."""
    credential = traceability_credential(LOG, epcis_events(), NOW)
    extended = {**credential, "@context": [*credential["@context"], "https://vc.example/more/v1"]}

    assert verify(extended)["@context"] == credential["proof"]["@context"]


def test_a_proof_naming_another_key_fails() -> None:
    credential = traceability_credential(LOG, epcis_events(), NOW)
    other = Signer.from_seed(bytes([7]) * 32)
    tampered = copy.deepcopy(credential)
    tampered["proof"]["verificationMethod"] = verification_method(other.public_key)

    assert resolve_did_key(tampered["proof"]["verificationMethod"])[1] == other.public_key
    with pytest.raises(ProofRejected, match="signature"):
        verify(tampered)


# --- the verifier's own parts -------------------------------------------------------------------

@pytest.mark.parametrize(("ieee_754", "canonical"), RFC_8785_NUMBERS)
def test_jcs_formats_the_rfc_8785_appendix_b_numbers(ieee_754: str, canonical: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(ieee_754))

    assert jcs(number) == canonical.encode()


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_jcs_refuses_the_numbers_rfc_8785_appendix_b_calls_errors(number: float) -> None:
    with pytest.raises(ValueError, match="IEEE 754"):
        jcs(number)


def test_jcs_canonicalises_the_rfc_8785_section_3_2_2_example() -> None:
    document = {"numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
                "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
                "literals": [None, True, False]}

    assert jcs(document) == ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,'
                             '0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}').encode()


def test_jcs_sorts_members_by_utf16_code_units_as_rfc_8785_section_3_2_3() -> None:
    document = {"\u20ac": "Euro Sign", "\r": "Carriage Return",
                "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
                "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
                "\u00f6": "Latin Small Letter O With Diaeresis"}

    assert jcs(document) == ('{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
                             '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
                             '"\U0001f600":"Emoji: Grinning Face",'
                             '"\ufb33":"Hebrew Letter Dalet With Dagesh"}').encode()


def test_jcs_writes_integers_as_integers() -> None:
    document = {"sl:index": 7, "n": -120, "big": 2**53}

    assert jcs(document) == b'{"big":9007199254740992,"n":-120,"sl:index":7}'


# --- the spec's published example ---------------------------------------------------------------

def test_the_specs_published_eddsa_jcs_2022_credential_verifies() -> None:
    assert verify(SPEC_SECURED) == SPEC_UNSECURED
    did, _ = resolve_did_key(SPEC_SECURED["proof"]["verificationMethod"])
    assert did == f"did:key:{SPEC_PUBLIC_KEY}"


def test_the_verifiers_hash_data_is_the_specs_published_combined_hash() -> None:
    assert jcs(SPEC_UNSECURED) == SPEC_CANONICAL_DOCUMENT.encode()
    assert jcs(SPEC_PROOF_OPTIONS) == SPEC_CANONICAL_PROOF_OPTIONS.encode()
    assert hash_data(SPEC_UNSECURED, SPEC_PROOF_OPTIONS).hex() == SPEC_COMBINED_HASH


def test_the_project_reproduces_the_specs_published_proof_from_its_key_pair() -> None:
    secret = multibase_decode(SPEC_SECRET_KEY)
    assert secret.startswith(ED25519_PRIV)
    key = Ed25519PrivateKey.from_private_bytes(secret[len(ED25519_PRIV):])
    public_key = key.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)

    secured = secure(SPEC_UNSECURED, key.sign, public_key, created=SPEC_PROOF_OPTIONS["created"])

    assert secured == SPEC_SECURED
