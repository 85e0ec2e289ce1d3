"""The log key's history: which key signs checkpoints now, which signed them before, and rotation.

Rotating the log key signs a transition checkpoint with both keys (a C2SP
signed note may carry several signatures), so anyone who trusts the old key
can learn the new one from the log itself. Checkpoints signed by retired keys
stay verifiable: `verifiers` returns every key the log has used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from . import merkle
from .checkpoint import Checkpoint, NoteVerifier, cosign_note, open_checkpoint, sign_checkpoint
from .entries import format_time
from .errors import Conflict, LedgerError, StoreUnavailable
from .signing import Signer
from .store import ReadTx, Store

CURRENT, RETIRED, TRANSITIONS = "log_public_key", "retired_log_keys", "log_key_transitions"


@dataclass(frozen=True, slots=True)
class Rotation:
    size: int
    transition_note: str
    new_vkey: str


def require_current(tx: ReadTx, signer: Signer) -> None:
    """Return if `signer` is the ledger's current log key; raise StoreUnavailable otherwise."""
    current = tx.meta(CURRENT)
    if current is not None and current != signer.public_key.hex():
        raise StoreUnavailable("the configured log key is not this ledger's current log key")


def verifiers(tx: ReadTx, anchor: NoteVerifier) -> list[NoteVerifier]:
    """Return `anchor` and every retired log key it vouches for, newest first.

    A retired key is trusted only through its transition checkpoint: a note
    signed by that key and by a key already trusted. The `meta` rows alone
    prove nothing (anyone with database access can write them).
    """
    trusted = [anchor]
    transitions = {item["size"]: item["note"] for item in json.loads(tx.meta(TRANSITIONS) or "[]")}
    for item in reversed(json.loads(tx.meta(RETIRED) or "[]")):
        old = NoteVerifier.from_public_key(anchor.name, bytes.fromhex(item["public_key"]))
        note = transitions.get(item["retired_at_size"], "")
        if signed_by(note, old) and any(signed_by(note, key) for key in trusted):
            trusted.append(old)
    return trusted


def signed_by(note: str, verifier: NoteVerifier) -> bool:
    """Return whether `note` is a checkpoint carrying a valid signature by `verifier`."""
    try:
        open_checkpoint(note, verifier)
    except LedgerError:
        return False
    return True


def rotate(store: Store, origin: str, old: Signer, new: Signer, now: datetime) -> Rotation:
    """Make `new` the log key: cosign a transition checkpoint with both keys and retire `old`."""
    if old.public_key == new.public_key:
        raise Conflict("the new log key is the current one", field="new_key")
    with store.write() as tx:
        require_current(tx, old)
        size = tx.head().size
        root = merkle.root(size, tx.nodes(merkle.root_keys(size)))
        note = cosign_note(sign_checkpoint(Checkpoint(origin, size, root), old), origin, new)
        if not any(stored.size == size for stored in tx.checkpoints()):
            tx.insert_checkpoint(size, root, note, format_time(now))
        retired = json.loads(tx.meta(RETIRED) or "[]") + [{"public_key": old.public_key.hex(),
                                                           "retired_at_size": size}]
        transitions = json.loads(tx.meta(TRANSITIONS) or "[]") + [{"size": size, "note": note}]
        tx.replace_meta(RETIRED, json.dumps(retired))
        tx.replace_meta(TRANSITIONS, json.dumps(transitions))
        tx.replace_meta(CURRENT, new.public_key.hex())
    return Rotation(size, note, NoteVerifier.from_public_key(origin, new.public_key).to_vkey())
