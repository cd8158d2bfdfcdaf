import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.charter import (
    CITATION_KEYS,
    CharterRulesError,
    charter_digest,
    check_amendment_allowed,
    default_rules,
    default_text,
    parse_rules,
)

RULES = parse_rules(default_rules())


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(CharterRulesError) as info:
        parse_rules(data)
    return info.value.problems


def paths_of(data: Any) -> set[str]:
    return {path for path, _ in problems_of(data)}


def test_default_rules_parse_and_round_trip_exactly() -> None:
    assert RULES.to_json() == default_rules()
    assert parse_rules(RULES.to_json()) == RULES


def test_to_json_holds_only_json_types_and_survives_a_json_round_trip() -> None:
    data = RULES.to_json()
    assert json.loads(json.dumps(data)) == data


def test_default_charter_models_the_real_trust() -> None:
    assert RULES.voting.kind("charter_amendment").threshold == (3, 5)
    assert RULES.spending.emergency_cap_fen == 500_000_000  # RMB 5 M, the COVID relief
    assert {p.id for p in RULES.purposes} == {"public_welfare", "owner_care", "connecting_owners"}
    assert all(p.name_zh for p in RULES.purposes)
    assert RULES.council.seats_for("chair") == 1


def test_every_problem_is_reported_not_just_the_first() -> None:
    data = default_rules()
    data["spending"]["approvals_required"] = True
    data["council"]["seats"]["chair"] = 2
    data["voting"]["kinds"]["general"]["threshold"] = [1, 3]
    data["purposes"][0]["article"] = "Art. 99"
    del data["citations"]["spending.cash"]
    assert paths_of(data) == {
        "$.spending.approvals_required",
        "$.council.seats.chair",
        "$.voting.kinds.general.threshold",
        "$.purposes[0].article",
        "$.citations.spending.cash",
    }


def test_a_missing_section_is_reported_once_without_cascading() -> None:
    data = default_rules()
    del data["council"]
    assert problems_of(data) == [("$.council", "is required")]


def test_unknown_rule_is_refused_so_typos_cannot_hide() -> None:
    data = default_rules()
    data["spending"]["aproval_required"] = 2
    assert paths_of(data) == {"$.spending.aproval_required"}


def test_booleans_are_not_accepted_as_numbers() -> None:
    data = default_rules()
    data["communities"]["min_members"] = True
    assert paths_of(data) == {"$.communities.min_members"}


def test_floats_are_refused_as_amounts() -> None:
    data = default_rules()
    data["spending"]["emergency_cap_fen"] = 5e8
    assert "$.spending.emergency_cap_fen" in paths_of(data)


def test_yes_no_threshold_below_one_half_is_refused() -> None:
    data = default_rules()
    data["voting"]["kinds"]["charter_amendment"]["threshold"] = [2, 5]
    assert paths_of(data) == {"$.voting.kinds.charter_amendment.threshold"}


@pytest.mark.parametrize("bad", [[1, 0], [3, 2], [-1, 2], [1], "1/2", [1.0, 2]])
def test_malformed_fraction_is_refused(bad: Any) -> None:
    data = default_rules()
    data["voting"]["kinds"]["general"]["quorum"] = bad
    assert paths_of(data) == {"$.voting.kinds.general.quorum"}


@pytest.mark.parametrize("bad", ["cubic", "capped:0", "capped:01", "capped:", "Linear"])
def test_unknown_weight_rule_is_refused(bad: str) -> None:
    data = default_rules()
    data["voting"]["weight_rule"] = bad
    assert paths_of(data) == {"$.voting.weight_rule"}


def test_weight_rule_override_per_kind_is_optional() -> None:
    data = default_rules()
    data["voting"]["kinds"]["general"]["weight_rule"] = "capped:5000"
    assert parse_rules(data).voting.kind("general").weight_rule == "capped:5000"
    assert RULES.voting.kind("general").weight_rule is None


def test_council_election_must_be_an_approval_vote() -> None:
    data = default_rules()
    data["voting"]["kinds"]["council_election"]["method"] = "choice"
    assert paths_of(data) == {"$.voting.kinds.council_election.method"}


def test_approvals_cannot_exceed_seats_minus_the_submitter() -> None:
    data = default_rules()
    data["spending"]["approvals_required"] = RULES.council.total_seats
    assert paths_of(data) == {"$.spending.approvals_required"}


def test_voting_period_bounds_must_be_ordered() -> None:
    data = default_rules()
    data["voting"]["max_hours"] = 24
    assert paths_of(data) == {"$.voting.max_hours"}


def test_emergency_year_cap_below_per_motion_cap_is_refused() -> None:
    data = default_rules()
    data["spending"]["emergency_year_cap_fen"] = 1
    assert paths_of(data) == {"$.spending.emergency_year_cap_fen"}


def test_renewal_window_must_be_shorter_than_validity() -> None:
    data = default_rules()
    data["communities"]["renewal_window_days"] = 365
    assert paths_of(data) == {"$.communities.renewal_window_days"}


