"""Ed25519 keys and signatures; the only module that sees `cryptography`'s key types.

Public keys travel as their 32 raw bytes. A party key's id is the lowercase hex
SHA-256 of those bytes, so anyone can recompute it from the key alone.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import BadSignature, InvalidInput

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


class Signer:
    """An Ed25519 private key that signs bytes; never printed, never logged."""

    __slots__ = ("_key", "public_key")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key: bytes = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def generate(cls) -> Signer:
        """Return a signer with a fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        """Return the signer whose 32-byte private seed is `seed` (tests, vectors)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def load(cls, path: str | Path) -> Signer:
        """Return the signer stored as PKCS#8 PEM at `path`."""
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput("key_file", "must hold an Ed25519 private key")
        return cls(key)

    def save(self, path: str | Path) -> None:
        """Write the key as PKCS#8 PEM, readable by the owner only (mode 0600)."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)

    @property
    def key_id(self) -> str:
        """Return the party key id of this key."""
        return key_id(self.public_key)

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of `data`."""
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id[:16]}...)"


def key_id(public_key: bytes) -> str:
    """Return the id of a party key: lowercase hex SHA-256 of its raw 32 bytes."""
    return hashlib.sha256(public_key).hexdigest()


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    """Return the Ed25519 public key of 32 raw bytes or raise InvalidInput."""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise InvalidInput("public_key", "an Ed25519 public key is 32 bytes")
    return _loaded(bytes(raw))


@functools.lru_cache(maxsize=4096)
def _loaded(raw: bytes) -> Ed25519PublicKey:
    """Decode a public key once: every submission of a party is checked against the same few keys."""
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(public_key: bytes | Ed25519PublicKey, signature: bytes, data: bytes) -> None:
    """Return if `signature` is a valid Ed25519 signature of `data`; raise BadSignature."""
    key = public_key if isinstance(public_key, Ed25519PublicKey) else public_key_from_bytes(public_key)
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature("an Ed25519 signature is 64 bytes")
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise BadSignature("signature does not verify") from None
