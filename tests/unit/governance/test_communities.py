from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from governance.charter import default_rules, parse_rules
from governance.communities import (
    CommunityContext,
    certified_until,
    renewal_opens,
    transition,
    validate_application,
)
from governance.transitions import Actor, TransitionError

RULES = parse_rules(default_rules())
NOW = datetime(2026, 6, 1, tzinfo=UTC)
UNTIL = certified_until(NOW, RULES)
COUNCIL = Actor.user(9, "owner", "council")
ADMIN = Actor.user(8, "admin")
OWNER = Actor.user(2)
SYSTEM = Actor.system()


def application(**kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Owner physicians' community",
        "industry": "Healthcare",
        "description": "Owners who are doctors, offering first-aid training at meet-ups.",
        "representative_id": 100,
        "member_count": 42,
        "cosigners": list(range(101, 111)),
        "documents": ["ab" * 32],
    }
    fields.update(kw)
    return fields


def problems(**kw: Any) -> set[str]:
    return {f for f, _ in validate_application(application(**kw), RULES, scheme_in_force=True)}


def step(state: str, action: str, actor: Actor, **kw: Any) -> str:
    return transition(state, action, actor=actor, ctx=CommunityContext(**kw), rules=RULES).state


def refused(state: str, action: str, actor: Actor, **kw: Any) -> str:
    with pytest.raises(TransitionError) as info:
        transition(state, action, actor=actor, ctx=CommunityContext(**kw), rules=RULES)
    return str(info.value)


def test_complete_application_is_valid() -> None:
    assert validate_application(application(), RULES, scheme_in_force=True) == []


def test_application_is_refused_while_no_scheme_is_in_force_quoting_article() -> None:
    [(field, message)] = validate_application(application(), RULES, scheme_in_force=False)
    assert field == "scheme" and "Art. 30.1" in message


def test_community_below_minimum_members_is_refused_quoting_article() -> None:
    [(field, message)] = validate_application(
        application(member_count=29), RULES, scheme_in_force=True
    )
    assert field == "member_count" and "Art. 30.3" in message


def test_a_review_waits_for_the_charters_number_of_given_cosignatures() -> None:
    # The application itself may list fewer: co-signatures are given later, each in its account.
    assert problems(cosigners=list(range(101, 110))) == set()
    why = refused("applied", "review", COUNCIL, now=NOW, cosigns_given=9)
    assert "9 of 10 co-signatures" in why and "Art. 30.4" in why
    assert step("applied", "review", COUNCIL, now=NOW, cosigns_given=10) == "under_review"


def test_representative_does_not_count_as_cosigner() -> None:
    assert problems(cosigners=[100, *range(101, 111)]) == {"cosigners"}


def test_cosigner_listed_twice_is_refused() -> None:
    assert problems(cosigners=[101] * 10) == {"cosigners"}


@pytest.mark.parametrize("docs", [[], ["AB" * 32], ["ab" * 31], ["ab" * 32, "ab" * 32], "x"])
def test_documents_are_distinct_lowercase_sha256_digests(docs: Any) -> None:
    assert problems(documents=docs) == {"documents"}


def test_name_industry_description_and_representative_are_required() -> None:
    assert problems(name="", industry=" ", description=None, representative_id=0) == {
        "name",
        "industry",
        "description",
        "representative_id",
    }


def test_unknown_application_field_is_reported() -> None:
    assert problems(logo="x.png") == {"logo"}


def test_application_is_reviewed_then_certified_by_council_motion() -> None:
    assert step("applied", "review", ADMIN, now=NOW) == "under_review"
    assert (
        step("under_review", "certify", COUNCIL, now=NOW, passed_motion="certify_community")
        == "certified"
    )


def test_certification_without_the_right_passed_motion_is_refused() -> None:
    assert "certify_community" in refused("under_review", "certify", COUNCIL, now=NOW)
    assert "certify_community" in refused(
        "under_review", "certify", COUNCIL, now=NOW, passed_motion="renew_community"
    )


def test_certification_is_refused_once_the_scheme_is_no_longer_in_force() -> None:
    why = refused(
        "under_review",
        "certify",
        COUNCIL,
        now=NOW,
        passed_motion="certify_community",
        scheme_in_force=False,
    )
    assert "Art. 30.1" in why


def test_only_the_council_certifies_and_owners_cannot_review() -> None:
    assert "council" in refused(
        "under_review", "certify", ADMIN, now=NOW, passed_motion="certify_community"
    )
    assert "council or an admin" in refused("applied", "review", OWNER, now=NOW)


def test_rejection_and_revocation_need_reasons() -> None:
    assert "reasons" in refused(
        "under_review", "reject", COUNCIL, now=NOW, passed_motion="reject_community"
    )
    t = transition(
        "certified",
        "revoke",
        actor=COUNCIL,
        rules=RULES,
        ctx=CommunityContext(
            now=NOW,
            passed_motion="revoke_community",
            reasons=("inactive", "misused the trust's name"),
        ),
    )
    assert (t.state, t.record.reason) == ("revoked", "inactive; misused the trust's name")


def test_certification_runs_the_charter_validity() -> None:
    assert certified_until(NOW, RULES) - NOW == timedelta(days=365)
    assert renewal_opens(UNTIL, RULES) == UNTIL - timedelta(days=60)


def test_renewal_falls_due_only_inside_the_window() -> None:
    early = renewal_opens(UNTIL, RULES) - timedelta(seconds=1)
    assert "Art. 31.2" in refused("certified", "flag_renewal", SYSTEM, now=early, valid_until=UNTIL)
    assert (
        step(
            "certified", "flag_renewal", SYSTEM, now=renewal_opens(UNTIL, RULES), valid_until=UNTIL
        )
        == "renewal_due"
    )


def test_renewal_by_council_before_the_end_certifies_again() -> None:
    before = UNTIL - timedelta(days=1)
    assert (
        step(
            "renewal_due",
            "renew",
            COUNCIL,
            now=before,
            valid_until=UNTIL,
            passed_motion="renew_community",
        )
        == "certified"
    )
    assert "lapsed" in refused(
        "renewal_due",
        "renew",
        COUNCIL,
        now=UNTIL,
        valid_until=UNTIL,
        passed_motion="renew_community",
    )


def test_certification_lapses_only_after_it_ends() -> None:
    assert "runs until" in refused("renewal_due", "lapse", SYSTEM, now=NOW, valid_until=UNTIL)
    assert step("renewal_due", "lapse", SYSTEM, now=UNTIL, valid_until=UNTIL) == "lapsed"
    assert step("certified", "lapse", SYSTEM, now=UNTIL, valid_until=UNTIL) == "lapsed"
    assert "end date is needed" in refused("certified", "lapse", SYSTEM, now=UNTIL)


def test_final_states_allow_nothing() -> None:
    assert "final state" in refused("revoked", "renew", COUNCIL, now=NOW)
    assert "unknown state" in refused("pending", "review", ADMIN, now=NOW)
