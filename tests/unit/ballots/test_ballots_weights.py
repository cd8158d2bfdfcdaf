from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.weights import WeightRule, parse_weight_rule


@pytest.mark.parametrize(
    ("spec", "weights"),
    [
        ("linear", [0, 1, 99, 100, 10_000]),
        ("capped:100", [0, 1, 99, 100, 100]),
        ("sqrt", [0, 1, 9, 10, 100]),
        ("equal", [1, 1, 1, 1, 1]),
        ("linear;min=100", [0, 0, 0, 100, 10_000]),
        ("sqrt;min=100", [0, 0, 0, 10, 100]),
        ("equal;min=1", [0, 1, 1, 1, 1]),
    ],
)
def test_rules(spec: str, weights: list[int]) -> None:
    rule = parse_weight_rule(spec)
    assert [rule.weight(g) for g in (0, 1, 99, 100, 10_000)] == weights
    assert rule.spec == spec
    assert parse_weight_rule(rule.spec) == rule


def test_minimum_argument_and_spec_string() -> None:
    assert parse_weight_rule("sqrt", minimum=100).spec == "sqrt;min=100"
    assert parse_weight_rule("sqrt;min=100", minimum=100).minimum == 100
    with pytest.raises(ValueError, match="conflicts"):
        parse_weight_rule("sqrt;min=100", minimum=5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cubic", "unknown weight rule"),
        ("capped", "malformed"),
        ("capped:0", "N >= 1"),
        ("capped:-3", "malformed"),
        ("capped:07", "leading zeros"),
        ("sqrt;min=0", "positive"),
        ("linear;max=3", "malformed"),
        ("Linear", "unknown"),
        ("capped:١٢", "malformed"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weight_rule(spec)


def test_bad_growth_values() -> None:
    rule = WeightRule("linear")
    for bad in (-1, True, 1.5):
        with pytest.raises(ValueError):
            rule.weight(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WeightRule("sqrt", cap=3)


@given(
    st.sampled_from(["linear", "capped:50", "sqrt", "equal"]),
    st.integers(0, 500),
    st.integers(0, 10**12),
    st.integers(0, 10**12),
)
def test_monotone_and_integer(name: str, minimum: int, a: int, b: int) -> None:
    rule = parse_weight_rule(name, minimum)
    lo, hi = sorted((a, b))
    assert 0 <= rule.weight(lo) <= rule.weight(hi)
    assert type(rule.weight(hi)) is int
    assert rule.weight(hi) <= max(hi, 1)
