"""SHA-256 digests of the log: entry hashes and the RFC 9162 leaf and node hashes."""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
ZERO_HASH = bytes(HASH_SIZE)


def sha256(data: bytes) -> bytes:
    """Return SHA-256(data)."""
    return hashlib.sha256(data).digest()


def leaf_hash(leaf_data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 || leaf_data)."""
    return hashlib.sha256(b"\x00" + leaf_data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()
