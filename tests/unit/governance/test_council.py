from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.charter import default_rules, parse_rules
from governance.council import (
    MotionError,
    MotionVote,
    Seat,
    Term,
    can_stand_for_reelection,
    cast_motion_vote,
    consecutive_terms,
    motion_outcome,
    recusal_required,
    seat_status,
    seats_from_election,
    vacancies,
)

RULES = parse_rules(default_rules())
T0 = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
SEATED = [1, 2, 3, 4, 5, 6]


def votes(**choices: str) -> list[MotionVote]:
    return [MotionVote(int(k[1:]), v) for k, v in choices.items()]


def test_term_lasts_the_charter_term_length() -> None:
    assert Term.starting(T0, RULES).end == T0 + YEAR


def test_seat_is_active_during_term_and_expired_at_its_end() -> None:
    term = Term.starting(T0, RULES)
    assert seat_status(term, T0 - timedelta(seconds=1)) == "upcoming"
    assert seat_status(term, T0) == "active"
    assert seat_status(term, term.end) == "expired"


def test_term_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError):
        Term(T0, T0)


def test_member_at_term_limit_cannot_stand_again_in_a_row() -> None:
    history = [Term.starting(T0, RULES), Term.starting(T0 + YEAR, RULES)]
    assert consecutive_terms(history, RULES) == 2
    assert not can_stand_for_reelection(history, RULES, T0 + 2 * YEAR)
    assert can_stand_for_reelection(history[:1], RULES, T0 + YEAR)


def test_term_count_restarts_after_sitting_out_a_full_term() -> None:
    history = [Term.starting(T0, RULES), Term.starting(T0 + YEAR, RULES)]
    assert can_stand_for_reelection(history, RULES, T0 + 3 * YEAR)
    assert not can_stand_for_reelection(history, RULES, T0 + 3 * YEAR - timedelta(days=1))


def test_vacancies_count_seats_without_an_active_member() -> None:
    term = Term.starting(T0, RULES)
    old = Term(T0 - YEAR, T0)
    seated = [
        Seat(1, "chair", term),
        Seat(2, "asset_committee", term),
        Seat(3, "asset_committee", old),
        Seat(4, "supervisors", term),
        Seat(5, "supervisors", term),
        Seat(6, "supervisors", term),
    ]
    assert vacancies(seated, RULES, T0) == {
        "chair": 0,
        "asset_committee": 2,
        "proceeds_committee": 3,
        "supervisors": 0,
        "protector": 1,
    }


def test_election_seats_the_top_candidates() -> None:
    result = seats_from_election({10: 500, 11: 300, 12: 900, 13: 100}, "asset_committee", RULES)
    assert (result.elected, result.tied, result.unfilled) == ((12, 10, 11), (), 0)


def test_tie_at_the_last_seat_is_reported_not_resolved() -> None:
    result = seats_from_election({10: 500, 11: 300, 12: 900, 13: 300}, "asset_committee", RULES)
    assert (result.elected, result.tied, result.unfilled) == ((12, 10), (11, 13), 1)


def test_tie_that_fits_in_the_seats_elects_everyone_tied() -> None:
    result = seats_from_election({10: 5, 11: 5, 12: 9, 13: 1}, "asset_committee", RULES)
    assert (result.elected, result.tied) == ((12, 10, 11), ())


def test_candidates_without_approval_are_not_seated() -> None:
    result = seats_from_election({10: 5, 11: 0}, "asset_committee", RULES)
    assert (result.elected, result.unfilled) == ((10,), 2)


def test_election_that_missed_quorum_seats_nobody() -> None:
    result = seats_from_election({10: 5}, "chair", RULES, passed=False)
    assert (result.elected, result.unfilled) == ((), 1)


def test_election_cannot_fill_more_seats_than_the_role_has() -> None:
    with pytest.raises(ValueError):
        seats_from_election({10: 5}, "chair", RULES, seats=2)


def test_interest_in_the_motion_subject_requires_recusal() -> None:
    assert recusal_required({"community:12", "member:3"}, {"community:12"})
    assert not recusal_required({"community:11"}, {"community:12"})


