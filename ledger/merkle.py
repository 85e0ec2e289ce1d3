"""RFC 9162 §2.1 Merkle tree: roots and proofs read from stored complete subtrees.

A store keeps the hash of every complete aligned subtree under the key
(level, index), covering leaves [index << level, (index + 1) << level); level 0
holds the leaf hashes. Every range that the RFC recursion MTH(D[lo:hi]) visits
is either one such node or, on the right edge of the tree, a short run of them,
so a root or a proof reads O(log n) nodes and never rebuilds the tree. The
`*_keys` functions name those nodes so that a store can fetch them in one query
before calling the matching function.

Verification follows transparency-dev/merkle `proof/verify.go`: compute a root
from the proof, then compare it with the expected one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence

from ledger.errors import ProofError, RootMismatch
from ledger.hashing import HASH_SIZE, node_hash, sha256

NodeKey = tuple[int, int]
Range = tuple[int, int]

EMPTY_ROOT = sha256(b"")


def _split(n: int) -> int:
    """Return the largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _decompose(lo: int, hi: int) -> list[NodeKey]:
    """Return the complete aligned nodes covering [lo, hi), left to right, as the RFC splits it."""
    keys: list[NodeKey] = []
    while (hi - lo) & (hi - lo - 1):
        k = _split(hi - lo)
        level = k.bit_length() - 1
        keys.append((level, lo >> level))
        lo += k
    level = (hi - lo).bit_length() - 1
    keys.append((level, lo >> level))
    return keys


