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
    if "\\u" in text:  # NUL and lone surrogates can only arrive escaped: raw ones fail to decode or to parse
        _check_values(value, 0)
    else:
        _check_depth(value, 0)
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


def _check_depth(value: Any, depth: int) -> None:
    if isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            raise BadJSON(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        for item in value.values() if isinstance(value, dict) else value:
            if isinstance(item, (dict, list)):
                _check_depth(item, depth + 1)


def _check_values(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise BadJSON("strings must not contain NUL", "no-nul")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJSON("strings must not contain lone surrogates", "no-lone-surrogate") from None
    elif isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            raise BadJSON(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _check_values(key, depth + 1)
            _check_values(item, depth + 1)