def test_recused_members_vote_is_refused_quoting_article() -> None:
    with pytest.raises(MotionError, match=r"recused.*Art\. 15\.3"):
        cast_motion_vote(2, "for", seated_ids=SEATED, recused_ids={2}, votes_so_far=[], rules=RULES)


def test_only_seated_members_vote_on_motions() -> None:
    with pytest.raises(MotionError, match=r"only seated.*Art\. 15\.4"):
        cast_motion_vote(99, "for", seated_ids=SEATED, recused_ids=(), votes_so_far=[], rules=RULES)


def test_member_votes_once_per_motion() -> None:
    with pytest.raises(MotionError, match="already"):
        cast_motion_vote(
            1,
            "for",
            seated_ids=SEATED,
            recused_ids=(),
            votes_so_far=votes(m1="against"),
            rules=RULES,
        )
    assert cast_motion_vote(
        1, "abstain", seated_ids=SEATED, recused_ids=(), votes_so_far=[], rules=RULES
    ) == MotionVote(1, "abstain")


def test_motion_vote_choice_must_be_for_against_or_abstain() -> None:
    with pytest.raises(MotionError):
        MotionVote(1, "maybe")


def test_motion_passes_with_quorum_and_majority() -> None:
    out = motion_outcome(SEATED, votes(m1="for", m2="for", m3="against", m4="abstain"), (), RULES)
    assert (out.eligible, out.voted, out.quorum_met, out.passed) == (6, 4, True, True)


def test_abstentions_count_toward_quorum_but_not_majority() -> None:
    out = motion_outcome(
        SEATED, votes(m1="for", m2="abstain", m3="abstain", m4="abstain"), (), RULES
    )
    assert out.quorum_met and out.passed


def test_motion_without_quorum_fails() -> None:
    out = motion_outcome(SEATED, votes(m1="for", m2="for", m3="for"), (), RULES)
    assert not out.quorum_met and not out.passed and "no quorum" in out.explanation


def test_recused_members_do_not_count_toward_quorum() -> None:
    out = motion_outcome(SEATED, votes(m1="for", m2="for", m3="for"), {4, 5}, RULES)
    assert out.eligible == 4 and out.quorum_met and out.passed


def test_tied_motion_fails() -> None:
    out = motion_outcome(SEATED, votes(m1="for", m2="for", m3="against", m4="against"), (), RULES)
    assert out.quorum_met and not out.passed


def test_supermajority_rule_counts_with_integers() -> None:
    data = default_rules()
    data["council"]["motion_majority"] = [2, 3]
    rules = parse_rules(data)
    two_to_one = votes(m1="for", m2="for", m3="against", m4="abstain")
    assert motion_outcome(SEATED, two_to_one, (), rules).passed
    three_to_two = votes(m1="for", m2="for", m3="for", m4="against", m5="against")
    assert not motion_outcome(SEATED, three_to_two, (), rules).passed


def test_counting_refuses_recused_unseated_and_duplicate_votes() -> None:
    with pytest.raises(MotionError, match="may not count") as recused:
        motion_outcome(SEATED, votes(m1="for"), {1}, RULES)
    assert recused.value.code == "motion.recused"
    with pytest.raises(MotionError, match="may not count") as unseated:
        motion_outcome(SEATED, votes(m9="for"), (), RULES)
    assert unseated.value.code == "motion.not_seated"
    with pytest.raises(MotionError, match="twice"):
        motion_outcome(SEATED, [MotionVote(1, "for"), MotionVote(1, "for")], (), RULES)


def test_motion_with_everyone_recused_has_no_quorum() -> None:
    assert not motion_outcome([1], [], {1}, RULES).quorum_met


@given(
    st.lists(st.sampled_from(["for", "against", "abstain"]), max_size=6), st.sets(st.integers(1, 6))
)
def test_a_passed_motion_always_had_quorum_and_more_for_than_against(
    choices: list[str], recused: set[int]
) -> None:
    eligible = [m for m in SEATED if m not in recused]
    cast = [MotionVote(m, c) for m, c in zip(eligible, choices, strict=False)]
    out = motion_outcome(SEATED, cast, recused, RULES)
    assert out.votes_for + out.votes_against + out.abstentions == out.voted == len(cast)
    if out.passed:
        assert out.quorum_met and out.votes_for > out.votes_against
        assert 3 * out.voted >= 2 * out.eligible