def test_duplicate_purpose_is_refused() -> None:
    data = default_rules()
    data["purposes"].append(copy.deepcopy(data["purposes"][0]))
    assert paths_of(data) == {"$.purposes[3].id"}


def test_citation_of_an_article_that_does_not_exist_is_refused() -> None:
    data = default_rules()
    data["citations"]["spending.budget"] = "Art. 77.7"
    assert paths_of(data) == {"$.citations.spending.budget"}


def test_every_rule_must_be_cited() -> None:
    data = default_rules()
    data["citations"] = {}
    assert paths_of(data) == {f"$.citations.{key}" for key in CITATION_KEYS}


def test_not_an_object_is_refused() -> None:
    assert problems_of([]) == [("$", "must be an object")]


def test_article_quotes_number_and_text() -> None:
    assert RULES.article("spending.budget") == (
        'Art. 21.1: "A disbursement may not exceed the remaining amount of the budget it draws on."'
    )


def test_article_resolves_purposes_and_kinds() -> None:
    assert RULES.article("purposes.owner_care").startswith("Art. 5.2: ")
    assert "three fifths" in RULES.article("voting.kinds.charter_amendment")


def test_article_for_unknown_rule_raises_key_error() -> None:
    with pytest.raises(KeyError):
        RULES.article("spending.nothing")


def test_violation_reads_as_message_then_quoted_article() -> None:
    v = RULES.violation("spending.self_approval", "no")
    assert str(v) == 'no (Art. 22.2: "No one approves a disbursement they submitted.")'


def test_digest_is_sha256_of_canonical_version_text_rules() -> None:
    text, rules = default_text(), default_rules()
    obj = {"version": 1, "text": text, "rules": rules}
    raw = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert charter_digest(text, rules, 1) == hashlib.sha256(raw).hexdigest()


def test_digest_changes_with_version_text_and_rules() -> None:
    text, rules = default_text(), default_rules()
    base = charter_digest(text, rules, 1)
    changed = default_rules()
    changed["spending"]["approvals_required"] = 1
    assert (
        len(
            {
                base,
                charter_digest(text, rules, 2),
                charter_digest(text + " ", rules, 1),
                charter_digest(text, changed, 1),
            }
        )
        == 4
    )


def test_digest_ignores_key_order() -> None:
    rules = default_rules()
    reordered = dict(reversed(list(rules.items())))
    assert charter_digest("t", rules, 1) == charter_digest("t", reordered, 1)


def test_digest_refuses_floats() -> None:
    with pytest.raises(ValueError, match="float"):
        charter_digest("t", {"x": 0.5}, 1)


def test_first_charter_is_version_one_installed_without_a_vote() -> None:
    ok = check_amendment_allowed(
        None, None, 1, proposal_kind=None, proposal_state=None, proposal_passed=False
    )
    assert ok == []
    bad = check_amendment_allowed(
        None, None, 2, proposal_kind=None, proposal_state=None, proposal_passed=False
    )
    assert "version 1" in bad[0].message


def test_amendment_needs_a_sealed_passed_charter_amendment_vote() -> None:
    def check(kind: str, state: str, passed: bool, version: int = 2) -> list[str]:
        out = check_amendment_allowed(
            RULES, 1, version, proposal_kind=kind, proposal_state=state, proposal_passed=passed
        )
        return [v.article for v in out]

    assert check("charter_amendment", "sealed", True) == []
    assert check("general", "sealed", True) == ["Art. 40.1"]
    assert check("charter_amendment", "sealed", False) == ["Art. 40.1"]
    assert check("charter_amendment", "voting", True) == ["Art. 40.1"]
    assert check("charter_amendment", "sealed", True, version=3) == ["Art. 40.2"]


@given(
    seats=st.integers(1, 50),
    term_days=st.integers(1, 3660),
    term_limit=st.integers(1, 100),
    quorum=st.integers(1, 100).flatmap(lambda d: st.tuples(st.integers(1, d), st.just(d))),
    cap=st.integers(0, 10**12),
    beneficiary=st.booleans(),
    zh=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != ""),
)
def test_any_valid_rules_round_trip(
    seats: int,
    term_days: int,
    term_limit: int,
    quorum: tuple[int, int],
    cap: int,
    beneficiary: bool,
    zh: str,
) -> None:
    data = default_rules()
    data["council"]["seats"]["asset_committee"] = seats
    data["council"]["term_days"] = term_days
    data["council"]["term_limit"] = term_limit
    data["council"]["motion_quorum"] = list(quorum)
    data["spending"]["emergency_cap_fen"] = cap
    data["spending"]["emergency_year_cap_fen"] = cap * 2
    data["spending"]["beneficiary_required"] = beneficiary
    data["purposes"][0]["name_zh"] = zh
    rules = parse_rules(data)
    assert rules.to_json() == data
    assert parse_rules(rules.to_json()) == rules
