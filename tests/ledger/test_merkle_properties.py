"""Properties of ledger.merkle over trees of 1..2000 leaves, checked with Hypothesis."""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError, RootMismatch
from ledger.hashing import leaf_hash
from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    NodeKey,
    appended_nodes,
    consistency_keys,
    consistency_proof,
    inclusion_keys,
    inclusion_proof,
    root,
    root_keys,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 2000


def leaf(i: int) -> bytes:
    """Return the leaf hash of a distinct, realistic entry number `i`."""
    return leaf_hash(f"lot HMS-1&2/{i:05d} 24380 kg Rotterdam".encode())


@functools.cache
def full_tree() -> MemoryTree:
    """Return one tree of MAX_SIZE + 1 leaves; its complete nodes serve every smaller size."""
    tree = MemoryTree()
    for i in range(MAX_SIZE + 1):
        tree.append(leaf(i))
    return tree


@functools.cache
def tree_root(size: int) -> bytes:
    """Return the root of the first `size` leaves, cached as a signed checkpoint would be."""
    return full_tree().root(size)


def naive_mth(hashes: list[bytes]) -> bytes:
    """Return RFC 9162 MTH by plain recursion over leaf hashes, independent of ledger.merkle."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while 2 * k < len(hashes):
        k *= 2
    left, right = naive_mth(hashes[:k]), naive_mth(hashes[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


class RecordingNodes(Mapping[NodeKey, bytes]):
    """A read-only view of a node dict that records every key read."""

    def __init__(self, nodes: Mapping[NodeKey, bytes]) -> None:
        self.nodes = nodes
        self.read: list[NodeKey] = []

    def __getitem__(self, key: NodeKey) -> bytes:
        self.read.append(key)
        return self.nodes[key]

    def __iter__(self) -> Iterator[NodeKey]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)


def flip(value: bytes, position: int, mask: int) -> bytes:
    """Return `value` with byte `position` xor-ed with a non-zero `mask`."""
    changed = bytearray(value)
    changed[position] ^= mask
    return bytes(changed)


sizes = st.integers(1, MAX_SIZE)
masks = st.integers(1, 255)
positions = st.integers(0, 31)


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return draw(st.integers(0, size - 1)), size


@st.composite
def size_pair(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(sizes)
    return draw(st.integers(1, second)), second


def test_root_equals_naive_mth_for_sizes_up_to_70() -> None:
    hashes = [leaf(i) for i in range(71)]
    tree = MemoryTree()
    assert tree.root() == EMPTY_ROOT == naive_mth([])
    for n in range(1, 71):
        tree.append(hashes[n - 1])
        assert tree.root() == naive_mth(hashes[:n]), n


def test_compact_range_root_matches_memory_tree_at_every_size() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for n in range(1, MAX_SIZE + 1):
        compact.append(leaf(n - 1))
        assert compact.size == n
        assert compact.root() == tree_root(n), n


@functools.cache
def stored_nodes() -> dict[NodeKey, bytes]:
    """Return every complete node of MAX_SIZE + 1 leaves, as a store would hold them."""
    stored: dict[NodeKey, bytes] = {}
    for n in range(MAX_SIZE + 1):
        stored.update(appended_nodes(n, leaf(n), stored.__getitem__))
    return stored


def test_appending_writes_two_nodes_per_leaf_amortised_and_reads_only_left_siblings() -> None:
    stored: dict[NodeKey, bytes] = {}
    asked: list[NodeKey] = []

    def get(key: NodeKey) -> bytes:
        asked.append(key)
        return stored[key]

    for n in range(MAX_SIZE):
        completed = appended_nodes(n, leaf(n), get)
        assert completed[0] == ((0, n), leaf(n))
        assert all(key not in stored for key, _ in completed)
        stored.update(completed)
    assert len(stored) <= 2 * MAX_SIZE
    assert all(index % 2 == 0 for _, index in asked)
    assert root(MAX_SIZE, stored) == tree_root(MAX_SIZE)


@settings(max_examples=300)
@given(leaf_in_tree())
def test_inclusion_proof_verifies_against_root_of_its_size(case: tuple[int, int]) -> None:
    index, size = case
    proof = full_tree().inclusion_proof(index, size)
    verify_inclusion(index, size, leaf(index), proof, tree_root(size))


@settings(max_examples=300)
@given(size_pair())
def test_consistency_proof_verifies_against_both_roots(case: tuple[int, int]) -> None:
    first, second = case
    proof = full_tree().consistency_proof(first, second)
    verify_consistency(first, second, proof, tree_root(first), tree_root(second))


@settings(max_examples=300)
@given(leaf_in_tree(), st.data())
def test_inclusion_fails_when_one_proof_byte_changes(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    proof = full_tree().inclusion_proof(index, size)
    if not proof:
        return
    at = data.draw(st.integers(0, len(proof) - 1))
    proof[at] = flip(proof[at], data.draw(positions), data.draw(masks))
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf(index), proof, tree_root(size))


@given(leaf_in_tree(), positions, masks)
def test_inclusion_fails_when_the_leaf_hash_changes(
    case: tuple[int, int], position: int, mask: int
) -> None:
    index, size = case
    proof = full_tree().inclusion_proof(index, size)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, flip(leaf(index), position, mask), proof, tree_root(size))


@settings(max_examples=300)
@given(leaf_in_tree(), st.sampled_from([-1, 1]))
def test_inclusion_fails_for_a_neighbouring_index(case: tuple[int, int], step: int) -> None:
    index, size = case
    if not 0 <= index + step < size:
        return
    proof = full_tree().inclusion_proof(index, size)
    with pytest.raises(ProofError):
        verify_inclusion(index + step, size, leaf(index), proof, tree_root(size))


@settings(max_examples=300)
@given(leaf_in_tree(), st.sampled_from([-1, 1]))
def test_inclusion_fails_for_a_neighbouring_size_with_its_genuine_root(
    case: tuple[int, int], step: int
) -> None:
    index, size = case
    claimed = size + step
    if not index < claimed <= MAX_SIZE:
        return
    proof = full_tree().inclusion_proof(index, size)
    with pytest.raises(ProofError):
        verify_inclusion(index, claimed, leaf(index), proof, tree_root(claimed))


@settings(max_examples=300)
@given(size_pair(), st.data())
def test_consistency_fails_when_one_byte_of_proof_or_root_changes(
    case: tuple[int, int], data: st.DataObject
) -> None:
    first, second = case
    proof = full_tree().consistency_proof(first, second)
    roots = [tree_root(first), tree_root(second)]
    targets = ["proof", "first", "second"] if proof else ["first", "second"]
    target = data.draw(st.sampled_from(targets))
    position, mask = data.draw(positions), data.draw(masks)
    if target == "proof":
        at = data.draw(st.integers(0, len(proof) - 1))
        proof[at] = flip(proof[at], position, mask)
    else:
        which = target == "second"
        roots[which] = flip(roots[which], position, mask)
    with pytest.raises(ProofError):
        verify_consistency(first, second, proof, *roots)


@settings(max_examples=300)
@given(size_pair(), st.sampled_from(["first", "second"]), st.sampled_from([-1, 1]))
def test_consistency_fails_for_a_neighbouring_size_with_its_genuine_root(
    case: tuple[int, int], which: str, step: int
) -> None:
    first, second = case
    proof = full_tree().consistency_proof(first, second)
    if which == "first":
        first += step
    else:
        second += step
    if not 0 < first <= second <= MAX_SIZE:
        return
    with pytest.raises(ProofError):
        verify_consistency(first, second, proof, tree_root(first), tree_root(second))


@given(leaf_in_tree())
def test_inclusion_keys_are_exactly_the_nodes_read_and_lie_inside_the_tree(
    case: tuple[int, int],
) -> None:
    index, size = case
    nodes = RecordingNodes(stored_nodes())
    inclusion_proof(index, size, nodes)
    keys = inclusion_keys(index, size)
    assert sorted(nodes.read) == sorted(keys) and len(set(keys)) == len(keys)
    assert all((i + 1) << level <= size for level, i in keys)


@given(size_pair())
def test_consistency_and_root_keys_are_exactly_the_nodes_read(case: tuple[int, int]) -> None:
    first, second = case
    nodes = RecordingNodes(stored_nodes())
    consistency_proof(first, second, nodes)
    keys = consistency_keys(first, second)
    assert sorted(nodes.read) == sorted(keys) and len(set(keys)) == len(keys)
    assert all((i + 1) << level <= second for level, i in keys)
    nodes.read.clear()
    root(second, nodes)
    assert sorted(nodes.read) == sorted(root_keys(second))


def key_bound(size: int) -> float:
    return 2 * math.log2(size) + 2


@settings(max_examples=300)
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_inclusion_keys_are_logarithmic(case: tuple[int, int]) -> None:
    index, size = case
    assert len(inclusion_keys(index, size)) <= key_bound(size)


@settings(max_examples=300)
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_keys_are_logarithmic(case: tuple[int, int]) -> None:
    first, second = case
    assert len(consistency_keys(first, second)) <= key_bound(second)


@pytest.mark.parametrize("size", [2**k + d for k in range(1, 20) for d in (-1, 0, 1)] + [10**6])
def test_keys_stay_logarithmic_around_powers_of_two(size: int) -> None:
    indices = {i for i in (0, 1, size // 2, size - 2, size - 1) if 0 <= i < size}
    firsts = {f for f in (1, 2, size // 2 + 1, size - 1, size) if 0 < f <= size}
    counts = [len(root_keys(size))]
    counts += [len(inclusion_keys(i, size)) for i in indices]
    counts += [len(consistency_keys(f, size)) for f in firsts]
    assert max(counts) <= key_bound(size)


def test_keys_stay_logarithmic_for_every_proof_of_small_trees() -> None:
    for size in range(1, 200):
        worst_inclusion = max(len(inclusion_keys(i, size)) for i in range(size))
        worst_consistency = max(len(consistency_keys(f, size)) for f in range(1, size + 1))
        assert max(worst_inclusion, worst_consistency) <= key_bound(size), size


def test_malformed_input_raises_proof_error_rather_than_root_mismatch() -> None:
    tree = full_tree()
    good = tree.inclusion_proof(5, 100)
    short = [*good]
    short[1] = short[1][:31]
    cut = tree.consistency_proof(5, 100)
    cut[-1] = cut[-1][:31]
    for call in (
        lambda: inclusion_keys(5, 5),
        lambda: inclusion_keys(-1, 5),
        lambda: consistency_keys(0, 5),
        lambda: consistency_keys(6, 5),
        lambda: root_keys(-1),
        lambda: tree.root(MAX_SIZE + 2),
        lambda: tree.inclusion_proof(0, MAX_SIZE + 2),
        lambda: verify_inclusion(5, 100, leaf(5), short, tree_root(100)),
        lambda: verify_inclusion(5, 100, leaf(5)[:31], good, tree_root(100)),
        lambda: verify_consistency(3, 3, [leaf(0)], tree_root(3), tree_root(3)),
        lambda: verify_consistency(2, 3, [], tree_root(2), tree_root(3)),
        lambda: verify_consistency(5, 100, cut, tree_root(5), tree_root(100)),
        lambda: verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT),
    ):
        with pytest.raises(ProofError) as raised:
            call()
        assert raised.type is ProofError, raised.value
    assert tree.consistency_proof(7, 7) == []
    verify_consistency(7, 7, [], tree_root(7), tree_root(7))


def test_root_mismatch_carries_the_computed_and_the_expected_root() -> None:
    proof = full_tree().inclusion_proof(41, 42)
    with pytest.raises(RootMismatch) as raised:
        verify_inclusion(41, 42, leaf(41), proof, tree_root(43))
    assert (raised.value.got, raised.value.want) == (tree_root(42), tree_root(43))
