from __future__ import annotations

from typing import Any

import pytest
from bundle_helpers import binary_spec
from hypothesis import given
from hypothesis import strategies as st

from ballots.records import ballot_record
from ballots.tally import (
    SelectionError,
    SpecError,
    Tally,
    TallyError,
    VoteSpec,
    compute_outcome,
    validate_selection,
)

OPTS = (("a", "Alice"), ("b", "Bob"), ("c", "Carol"), ("d", "Dan"))


def spec_of(method: str, seats: int = 1, quorum: tuple[int, int] = (0, 1)) -> VoteSpec:
    if method == "binary":
        return binary_spec(quorum=quorum)
    seats = seats if method == "approval" else 1
    return binary_spec(method=method, options=OPTS, seats=seats, quorum=quorum)


def test_to_json_is_the_spec_proposal_object() -> None:
    spec = binary_spec()
    assert spec.to_json() == {
        "id": "charter-2026",
        "title": "Adopt the charter",
        "method": "binary",
        "options": [
            {"id": "yes", "label": "Yes"},
            {"id": "no", "label": "No"},
            {"id": "abstain", "label": "Abstain"},
        ],
        "opens_at": "2026-11-20T00:00:00Z",
        "closes_at": "2026-11-23T11:00:00Z",
        "weight_rule": "linear",
        "quorum": {"num": 1, "den": 10},
        "threshold": {"num": 3, "den": 5},
        "seats": 1,
    }
    assert VoteSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"id": "../etc"}, "proposal id"),
        ({"id": ".."}, "proposal id"),
        ({"method": "ranked"}, "method"),
        ({"options": (("yes", "Y"), ("no", "N"))}, "yes, no, abstain"),
        ({"options": (("yes", "Y"), ("no", "N"), ("maybe", "M"))}, "yes, no, abstain"),
        ({"method": "single", "options": (("a", "A"),)}, "at least two"),
        ({"method": "single", "options": (("a", "A"), ("a", "B"))}, "unique"),
        ({"method": "single", "options": (("a b", "A"), ("c", "C"))}, "valid id"),
        ({"seats": 2}, "seats is 1"),
        ({"method": "approval", "options": OPTS, "seats": 5}, "seats must be between"),
        ({"method": "approval", "options": OPTS, "seats": 0}, "seats must be between"),
        ({"quorum": (1, 0)}, "0 < den"),
        ({"threshold": (6, 5)}, "num <= den"),
        ({"quorum": (-1, 5)}, "0 <= num"),
        ({"closes_at": "2026-11-19T00:00:00Z"}, "after opens_at"),
        ({"opens_at": "2026-11-20T00:00:00+08:00"}, "YYYY"),
        ({"weight_rule": "cubic"}, "weight_rule"),
        ({"title": " "}, "title"),
    ],
)
def test_spec_validation(over: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        binary_spec(**over)


@pytest.mark.parametrize(
    ("method", "selection", "message"),
    [
        ("binary", ["maybe"], "unknown option 'maybe'"),
        ("binary", ["yes", "no"], "exactly one"),
        ("binary", [], "exactly one"),
        ("single", "a", "list of option id strings"),
        ("single", [1], "list of option id strings"),
        ("approval", ["a", "a"], "twice"),
        ("approval", ["a", "b", "c"], "1 to 2"),
        ("approval", [], "1 to 2"),
    ],
)
def test_selection_errors(method: str, selection: Any, message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        validate_selection(spec_of(method, seats=2), selection)


def test_valid_selections() -> None:
    assert validate_selection(spec_of("approval", seats=2), ["b", "a"]) == ("b", "a")
    assert validate_selection(spec_of("binary"), ["abstain"]) == ("abstain",)


def outcome(method: str, totals: dict[str, int], counted: int, roll: int, **kw: Any) -> Any:
    spec = binary_spec(**kw) if method == "binary" else spec_of(method, **kw)
    return tuple(compute_outcome(spec, totals, counted, roll))


def test_binary_rules_at_the_boundaries() -> None:
    # 60 of 100 yes+no with threshold 3/5 passes; 59 does not; abstain does not count.
    assert outcome("binary", {"yes": 60, "no": 40, "abstain": 500}, 600, 1000) == (
        True,
        "passed",
        ["yes"],
    )
    assert outcome("binary", {"yes": 59, "no": 41, "abstain": 0}, 100, 1000) == (
        True,
        "rejected",
        [],
    )
    # quorum 1/10 of 1000 needs counted weight 100; abstentions count towards it.
    assert outcome("binary", {"yes": 60, "no": 0, "abstain": 39}, 99, 1000) == (
        False,
        "rejected",
        [],
    )
    assert outcome("binary", {"yes": 60, "no": 0, "abstain": 40}, 100, 1000)[:2] == (True, "passed")
    # yes must beat no even with a threshold of 0 or 1/2.
    assert outcome("binary", {"yes": 5, "no": 5, "abstain": 0}, 10, 10, threshold=(1, 2))[1] == (
        "rejected"
    )
    assert outcome("binary", {"yes": 0, "no": 0, "abstain": 9}, 9, 10, threshold=(0, 1))[1] == (
        "rejected"
    )


def test_single_rules() -> None:
    t = {"a": 5, "b": 9, "c": 9, "d": 0}
    assert outcome("single", t, 23, 100) == (True, "tie", [])
    assert outcome("single", {**t, "c": 8}, 22, 100) == (True, "decided", ["b"])
    assert outcome("single", t, 23, 100, quorum=(1, 2)) == (False, "no_quorum", [])


def test_approval_rules_order_and_ties() -> None:
    t = {"a": 7, "b": 9, "c": 7, "d": 7}
    # seats 2: b first, then a/c/d share 7 -> tie, only b is strictly above.
    assert outcome("approval", t, 10, 10, seats=2) == (True, "tie", ["b"])
    # seats 1: b alone.
    assert outcome("approval", t, 10, 10, seats=1) == (True, "decided", ["b"])
    # equal totals that all fit: listed in the order of options.
    t2 = {"a": 3, "b": 9, "c": 3, "d": 1}
    assert outcome("approval", t2, 10, 10, seats=3) == (True, "decided", ["b", "a", "c"])
    assert outcome("approval", t2, 10, 10, seats=4) == (True, "decided", ["b", "a", "c", "d"])
    assert outcome("approval", t2, 1, 10, seats=3, quorum=(1, 5)) == (False, "no_quorum", [])


TOKENS = [f"{i:064x}" for i in range(1, 6)]
ROLL = {t: w for t, w in zip(TOKENS, [10, 20, 30, 40, 50], strict=True)}


def ballot(
    seq: int,
    token: str,
    selection: list[str],
    weight: int | None = None,
    cast_at: str = "2026-11-21T00:00:00Z",
) -> dict[str, Any]:
    return ballot_record(seq, token, selection, weight or ROLL[token], cast_at, "ee" * 32)


def test_tally_last_ballot_counts_and_all_options_listed() -> None:
    tally = Tally(spec_of("approval", seats=2), ROLL)
    tally.add(ballot(1, TOKENS[0], ["a", "b"]))
    tally.add(ballot(2, TOKENS[1], ["c"]))
    tally.add(ballot(3, TOKENS[0], ["c"]))
    assert tally.result() == {
        "counted": 2,
        "counted_weight": 30,
        "totals": {"a": 0, "b": 0, "c": 30, "d": 0},
        "quorum_met": True,
        # the second seat is shared by a, b and d (all 0): a tie, only c is strictly above
        "outcome": "tie",
        "winners": ["c"],
    }
    assert tally.counted_seq(TOKENS[0]) == 3 and tally.counted_seq(TOKENS[4]) is None
    assert tally.result(roll_total_weight=1000)["quorum_met"] is True


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (ballot(2, TOKENS[0], ["yes"]), "seq"),
        (ballot(1, "ab" * 32, ["yes"], weight=5), "token"),
        (ballot(1, TOKENS[0], ["yes"], weight=11), "weight"),
        (ballot(1, TOKENS[0], ["maybe"]), "selection"),
        (ballot(1, TOKENS[0], ["yes"], cast_at="2026-11-23T11:00:00Z"), "cast_at"),
        (ballot(1, TOKENS[0], ["yes"], cast_at="2026-11-19T23:59:59Z"), "cast_at"),
        ({**ballot(1, TOKENS[0], ["yes"]), "x": 1}, "record"),
        ({**ballot(1, TOKENS[0], ["yes"]), "weight": True}, "weight"),
    ],
)
def test_tally_refusals(record: dict[str, Any], reason: str) -> None:
    tally = Tally(spec_of("binary"), ROLL)
    with pytest.raises(TallyError) as exc:
        tally.add(record)
    assert exc.value.reason == reason


