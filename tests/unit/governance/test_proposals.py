from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.charter import default_rules, parse_rules
from governance.proposals import (
    ACTIONS,
    STATES,
    TRANSITIONS,
    Actor,
    TransitionContext,
    TransitionError,
    transition,
    validate_proposal_fields,
    vote_parameters,
)

RULES = parse_rules(default_rules())
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
OPENS = NOW + timedelta(days=1)
CLOSES = OPENS + timedelta(days=7)
AUTHOR = Actor.user(1)
OWNER = Actor.user(2)
COUNCIL = Actor.user(9, "owner", "council")
SYSTEM = Actor.system()


def ctx(**kw: Any) -> TransitionContext:
    base: dict[str, Any] = {"author_id": 1, "now": NOW, "opens_at": OPENS, "closes_at": CLOSES}
    base.update(kw)
    return TransitionContext(**base)


def step(state: str, action: str, actor: Actor, **kw: Any) -> str:
    return transition(state, action, actor=actor, ctx=ctx(**kw)).state


def refused(state: str, action: str, actor: Actor, **kw: Any) -> str:
    with pytest.raises(TransitionError) as info:
        transition(state, action, actor=actor, ctx=ctx(**kw))
    return str(info.value)


def test_cosigned_proposal_runs_the_whole_lifecycle_with_records() -> None:
    t = transition("draft", "submit", actor=AUTHOR, ctx=ctx(cosign_required=2))
    assert (t.state, t.record.actor_id, t.record.from_state, t.record.to_state) == (
        "submitted",
        1,
        "draft",
        "submitted",
    )
    assert step("submitted", "cosign", OWNER, cosign_required=2) == "submitted"
    assert step("submitted", "schedule", AUTHOR, cosign_required=2, cosign_count=2) == "scheduled"
    assert step("scheduled", "open", SYSTEM, now=OPENS) == "voting"
    assert step("voting", "close", SYSTEM, now=CLOSES) == "closed"
    assert step("closed", "seal", SYSTEM) == "sealed"
    t = transition("sealed", "supersede", actor=SYSTEM, ctx=ctx(superseded_by="p-9"))
    assert t.state == "superseded" and t.record.reason == "superseded by p-9"


def test_council_path_proposal_is_scheduled_by_a_passed_accept_motion() -> None:
    assert step("submitted", "accept", COUNCIL, passed_motion="accept_proposal") == "scheduled"


def test_accept_without_a_passed_motion_is_refused() -> None:
    assert "accept_proposal" in refused("submitted", "accept", COUNCIL)


def test_only_the_council_accepts() -> None:
    assert "only the council" in refused(
        "submitted", "accept", OWNER, passed_motion="accept_proposal"
    )


def test_council_cannot_accept_or_reject_on_the_cosignature_path() -> None:
    why = refused(
        "submitted",
        "reject",
        COUNCIL,
        cosign_required=50,
        reason="x",
        passed_motion="reject_proposal",
    )
    assert "co-signatures" in why


def test_rejection_needs_a_reason() -> None:
    assert "reason" in refused("submitted", "reject", COUNCIL, passed_motion="reject_proposal")
    t = transition(
        "submitted",
        "reject",
        actor=COUNCIL,
        ctx=ctx(passed_motion="reject_proposal", reason="duplicate of p-3"),
    )
    assert (t.state, t.record.reason) == ("rejected", "duplicate of p-3")


def test_schedule_with_too_few_cosignatures_is_refused_with_counts() -> None:
    why = refused("submitted", "schedule", AUTHOR, cosign_required=50, cosign_count=49)
    assert "49 of 50" in why


def test_schedule_needs_a_window_in_the_future() -> None:
    assert "past" in refused(
        "submitted",
        "schedule",
        AUTHOR,
        cosign_required=1,
        cosign_count=1,
        opens_at=NOW - timedelta(hours=1),
    )
    assert "not set" in refused(
        "submitted", "schedule", AUTHOR, cosign_required=1, cosign_count=1, closes_at=None
    )


def test_author_cannot_cosign_own_proposal() -> None:
    assert "author" in refused("submitted", "cosign", AUTHOR, cosign_required=5)


