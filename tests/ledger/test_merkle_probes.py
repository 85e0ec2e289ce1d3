"""The transparency-dev/merkle inclusion and consistency probes: our verifier agrees with each
label, and our trees reproduce every happy-path proof."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import ProofError
from ledger.hashing import leaf_hash
from ledger.merkle import MemoryTree, verify_consistency, verify_inclusion

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def load_probes(kind: str) -> list[Any]:
    """Return one pytest param per probe of `kind`, named by its original file."""
    data = json.loads((VECTORS / f"transparency-dev_{kind}_probes.json").read_text())
    return [
        pytest.param(kind, probe, id=f"{probe['file'].removeprefix('testdata/')}:{probe['desc']}")
        for probe in data["probes"]
    ]


def check(kind: str, probe: dict[str, Any]) -> None:
    proof = [bytes.fromhex(h) for h in probe["proof"]]
    if kind == "inclusion":
        verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            bytes.fromhex(probe["leafHash"]),
            proof,
            bytes.fromhex(probe["root"]),
        )
    else:
        verify_consistency(
            probe["size1"],
            probe["size2"],
            proof,
            bytes.fromhex(probe["root1"]),
            bytes.fromhex(probe["root2"]),
        )


@pytest.mark.parametrize(("kind", "probe"), load_probes("inclusion") + load_probes("consistency"))
def test_verifier_agrees_with_probe(kind: str, probe: dict[str, Any]) -> None:
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            check(kind, probe)
    else:
        check(kind, probe)


# Leaf inputs of the transparency-dev test tree (testonly/constants.go) behind the probes.
PROBE_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]


def happy_paths() -> list[Any]:
    """Return the happy-path probes drawn from the eight-leaf test tree."""
    return [
        param
        for param in load_probes("inclusion") + load_probes("consistency")
        if param.values[1]["file"].split("/")[2].isdigit() and not param.values[1]["wantErr"]
    ]


@pytest.mark.parametrize(("kind", "probe"), happy_paths())
def test_memory_tree_reproduces_happy_path_proof(kind: str, probe: dict[str, Any]) -> None:
    tree = MemoryTree()
    for data in PROBE_LEAVES:
        tree.append(leaf_hash(data))
    if kind == "inclusion":
        proof = tree.inclusion_proof(probe["leafIdx"], probe["treeSize"])
        assert tree.root(probe["treeSize"]).hex() == probe["root"]
    else:
        proof = tree.consistency_proof(probe["size1"], probe["size2"])
        assert tree.root(probe["size1"]).hex() == probe["root1"]
        assert tree.root(probe["size2"]).hex() == probe["root2"]
    assert [h.hex() for h in proof] == probe["proof"]
