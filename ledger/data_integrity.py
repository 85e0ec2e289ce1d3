"""W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite, issued by the log key as a `did:key`.

From W3C "Data Integrity EdDSA Cryptosuites v1.0", section 3.3: the proof
configuration (the proof without `proofValue`, carrying the document's
`@context`) and the document without its proof are each canonicalised with
RFC 8785 (JCS; the `rfc8785` package, since EPCIS quantities are JSON
numbers with fractions, which the ledger's own entries never hold) and hashed with SHA-256; the Ed25519 signature of the two
digests, first the configuration's, is the `proofValue` in multibase base58btc.
The issuer is `did:key:z6Mk…`, the log's public key with the Ed25519 multicodec
prefix, so any verifier resolves it without a network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import base58
import rfc8785

ED25519_MULTICODEC = b"\xed\x01"
CRYPTOSUITE = "eddsa-jcs-2022"


def did_key(public_key: bytes) -> str:
    """Return the did:key of an Ed25519 public key."""
    return "did:key:" + multikey(public_key)


def multikey(public_key: bytes) -> str:
    """Return an Ed25519 public key as a Multikey `publicKeyMultibase` (`z6Mk…`)."""
    return "z" + base58.b58encode(ED25519_MULTICODEC + public_key).decode()


def verification_method(public_key: bytes) -> str:
    """Return the did:key URL of the key itself (`did:key:z6Mk…#z6Mk…`)."""
    return f"{did_key(public_key)}#{multikey(public_key)}"


def hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """Return SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof))."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    return hashlib.sha256(rfc8785.dumps(proof_options)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()


def secure(document: dict[str, Any], sign: Callable[[bytes], bytes], public_key: bytes,
           created: str) -> dict[str, Any]:
    """Return `document` with an assertion proof signed by `sign` (the holder of `public_key`)."""
    options: dict[str, Any] = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
                               "verificationMethod": verification_method(public_key),
                               "proofPurpose": "assertionMethod"}
    if "@context" in document:
        options["@context"] = document["@context"]
    value = "z" + base58.b58encode(sign(hash_data(document, options))).decode()
    return {**document, "proof": {**options, "proofValue": value}}
