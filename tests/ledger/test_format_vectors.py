"""The known-answer vectors of docs/vectors/, regenerated with the real code and checked two ways.

Every file is rebuilt from fixed seeds and fixed times through the code path the
log uses (sign_submission, Entry.build, MemoryTree, sign_checkpoint) and must
equal the file on disk; `SCRAPLEDGER_WRITE_VECTORS=1` rewrites the files instead.
A second, independent verifier below reads only the files and uses only the
standard library and cryptography's Ed25519, following docs/format.md: if it
passes, the document is enough to write a verifier.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import parties
from ledger.canonical import canonicalize
from ledger.checkpoint import Checkpoint, NoteVerifier, note_key_id, sign_checkpoint
from ledger.entries import GENESIS_PREV_HASH, Entry, format_time, sign_submission
from ledger.errors import ChainBroken, NotCanonical, ProofError
from ledger.export import verify_export
from ledger.integrity import verify_entries
from ledger.merkle import EMPTY_ROOT, MemoryTree
from ledger.signing import Signer

DOCS = Path(__file__).resolve().parents[2] / "docs"
VECTORS = DOCS / "vectors"
WRITE = os.environ.get("SCRAPLEDGER_WRITE_VECTORS") == "1"

ORIGIN = "scrapledger.example/log"
LOG_SEED = bytes(range(32))
SEEDS = {
    "operator#1": bytes([0x01]) * 32,
    "rotterdam-metals#1": bytes([0x02]) * 32,
    "rotterdam-metals#2": bytes([0x03]) * 32,
    "huttenwerk-duisburg#1": bytes([0x04]) * 32,
    "huttenwerk-duisburg#2": bytes([0x05]) * 32,
    "controle-lyon#1": bytes([0x06]) * 32,
}
SIGNERS = {label: Signer.from_seed(seed) for label, seed in SEEDS.items()}


def _pub(label: str) -> str:
    return SIGNERS[label].public_key.hex()


def _kid(label: str) -> str:
    return SIGNERS[label].key_id


def _at(day: int, hour: int, minute: int, second: int, micro: int = 0) -> str:
    return format_time(datetime(2026, 3, day, hour, minute, second, micro, tzinfo=UTC))


# (signing key, submission_id, client timestamp, recorded_at, type, body) in log order.
STEPS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    (
        "operator#1",
        "genesis-operator",
        "2026-03-02T08:00:00Z",
        _at(2, 8, 0, 0, 412_000),
        parties.REGISTER,
        {
            "party_id": "operator",
            "legal_name": "Ledger Operations B.V.",
            "registration_number": "NL-KVK-90000001",
            "country": "NL",
            "roles": ["operator"],
            "public_keys": [_pub("operator#1")],
        },
    ),
    (
        "operator#1",
        "op-2026-03-02-0001",
        "2026-03-02T09:14:07.5Z",
        _at(2, 9, 14, 8, 3_917),
        parties.REGISTER,
        {
            "party_id": "rotterdam-metals",
            "legal_name": "Rotterdam Metals Recycling B.V.",
            "registration_number": "NL-KVK-24380001",
            "country": "NL",
            "roles": ["recycler"],
            "public_keys": [_pub("rotterdam-metals#1")],
        },
    ),
    (
        "operator#1",
        "op-2026-03-02-0002",
        "2026-03-02T09:20:31Z",
        _at(2, 9, 20, 31, 640_221),
        parties.REGISTER,
        {
            "party_id": "huttenwerk-duisburg",
            "legal_name": "Hüttenwerk Duisburg-Süd GmbH",
            "registration_number": "HRB 30417",
            "country": "DE",
            "roles": ["smelter"],
            "public_keys": [_pub("huttenwerk-duisburg#1")],
        },
    ),
    (
        "rotterdam-metals#1",
        "rm-key-rotation-2026-03",
        "2026-03-03T07:45:00.000Z",
        _at(3, 7, 45, 0, 981_004),
        parties.ROTATE,
        {
            "party_id": "rotterdam-metals",
            "new_public_key": _pub("rotterdam-metals#2"),
            "retire_key_id": _kid("rotterdam-metals#1"),
        },
    ),
    (
        "huttenwerk-duisburg#1",
        "hwd-2026-03-04-key-2",
        "2026-03-04T13:02:59Z",
        _at(4, 13, 3, 0, 12),
        parties.ROTATE,
        {"party_id": "huttenwerk-duisburg", "new_public_key": _pub("huttenwerk-duisburg#2")},
    ),
    (
        "huttenwerk-duisburg#2",
        "hwd-2026-03-04-revoke-1",
        "2026-03-04T13:05:10Z",
        _at(4, 13, 5, 10, 500_000),
        parties.REVOKE,
        {
            "party_id": "huttenwerk-duisburg",
            "key_id": _kid("huttenwerk-duisburg#1"),
            "reason": "Schlüsseldatei auf einem gemeinsam genutzten Waagen-PC gefunden",
        },
    ),
    (
        "operator#1",
        "op-2026-03-05-0003",
        "2026-03-05T10:30:00Z",
        _at(5, 10, 30, 0, 250_000),
        parties.REGISTER,
        {
            "party_id": "controle-lyon",
            "legal_name": "Contrôle Qualité Métaux Lyon SAS",
            "registration_number": "RCS Lyon 852 147 963",
            "country": "FR",
            "roles": ["auditor"],
            "public_keys": [_pub("controle-lyon#1")],
        },
    ),
]
CHECKS = {
    parties.REGISTER: parties.check_register,
    parties.ROTATE: parties.check_rotate,
    parties.REVOKE: parties.check_revoke,
}
# (key, index, may sign?) for the edges of the key history rule.
KEY_CHECKS = [
    (
        "operator#1",
        0,
        False,
        "keys registered by entry 0 may sign from entry 1; entry 0 has the genesis rule",
    ),
    ("operator#1", 1, True, "added at 0, never ended"),
    ("rotterdam-metals#1", 3, True, "the entry that retires a key may itself be signed by it"),
    ("rotterdam-metals#1", 4, False, "retired by entry 3"),
    ("rotterdam-metals#2", 3, False, "a key cannot sign the entry that adds it"),
    ("rotterdam-metals#2", 4, True, "added at 3"),
    ("huttenwerk-duisburg#1", 5, True, "revoked by entry 5, which it could still have signed"),
    ("huttenwerk-duisburg#1", 6, False, "revoked by entry 5"),
    ("controle-lyon#1", 6, False, "added at 6"),
]


def _entry_party(label: str) -> str:
    return label.split("#")[0]


@functools.cache
def build_log() -> tuple[list[Entry], MemoryTree]:
    """Return the vector log's entries and tree, checking each step with the log's own rules."""
    keyring = parties.KeyRing()
    tree = MemoryTree()
    entries: list[Entry] = []
    prev = GENESIS_PREV_HASH
    for index, (label, submission_id, timestamp, recorded_at, entry_type, body) in enumerate(STEPS):
        CHECKS[entry_type](body)
        signer = SIGNERS[label]
        submission = {
            "log": ORIGIN,
            "party": _entry_party(label),
            "key_id": signer.key_id,
            "submission_id": submission_id,
            "timestamp": timestamp,
            "type": entry_type,
            "body": body,
        }
        signed = sign_submission(submission, signer)
        if index > 0:
            signed.verify(keyring.active_key(signed.party, signed.key_id, index))
        entry = Entry.build(index, prev, recorded_at, signed)
        keyring.apply(entry_type, body, index)
        tree.append(entry.leaf_hash)
        entries.append(entry)
        prev = entry.entry_hash
    return entries, tree


def canonical_vectors() -> dict[str, Any]:
    positive = [
        (
            "key order is by UTF-16 code units: U+1F602 (D83D DE02) sorts before U+FB33",
            '{"\\ufb33": 4, "\\ud83d\\ude02": 3, "é": 2, "a": 1, "": 0}',
        ),
        (
            "control characters: short escapes where JSON has them, else \\u00xx in lowercase hex",
            '"\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u001f'
            ' \\" \\\\ \\/ \\u007f \\u2028 \\u00e9 \\ud83d\\ude02"',
        ),
        (
            "integers at the edges of the allowed range",
            "[0, -1, 9007199254740991, -9007199254740991, -0]",
        ),
        (
            "literals, empty containers, no whitespace",
            '{ "b" : [ true , false , null ] , "a" : { } , "c" : [ ] }',
        ),
        (
            "nested objects are sorted at every level",
            '{"z": {"y": 1, "x": {"b": 2, "a": 1}}, "m": [{"k": 1, "j": 2}]}',
        ),
    ]
    negative = [
        ("a number with a fraction, even an integral one", "1.0"),
        ("a number with an exponent", "[1e3]"),
        ("an integer above 2^53 - 1", "9007199254740992"),
        ("an integer below -(2^53 - 1)", '{"grams": -9007199254740992}'),
        ("a lone surrogate in a string", '"\\ud800"'),
        ("a lone surrogate in an object key", '{"\\udc00": 1}'),
    ]
    cases = []
    for what, text in positive:
        data = canonicalize(json.loads(text))
        cases.append(
            {
                "description": what,
                "input": text,
                "canonical_utf8": data.decode("utf-8"),
                "canonical_hex": data.hex(),
            }
        )
    refused = []
    for what, text in negative:
        with pytest.raises(NotCanonical):
            canonicalize(json.loads(text))
        refused.append({"description": what, "input": text, "must_fail": True})
    return {
        "description": (
            "RFC 8785 canonical bytes of small JSON texts (input is JSON text to parse first), and"
            " inputs that have no canonical form in scrapledger (must_fail). See docs/format.md, "
            "section 2."
        ),
        "cases": cases,
        "refused": refused,
    }


def submission_vectors() -> dict[str, Any]:
    entries, _ = build_log()
    signed = entries[6].signed
    return {
        "description": (
            "A party.register submission with non-ASCII text, its RFC 8785 bytes and the "
            "operator's Ed25519 signature over exactly those bytes (it is the submission of entry "
            "6 in log.json)."
        ),
        "signer": {
            "seed_hex": SEEDS["operator#1"].hex(),
            "public_key": _pub("operator#1"),
            "key_id": _kid("operator#1"),
        },
        "submission": signed.submission,
        "canonical_utf8": signed.canonical.decode("utf-8"),
        "canonical_hex": signed.canonical.hex(),
        "signature": signed.signature.hex(),
    }


def log_vectors() -> dict[str, Any]:
    entries, _ = build_log()
    history: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for change in parties.key_changes(entry.signed.type, entry.signed.body, entry.index):
            if change.added is not None:
                history[change.added.hex()] = {
                    "party": change.party_id,
                    "public_key": change.added.hex(),
                    "key_id": hashlib.sha256(change.added).hexdigest(),
                    "added_at": change.index,
                    "ended_at": None,
                    "end_reason": None,
                }
            else:
                record = next(r for r in history.values() if r["key_id"] == change.ended_key_id)
                record.update(ended_at=change.index, end_reason=change.reason)
    return {
        "description": (
            "A log of 7 entries built with fixed seeds and times: the operator's genesis entry, "
            "two registrations, a rotation signed by the key it retires, a rotation that keeps the"
            " old key, a revocation signed by the newer key, and a registration with non-ASCII "
            "text. canonical_utf8 is JCS(entry); entry_hash = SHA-256(JCS(entry)); leaf_hash = "
            "SHA-256(0x00 || JCS(entry)). The export of this log is each canonical_utf8 followed "
            "by one LF."
        ),
        "origin": ORIGIN,
        "keys": [
            {
                "label": label,
                "party": _entry_party(label),
                "seed_hex": seed.hex(),
                "public_key": _pub(label),
                "key_id": _kid(label),
            }
            for label, seed in SEEDS.items()
        ],
        "entries": [
            {
                "index": e.index,
                "entry": e.to_json(),
                "canonical_utf8": e.data.decode("utf-8"),
                "canonical_hex": e.data.hex(),
                "submission_canonical_hex": e.signed.canonical.hex(),
                "entry_hash": e.entry_hash.hex(),
                "leaf_hash": e.leaf_hash.hex(),
            }
            for e in entries
        ],
        "key_history": list(history.values()),
        "key_checks": [
            {
                "key_id": _kid(label),
                "party": _entry_party(label),
                "index": index,
                "may_sign": may_sign,
                "why": why,
            }
            for label, index, may_sign, why in KEY_CHECKS
        ],
    }


def roots_vectors() -> dict[str, Any]:
    entries, tree = build_log()
    return {
        "description": (
            "RFC 9162 Merkle tree hashes MTH(D[0:size]) of the vector log for sizes 0..7; the "
            "leaves are the leaf hashes of log.json in order. Size 0 is SHA-256 of the empty "
            "string."
        ),
        "leaf_hashes": [e.leaf_hash.hex() for e in entries],
        "roots": [
            {"size": size, "root": (tree.root(size) if size else EMPTY_ROOT).hex()}
            for size in range(len(entries) + 1)
        ],
    }


def inclusion_vectors() -> dict[str, Any]:
    entries, tree = build_log()
    cases = [
        {
            "leaf_index": index,
            "tree_size": size,
            "leaf_hash": entries[index].leaf_hash.hex(),
            "audit_path": [h.hex() for h in tree.inclusion_proof(index, size)],
            "root": tree.root(size).hex(),
        }
        for size in range(1, len(entries) + 1)
        for index in range(size)
    ]
    errors = [
        (7, 7, "leaf_index >= tree_size"),
        (0, 0, "tree_size 0 has no leaves"),
        (-1, 3, "negative leaf_index"),
    ]
    for index, size, _ in errors:
        with pytest.raises(ProofError):
            tree.inclusion_proof(index, size)
    return {
        "description": (
            "Every inclusion proof (RFC 9162 2.1.3 PATH) of the vector log: each case is the body "
            "of GET /v1/entries/{leaf_index}/inclusion-proof?tree_size={tree_size} plus the root "
            "it must give (in real use that root comes from a signed checkpoint). errors must be "
            "refused."
        ),
        "cases": cases,
        "errors": [
            {"leaf_index": i, "tree_size": n, "why": why, "must_fail": True} for i, n, why in errors
        ],
    }


def consistency_vectors() -> dict[str, Any]:
    _, tree = build_log()
    size = tree.size
    cases = [
        {
            "first": first,
            "second": second,
            "consistency": [h.hex() for h in tree.consistency_proof(first, second)],
            "first_root": tree.root(first).hex(),
            "second_root": tree.root(second).hex(),
        }
        for second in range(1, size + 1)
        for first in range(1, second + 1)
    ]
    errors = [
        (0, 5, "first == 0 is refused"),
        (5, 4, "first > second"),
        (0, 0, "first == 0 is refused"),
    ]
    for first, second, _ in errors:
        with pytest.raises(ProofError):
            tree.consistency_proof(first, second)
    return {
        "description": (
            "Every consistency proof (RFC 9162 2.1.4 PROOF) of the vector log: each case is the "
            "body of GET /v1/consistency-proof?first={first}&second={second} plus both roots (in "
            "real use each comes from a signed checkpoint). first == second gives an empty proof. "
            "errors must be refused."
        ),
        "cases": cases,
        "errors": [
            {"first": m, "second": n, "why": why, "must_fail": True} for m, n, why in errors
        ],
    }


def checkpoint_vectors() -> dict[str, Any]:
    _, tree = build_log()
    log_key = Signer.from_seed(LOG_SEED)
    checkpoint = Checkpoint(ORIGIN, tree.size, tree.root())
    note = sign_checkpoint(checkpoint, log_key)
    signature_line = note.splitlines()[-1]
    return {
        "description": (
            "The signed checkpoint of the whole vector log (C2SP tlog-checkpoint in a C2SP signed "
            "note) and the log's verifier key. body is the signed text; note is what GET "
            "/v1/checkpoint returns; vkey is what GET /v1/log-key returns (without its final "
            "newline)."
        ),
        "log_key": {"seed_hex": LOG_SEED.hex(), "public_key": log_key.public_key.hex()},
        "origin": ORIGIN,
        "tree_size": checkpoint.size,
        "root_hex": checkpoint.root.hex(),
        "root_base64": base64.b64encode(checkpoint.root).decode("ascii"),
        "note_key_id_hex": note_key_id(ORIGIN, log_key.public_key).hex(),
        "vkey": NoteVerifier.from_public_key(ORIGIN, log_key.public_key).to_vkey(),
        "body": checkpoint.to_text(),
        "signature_line": signature_line,
        "note": note,
    }


GENERATORS: dict[str, Callable[[], dict[str, Any]]] = {
    "canonical.json": canonical_vectors,
    "submission.json": submission_vectors,
    "log.json": log_vectors,
    "merkle-roots.json": roots_vectors,
    "inclusion-proofs.json": inclusion_vectors,
    "consistency-proofs.json": consistency_vectors,
    "checkpoint.json": checkpoint_vectors,
}


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_vector_file_equals_what_the_code_produces(name: str) -> None:
    content = GENERATORS[name]()
    assert content["description"]
    if WRITE:
        VECTORS.mkdir(parents=True, exist_ok=True)
        (VECTORS / name).write_text(
            json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert load(name) == content


def test_every_vector_file_is_generated_and_named_in_the_format_document() -> None:
    assert sorted(p.name for p in VECTORS.iterdir()) == sorted(GENERATORS)
    document = (DOCS / "format.md").read_text(encoding="utf-8")
    for name in GENERATORS:
        assert f"vectors/{name}" in document


def test_the_reference_verifier_accepts_an_export_of_the_vector_log(tmp_path: Path) -> None:
    log, checkpoint = load("log.json"), load("checkpoint.json")
    entries = tmp_path / "entries.jsonl"
    entries.write_bytes(b"".join(bytes.fromhex(e["canonical_hex"]) + b"\n" for e in log["entries"]))
    result = verify_export(entries, checkpoint["note"], checkpoint["vkey"])
    assert (result.size, result.root.hex()) == (7, checkpoint["root_hex"])


def test_the_reference_verifier_rejects_an_entry_signed_with_a_retired_key() -> None:
    entries, tree = build_log()
    submission = dict(
        entries[4].signed.submission,
        party="rotterdam-metals",
        key_id=_kid("rotterdam-metals#1"),
        body={"party_id": "rotterdam-metals", "new_public_key": _pub("huttenwerk-duisburg#2")},
    )
    forged = Entry.build(
        4,
        entries[3].entry_hash,
        entries[4].recorded_at,
        sign_submission(submission, SIGNERS["rotterdam-metals#1"]),
    )
    rows = [(e.data, None) for e in entries[:4]] + [(forged.data, None)]
    with pytest.raises(ChainBroken) as caught:
        verify_entries(rows, {}, origin=ORIGIN)
    assert caught.value.index == 4


# What follows is an independent verifier written from docs/format.md alone: the standard library
# and cryptography's Ed25519, nothing from `ledger`.

MAX_SAFE = 2**53 - 1
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def jcs(value: Any) -> bytes:
    """Return the RFC 8785 bytes of a float-free JSON value, following format.md section 2."""

    def text(s: str) -> str:
        return (
            '"'
            + "".join(_SHORT_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if c < " " else c) for c in s)
            + '"'
        )

    def walk(v: Any) -> str:
        if v is None or isinstance(v, bool):
            return {None: "null", True: "true", False: "false"}[v]
        if isinstance(v, int):
            if abs(v) > MAX_SAFE:
                raise ValueError("integer out of range")
            return str(v)
        if isinstance(v, str):
            return text(v)
        if isinstance(v, list):
            return "[" + ",".join(walk(item) for item in v) + "]"
        if isinstance(v, dict):
            keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
            return "{" + ",".join(text(k) + ":" + walk(v[k]) for k in keys) + "}"
        raise ValueError(f"not allowed: {type(v).__name__}")

    return walk(value).encode("utf-8")  # raises on lone surrogates


def strict_loads(data: bytes) -> Any:
    def no_float(s: str) -> Any:
        raise ValueError(f"float {s}")

    return json.loads(data.decode("utf-8"), parse_float=no_float, parse_constant=no_float)


def ed25519_ok(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def inclusion_root_ok(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_ok(
    first: int, second: int, proof: list[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 section 2.1.4.2 with the edge policy of format.md section 7.3."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = sha(b"\x01" + c + fr), sha(b"\x01" + c + sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = sha(b"\x01" + sr + c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def b64(text: str) -> bytes:
    data = base64.b64decode(text, validate=True)
    assert base64.b64encode(data).decode() == text, "non-canonical base64"
    return data


def open_checkpoint_note(note: str, vkey: str) -> tuple[str, int, bytes]:
    """Return (origin, size, root) of a checkpoint note signed by the key `vkey` names."""
    name, key_id_hex, key_b64 = vkey.split("+", 2)
    key = b64(key_b64)
    assert key[0] == 0x01 and len(key) == 33
    assert sha(name.encode() + b"\n" + key).hex()[:8] == key_id_hex
    split = note.rindex("\n\n")
    text, signatures = note[: split + 1], note[split + 2 :]
    assert signatures.endswith("\n")
    good = False
    for line in signatures[:-1].split("\n"):
        assert line.startswith("\u2014 ")
        line_name, blob_b64 = line[2:].split(" ")
        blob = b64(blob_b64)
        if line_name == name and blob[:4].hex() == key_id_hex:
            assert ed25519_ok(key[1:], blob[4:], text.encode("utf-8"))
            good = True
    assert good
    origin, size_text, root_b64, *_extensions = text[:-1].split("\n")
    assert origin == name and re.fullmatch(r"0|[1-9][0-9]*", size_text)
    return origin, int(size_text), b64(root_b64)


def independent_walk(lines: list[bytes], origin: str) -> list[bytes]:
    """Return the leaf hashes after checking every entry as format.md 'How to verify' says."""
    keys: dict[str, dict[str, Any]] = {}  # key id -> party, public key, added_at, ended_at
    leaves: list[bytes] = []
    prev = "0" * 64
    for i, line in enumerate(lines):
        entry = strict_loads(line)
        assert jcs(entry) == line, f"entry {i} is not canonical"
        assert sorted(entry) == ["index", "prev_hash", "recorded_at", "signature", "submission"]
        assert entry["index"] == i and entry["prev_hash"] == prev
        sub = entry["submission"]
        assert sub["log"] == origin
        body = sub["body"]
        if i == 0:
            assert sub["type"] == "party.register" and sub["party"] == body["party_id"]
            candidates = [
                k for k in body["public_keys"] if sha(bytes.fromhex(k)).hex() == sub["key_id"]
            ]
            public_key = bytes.fromhex(candidates[0])
        else:
            key = keys[sub["key_id"]]
            assert key["party"] == sub["party"]
            assert key["added_at"] < i and (key["ended_at"] is None or i <= key["ended_at"])
            public_key = key["public_key"]
        assert ed25519_ok(public_key, bytes.fromhex(entry["signature"]), jcs(sub)), (
            f"entry {i} signature"
        )
        if sub["type"] == "party.register":
            for k in body["public_keys"]:
                keys[sha(bytes.fromhex(k)).hex()] = {
                    "party": body["party_id"],
                    "public_key": bytes.fromhex(k),
                    "added_at": i,
                    "ended_at": None,
                }
        elif sub["type"] == "party.rotate_key":
            k = bytes.fromhex(body["new_public_key"])
            keys[sha(k).hex()] = {
                "party": body["party_id"],
                "public_key": k,
                "added_at": i,
                "ended_at": None,
            }
            if "retire_key_id" in body:
                keys[body["retire_key_id"]]["ended_at"] = i
        elif sub["type"] == "party.revoke_key":
            keys[body["key_id"]]["ended_at"] = i
        prev = sha(line).hex()
        leaves.append(sha(b"\x00" + line))
    return leaves


def test_an_independent_verifier_accepts_the_vector_log_its_proofs_and_checkpoint() -> None:
    log, checkpoint = load("log.json"), load("checkpoint.json")
    origin, size, root = open_checkpoint_note(checkpoint["note"], checkpoint["vkey"])
    lines = [e["canonical_utf8"].encode("utf-8") for e in log["entries"]]
    assert [line.hex() for line in lines] == [e["canonical_hex"] for e in log["entries"]]
    leaves = independent_walk(lines, origin)
    assert len(leaves) == size and mth(leaves) == root
    assert [leaf.hex() for leaf in leaves] == [e["leaf_hash"] for e in log["entries"]]
    assert [sha(line).hex() for line in lines] == [e["entry_hash"] for e in log["entries"]]

    roots = {r["size"]: bytes.fromhex(r["root"]) for r in load("merkle-roots.json")["roots"]}
    assert roots == {n: mth(leaves[:n]) for n in range(size + 1)}
    inclusion = load("inclusion-proofs.json")
    assert len(inclusion["cases"]) == size * (size + 1) // 2
    for case in inclusion["cases"]:
        path = [bytes.fromhex(h) for h in case["audit_path"]]
        leaf = leaves[case["leaf_index"]]
        assert inclusion_root_ok(
            case["leaf_index"], case["tree_size"], leaf, path, roots[case["tree_size"]]
        )
        assert not inclusion_root_ok(
            case["leaf_index"], case["tree_size"], sha(b"other"), path, roots[case["tree_size"]]
        )
    for case in inclusion["errors"]:
        assert not inclusion_root_ok(case["leaf_index"], case["tree_size"], leaves[0], [], roots[7])
    consistency = load("consistency-proofs.json")
    assert len(consistency["cases"]) == size * (size + 1) // 2
    for case in consistency["cases"]:
        proof = [bytes.fromhex(h) for h in case["consistency"]]
        m, n = case["first"], case["second"]
        assert consistency_ok(m, n, proof, roots[m], roots[n])
        if m < n:
            assert not consistency_ok(m, n, proof, roots[m], roots[n - 1])
    for case in consistency["errors"]:
        assert not consistency_ok(case["first"], case["second"], [], roots[0], roots[0])


def test_an_independent_verifier_agrees_on_key_history_submission_and_canonical_bytes() -> None:
    log, sample, canonical = load("log.json"), load("submission.json"), load("canonical.json")
    for check in log["key_checks"]:
        key = next(k for k in log["key_history"] if k["key_id"] == check["key_id"])
        i = check["index"]
        active = i > 0 and key["added_at"] < i and (key["ended_at"] is None or i <= key["ended_at"])
        assert active == check["may_sign"], check["why"]
    data = jcs(sample["submission"])
    assert (
        data == sample["canonical_utf8"].encode("utf-8") == bytes.fromhex(sample["canonical_hex"])
    )
    public_key = bytes.fromhex(sample["signer"]["public_key"])
    assert sha(public_key).hex() == sample["signer"]["key_id"] == sample["submission"]["key_id"]
    assert ed25519_ok(public_key, bytes.fromhex(sample["signature"]), data)
    assert not ed25519_ok(
        public_key, bytes.fromhex(sample["signature"]), data.replace("ô".encode(), b"o")
    )
    for case in canonical["cases"]:
        assert jcs(strict_loads(case["input"].encode())).hex() == case["canonical_hex"]
    for case in canonical["refused"]:
        with pytest.raises((ValueError, UnicodeEncodeError)):
            jcs(strict_loads(case["input"].encode()))


def test_an_independent_verifier_notices_one_changed_byte() -> None:
    log, checkpoint = load("log.json"), load("checkpoint.json")
    origin, _, root = open_checkpoint_note(checkpoint["note"], checkpoint["vkey"])
    lines = [e["canonical_utf8"].encode("utf-8") for e in log["entries"]]
    lines[2] = lines[2].replace(b"HRB 30417", b"HRB 30418")
    with pytest.raises(AssertionError, match="entry 2 signature"):
        independent_walk(lines, origin)
    note = checkpoint["note"].replace(f"\n{checkpoint['tree_size']}\n", "\n6\n", 1)
    with pytest.raises(AssertionError):
        open_checkpoint_note(note, checkpoint["vkey"])
    assert root.hex() == checkpoint["root_hex"]
