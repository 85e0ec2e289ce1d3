"""The auditor's view of a live ledger: full verification, saved checkpoints against now, growth."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from . import log_keys, merkle
from .checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from .errors import ChainBroken, InvalidInput, LedgerError, ProofError
from .integrity import VerifiedLog, verify_entries
from .log import Log
from .store import ReadTx, Store

CHUNK = 2000


def verify_store(store: Store, verifier: NoteVerifier, progress: Callable[[int], None] | None = None) -> VerifiedLog:
    """Return what the stored log proves, or raise ChainBroken naming the first bad index.

    Every stored checkpoint's signature is checked and its root compared with
    the root recomputed from the entries; the stored Merkle nodes must give
    the same root as the entries themselves.
    """
    with store.read() as tx:
        size = tx.head().size
        stored = tx.checkpoints()
        known = log_keys.verifiers(tx, verifier)
    checkpoints, unsound = {}, {}
    for row in stored:
        try:
            checkpoints[row.size] = _open(row.size, row.note, known)
        except ChainBroken as bad:
            unsound[row.size] = bad
    try:
        result = verify_entries(_rows(store, size), checkpoints, origin=verifier.name, progress=progress)
    except ChainBroken as broken:
        raise _first(broken, unsound) from None
    if unsound:
        raise _first(None, unsound)
    with store.read() as tx:
        stored_root = merkle.root(result.size, tx.nodes(merkle.root_keys(result.size)))
    if not hmac.compare_digest(stored_root, result.root):
        raise ChainBroken(result.size, "the stored Merkle nodes do not match the entries")
    return result


def _open(size: int, note: str, known: list[NoteVerifier]) -> Checkpoint:
    """Return the stored checkpoint signed by any key the log has used, or raise ChainBroken at size - 1."""
    try:
        checkpoint = _open_by_any(note, known)
    except LedgerError as exc:
        raise ChainBroken(size - 1, f"the stored checkpoint of size {size} does not verify: {exc.detail}") from None
    if checkpoint.size != size:
        raise ChainBroken(size - 1, f"the stored checkpoint of size {size} signs size {checkpoint.size}")
    return checkpoint


def _open_by_any(note: str, known: list[NoteVerifier]) -> Checkpoint:
    """Return the checkpoint if any of `known` signed it; raise the first key's LedgerError otherwise."""
    failures = []
    for verifier in known:
        try:
            return open_checkpoint(note, verifier)
        except LedgerError as exc:
            failures.append(exc)
    raise failures[0]


def _first(broken: ChainBroken | None, unsound: dict[int, ChainBroken]) -> ChainBroken:
    """Return whichever problem shows at the lowest index: a broken entry or an unsound checkpoint."""
    candidates = [*unsound.values(), *([broken] if broken is not None else [])]
    return min(candidates, key=lambda problem: problem.index)


def _rows(store: Store, size: int) -> Iterator[tuple[bytes, bytes | None]]:
    start = 0
    while start < size:
        with store.read() as tx:
            chunk = tx.entries_with_leaves(start, CHUNK)
        if not chunk:
            return
        for _, data, leaf in chunk:
            yield data, leaf
        start = chunk[-1][0] + 1


def check_consistency(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    """Return if the log of `new` extends the log of `old` (RFC 9162 consistency); raise ProofError/RootMismatch."""
    if old.origin != new.origin:
        raise ProofError(f"the checkpoints belong to different logs: {old.origin} and {new.origin}")
    if new.size < old.size:
        raise ProofError(f"the newer checkpoint has {new.size} entries, fewer than the older {old.size}")
    merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)


def check_extends(store: Store, saved: Checkpoint) -> int:
    """Return the log size if the stored log extends the saved checkpoint; raise ChainBroken otherwise.

    This is how a restored backup is judged: every entry the saved checkpoint
    covers must be there, with the same Merkle root.
    """
    with store.read() as tx:
        size = tx.head().size
        if saved.size > size:
            raise ChainBroken(size, f"the saved checkpoint covers {saved.size} entries, the log holds only {size}: "
                                    f"{saved.size - size} acknowledged entries are missing")
        root = merkle.root(saved.size, tx.nodes(merkle.root_keys(saved.size)))
    if not hmac.compare_digest(root, saved.root):
        raise ChainBroken(saved.size - 1, f"the first {saved.size} entries have another root than the saved checkpoint")
    return size


@dataclass(frozen=True, slots=True)
class Extension:
    """A saved checkpoint, the log's checkpoint now and the RFC 9162 proof that the second extends the first."""

    saved: Checkpoint
    now: Checkpoint
    now_note: str
    proof: list[bytes]


def prove_extends(log: Log, saved_note: str, now: datetime) -> Extension:
    """Return the proof that the log now extends `saved_note`; raise InvalidInput, ProofError or ChainBroken.

    The saved note may be signed by any key the log has used. The proof is
    checked here exactly as `scrapledger audit consistency` checks it, and
    returned so that the auditor can check it again elsewhere.
    """
    with log.store.read() as tx:
        known = log_keys.verifiers(tx, log.verifier)
    try:
        saved = _open_by_any(saved_note.replace("\r\n", "\n").strip() + "\n", known)
    except LedgerError as exc:
        raise InvalidInput("checkpoint", "signed_by_this_log", f"the saved checkpoint does not verify: {exc.detail}") from None
    stored = log.checkpoint(now)
    current = open_checkpoint(stored.note, log.verifier)
    if saved.size > current.size:
        raise ChainBroken(current.size, f"the saved checkpoint covers {saved.size} entries, the log holds only "
                                        f"{current.size}: {saved.size - current.size} acknowledged entries are missing")
    proof = log.consistency_proof(saved.size, current.size) if 0 < saved.size < current.size else []
    if saved.size > 0:  # every log extends the empty one
        check_consistency(saved, current, proof)
    return Extension(saved, current, stored.note, proof)


def growth(tx: ReadTx, points: int = 120) -> list[tuple[str, int]]:
    """Return (recorded_at, entries so far) at up to `points` evenly spaced entries, first and last included.

    Entries are recorded in index order, so the samples draw the log's size
    over time without reading every entry.
    """
    size = tx.head().size
    if size == 0:
        return []
    step = max(1, (size - 1) // max(1, points - 1))
    indices = sorted({*range(0, size, step), size - 1})
    return [(recorded_at, index + 1) for index, recorded_at in tx.recorded_at(indices)]