def test_owner_cosigns_only_once() -> None:
    assert "already" in refused(
        "submitted", "cosign", OWNER, cosign_required=5, already_cosigned=True
    )


def test_cosigning_is_refused_on_the_council_path() -> None:
    assert "council acceptance" in refused("submitted", "cosign", OWNER, cosign_required=0)


def test_only_the_author_submits_and_withdraws() -> None:
    assert "author" in refused("draft", "submit", OWNER)
    assert "author" in refused("submitted", "withdraw", OWNER)
    assert step("submitted", "withdraw", AUTHOR) == "withdrawn"


def test_withdrawal_is_refused_once_voting_has_started() -> None:
    assert step("scheduled", "withdraw", AUTHOR) == "withdrawn"
    assert "voting starts" in refused("scheduled", "withdraw", AUTHOR, now=OPENS)
    assert "not allowed" in refused("voting", "withdraw", AUTHOR)


def test_vote_does_not_open_early_or_close_early() -> None:
    assert "not yet" in refused("scheduled", "open", SYSTEM)
    assert "not yet" in refused("voting", "close", SYSTEM, now=CLOSES - timedelta(seconds=1))


def test_owners_cannot_drive_system_steps() -> None:
    assert "system" in refused("scheduled", "open", OWNER, now=OPENS)


def test_supersede_names_the_later_proposal() -> None:
    assert "name the proposal" in refused("sealed", "supersede", SYSTEM)


def test_illegal_transition_names_state_action_and_allowed_actions() -> None:
    why = refused("draft", "open", SYSTEM)
    assert "'open'" in why and "'draft'" in why and "not allowed from this state" in why
    assert "final state" in refused("withdrawn", "submit", AUTHOR)


def test_unknown_state_is_refused() -> None:
    assert "unknown state" in refused("limbo", "submit", AUTHOR)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        TransitionContext(author_id=1, now=datetime(2026, 1, 1))


def test_only_the_system_acts_without_a_user_id() -> None:
    with pytest.raises(ValueError):
        Actor(None, frozenset({"admin"}))


@given(
    st.sampled_from(STATES),
    st.sampled_from(ACTIONS),
    st.sampled_from([AUTHOR, OWNER, COUNCIL, SYSTEM]),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from([None, "accept_proposal", "reject_proposal"]),
    st.integers(-200, 200),
)
def test_every_step_is_in_the_table_or_refused(
    state: str,
    action: str,
    actor: Actor,
    required: int,
    count: int,
    motion: str | None,
    hours: int,
) -> None:
    context = ctx(
        cosign_required=required,
        cosign_count=count,
        passed_motion=motion,
        now=NOW + timedelta(hours=hours),
        reason="r",
        superseded_by="p-2",
    )
    try:
        t = transition(state, action, actor=actor, ctx=context)
    except TransitionError as exc:
        assert exc.state == state and exc.action == action and exc.why
    else:
        assert TRANSITIONS[(state, action)] == t.state
        assert (t.record.from_state, t.record.to_state) == (state, t.state)


def spending(**kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Owner care fund 2026",
        "amount_fen": 300_000_000,
        "category": "owner_care",
        "beneficiary": "Owners in hardship, case by case",
        "purpose": "Relief for owners affected by the epidemic",
        "opens_at": OPENS,
        "closes_at": CLOSES,
    }
    fields.update(kw)
    return fields


def fields_with_problems(kind: str, fields: dict[str, Any]) -> set[str]:
    return {name for name, _ in validate_proposal_fields(kind, fields, RULES)}


def test_valid_spending_proposal_has_no_problems() -> None:
    assert validate_proposal_fields("spending", spending(), RULES) == []


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "100", None])
def test_spending_amount_must_be_positive_whole_fen(amount: Any) -> None:
    assert fields_with_problems("spending", spending(amount_fen=amount)) == {"amount_fen"}


def test_spending_category_outside_charter_purposes_is_refused_quoting_article() -> None:
    [(name, message)] = validate_proposal_fields("spending", spending(category="cars"), RULES)
    assert name == "category" and "Art. 21.2" in message


def test_spending_needs_beneficiary_and_purpose() -> None:
    problems = fields_with_problems("spending", spending(beneficiary=" ", purpose=""))
    assert problems == {"beneficiary", "purpose"}


