"""The auditor's view of a live ledger: full verification against the database."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator

from . import log_keys, merkle
from .checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from .errors import ChainBroken, LedgerError, ProofError
from .integrity import VerifiedLog, verify_entries
from .store import Store

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
    failures = []
    for verifier in known:
        try:
            checkpoint = open_checkpoint(note, verifier)
            break
        except LedgerError as exc:
            failures.append(exc.detail)
    else:
        raise ChainBroken(size - 1, f"the stored checkpoint of size {size} does not verify: {failures[0]}")
    if checkpoint.size != size:
        raise ChainBroken(size - 1, f"the stored checkpoint of size {size} signs size {checkpoint.size}")
    return checkpoint


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
