"""RFC 8785 (JCS) canonical JSON: the only bytes that are ever hashed or signed.

`canonicalize` is the reference (the `rfc8785` package) behind a fast path:
for values free of floats, of integers beyond +-(2**53 - 1) and of object keys
outside the Basic Multilingual Plane, the C JSON encoder with sorted keys and
no whitespace emits exactly the JCS bytes (a property test holds the two
together). Everything else falls back to the reference.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785

from .errors import NotCanonical

MAX_SAFE_INTEGER = 2**53 - 1
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
_NON_BMP_OR_SURROGATE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


def canonicalize(value: Any, root: str = "$") -> bytes:
    """Return the RFC 8785 bytes of `value`; raise NotCanonical naming the path (from `root`) it cannot represent."""
    if not _plain(value):
        _check(value, root)  # names what is wrong
    text = _ENCODER.encode(value)
    if _NON_BMP_OR_SURROGATE.search(text) is None:
        return text.encode("utf-8")
    _check(value, root)  # a lone surrogate is named here; other characters outside the BMP pass
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        raise NotCanonical(root, "not representable in RFC 8785", str(exc)) from exc


def _plain(value: Any) -> bool:
    """Return whether `value` holds only strings, safe integers, booleans, None, lists and string-keyed objects.

    The quick test behind `canonicalize`; `_check` walks again, building
    paths, only to name what fails. Strings are judged on the encoded text.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        number: int = value
        return -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    if kind is list or kind is tuple:
        return all(_plain(item) for item in value)
    return False


def _check(value: Any, path: str) -> None:
    """Refuse what has no exact canonical form: floats, unsafe integers, lone surrogates."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(path, "object keys must be strings")
            _check_string(key, path)
            _check(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            _check(item, f"{path}[{position}]")
    elif isinstance(value, str):
        _check_string(value, path)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonical(path, "integers must lie within +-(2**53 - 1)")
    elif isinstance(value, float):
        raise NotCanonical(path, "floats are not allowed; use an integer or a decimal string")
    else:
        raise NotCanonical(path, f"type {type(value).__name__} is not JSON")


def _check_string(text: str, path: str) -> None:
    if _NON_BMP_OR_SURROGATE.search(text) is None:
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotCanonical(path, "strings must not contain lone surrogates") from exc


def parse_canonical(data: bytes) -> Any:
    """Parse JSON bytes that must already be canonical; raise NotCanonical otherwise."""
    long_literals: list[str] = []

    def parse_int(literal: str) -> int:
        if len(literal) > 15:  # 2**53 - 1 has 16 digits; shorter literals are safe integers
            long_literals.append(literal)
        return int(literal)

    try:
        value = json.loads(data, parse_float=_refuse_float, parse_int=parse_int,
                           parse_constant=_refuse_float)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotCanonical("$", "not valid JSON", str(exc)) from exc
    if _canonical_form(value, checked=not long_literals) != data:
        raise NotCanonical("$", "bytes are not in RFC 8785 canonical form")
    return value


def _canonical_form(value: Any, *, checked: bool) -> bytes:
    """Return canonicalize(value) for a value parsed from JSON with floats refused.

    Parsed JSON holds only dicts with string keys, lists, strings, integers,
    booleans and None, so once its integers are known to be safe (`checked`)
    `_check` can only object to a lone surrogate, and canonicalize leaves the
    encoder's text only for a surrogate or a character outside the BMP. An
    ASCII text has neither. In that case the result is the encoder's text and
    the Python-level walk is skipped; otherwise canonicalize itself decides.
    """
    text = _ENCODER.encode(value)
    if checked and (text.isascii() or _NON_BMP_OR_SURROGATE.search(text) is None):
        return text.encode("utf-8")
    return canonicalize(value)


def _refuse_float(text: str) -> Any:
    raise NotCanonical("$", f"floats are not allowed: {text}")