def _range_hash(lo: int, hi: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """Return MTH(D[lo:hi]) folded from the right over the nodes of `_decompose(lo, hi)`."""
    keys = _decompose(lo, hi)
    result = nodes[keys[-1]]
    for key in reversed(keys[:-1]):
        result = node_hash(nodes[key], result)
    return result


def _check_size(size: int) -> None:
    if size < 0:
        raise ProofError(f"tree size is {size}, want >= 0")


def _inclusion_ranges(index: int, size: int) -> list[Range]:
    """Return the leaf ranges whose MTH form PATH(index, D[0:size]), from the leaf upwards."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index is {index}, want 0 <= index < size {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
    return ranges[::-1]


def _consistency_ranges(first: int, second: int) -> list[Range]:
    """Return the leaf ranges whose MTH form PROOF(first, D[0:second]), deepest first."""
    if not 0 < first <= second:
        raise ProofError(f"sizes are {first} and {second}, want 0 < first <= second")
    ranges: list[Range] = []
    lo, hi, whole = 0, second, True
    while first != hi:
        mid = lo + _split(hi - lo)
        if first <= mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo, whole = mid, False
    if not whole:
        ranges.append((lo, hi))
    return ranges[::-1]


def appended_nodes(
    size: int, leaf: bytes, get: Callable[[NodeKey], bytes]
) -> list[tuple[NodeKey, bytes]]:
    """Return the nodes completed by appending leaf hash `leaf` as leaf number `size`.

    The first is ((0, size), leaf); each further one is its parent while the new
    node is a right child. `get` is only asked for left siblings, which are complete.
    """
    _check_size(size)
    key, value = (0, size), leaf
    completed = [(key, value)]
    while key[1] & 1:
        level, index = key
        value = node_hash(get((level, index - 1)), value)
        key = (level + 1, index >> 1)
        completed.append((key, value))
    return completed


def root_keys(size: int) -> list[NodeKey]:
    """Return the keys of the nodes that `root(size, ...)` reads."""
    _check_size(size)
    return _decompose(0, size) if size else []


def inclusion_keys(index: int, size: int) -> list[NodeKey]:
    """Return the keys of the nodes that `inclusion_proof(index, size, ...)` reads."""
    return [key for lo, hi in _inclusion_ranges(index, size) for key in _decompose(lo, hi)]


def consistency_keys(first: int, second: int) -> list[NodeKey]:
    """Return the keys of the nodes that `consistency_proof(first, second, ...)` reads."""
    return [key for lo, hi in _consistency_ranges(first, second) for key in _decompose(lo, hi)]


def root(size: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """Return MTH of the first `size` leaves; `nodes` must hold `root_keys(size)`."""
    _check_size(size)
    return _range_hash(0, size, nodes) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    """Return the RFC 9162 §2.1.3.1 PATH of leaf `index` in the tree of `size` leaves."""
    return [_range_hash(lo, hi, nodes) for lo, hi in _inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    """Return the RFC 9162 §2.1.4.1 PROOF that tree `first` is a prefix of tree `second`."""
    return [_range_hash(lo, hi, nodes) for lo, hi in _consistency_ranges(first, second)]


def _check_hashes(what: str, hashes: Sequence[bytes]) -> None:
    for i, value in enumerate(hashes):
        if len(value) != HASH_SIZE:
            raise ProofError(f"{what}[{i}] has {len(value)} bytes, want {HASH_SIZE}")


def _decomp_inclusion(index: int, size: int) -> tuple[int, int]:
    """Return the lengths of the inner and border parts of an inclusion proof.

    Inner hashes lie below the point where the paths to `index` and `size - 1`
    diverge; border hashes are the left siblings above it.
    """
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, sibling in enumerate(proof):
        seed = node_hash(sibling, seed) if index >> i & 1 else node_hash(seed, sibling)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only left siblings count: the result is the hash of the older, smaller subtree.
    for i, sibling in enumerate(proof):
        if index >> i & 1:
            seed = node_hash(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = node_hash(sibling, seed)
    return seed


def _check_match(detail: str, got: bytes, want: bytes) -> None:
    if not hmac.compare_digest(got, want):
        raise RootMismatch(detail, got=got, want=want)


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root that `proof` gives for leaf `leaf_hash` at `index` in a tree of `size`.

    Requires 0 <= index < size, a 32-byte leaf hash and exactly as many 32-byte
    proof hashes as the shape of the tree dictates; raises ProofError otherwise.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index is {index}, want 0 <= index < size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    inner, border = _decomp_inclusion(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"proof has {len(proof)} hashes, want {inner + border}")
    _check_hashes("proof", proof)
    return _chain_border_right(_chain_inner(leaf_hash, proof[:inner], index), proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Return None if `proof` shows `leaf_hash` at `index` in the tree of `size` with `root`.

    Raises ProofError for malformed input and RootMismatch for a different root.
    """
    got = root_from_inclusion_proof(index, size, leaf_hash, proof)
    _check_match("inclusion proof gives another root", got, root)


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Return None if `proof` shows tree `first` with `first_root` is a prefix of tree `second`.

    Requires 0 < first <= second; equal sizes need an empty proof and equal
    roots. Raises ProofError for malformed input and RootMismatch when either
    root recomputed from the proof differs from the given one. Roots are
    compared as given, as transparency-dev does: one that is not 32 bytes never
    matches a computed root, and equal sizes only compare the two given roots.
    """
    if not 0 < first <= second:
        raise ProofError(f"sizes are {first} and {second}, want 0 < first <= second")
    if first == second:
        if proof:
            raise ProofError(f"proof has {len(proof)} hashes, want 0 for equal sizes")
        _check_match("equal sizes have different roots", first_root, second_root)
        return
    if not proof:
        raise ProofError(f"proof is empty, want hashes for sizes {first} < {second}")
    inner, border = _decomp_inclusion(first - 1, second)
    shift = (first & -first).bit_length() - 1
    inner -= shift
    # The proof starts with the hash of the subtree of size 2**shift that ends
    # at `first`, unless that subtree is the whole first tree.
    seed, start = (first_root, 0) if first == 1 << shift else (proof[0], 1)
    if len(proof) != start + inner + border:
        raise ProofError(f"proof has {len(proof)} hashes, want {start + inner + border}")
    _check_hashes("proof", proof)
    path = proof[start:]
    mask = (first - 1) >> shift
    got1 = _chain_border_right(_chain_inner_right(seed, path[:inner], mask), path[inner:])
    _check_match("consistency proof gives another first root", got1, first_root)
    got2 = _chain_border_right(_chain_inner(seed, path[:inner], mask), path[inner:])
    _check_match("consistency proof gives another second root", got2, second_root)


class MemoryTree:
    """A Merkle tree holding every complete node in a dict; for tests and offline checks."""

    def __init__(self) -> None:
        self._nodes: dict[NodeKey, bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Return None after storing the nodes that appending `leaf_hash` completes."""
        self._nodes.update(appended_nodes(self._size, leaf_hash, self._nodes.__getitem__))
        self._size += 1

    def _within(self, size: int | None) -> int:
        size = self._size if size is None else size
        if size > self._size:
            raise ProofError(f"tree size is {size}, want <= {self._size} leaves held")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the first `size` leaves (default: all of them)."""
        return root(self._within(size), self._nodes)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the inclusion proof of leaf `index` in the tree of `size` leaves."""
        return inclusion_proof(index, self._within(size), self._nodes)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof between the trees of `first` and `second` leaves."""
        return consistency_proof(first, self._within(second), self._nodes)


class CompactRange:
    """A streaming root over appended leaf hashes keeping only the O(log n) nodes of `root_keys`."""

    def __init__(self) -> None:
        # The hashes of the nodes `root_keys(size)` names, left to right: one per set bit of size.
        self._hashes: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Return None after folding `leaf_hash` into the held nodes."""
        # As in `appended_nodes`: the new leaf absorbs one left sibling per trailing 1 bit of size.
        value, size = leaf_hash, self._size
        while size & 1:
            value = node_hash(self._hashes.pop(), value)
            size >>= 1
        self._hashes.append(value)
        self._size += 1

    def root(self) -> bytes:
        """Return the root of all leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for value in reversed(self._hashes[:-1]):
            result = node_hash(value, result)
        return result