def test_unknown_field_and_overlong_title_are_reported() -> None:
    problems = fields_with_problems("spending", spending(title="x" * 201, colour="red"))
    assert problems == {"title", "colour"}


def test_voting_window_outside_charter_bounds_is_refused_quoting_article() -> None:
    [(name, msg)] = validate_proposal_fields(
        "general",
        {"title": "t", "opens_at": OPENS, "closes_at": OPENS + timedelta(hours=71)},
        RULES,
    )
    assert name == "closes_at" and "Art. 10.3" in msg
    assert fields_with_problems(
        "general", {"title": "t", "opens_at": OPENS, "closes_at": OPENS + timedelta(days=15)}
    ) == {"closes_at"}


def test_window_times_must_be_aware_datetimes() -> None:
    assert fields_with_problems(
        "general", {"title": "t", "opens_at": datetime(2026, 1, 1), "closes_at": "tomorrow"}
    ) == {"opens_at", "closes_at"}


def test_yes_no_votes_take_no_options_but_choice_votes_need_them() -> None:
    assert fields_with_problems("general", {"title": "t", "options": ["a", "b"]}) == {"options"}
    data = default_rules()
    data["voting"]["kinds"]["general"]["method"] = "choice"
    rules = parse_rules(data)
    assert validate_proposal_fields("general", {"title": "t", "options": ["a", "b"]}, rules) == []
    assert validate_proposal_fields("general", {"title": "t", "options": ["a", "a"]}, rules)
    assert validate_proposal_fields("general", {"title": "t"}, rules)


def test_council_election_seats_come_from_the_charter() -> None:
    ok = {"title": "t", "role": "asset_committee", "candidates": [4, 5, 6, 7]}
    assert validate_proposal_fields("council_election", ok, RULES) == []
    assert fields_with_problems("council_election", {**ok, "seats": 4}) == {"seats"}
    assert fields_with_problems("council_election", {**ok, "candidates": [4, 5]}) == {"candidates"}
    assert fields_with_problems("council_election", {**ok, "candidates": [4, 4, 5]}) == {
        "candidates"
    }
    assert fields_with_problems("council_election", {**ok, "role": "king"}) == {"role"}


def test_charter_amendment_reports_new_rules_problems_by_path() -> None:
    new_rules = default_rules()
    new_rules["spending"]["approvals_required"] = 0
    problems = validate_proposal_fields(
        "charter_amendment",
        {"title": "t", "new_text": "...", "new_text_zh": "……", "new_rules": new_rules},
        RULES,
    )
    assert [name for name, _ in problems] == ["new_rules.spending.approvals_required"]
    fine = {"title": "t", "new_text": "...", "new_text_zh": "……", "new_rules": default_rules()}
    assert validate_proposal_fields("charter_amendment", fine, RULES) == []


def test_community_scheme_needs_text_and_criteria() -> None:
    assert fields_with_problems("community_scheme", {"title": "t"}) == {"scheme_text", "criteria"}
    ok = {"title": "t", "scheme_text": "Scheme", "criteria": ["30 members"]}
    assert validate_proposal_fields("community_scheme", ok, RULES) == []


def test_unknown_kind_is_reported() -> None:
    assert fields_with_problems("lottery", {"title": "t"}) == {"kind"}


def test_charter_amendment_is_voted_with_three_fifths_threshold() -> None:
    p = vote_parameters("charter_amendment", RULES)
    assert (p.method, p.quorum, p.threshold, p.weight_rule, p.seats) == (
        "yes_no",
        (1, 5),
        (3, 5),
        "linear",
        1,
    )
    assert p.eligibility_min == 1


def test_council_election_uses_its_weight_rule_and_the_roles_seats() -> None:
    p = vote_parameters("council_election", RULES, {"role": "asset_committee"})
    assert (p.method, p.weight_rule, p.seats) == ("approval", "equal", 3)
    assert (
        vote_parameters("council_election", RULES, {"role": "supervisors", "seats": 1}).seats == 1
    )
    with pytest.raises(ValueError):
        vote_parameters("council_election", RULES)
