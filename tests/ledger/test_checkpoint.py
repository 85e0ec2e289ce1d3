"""Checkpoints and signed notes: round trips, known answers, and every refusal named."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.checkpoint import (
    Checkpoint,
    NoteVerifier,
    note_key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)
from ledger.errors import BadSignature, InvalidInput, MalformedCheckpoint
from ledger.signing import Signer

SIGNER = Signer.from_seed(bytes(range(32)))
OTHER_SIGNER = Signer.from_seed(bytes(range(1, 33)))
ORIGIN = "ledger.example/rotterdam-yard"
ROOT = hashlib.sha256(b"HMS 1&2, 24,380 kg").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()
VERIFIER = NoteVerifier.from_public_key(ORIGIN, SIGNER.public_key)
CHECKPOINT = Checkpoint(ORIGIN, 24380, ROOT)

# golang.org/x/mod/sumdb/note note_test.go: the reference implementation's key and notes.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # 0x01 || Ed25519 seed
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
    "GwnWLox33WWd1RvMc+QQ=\n"
)
PETER = NoteVerifier.from_vkey(PETER_VKEY)
ENOCH = NoteVerifier.from_vkey(ENOCH_VKEY)

# c2sp.org/signed-note and c2sp.org/tlog-checkpoint: their example notes (no public keys given).
C2SP_NOTE_TEXT = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
)
C2SP_NOTE_SIG = (
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONr"
    "MouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
C2SP_CHECKPOINT_TEXT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
C2SP_CHECKPOINT_SIG = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zh"
    "cyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

# Pinned output of sign_checkpoint(CHECKPOINT, SIGNER); Ed25519 is deterministic.
SIGNED_CHECKPOINT = (
    f"{ORIGIN}\n24380\n{ROOT_B64}\n\n— {ORIGIN} "
    "GHXKKN9ZNGrAr3g/D6jr4tMdKI8ejC7KkiqN5bkHoT+8aww+vE6v1U3lY2DYLzIBV+6RXMuQoh56GoA7k609veurCQI=\n"
)


def body(size: str = "24380", root: str = ROOT_B64, *extra: str, origin: str = ORIGIN) -> str:
    return "".join(line + "\n" for line in (origin, size, root, *extra))


def refusal(error: pytest.ExceptionInfo[Exception]) -> str:
    return str(error.value)


# --- Checkpoint body -------------------------------------------------------------------


@pytest.mark.parametrize("extensions", [(), ("ext one",), ("a", "b — c")])
def test_checkpoint_round_trips_through_text(extensions: tuple[str, ...]) -> None:
    checkpoint = Checkpoint(ORIGIN, 24380, ROOT, extensions)
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


def test_checkpoint_text_is_origin_size_root_then_extensions_each_ending_in_newline() -> None:
    checkpoint = Checkpoint(ORIGIN, 7, ROOT, ("x",))
    assert checkpoint.to_text() == f"{ORIGIN}\n7\n{ROOT_B64}\nx\n"


def test_empty_tree_has_size_zero() -> None:
    assert Checkpoint.from_text(body("0")).size == 0


def test_c2sp_example_checkpoint_body_parses() -> None:
    checkpoint = Checkpoint.from_text(C2SP_CHECKPOINT_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root.hex() == (
        "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62"
    )
    assert checkpoint.to_text() == C2SP_CHECKPOINT_TEXT


NOT_BASE64 = "root hash is not canonical standard base64"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (body("024380"), "size has a leading zero"),
        (body("00"), "size has a leading zero"),
        (body("-1"), "size is negative"),
        (body("0x10"), "size is not an integer"),
        (body("1e3"), "size is not an integer"),
        (body("+5"), "size is not an integer"),
        (body(" 5"), "size is not an integer"),
        (body("2_438"), "size is not an integer"),
        (body("\u0663"), "size is not an integer"),  # ARABIC-INDIC DIGIT THREE
        (body(""), "size is empty"),
        (body(str(2**64)), "size exceeds 2^64-1"),
        (body(root="not base64!"), NOT_BASE64),
        (body(root=ROOT_B64[:-1]), NOT_BASE64),
        (body(root=ROOT_B64.rstrip("=")), NOT_BASE64),
        (body(root=ROOT_B64[:-2] + chr(ord(ROOT_B64[-2]) ^ 1) + "="), NOT_BASE64),  # pad bits
        (body(root=base64.urlsafe_b64encode(b"\xff" * 32).decode()), NOT_BASE64),
        (body(root=b64(ROOT[:31])), "root hash is 31 bytes, want 32"),
        (body(root=b64(ROOT + b"\0")), "root hash is 33 bytes, want 32"),
        (body()[:-1], "missing final newline"),
        (f"{ORIGIN}\n24380\n", "2 lines, want at least 3"),
        (body(origin=""), "origin is empty"),
        (body(origin="a\tb"), "origin contains control character U+0009 at offset 1"),
        (body("24380", ROOT_B64, ""), "extension line 4 is empty"),
        (body("24380", ROOT_B64, "ok", "bad\r"),
         "extension line 5 contains control character U+000D at offset 3"),
    ],
)  # fmt: skip
def test_malformed_checkpoint_body_is_refused_with_reason(text: str, reason: str) -> None:
    with pytest.raises(MalformedCheckpoint) as error:
        Checkpoint.from_text(text)
    assert refusal(error) == f"malformed checkpoint: {reason}"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"size": -1}, "size"),
        ({"size": 2**64}, "size"),
        ({"size": True}, "size"),
        ({"root": ROOT[:31]}, "root"),
        ({"origin": ""}, "origin"),
        ({"origin": "a\nb"}, "origin"),
        ({"extensions": ("",)}, "extensions"),
        ({"extensions": ("two\nlines",)}, "extensions"),
    ],
)
def test_checkpoint_built_in_code_refuses_invalid_fields(
    fields: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"origin": ORIGIN, "size": 1, "root": ROOT, **fields}
    with pytest.raises(InvalidInput) as error:
        Checkpoint(**values)  # type: ignore[arg-type]
    assert error.value.field == field


def test_checkpoint_extensions_given_as_list_are_stored_as_tuple() -> None:
    checkpoint = Checkpoint(ORIGIN, 1, ROOT, ["x"])  # type: ignore[arg-type]
    assert checkpoint.extensions == ("x",)
    hash(checkpoint)


# --- Verifier keys ---------------------------------------------------------------------


def test_go_reference_vkey_parses_and_prints_back_identically() -> None:
    assert PETER.name == "PeterNeumann"
    assert PETER.key_id == bytes.fromhex("c74f20a3")
    assert PETER.to_vkey() == PETER_VKEY
    assert ENOCH.to_vkey() == ENOCH_VKEY


def test_note_key_id_is_first_four_bytes_of_sha256_of_name_newline_alg_key() -> None:
    assert note_key_id("PeterNeumann", PETER.public_key).hex() == "c74f20a3"
    assert note_key_id("EnochRoot", ENOCH.public_key).hex() == "af0cfe78"
    want = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + SIGNER.public_key).digest()[:4]
    assert note_key_id(ORIGIN, SIGNER.public_key) == want


def test_verifier_round_trips_through_vkey_even_when_its_base64_holds_a_plus() -> None:
    vkey = VERIFIER.to_vkey()
    assert "+" in vkey.split("+", 2)[2]
    assert NoteVerifier.from_vkey(vkey) == VERIFIER


def _go_vkey_manglings() -> list[str]:
    cut = [
        PETER_VKEY[i:j]
        for i in range(len(PETER_VKEY) + 1)
        for j in range(i + 1, len(PETER_VKEY) + 1)
        if (i, j) != (0, len(PETER_VKEY))
    ]
    bumped = [
        PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        for i in range(len(PETER_VKEY))
    ]
    return cut + bumped


def test_every_substring_and_single_character_bump_of_a_vkey_is_refused() -> None:
    for mangled in _go_vkey_manglings():
        with pytest.raises(MalformedCheckpoint):
            NoteVerifier.from_vkey(mangled)


def _vkey(name: str, key: bytes, key_id: bytes | None = None) -> str:
    if key_id is None:
        key_id = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(key).decode()}"


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "malformed verifier key: key id c74f20a4 does not match the key (want c74f20a3)"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "malformed verifier key: algorithm byte is 0x65, want 0x01 (Ed25519)"),
        (_vkey("PeterNeumann", b"\x02" + PETER.public_key),
         "malformed verifier key: algorithm byte is 0x02, want 0x01 (Ed25519)"),
        (_vkey("PeterNeumann", b"\x01" + PETER.public_key[:31]),
         "malformed verifier key: Ed25519 key is 31 bytes, want 32"),
        (_vkey("PeterNeumann", b""),
         "malformed verifier key: algorithm byte is missing, want 0x01 (Ed25519)"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "malformed verifier key: key id is not 8 lowercase hex digits"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "malformed verifier key: key id is not 8 lowercase hex digits"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",
         "malformed verifier key: key is not canonical standard base64"),
        ("PeterNeumann+c74f20a3", "malformed verifier key: want <name>+<key id>+<key>"),
        ("Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "malformed verifier key: key id is not 8 lowercase hex digits"),
        (_vkey("", b"\x01" + PETER.public_key), "malformed verifier key: key name is empty"),
        (_vkey("Peter Neumann", b"\x01" + PETER.public_key),
         "malformed verifier key: key name contains whitespace"),
        (_vkey("Peter\u00a0Neumann", b"\x01" + PETER.public_key),
         "malformed verifier key: key name contains whitespace"),
        (_vkey("Peter—Neumann", b"\x01" + PETER.public_key),
         "malformed verifier key: key name contains an em dash"),
    ],
)  # fmt: skip
def test_malformed_vkey_is_refused_with_reason(vkey: str, message: str) -> None:
    with pytest.raises(MalformedCheckpoint) as error:
        NoteVerifier.from_vkey(vkey)
    assert refusal(error) == message


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a—b", "a\u2003b"])
def test_verifier_refuses_key_names_the_spec_or_we_forbid(name: str) -> None:
    with pytest.raises(InvalidInput) as error:
        NoteVerifier.from_public_key(name, SIGNER.public_key)
    assert error.value.field == "name"


def test_verifier_built_in_code_refuses_a_key_id_that_does_not_match() -> None:
    with pytest.raises(InvalidInput) as error:
        NoteVerifier(ORIGIN, b"\0\0\0\0", SIGNER.public_key)
    assert error.value.field == "key_id"


# --- Signed notes ----------------------------------------------------------------------


def test_sign_note_reproduces_the_go_reference_note_byte_for_byte() -> None:
    peter = Signer.from_seed(base64.b64decode(PETER_SKEY_B64)[1:])
    assert sign_note(GO_TEXT, "PeterNeumann", peter) == GO_TEXT + "\n" + PETER_SIG


def test_go_reference_note_opens_to_its_text() -> None:
    assert open_note(GO_TEXT + "\n" + PETER_SIG, PETER) == GO_TEXT


def test_signatures_from_other_keys_are_ignored() -> None:
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, PETER) == GO_TEXT
    assert open_note(note, ENOCH) == GO_TEXT


def test_note_without_a_signature_from_the_verifier_is_refused() -> None:
    with pytest.raises(MalformedCheckpoint) as error:
        open_note(GO_TEXT + "\n" + ENOCH_SIG, PETER)
    assert refusal(error) == "malformed note: no signature by key PeterNeumann+c74f20a3"


def test_c2sp_example_note_opens_once_cosigned_by_a_same_named_key_of_ours() -> None:
    # The spec publishes no public key, so we add our own signature under the same
    # name: the spec's line shares our name but not our key id and must be ignored.
    ours = NoteVerifier.from_public_key("quasimodo.example/salvatore", SIGNER.public_key)
    our_line = sign_note(C2SP_NOTE_TEXT, ours.name, SIGNER).removeprefix(C2SP_NOTE_TEXT + "\n")
    note = C2SP_NOTE_TEXT + "\n" + C2SP_NOTE_SIG + our_line
    assert open_note(note, ours) == C2SP_NOTE_TEXT
    with pytest.raises(MalformedCheckpoint, match="no signature by key"):
        open_note(C2SP_NOTE_TEXT + "\n" + C2SP_NOTE_SIG, ours)


def test_c2sp_example_checkpoint_opens_once_cosigned_by_a_key_of_ours() -> None:
    ours = NoteVerifier.from_public_key("example.com/behind-the-sofa", SIGNER.public_key)
    signed = sign_checkpoint(Checkpoint.from_text(C2SP_CHECKPOINT_TEXT), SIGNER)
    our_line = signed.removeprefix(C2SP_CHECKPOINT_TEXT + "\n")
    note = C2SP_CHECKPOINT_TEXT + "\n" + C2SP_CHECKPOINT_SIG + our_line
    assert open_checkpoint(note, ours).size == 20852163


def test_a_signature_with_our_key_id_under_another_name_is_ignored() -> None:
    renamed = sign_note(GO_TEXT, ORIGIN, SIGNER).replace(f"— {ORIGIN} ", "— other.example/log ")
    with pytest.raises(MalformedCheckpoint, match="no signature by key"):
        open_note(renamed, VERIFIER)


def test_a_failing_signature_from_the_verifier_rejects_the_note_even_beside_a_good_one() -> None:
    good = sign_note(GO_TEXT, ORIGIN, SIGNER)
    forged_line = sign_note("another text\n", ORIGIN, SIGNER).split("\n\n")[1]
    with pytest.raises(BadSignature) as error:
        open_note(good + forged_line, VERIFIER)
    assert refusal(error) == (
        f"signature line 2 by key {ORIGIN}+{VERIFIER.key_id.hex()}: signature does not verify"
    )


def test_a_signature_of_the_wrong_length_from_the_verifier_is_a_bad_signature() -> None:
    note = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(BadSignature, match="an Ed25519 signature is 64 bytes"):
        open_note(note, PETER)


def test_sixteen_signatures_are_accepted_and_a_hundred_and_one_refused() -> None:
    assert open_note(GO_TEXT + "\n" + ENOCH_SIG * 15 + PETER_SIG, PETER) == GO_TEXT
    with pytest.raises(MalformedCheckpoint) as error:
        open_note(GO_TEXT + "\n" + PETER_SIG * 101, PETER)
    assert refusal(error) == "malformed note: 101 signature lines, limit 100"


def test_note_text_may_contain_blank_lines_and_end_in_one() -> None:
    for text in ["a\n\nb\n", "a\n\n", "\n"]:
        assert open_note(sign_note(text, ORIGIN, SIGNER), VERIFIER) == text


SIG_NOT_BASE64 = "signature line 1: signature is not canonical standard base64"
NO_DASH = "does not start with an em dash and a space"


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (GO_TEXT, "no blank line between text and signatures"),
        (GO_TEXT + "\n", "no signature lines"),
        (GO_TEXT + "\n" + PETER_SIG[:-1], "missing final newline"),
        ("\x01" + GO_TEXT + "\n" + PETER_SIG, "contains control character U+0001 at offset 0"),
        ("\udcff" + GO_TEXT + "\n" + PETER_SIG,
         "is not valid UTF-8 (surrogate U+DCFF at offset 0)"),
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"), SIG_NOT_BASE64),
        (GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n", f"signature line 2 {NO_DASH}"),
        (GO_TEXT + "\n" + PETER_SIG.replace("—", "-"), f"signature line 1 {NO_DASH}"),
        (GO_TEXT + "\n" + "— PeterNeumann\n", "signature line 1 has no space after the key name"),
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
         "signature line 1: key name contains '+'"),
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann ", " "),
         "signature line 1: key name is empty"),
        (GO_TEXT + "\n" + "— PeterNeumann x08gow==\n",
         "signature line 1: 4 bytes, want a key id and a signature"),
        (GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AN="), SIG_NOT_BASE64),  # pad bits
    ],
)  # fmt: skip
def test_malformed_note_is_refused_with_reason(note: str, reason: str) -> None:
    with pytest.raises(MalformedCheckpoint) as error:
        open_note(note, PETER)
    assert refusal(error) == f"malformed note: {reason}"


@pytest.mark.parametrize(
    ("text", "name", "field"),
    [
        ("no final newline", ORIGIN, "text"),
        ("tab\there\n", ORIGIN, "text"),
        ("fine\n", "has space", "name"),
        ("fine\n", "has+plus", "name"),
        ("fine\n", "has—dash", "name"),
        ("fine\n", "", "name"),
    ],
)
def test_sign_note_refuses_bad_text_or_key_name(text: str, name: str, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        sign_note(text, name, SIGNER)
    assert error.value.field == field


# --- Signed checkpoints ----------------------------------------------------------------


def test_sign_checkpoint_output_is_pinned() -> None:
    assert sign_checkpoint(CHECKPOINT, SIGNER) == SIGNED_CHECKPOINT


def test_signed_checkpoint_opens_to_the_same_checkpoint() -> None:
    assert open_checkpoint(SIGNED_CHECKPOINT, VERIFIER) == CHECKPOINT


def test_checkpoint_signed_by_another_key_of_the_same_name_is_refused() -> None:
    with pytest.raises(MalformedCheckpoint, match="no signature by key"):
        open_checkpoint(sign_checkpoint(CHECKPOINT, OTHER_SIGNER), VERIFIER)


def test_checkpoint_whose_origin_is_not_the_key_name_is_refused() -> None:
    other = NoteVerifier.from_public_key("other.example/log", SIGNER.public_key)
    note = sign_note(CHECKPOINT.to_text(), other.name, SIGNER)
    with pytest.raises(MalformedCheckpoint) as error:
        open_checkpoint(note, other)
    assert refusal(error) == (
        f"malformed checkpoint: origin {ORIGIN!r} does not match key name 'other.example/log'"
    )


def test_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    with pytest.raises(MalformedCheckpoint) as error:
        open_checkpoint(sign_note(f"{ORIGIN}\n007\n{ROOT_B64}\n", ORIGIN, SIGNER), VERIFIER)
    assert refusal(error) == "malformed checkpoint: size has a leading zero"


def test_checkpoint_whose_origin_is_no_key_name_cannot_be_signed() -> None:
    with pytest.raises(InvalidInput):
        sign_checkpoint(Checkpoint("log with spaces", 1, ROOT), SIGNER)


def _flip(note: str, position: int, mask: int) -> str | None:
    raw = bytearray(note.encode("utf-8"))
    raw[position] ^= mask
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_every_single_byte_change_of_a_signed_checkpoint_that_stays_utf8_is_refused() -> None:
    tried = 0
    for position in range(len(SIGNED_CHECKPOINT.encode("utf-8"))):
        for mask in range(1, 256):
            flipped = _flip(SIGNED_CHECKPOINT, position, mask)
            if flipped is None:
                continue
            tried += 1
            with pytest.raises((MalformedCheckpoint, BadSignature)):
                open_checkpoint(flipped, VERIFIER)
    assert tried > 20_000


checkpoints = st.builds(
    Checkpoint,
    origin=st.just(ORIGIN),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(
        st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1),
        max_size=3,
    ).map(tuple),
)


@given(checkpoints)
def test_any_checkpoint_survives_sign_and_open(checkpoint: Checkpoint) -> None:
    assert open_checkpoint(sign_checkpoint(checkpoint, SIGNER), VERIFIER) == checkpoint


@settings(max_examples=300)
@given(checkpoints, st.data())
def test_any_single_byte_change_that_stays_utf8_is_refused(
    checkpoint: Checkpoint, data: st.DataObject
) -> None:
    note = sign_checkpoint(checkpoint, SIGNER)
    position = data.draw(st.integers(0, len(note.encode("utf-8")) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    flipped = _flip(note, position, mask)
    assume(flipped is not None)
    assert flipped is not None
    with pytest.raises((MalformedCheckpoint, BadSignature)):
        open_checkpoint(flipped, VERIFIER)
