"""Checkpoints (c2sp.org/tlog-checkpoint) inside Ed25519 signed notes (c2sp.org/signed-note).

A checkpoint body is the log origin, the tree size in decimal and the base64 root
hash, one per line, then optional extension lines. A signed note is a text ending
in a newline, a blank line, and lines `— <key name> <base64(key id || signature)>`.
Parsing is strict — one spelling per value, so no two notes carry the same
meaning — and every refusal says what was wrong. Parse errors are
MalformedCheckpoint; a signature from the expected key that fails to verify is
BadSignature. Values built in code with bad fields raise InvalidInput.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from .errors import BadSignature, InvalidInput, MalformedCheckpoint
from .signing import PUBLIC_KEY_SIZE, Signer, verify

ROOT_SIZE = 32
KEY_ID_SIZE = 4
MAX_TREE_SIZE = 2**64 - 1
# The spec asks verifiers to accept at least 16; Go's sumdb/note stops at 100.
MAX_SIGNATURES = 100
ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space

_DECIMAL = re.compile(r"-?[0-9]+")
_LINE_NAMES = {1: "origin", 2: "size", 3: "root hash"}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, tree size, RFC 6962 root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "extensions", tuple(self.extensions))
        problem = _line_problem(self.origin)
        if problem:
            raise InvalidInput("origin", problem)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise InvalidInput("size", "must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidInput("size", "must lie in 0..2^64-1")
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_SIZE:
            raise InvalidInput("root", f"must be {ROOT_SIZE} bytes")
        for number, line in enumerate(self.extensions, start=4):
            problem = _line_problem(line)
            if problem:
                raise InvalidInput("extensions", f"line {number} {problem}")

    def to_text(self) -> str:
        """Return the checkpoint body: one line each, every line ending in a newline."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Return the checkpoint whose body is exactly `text` or raise MalformedCheckpoint."""
        if not text.endswith("\n"):
            raise _bad_checkpoint("missing final newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise _bad_checkpoint(f"{len(lines)} lines, want at least 3")
        for number, line in enumerate(lines, start=1):
            problem = _line_problem(line)
            if problem:
                what = _LINE_NAMES.get(number, f"extension line {number}")
                raise _bad_checkpoint(f"{what} {problem}")
        origin, size_text, root_text, *extensions = lines
        return cls(origin, _parse_size(size_text), _parse_root(root_text), tuple(extensions))


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """An Ed25519 note verifier: key name, 4-byte key id and raw 32-byte public key."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        problem = _key_name_problem(self.name)
        if problem:
            raise InvalidInput("name", problem)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise InvalidInput("public_key", f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")
        if not isinstance(self.key_id, bytes) or not hmac.compare_digest(
            self.key_id, note_key_id(self.name, self.public_key)
        ):
            raise InvalidInput("key_id", "must be note_key_id(name, public_key)")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> NoteVerifier:
        """Return the verifier for `public_key` under key name `name`, computing its key id."""
        problem = _key_name_problem(name)
        if problem:
            raise InvalidInput("name", problem)
        return cls(name, note_key_id(name, public_key), public_key)

    def to_vkey(self) -> str:
        """Return the verifier key text `<name>+<8 hex key id>+<base64(0x01 || key)>`."""
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([ALG_ED25519]) + self.public_key)}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Return the verifier written as `vkey` or raise MalformedCheckpoint."""
        # Split at the first two '+' only: the base64 key may itself contain '+'.
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise _bad_vkey("want <name>+<key id>+<key>")
        name, id_text, key_text = parts
        problem = _key_name_problem(name)
        if problem:
            raise _bad_vkey(f"key name {problem}")
        if not re.fullmatch(r"[0-9a-f]{8}", id_text):
            raise _bad_vkey("key id is not 8 lowercase hex digits")
        key = _b64decode(key_text)
        if key is None:
            raise _bad_vkey("key is not canonical standard base64")
        if not key or key[0] != ALG_ED25519:
            alg = f"0x{key[0]:02x}" if key else "missing"
            raise _bad_vkey(f"algorithm byte is {alg}, want 0x01 (Ed25519)")
        if len(key) != 1 + PUBLIC_KEY_SIZE:
            raise _bad_vkey(f"Ed25519 key is {len(key) - 1} bytes, want {PUBLIC_KEY_SIZE}")
        public_key = key[1:]
        key_id = bytes.fromhex(id_text)
        want = note_key_id(name, public_key)
        if not hmac.compare_digest(key_id, want):
            raise _bad_vkey(f"key id {id_text} does not match the key (want {want.hex()})")
        return cls(name, key_id, public_key)


def note_key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte Ed25519 note key id: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise InvalidInput("public_key", f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")
    material = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def sign_note(text: str, name: str, signer: Signer) -> str:
    """Return the signed note: `text`, a blank line, and one signature line by `signer`."""
    problem = _key_name_problem(name)
    if problem:
        raise InvalidInput("name", problem)
    if not text.endswith("\n"):
        raise InvalidInput("text", "must end with a newline")
    problem = _text_problem(text)
    if problem:
        raise InvalidInput("text", problem)
    key_id = note_key_id(name, signer.public_key)
    signature = signer.sign(text.encode("utf-8"))
    return f"{text}\n{SIGNATURE_PREFIX}{name} {_b64(key_id + signature)}\n"


def cosign_note(note: str, name: str, signer: Signer) -> str:
    """Return `note` with one more signature line, by `signer`, over the same text."""
    split = note.rfind("\n\n")
    if split < 0:
        raise _bad_note("no blank line between text and signatures")
    extra = sign_note(note[: split + 1], name, signer)
    return note + extra[extra.rfind("\n\n") + 2 :]


def open_note(note: str, verifier: NoteVerifier) -> str:
    """Return the text of `note` once a signature by `verifier` verifies over it.

    Signature lines from other keys (another name or another key id) are ignored;
    a signature line from `verifier` that fails makes the whole note fail.
    """
    problem = _text_problem(note)
    if problem:
        raise _bad_note(problem)
    split = note.rfind("\n\n")
    if split < 0:
        raise _bad_note("no blank line between text and signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block:
        raise _bad_note("no signature lines")
    if not signature_block.endswith("\n"):
        raise _bad_note("missing final newline")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _bad_note(f"{len(lines)} signature lines, limit {MAX_SIGNATURES}")
    signatures = [_parse_signature_line(number, line) for number, line in enumerate(lines, 1)]

    verified = False
    message = text.encode("utf-8")
    for number, (name, blob) in enumerate(signatures, start=1):
        if name != verifier.name or not hmac.compare_digest(blob[:KEY_ID_SIZE], verifier.key_id):
            continue
        try:
            verify(verifier.public_key, blob[KEY_ID_SIZE:], message)
        except BadSignature as error:
            raise BadSignature(
                f"signature line {number} by key {name}+{verifier.key_id.hex()}: {error.detail}",
                key=f"{name}+{verifier.key_id.hex()}",
            ) from None
        verified = True
    if not verified:
        raise _bad_note(f"no signature by key {verifier.name}+{verifier.key_id.hex()}")
    return text


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """Return `checkpoint` as a note signed by `signer` under the key name `checkpoint.origin`."""
    return sign_note(checkpoint.to_text(), checkpoint.origin, signer)


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    """Return the checkpoint in `note` once signed by `verifier`, whose name must be its origin."""
    checkpoint = Checkpoint.from_text(open_note(note, verifier))
    if checkpoint.origin != verifier.name:
        raise _bad_checkpoint(
            f"origin {checkpoint.origin!r} does not match key name {verifier.name!r}"
        )
    return checkpoint


def _parse_size(text: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise _bad_checkpoint("size is not an integer")
    if text.startswith("-"):
        raise _bad_checkpoint("size is negative")
    if len(text) > 1 and text.startswith("0"):
        raise _bad_checkpoint("size has a leading zero")
    size = int(text)
    if size > MAX_TREE_SIZE:
        raise _bad_checkpoint("size exceeds 2^64-1")
    return size


def _parse_root(text: str) -> bytes:
    root = _b64decode(text)
    if root is None:
        raise _bad_checkpoint("root hash is not canonical standard base64")
    if len(root) != ROOT_SIZE:
        raise _bad_checkpoint(f"root hash is {len(root)} bytes, want {ROOT_SIZE}")
    return root


def _parse_signature_line(number: int, line: str) -> tuple[str, bytes]:
    """Return (key name, key id || signature) of one signature line or raise."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise _bad_note(f"signature line {number} does not start with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise _bad_note(f"signature line {number} has no space after the key name")
    problem = _spec_key_name_problem(name)
    if problem:
        raise _bad_note(f"signature line {number}: key name {problem}")
    blob = _b64decode(encoded)
    if blob is None:
        raise _bad_note(f"signature line {number}: signature is not canonical standard base64")
    if len(blob) <= KEY_ID_SIZE:
        reason = f"{len(blob)} bytes, want a key id and a signature"
        raise _bad_note(f"signature line {number}: {reason}")
    return name, blob


def _spec_key_name_problem(name: str) -> str | None:
    """Return why `name` breaks the signed-note key name rule, or None."""
    if not name:
        return "is empty"
    if "+" in name:
        return "contains '+'"
    if any(char.isspace() for char in name):
        return "contains whitespace"
    return _text_problem(name)


def _key_name_problem(name: str) -> str | None:
    """Return why we refuse `name` for a key of ours (spec rule, and no em dash), or None."""
    if not isinstance(name, str):
        return "must be a string"
    if "\u2014" in name:
        return "contains an em dash"
    return _spec_key_name_problem(name)


def _line_problem(line: str) -> str | None:
    """Return why `line` cannot be one non-empty line of a checkpoint body, or None."""
    if not isinstance(line, str):
        return "must be a string"
    if not line:
        return "is empty"
    if "\n" in line:
        return "contains a newline"
    return _text_problem(line)


def _text_problem(text: str) -> str | None:
    """Return why `text` cannot appear in a signed note (bad UTF-8, control characters), or None."""
    for offset, char in enumerate(text):
        if char < " " and char != "\n":
            return f"contains control character U+{ord(char):04X} at offset {offset}"
        if "\ud800" <= char <= "\udfff":
            return f"is not valid UTF-8 (surrogate U+{ord(char):04X} at offset {offset})"
    return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes | None:
    """Return the bytes `text` encodes in canonical padded standard base64, or None."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Re-encoding refuses non-zero padding bits, so each value has one spelling.
    return data if _b64(data) == text else None


def _bad_checkpoint(reason: str) -> MalformedCheckpoint:
    return MalformedCheckpoint(f"malformed checkpoint: {reason}", reason=reason)


def _bad_note(reason: str) -> MalformedCheckpoint:
    return MalformedCheckpoint(f"malformed note: {reason}", reason=reason)


def _bad_vkey(reason: str) -> MalformedCheckpoint:
    return MalformedCheckpoint(f"malformed verifier key: {reason}", reason=reason)
