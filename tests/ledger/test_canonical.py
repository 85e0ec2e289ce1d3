"""ledger.canonical against the RFC 8785 reference vectors and the `rfc8785` package.

The reference vectors include floating-point numbers, which scrapledger refuses
by design: for those cases the reference package must still reproduce the bytes
(the vectors and the package agree) and `canonicalize` must refuse the value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import MAX_SAFE_INTEGER, canonicalize, parse_canonical
from ledger.errors import NotCanonical

JCS_VECTORS = json.loads(
    (Path(__file__).resolve().parent.parent / "vectors" / "rfc8785_jcs_vectors.json").read_text()
)
# The negative cases of the file name their input in prose; these are those inputs.
NEGATIVE_INPUTS = {"integer 2^53": 2**53, "NaN": float("nan"), "Infinity": float("inf")}


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(item) for item in value.values())
    if isinstance(value, list):
        return any(has_float(item) for item in value)
    return False


def negative_input(description: str) -> Any:
    matches = [value for prefix, value in NEGATIVE_INPUTS.items() if description.startswith(prefix)]
    assert len(matches) == 1, f"no input known for negative case {description!r}"
    return matches[0]


@pytest.mark.parametrize("name", sorted(JCS_VECTORS["vectors"]))
def test_reference_vector_is_reproduced_byte_for_byte_or_refused_for_floats(name: str) -> None:
    case = JCS_VECTORS["vectors"][name]
    value = json.loads(case["input"])
    expected = bytes.fromhex(case["canonical_hex"])
    assert expected == case["canonical_utf8"].encode("utf-8")
    assert rfc8785.dumps(value) == expected
    if has_float(value):
        with pytest.raises(NotCanonical):
            canonicalize(value)
    else:
        assert canonicalize(value) == expected
        assert parse_canonical(expected) == value


def test_reference_vectors_without_floats_are_most_of_the_set() -> None:
    float_free = [
        name
        for name, case in JCS_VECTORS["vectors"].items()
        if not has_float(json.loads(case["input"]))
    ]
    assert sorted(float_free) == ["arrays", "french", "unicode", "weird"]


@pytest.mark.parametrize("case", JCS_VECTORS["negative"], ids=lambda case: case["desc"])
def test_reference_negative_case_is_not_canonical(case: dict[str, Any]) -> None:
    value = negative_input(case["desc"])
    with pytest.raises(NotCanonical):
        canonicalize(value)
    with pytest.raises(NotCanonical):
        canonicalize({"lot": [value]})


def test_the_safe_integer_bounds_are_inclusive() -> None:
    assert (
        canonicalize([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
        == b"[9007199254740991,-9007199254740991]"
    )
    for value in (MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1):
        with pytest.raises(NotCanonical):
            canonicalize(value)


def test_parse_canonical_refuses_bytes_that_are_not_in_canonical_form() -> None:
    for data in (b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":1,"a":1}', b'"\\u00e9"', b"1.0", b"[1e3]"):
        with pytest.raises(NotCanonical):
            parse_canonical(data)


# Characters across the planes, surrogates excluded, with extra weight where JCS and a naive
# encoder could differ: control characters, U+E000..U+FFFF against non-BMP (sort order), escapes.
CHARACTERS = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFF, exclude_categories=("Cs",)),
    st.characters(max_codepoint=0x7F),
    st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u2029'),
)
TEXT = st.text(CHARACTERS, max_size=12)
SAFE_INTEGERS = st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.sampled_from(
    [0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 2**31, -(2**31), 10**15]
)
SCALARS = st.none() | st.booleans() | SAFE_INTEGERS | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=6),
    max_leaves=30,
)

LONE_SURROGATE_TEXT = st.builds(
    lambda before, surrogate, after: before + surrogate + after,
    TEXT,
    st.characters(categories=("Cs",)),
    TEXT,
)
UNREPRESENTABLE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=MAX_SAFE_INTEGER + 1),
    st.integers(max_value=-MAX_SAFE_INTEGER - 1),
    LONE_SURROGATE_TEXT,
    st.builds(lambda key, value: {key: value}, LONE_SURROGATE_TEXT, JSON_VALUES),
)


def _embed(good: Any, bad: Any, where: int) -> Any:
    """Return a container holding `bad` somewhere beside the good value."""
    return [[good, bad], [bad], {"grams": good, "lot": bad}][where]


POISONED = st.recursive(
    UNREPRESENTABLE,
    lambda children: st.builds(_embed, JSON_VALUES, children, st.integers(0, 2)),
    max_leaves=6,
)


@settings(max_examples=500)
@given(JSON_VALUES)
def test_canonicalize_equals_the_rfc8785_reference_for_float_free_values(value: Any) -> None:
    data = canonicalize(value)
    assert data == rfc8785.dumps(value)
    assert parse_canonical(data) == value


@settings(max_examples=300)
@given(POISONED)
def test_floats_huge_integers_and_lone_surrogates_are_not_canonical(value: Any) -> None:
    with pytest.raises(NotCanonical):
        canonicalize(value)
