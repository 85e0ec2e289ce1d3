"""Small checks for entry bodies; each raises InvalidInput naming the field and the rule."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import InvalidInput

PARTY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}\Z")


def exact_fields(body: dict[str, Any], required: Iterable[str], optional: Iterable[str] = (), prefix: str = "body") -> None:
    """Return if `body` has every required field and nothing unknown."""
    required, optional = tuple(required), tuple(optional)
    for name in required:
        if name not in body:
            raise InvalidInput(f"{prefix}.{name}", "is required")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise InvalidInput(f"{prefix}.{unknown[0]}", "unknown field")


def text(body: dict[str, Any], name: str, *, max_length: int = 200, pattern: re.Pattern[str] | None = None,
         rule: str | None = None, prefix: str = "body") -> str:
    """Return the non-empty string `body[name]` after checking its length and pattern."""
    value = body.get(name)
    field = f"{prefix}.{name}"
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must be a non-empty string")
    if len(value) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    if pattern is not None and not pattern.match(value):
        raise InvalidInput(field, rule or f"must match {pattern.pattern}")
    return value


def hex_bytes(body: dict[str, Any], name: str, size: int, prefix: str = "body") -> bytes:
    """Return the bytes of the lowercase hex string `body[name]`, exactly `size` bytes long."""
    return lowercase_hex(body.get(name), size, f"{prefix}.{name}")


def lowercase_hex(value: Any, size: int, field: str) -> bytes:
    """Return the bytes of `value`, which must be exactly `size` bytes in lowercase hex (one spelling per value)."""
    pattern = _HEX.get(size)
    if pattern is None:
        pattern = _HEX[size] = re.compile(rf"[0-9a-f]{{{2 * size}}}")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidInput(field, f"must be {2 * size} lowercase hex digits")
    return bytes.fromhex(value)


_HEX: dict[int, re.Pattern[str]] = {}  # size in bytes -> its lowercase hex pattern
