"""Submissions (what a party signs) and entries (what the log appends), byte for byte.

A submission is signed with Ed25519 over its RFC 8785 bytes. An entry wraps it
with its index, the previous entry's hash, the server's record time and the
signature; `entry_hash = SHA-256(JCS(entry))` and the Merkle leaf is
`SHA-256(0x00 || JCS(entry))`. docs/format.md is the public statement of this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import signing
from .canonical import MAX_SAFE_INTEGER, canonicalize, parse_canonical
from .errors import InvalidInput, NotCanonical
from .hashing import ZERO_HASH, leaf_hash, sha256
from .validation import lowercase_hex

SUBMISSION_FIELDS = ("body", "key_id", "log", "party", "submission_id", "timestamp", "type")
ENTRY_FIELDS = ("index", "prev_hash", "recorded_at", "signature", "submission")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")
HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z\Z")
_SUBMISSION_KEY = b',"submission":'
_PLAIN_TEXT = re.compile(r'[ !#-\[\]-~]*\Z')  # printable ASCII without '"' and '\'


def format_time(moment: datetime) -> str:
    """Return `moment` as RFC 3339 UTC with microseconds and a Z suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str, field: str = "timestamp") -> datetime:
    """Return the UTC datetime of an RFC 3339 `...Z` string or raise InvalidInput."""
    if not isinstance(text, str) or not TIMESTAMP.match(text):
        raise InvalidInput(field, "must be an RFC 3339 UTC time such as 2026-11-21T09:30:00Z")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(field, "is not a valid calendar time") from exc


@dataclass(frozen=True, slots=True)
class SignedSubmission:
    """A party's submission with its signature, checked for shape and canonical form."""

    submission: dict[str, Any]
    signature: bytes
    canonical: bytes

    @classmethod
    def create(cls, submission: dict[str, Any], signature: bytes) -> SignedSubmission:
        """Return the checked submission; raise InvalidInput naming the bad field."""
        check_submission_shape(submission)
        return cls(submission, signature, canonicalize(submission, "submission"))

    @property
    def party(self) -> str:
        return str(self.submission["party"])

    @property
    def key_id(self) -> str:
        return str(self.submission["key_id"])

    @property
    def submission_id(self) -> str:
        return str(self.submission["submission_id"])

    @property
    def type(self) -> str:
        return str(self.submission["type"])

    @property
    def body(self) -> dict[str, Any]:
        return dict(self.submission["body"])

    def verify(self, public_key: bytes) -> None:
        """Return if the signature verifies under `public_key`; raise BadSignature."""
        signing.verify(public_key, self.signature, self.canonical)


def sign_submission(submission: dict[str, Any], signer: signing.Signer) -> SignedSubmission:
    """Return `submission` signed by `signer` (the client side of the protocol)."""
    checked = SignedSubmission.create(submission, b"")
    return SignedSubmission(checked.submission, signer.sign(checked.canonical), checked.canonical)


def check_submission_shape(submission: Any) -> None:
    """Return if `submission` has exactly the submission fields with valid forms."""
    if not isinstance(submission, dict):
        raise InvalidInput("submission", "must be a JSON object")
    missing = [name for name in SUBMISSION_FIELDS if name not in submission]
    if missing:
        raise InvalidInput(f"submission.{missing[0]}", "is required")
    extra = sorted(set(submission) - set(SUBMISSION_FIELDS))
    if extra:
        raise InvalidInput(f"submission.{extra[0]}", "unknown field")
    for name in ("party", "submission_id"):
        value = submission[name]
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            raise InvalidInput(f"submission.{name}", "1-128 characters of A-Z a-z 0-9 . _ : - starting alphanumeric")
    if not isinstance(submission["key_id"], str) or not HEX64.match(submission["key_id"]):
        raise InvalidInput("submission.key_id", "must be 64 lowercase hex digits (SHA-256 of the public key)")
    if not isinstance(submission["log"], str) or not submission["log"]:
        raise InvalidInput("submission.log", "must name the log origin")
    if not isinstance(submission["type"], str) or not re.match(r"^[a-z]+(\.[a-z_]+)+\Z", submission["type"]):
        raise InvalidInput("submission.type", "must be an entry type such as lot.register")
    parse_time(submission["timestamp"], "submission.timestamp")
    if not isinstance(submission["body"], dict):
        raise InvalidInput("submission.body", "must be a JSON object")


@dataclass(frozen=True, slots=True)
class Entry:
    """One appended entry with its canonical bytes and hashes."""

    index: int
    prev_hash: bytes
    recorded_at: str
    signed: SignedSubmission
    data: bytes
    entry_hash: bytes
    leaf_hash: bytes

    @classmethod
    def build(cls, index: int, prev_hash: bytes, recorded_at: str, signed: SignedSubmission) -> Entry:
        """Return the entry appended at `index` after an entry hashing to `prev_hash`."""
        members = {"index": index, "prev_hash": prev_hash.hex(), "recorded_at": recorded_at,
                   "signature": signed.signature.hex()}
        plain = isinstance(recorded_at, str) and _PLAIN_TEXT.match(recorded_at) is not None
        if plain and type(index) is int and 0 <= index <= MAX_SAFE_INTEGER:
            # Hex strings, a safe integer and printable ASCII free of quotes and backslashes are their
            # own JCS form, so the members can be written out directly.
            head = ('{"index":%d,"prev_hash":"%s","recorded_at":"%s","signature":"%s"' % (
                index, members["prev_hash"], recorded_at, members["signature"])).encode()
        else:
            head = canonicalize(members)[:-1]
        # JCS is compositional and "submission" sorts after every other member, so the entry's bytes
        # are these members followed by the submission's own canonical bytes, the ones it was signed as.
        data = head + _SUBMISSION_KEY + signed.canonical + b"}"
        return cls(index, prev_hash, recorded_at, signed, data, sha256(data), leaf_hash(data))

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Return the entry whose canonical bytes are `data`; raise NotCanonical/InvalidInput."""
        value = parse_canonical(data)
        if not isinstance(value, dict) or sorted(value) != list(ENTRY_FIELDS):
            raise InvalidInput("entry", f"must have exactly the fields {', '.join(ENTRY_FIELDS)}")
        index, prev, signature = value["index"], value["prev_hash"], value["signature"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise InvalidInput("entry.index", "must be a non-negative integer")
        prev_hash = lowercase_hex(prev, 32, "entry.prev_hash")
        signature_bytes = lowercase_hex(signature, 64, "entry.signature")
        parse_time(value["recorded_at"], "entry.recorded_at")
        check_submission_shape(value["submission"])
        start = data.find(_SUBMISSION_KEY)
        if start < 0:
            raise NotCanonical("entry", "submission member not found")
        signed = SignedSubmission(value["submission"], signature_bytes, data[start + len(_SUBMISSION_KEY) : -1])
        return cls(index, prev_hash, value["recorded_at"], signed, data, sha256(data), leaf_hash(data))

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the JSON object that was hashed."""
        return {
            "index": self.index,
            "prev_hash": self.prev_hash.hex(),
            "recorded_at": self.recorded_at,
            "signature": self.signed.signature.hex(),
            "submission": self.signed.submission,
        }


GENESIS_PREV_HASH = ZERO_HASH
