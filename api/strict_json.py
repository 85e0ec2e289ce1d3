"""Strict JSON for request bodies: one meaning per document or a 400.

Duplicate keys are refused (the canonical form would be ambiguous), as are
floats and NaN (masses are exact), lone surrogates and NUL (not text), and
nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class BadJSON(ValueError):
    """The body is not acceptable JSON; the message says why."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def loads(data: bytes) -> Any:
    """Return the parsed body or raise BadJSON naming the rule it broke."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJSON("the body is not UTF-8", "utf-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_float=_no_float, parse_constant=_no_float)
    except BadJSON:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadJSON(f"malformed JSON: {exc}", "syntax") from None
    # NUL and lone surrogates can only arrive escaped (raw ones fail to decode or to parse),
    # so without an escape only the nesting needs checking.
    _check(value, 0, strings="\\u" in text)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadJSON(f"duplicate key {key!r} in an object", "duplicate-key")
        result[key] = value
    return result


def _no_float(text: str) -> Any:
    raise BadJSON(f"number {text} is not exact: send integers or decimal strings", "no-float")


def _check(value: Any, depth: int, *, strings: bool) -> None:
    """Refuse nesting deeper than MAX_DEPTH and, with `strings`, NUL and lone surrogates in keys and values."""
    if isinstance(value, str):
        if strings:
            _check_string(value)
    elif isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            raise BadJSON(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            if strings and isinstance(key, str):
                _check_string(key)
            if strings or isinstance(item, (dict, list)):
                _check(item, depth + 1, strings=strings)


def _check_string(text: str) -> None:
    if "\x00" in text:
        raise BadJSON("strings must not contain NUL", "no-nul")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON("strings must not contain lone surrogates", "no-lone-surrogate") from None
