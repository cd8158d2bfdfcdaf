"""Nominating council candidates and recalling members: the pure rules (governance.nominations)
and the charter's machine-readable numbers for them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from governance.charter import CharterRulesError, default_rules, parse_rules
from governance.nominations import (
    NominationContext,
    RecallContext,
    nomination_deadline,
    nomination_refusal,
    recall_refusal,
    stands,
)
from governance.proposals import validate_proposal_fields

RULES = parse_rules(default_rules())
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _ctx(**changes: object) -> NominationContext:
    base = NominationContext(candidate_id=1, nominator_id=2, now=NOW,
                             deadline=NOW + timedelta(days=3), open=True, on_roll=True,
                             already_given=False)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_demo_charter_asks_twenty_nominations_within_thirty_days_citing_art_11_5() -> None:
    assert RULES.council.nominations_required == 20
    assert nomination_deadline(NOW, RULES) == NOW + timedelta(days=30)
    assert RULES.article_ref("council.nominations") == "Art. 11.5"
    assert not stands(19, RULES) and stands(20, RULES)


def test_an_owner_on_the_roll_nominates_another_owners_open_candidacy_in_time() -> None:
    assert nomination_refusal(_ctx(), RULES) is None


@pytest.mark.parametrize(("changes", "code"), [
    ({"open": False}, "nomination.closed"),
    ({"now": NOW + timedelta(days=4)}, "nomination.late"),
    ({"nominator_id": 1}, "nomination.own"),
    ({"on_roll": False}, "nomination.not_on_roll"),
    ({"already_given": True}, "nomination.twice"),
])
def test_each_refused_nomination_says_why(changes: dict[str, object], code: str) -> None:
    reason = nomination_refusal(_ctx(**changes), RULES)
    assert reason is not None and reason.code == code


def test_the_deadline_itself_still_counts() -> None:
    assert nomination_refusal(_ctx(now=NOW + timedelta(days=3)), RULES) is None


def test_a_charter_without_nominations_lets_candidates_stand_at_once() -> None:
    data = default_rules()
    del data["council"]["nominations_required"], data["council"]["nomination_days"]
    del data["citations"]["council.nominations"]
    rules = parse_rules(data)
    assert rules.council.nominations_required == 0 and stands(0, rules)
    reason = nomination_refusal(_ctx(), rules)
    assert reason is not None and reason.code == "nomination.not_needed"
    assert parse_rules(rules.to_json()) == rules


def test_nominations_required_needs_its_article_cited_and_sane_numbers() -> None:
    data = default_rules()
    del data["citations"]["council.nominations"]
    with pytest.raises(CharterRulesError, match="council.nominations"):
        parse_rules(data)
    data = default_rules()
    data["council"]["nomination_days"] = 0
    data["council"]["nominations_required"] = -1
    with pytest.raises(CharterRulesError) as bad:
        parse_rules(data)
    paths = {path for path, _ in bad.value.problems}
    assert {"$.council.nomination_days", "$.council.nominations_required"} <= paths
    assert parse_rules(RULES.to_json()) == RULES


def test_the_owners_call_and_recall_are_co_signed_kinds_the_charter_states() -> None:
    call, recall = RULES.voting.kind("call_election"), RULES.voting.kind("recall_member")
    assert (call.cosign_required, call.article) == (50, "Art. 11.7")
    assert (recall.cosign_required, recall.quorum, recall.article) == (100, (1, 5), "Art. 11.8")
    for ref in ("Art. 11.7", "Art. 11.8"):
        assert RULES.has_chinese(ref)


def test_a_charter_may_leave_out_the_owners_call_and_recall() -> None:
    data = default_rules()
    del data["voting"]["kinds"]["call_election"], data["voting"]["kinds"]["recall_member"]
    assert parse_rules(data).voting.kinds


@pytest.mark.parametrize(("kind", "fields", "bad"), [
    ("call_election", {"role": "chair", "seats": 1}, set()),
    ("call_election", {"role": "king", "seats": 1}, {"role"}),
    ("call_election", {"role": "chair", "seats": 2}, {"seats"}),
    ("call_election", {"role": "supervisors", "seats": 0}, {"seats"}),
    ("recall_member", {"seat": 3, "member": 7}, set()),
    ("recall_member", {"seat": 0, "member": "x"}, {"seat", "member"}),
    ("recall_member", {"seat": 3, "member": 7, "reason": "x"}, {"reason"}),
])
def test_the_fields_of_a_call_and_a_recall(kind: str, fields: dict[str, object],
                                           bad: set[str]) -> None:
    problems = validate_proposal_fields(kind, {"title": "A title", **fields}, RULES)
    assert {name for name, _ in problems} == bad


@pytest.mark.parametrize(("ctx", "code"), [
    (RecallContext(5, 5, True), None),
    (RecallContext(None, 5, False), "recall.no_seat"),
    (RecallContext(4, 5, True), "recall.wrong_member"),
    (RecallContext(5, 5, False), "recall.seat_ended"),
])
def test_a_recall_names_a_running_seat_and_the_member_in_it(
    ctx: RecallContext, code: str | None
) -> None:
    reason = recall_refusal(ctx)
    assert (reason.code if reason else None) == code
