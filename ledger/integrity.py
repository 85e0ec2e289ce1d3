"""Full verification of a log, streamed: memory stays flat however long the log is.

The same walk serves `scrapledger verify` (entries from the database, with
the stored Merkle leaves to pin a change to its entry) and `verify-export`
(entries from a file, no database, no server). It re-derives every entry hash
and chain link, checks every signature against the key history at its index,
and compares the Merkle root with every signed checkpoint it is given.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from . import parties
from .checkpoint import Checkpoint
from .entries import GENESIS_PREV_HASH, Entry
from .errors import ChainBroken, LedgerError
from .merkle import CompactRange
from .signing import key_id


@dataclass(frozen=True, slots=True)
class VerifiedLog:
    """What a successful verification established."""

    size: int
    root: bytes
    last_entry_hash: bytes
    checkpoints_checked: int


def verify_entries(
    rows: Iterable[tuple[bytes, bytes | None]],
    checkpoints: Mapping[int, Checkpoint],
    *,
    origin: str,
    progress: Callable[[int], None] | None = None,
) -> VerifiedLog:
    """Return what the rows prove, or raise ChainBroken naming the first bad index.

    `rows` yields (canonical entry bytes, stored leaf hash or None) in log order;
    `checkpoints` are already signature-checked, keyed by tree size.
    """
    keyring = parties.KeyRing()
    tree = CompactRange()
    prev_hash = GENESIS_PREV_HASH
    checked = 0
    for position, (data, stored_leaf) in enumerate(rows):
        entry = _parse(position, data)
        if entry.index != position:
            raise ChainBroken(position, f"entry claims index {entry.index}: a row was deleted, inserted or moved")
        if stored_leaf is not None and not hmac.compare_digest(stored_leaf, entry.leaf_hash):
            raise ChainBroken(position, "entry bytes differ from the stored Merkle leaf: the entry was altered")
        if not hmac.compare_digest(entry.prev_hash, prev_hash):
            raise ChainBroken(position, "prev_hash does not match the hash of the entry before")
        check_entry_signature(position, entry, keyring, origin)
        keyring.apply(entry.signed.type, entry.signed.submission["body"], position)
        tree.append(entry.leaf_hash)
        prev_hash = entry.entry_hash
        if (checkpoint := checkpoints.get(tree.size)) is not None:
            _check_root(position, tree.root(), checkpoint)
            checked += 1
        if progress is not None:
            progress(1)
    beyond = [size for size in checkpoints if size > tree.size]
    if beyond:
        raise ChainBroken(tree.size, f"a signed checkpoint covers {max(beyond)} entries but only {tree.size} remain")
    return VerifiedLog(tree.size, tree.root(), prev_hash, checked)


def _parse(position: int, data: bytes) -> Entry:
    try:
        return Entry.from_bytes(data)
    except LedgerError as exc:
        raise ChainBroken(position, f"entry is malformed: {exc.detail}") from exc


def check_entry_signature(position: int, entry: Entry, keyring: parties.KeyRing, origin: str) -> None:
    signed = entry.signed
    if signed.submission["log"] != origin:
        raise ChainBroken(position, f"submission names log {signed.submission['log']!r}, not {origin!r}")
    try:
        if position == 0:
            if signed.type != parties.REGISTER or signed.party != signed.body.get("party_id") or (
                    "operator" not in signed.body.get("roles", [])):
                raise ChainBroken(0, "the genesis entry must be the operator registering itself")
            keys = [bytes.fromhex(key) for key in signed.body.get("public_keys", [])]
            public_key = next(key for key in keys if key_id(key) == signed.key_id)
        else:
            public_key = keyring.active_key(signed.party, signed.key_id, position)
        signed.verify(public_key)
    except StopIteration:
        raise ChainBroken(position, "the genesis entry is not signed by a key it registers") from None
    except LedgerError as exc:
        raise ChainBroken(position, f"signature check failed: {exc.detail}") from exc


def _check_root(position: int, root: bytes, checkpoint: Checkpoint) -> None:
    if not hmac.compare_digest(root, checkpoint.root):
        raise ChainBroken(
            position,
            f"Merkle root of the first {checkpoint.size} entries is {root.hex()}, "
            f"the signed checkpoint says {checkpoint.root.hex()}",
        )
