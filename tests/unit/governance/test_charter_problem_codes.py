"""Every problem the charter rules checker reports carries a stable code and its parameters, so
the app can say it in the reader's language; ``str()`` of a problem stays the English text."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from governance.charter import CharterRulesError, default_rules, parse_rules
from governance.proposals import validate_proposal_fields
from governance.refusals import Problem

RULES = parse_rules(default_rules())
OPENS = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def problems_of(data: Any) -> dict[str, Problem]:
    with pytest.raises(CharterRulesError) as info:
        parse_rules(data)
    out: dict[str, Problem] = {}
    for path, message in info.value.problems:
        assert isinstance(message, Problem), (path, message)
        out[path] = message
    return out


def changed(**paths: Any) -> dict[str, Any]:
    data = copy.deepcopy(default_rules())
    for dotted, value in paths.items():
        *parents, last = dotted.split("__")
        target = data
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return data


def test_each_kind_of_problem_has_its_code_and_parameters() -> None:
    found = problems_of(changed(
        council__term_days=0,
        council__recusal_fallback="nobody",
        council__motion_quorum=[0, 3],
        voting__kinds__general__method="approval",
        voting__kinds__general__quorum=[5, 3],
        communities__min_members="many",
        spending__beneficiary_required="yes",
        spending__colour="red",
        council__term_limit=None,
    ))
    codes = {path: p.reason.code for path, p in found.items()}
    assert codes == {
        "$.council.term_days": "rules.out_of_range",
        "$.council.recusal_fallback": "rules.one_of",
        "$.council.motion_quorum": "rules.quorum_zero",
        "$.voting.kinds.general.method": "rules.approval_method",
        "$.voting.kinds.general.quorum": "rules.fraction_range",
        "$.communities.min_members": "rules.not_integer",
        "$.spending.beneficiary_required": "rules.not_boolean",
        "$.spending.colour": "rules.unknown",
        "$.council.term_limit": "rules.required",
    }
    term = found["$.council.term_days"]
    assert dict(term.reason.params) == {"lo": 1, "hi": 3660, "value": 0}
    assert term == "must be between 1 and 3660, got 0"  # the English text is unchanged
    fallback = found["$.council.recusal_fallback"]
    assert fallback.reason.params["choices"] == ("owners_vote",)
    assert fallback == "must be one of owners_vote"
    assert dict(found["$.voting.kinds.general.quorum"].reason.params) == {"num": 5, "den": 3}


def test_cross_checks_name_the_other_rule_as_a_parameter() -> None:
    found = problems_of(changed(voting__min_hours=100, voting__max_hours=80))
    assert found["$.voting.max_hours"].reason.code == "rules.max_below_min"
    assert found["$.voting.max_hours"].reason.params["hours"] == 100
    assert found["$.voting.max_hours"] == "must be at least min_hours (100)"
    seats = problems_of(changed(spending__approvals_required=40))
    assert {p.reason.code for p in seats.values()} <= {"rules.committee_seats",
                                                        "rules.council_seats"}


def test_witness_and_protector_problems_have_codes_too() -> None:
    found = problems_of(changed(
        witnesses={"quorum": 3, "article": "Art. 999", "list": []},
        protector={"role": "king", "window_days": 0, "hold_days": 1, "article": "Art. 1"},
    ))
    codes = {path: p.reason.code for path, p in found.items()}
    assert codes["$.witnesses.quorum"] == "rules.witness_quorum"
    assert found["$.witnesses.quorum"].reason.params["count"] == 0
    assert codes["$.witnesses.article"] == "rules.article_missing"
    assert codes["$.protector.role"] == "rules.one_of"
    assert "protector" in found["$.protector.role"].reason.params["choices"]
    assert codes["$.protector.window_days"] == "rules.protector_window"


def test_an_amendment_reports_the_rules_problems_with_their_codes() -> None:
    new_rules = changed(council__term_days=0)
    problems = dict(validate_proposal_fields(
        "charter_amendment",
        {"title": "t", "new_text": "x", "new_text_zh": "x", "new_rules": new_rules},
        RULES,
    ))
    assert problems["new_rules.council.term_days"].reason.code == "rules.out_of_range"


@pytest.mark.parametrize(("length", "hours", "minutes"), [
    (timedelta(hours=71, minutes=59, seconds=59), 71, 59),  # just short: never rounded up
    (timedelta(hours=336, seconds=30), 336, 1),  # just long: never reads as the longest allowed
    (timedelta(hours=20), 20, 0),
])
def test_a_vote_of_the_wrong_length_is_reported_to_the_minute(
    length: timedelta, hours: int, minutes: int
) -> None:
    [(name, problem)] = validate_proposal_fields(
        "general", {"title": "t", "opens_at": OPENS, "closes_at": OPENS + length}, RULES)
    assert name == "closes_at"
    reason = problem.reason
    assert reason.code == "proposal.window_length"
    assert reason.params["hours"] == hours
    assert reason.params.get("minutes", 0) == minutes
    if minutes:
        assert f"not {hours} h {minutes} min" in problem
    else:
        assert f"not {hours} (" in problem


def test_fixed_options_name_the_method_code_as_a_parameter() -> None:
    [(name, problem)] = validate_proposal_fields(
        "general", {"title": "t", "options": ["a", "b"]}, RULES)
    assert name == "options"
    assert problem.reason.code == "proposal.fixed_options"
    assert problem.reason.params == {"method": "yes_no"}


def test_the_last_plain_problems_of_proposals_have_codes() -> None:
    recall = dict(validate_proposal_fields("recall_member", {"title": "t"}, RULES))
    assert recall["seat"].reason.code == "proposal.recall_seat"
    assert recall["member"].reason.code == "proposal.recall_member"
    ratify = dict(validate_proposal_fields("emergency_ratification", {"title": "t"}, RULES))
    assert ratify["budget"].reason.code == "proposal.ratification_budget"
    call = dict(validate_proposal_fields("call_election", {"title": "t", "role": "king"}, RULES))
    assert call["role"].reason.code == "proposal.role"


def test_a_malformed_value_is_told_what_it_should_look_like_not_the_regex() -> None:
    data = changed(voting__weight_rule="cubic")
    data["purposes"][0]["id"] = "Bad Id"
    found = problems_of(data)
    weight = found["$.voting.weight_rule"]
    assert weight.reason.code == "rules.pattern"
    assert weight == "'cubic' is not a weight rule: linear, sqrt, equal or capped:N"
    assert weight.reason.params["pattern"]  # the expression stays for programs
    assert "[a-z]" not in found["$.purposes[0].id"]