def test_more_than_64_options_fall_back_to_a_list() -> None:
    options = tuple((f"o{i}", f"Option {i}") for i in range(70))
    tally = Tally(binary_spec(method="approval", options=options, seats=3), ROLL)
    tally.add(ballot(1, TOKENS[0], ["o69", "o0"]))
    tally.add(ballot(2, TOKENS[0], ["o68"]))
    totals = tally.totals()
    assert totals["o68"] == 10 and totals["o69"] == 0 and sum(totals.values()) == 10


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.lists(st.sampled_from("abcd"), min_size=1, max_size=2, unique=True),
        ),
        max_size=40,
    )
)
def test_tally_equals_a_naive_recount(votes: list[tuple[int, list[str]]]) -> None:
    spec = spec_of("approval", seats=2)
    tally = Tally(spec, ROLL)
    for seq, (who, selection) in enumerate(votes, start=1):
        tally.add(ballot(seq, TOKENS[who], selection))
    last: dict[str, list[str]] = {}
    for who, selection in votes:
        last[TOKENS[who]] = selection
    totals = {o: sum(ROLL[t] for t, s in last.items() if o in s) for o in "abcd"}
    assert tally.totals() == totals
    assert tally.counted == len(last)
    assert tally.counted_weight == sum(ROLL[t] for t in last)
