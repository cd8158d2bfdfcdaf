from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.canonical import (
    CanonicalError,
    canonical_bytes,
    canonical_sha256,
    sha256_hex,
    strict_loads,
)


def test_rfc8785_string_and_literal_example() -> None:
    # RFC 8785 section 3.2.3 sample, without its float array (floats are banned here).
    obj = {"string": '\u20ac$\u000f\nA\'B"\\\\"/', "literals": [None, True, False]}
    want = '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical_bytes(obj) == want.encode("utf-8")


def test_sorting_nesting_and_utf8() -> None:
    obj = {"b": [3, {"z": 1, "a": "é"}], "a": -7, "A": None, "_": "\u2028\x7f\b\t\x01"}
    assert canonical_bytes(obj) == (
        b'{"A":null,"_":"\xe2\x80\xa8\x7f\\b\\t\\u0001","a":-7,"b":[3,{"a":"\xc3\xa9","z":1}]}'
    )


def test_hashes() -> None:
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert canonical_sha256({}) == sha256_hex(b"{}")


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ({"a": [1, 2.5]}, "float 2.5 not allowed (use integers) at $.a[1]"),
        ({"a": {"b": float("nan")}}, "float nan not allowed (use integers) at $.a.b"),
        ({"n": 2**53}, "outside +/-(2**53-1)"),
        ({"n": -(2**53)}, "outside +/-(2**53-1)"),
        ({True: 1}, "object key True is not a string at $"),
        ({1: 1}, "object key 1 is not a string"),
        ({"ключ": 1}, "is not ASCII"),
        ({"s": "\ud800"}, "lone surrogate) at $.s"),
        ({"b": b"x"}, "type bytes not allowed at $.b"),
        ({"s": {1, 2}}, "type set not allowed"),
    ],
)
def test_refusals_name_the_path(obj: Any, fragment: str) -> None:
    with pytest.raises(CanonicalError) as exc:
        canonical_bytes(obj)
    assert fragment in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_safe_integer_bounds_accepted() -> None:
    assert (
        canonical_bytes([2**53 - 1, -(2**53 - 1), 0]) == b"[9007199254740991,-9007199254740991,0]"
    )


def test_strict_loads() -> None:
    assert strict_loads('{"a":[1,true,null]}') == {"a": [1, True, None]}
    for bad in ['{"a":1,"a":2}', '{"a":1.0}', "[NaN]", "[Infinity]", "{", "[1e3]"]:
        with pytest.raises(CanonicalError):
            strict_loads(bad)


keys = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_round_trip_and_order_independence(obj: Any) -> None:
    data = canonical_bytes(obj)
    assert json.loads(data) == obj
    assert canonical_bytes(json.loads(data)) == data
    if isinstance(obj, dict):
        assert canonical_bytes(dict(reversed(list(obj.items())))) == data
