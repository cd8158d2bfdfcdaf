"""Bad input on every HTML form: never a 500, and a refusal writes nothing and says why.

Each form is posted by hypothesis with arbitrary, empty, huge, control-character and boundary
values (and plausible ones, so that some requests get past validation into the services), with
a valid CSRF token, by a signed-in user of the role the view is for. When the app refuses the
request (a 4xx, the form shown again, or an error message), a checksum of every table must be
exactly what it was before.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.proposals import service as proposals
from app.treasury import service as treasury
from tests.factories import (
    csrf_from,
    install_charter,
    login,
    make_open_vote,
    make_owner,
    seat_member,
)
from tests.web.council_helpers import adopt_scheme, sealed_vote
from tests.web.test_properties_support import (
    BOUNDARY,
    PROPERTY_SETTINGS,
    Checksums,
    clear_flashes,
    explains_itself,
    flashes,
    form_data,
    refused,
)

SPENDING = {"amount_fen": 1_000_000_00, "category": "owner_care",
            "beneficiary": "Owners in hardship", "purpose": "Roadside help."}

words = st.text(alphabet="abcdefghij klmnop", min_size=5, max_size=60)
long_words = st.text(alphabet="abcdefghij klmnop", min_size=20, max_size=400)
yuan = st.one_of(st.integers(1, 10_000_000).map(str),
                 st.decimals(0, 10**7, places=2, allow_nan=False).map(str))
day = st.dates().map(lambda d: d.isoformat())
local_time = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M"))
kind = st.sampled_from(["general", "spending", "poll", "community_scheme", "charter_amendment"])
role = st.sampled_from(["chair", "asset_committee", "proceeds_committee", "supervisors",
                        "protector"])


@dataclass
class Spec:
    """One form: where it posts, who posts it, its fields and the signs of success."""

    path: Callable[[dict[str, Any]], st.SearchStrategy[str]]
    who: str
    fields: dict[str, st.SearchStrategy[str] | None]
    files: dict[str, str] = field(default_factory=dict)
    ok_on_200: Callable[[Any], bool] = lambda response: False
    ignore: frozenset[str] = frozenset()


def fixed(path: str) -> Callable[[dict[str, Any]], st.SearchStrategy[str]]:
    return lambda w: st.just(path)


def with_id(template: str, key: str) -> Callable[[dict[str, Any]], st.SearchStrategy[str]]:
    """The real id most of the time, sometimes a missing or malformed one."""
    bad = st.sampled_from(["0", "999999", str(2**31), "9" * 19, "nope", "%00", "x" * 300, "-1",
                           "..%2f"])
    return lambda w: st.one_of(st.just(w[key]), st.just(w[key]), bad).map(
        lambda v: template.format(v))


SPECS: dict[str, Spec] = {
    "login": Spec(fixed("/login"), "anonymous",
                  {"login": st.sampled_from(["owner@props.test", "admin@props.test"]),
                   "password": st.just("correct horse battery staple"),
                   "remember": st.sampled_from(["y", ""])},
                  # A failed sign-in counts towards the lock-out; that is its purpose.
                  ignore=frozenset({"users.failed_logins", "users.locked_until"})),
    "verify": Spec(fixed("/verify"), "anonymous", {"receipt": st.just('{"receipt": "x"}')},
                   files={"upload": "receipt.json"}, ok_on_200=lambda r: True),
    "register": Spec(fixed("/register"), "anonymous",
                     {"display_name": words,
                      "email": st.sampled_from(["new@props.test", "owner@props.test", "x@"]),
                      "phone": st.sampled_from(["", "138 0013 8000", "12ab"]),
                      "external_id": st.sampled_from(["", "EXT-NEW-1", "EXT000001", "bad id"]),
                      "password": st.just("correct horse battery staple"),
                      "confirm": st.sampled_from(["correct horse battery staple", "other"])}),
    "language": Spec(fixed("/language"), "anonymous",
                     {"locale": st.sampled_from(["en", "zh", "zh_Hans_CN", "xx"]),
                      "next": st.sampled_from(["/", "/proposals/", "//evil.test", "http://x"])}),
    "proposal_new": Spec(fixed("/proposals/new"), "owner",
                         {"kind": kind, "title": words, "body": long_words, "options": words,
                          "amount_yuan": st.integers(1, 10**9).map(str),
                          "category": st.sampled_from(["owner_care", "public_welfare", "x"]),
                          "beneficiary": words, "purpose": words, "scheme_text": words,
                          "criteria": words, "new_text": long_words,
                          "new_rules": st.sampled_from(["{}", "[]", '{"quorum": 2}', "{"])}),
    "proposal_submit": Spec(with_id("/proposals/{}/submit", "draft"), "owner",
                            {"reason": words}),
    "proposal_withdraw": Spec(with_id("/proposals/{}/withdraw", "draft"), "owner",
                              {"reason": words}),
    "proposal_cosign": Spec(with_id("/proposals/{}/cosign", "draft"), "council",
                            {"reason": words}),
    "proposal_reject": Spec(with_id("/proposals/{}/reject", "draft"), "council",
                            {"reason": words}),
    "proposal_accept": Spec(with_id("/proposals/{}/accept", "draft"), "council",
                            {"opens_at": local_time, "closes_at": local_time, "reason": words}),
    "proposal_schedule": Spec(with_id("/proposals/{}/schedule", "draft"), "owner",
                              {"opens_at": local_time, "closes_at": local_time,
                               "reason": words}),
    "ballot": Spec(with_id("/me/vote/{}", "open"), "owner",
                   {"choice": st.sampled_from(["yes", "no", "abstain", "maybe"])}),
    "token_new": Spec(fixed("/me/tokens"), "owner",
                      {"new-name": words, "new-submit": st.just("Create token")},
                      ok_on_200=lambda r: b"ot_" in r.data),
    "token_revoke": Spec(fixed("/me/tokens"), "owner",
                         {"revoke-token_id": st.integers(0, 10**13).map(str),
                          "revoke-submit": st.just("Revoke")},
                         ok_on_200=lambda r: b"flash-success" in r.data),
    "motion_new": Spec(fixed("/council/motions/new?about=general"), "council",
                       {"title": words, "body": words}),
    "motion_new_subject": Spec(fixed("/council/motions/new?about=community"), "council",
                               {"decision": st.sampled_from(["certify_community|community:1",
                                                             "general|x", "x", ""]),
                                "body": words}),
    "proposal_motion": Spec(fixed("/council/motions/proposal"), "council",
                            {"kind": st.sampled_from(["accept_proposal", "reject_proposal"]),
                             "proposal_id": st.sampled_from(["nope", ""]), "body": words}),
    "motion_vote": Spec(with_id("/council/motions/{}/vote", "motion"), "council",
                        {"choice": st.sampled_from(["for", "against", "abstain"])}),
    "motion_recuse": Spec(with_id("/council/motions/{}/recuse", "motion"), "council",
                          {"reason": words}),
    "motion_close": Spec(with_id("/council/motions/{}/close", "motion"), "council", {}),
    "stand": Spec(fixed("/council/candidates/new"), "owner", {"role": role,
                                                              "statement": long_words}),
    "call_election": Spec(fixed("/council/elections/call"), "council",
                          {"role": role, "seats": st.integers(-5, 60).map(str)}),
    "community_apply": Spec(fixed("/communities/apply"), "owner",
                            {"name": words, "industry": words, "description": long_words,
                             "member_count": st.integers(-1, 10**8).map(str),
                             "cosigners": st.just("owner@props.test\ncouncil@props.test")},
                            files={"documents": "members.pdf"}),
    "community_review": Spec(with_id("/communities/{}/review", "community"), "council", {}),
    "community_decide": Spec(with_id("/communities/{}/decide", "community"), "council",
                             {"action": st.sampled_from(["certify", "reject", "renew",
                                                         "revoke", "bless"]),
                              "reasons": words}),
    "disbursement_new": Spec(fixed("/treasury/disbursements/new"), "council",
                             {"budget": st.sampled_from(["B-1", "nope"]), "amount_yuan": yuan,
                              "category": st.sampled_from(["owner_care", "public_welfare"]),
                              "beneficiary": words, "beneficiary_private": words,
                              "purpose": words},
                             files={"evidence": "invoice.pdf"}),
    "disbursement_approve": Spec(with_id("/treasury/disbursements/{}/approve", "disbursement"),
                                 "council", {}),
    "income_new": Spec(fixed("/treasury/income/new"), "admin",
                       {"source": st.sampled_from(["donations", "share_proceeds", "Bad!"]),
                        "amount_yuan": yuan, "received_on": day, "reference": words,
                        "description": words}),
    "reverse": Spec(with_id("/treasury/transactions/{}/reverse", "txn"), "admin",
                    {"reason": words}),
    "emergency_new": Spec(fixed("/treasury/emergency/new"), "council",
                          {"title": words, "amount_yuan": yuan,
                           "category": st.sampled_from(["owner_care", "public_welfare"]),
                           "beneficiary": words, "purpose": words}),
    "budget_authorise": Spec(with_id("/treasury/budgets/{}/authorise", "budget"), "council", {}),
    "budget_ratify": Spec(with_id("/treasury/budgets/{}/ratify", "budget"), "council",
                          {"proposal_id": st.sampled_from(["nope", ""]),
                           "motion_id": st.integers(-1, 10**12).map(str)}),
    "rotate_key": Spec(fixed("/admin/keys"), "admin", {"confirm": st.sampled_from(["", "n"])}),
}


@pytest.fixture
def world(db_session: Any, app: Any) -> dict[str, Any]:
    """A charter, an owner, three seated council members, an administrator, a draft, an open
    vote, an open motion, a community application, a funded budget with a pending request, and
    a signed-in client with its CSRF token for each kind of user."""
    install_charter()
    owner = make_owner(5000, email="owner@props.test", name="Owner")
    members = [make_owner(500, role="council", name=f"Member {i}",
                          email="council@props.test" if i == 0 else None) for i in range(3)]
    for member in members:
        seat_member(member)
    admin = make_owner(0, role="admin", email="admin@props.test", name="Admin")
    cosigners = [make_owner(100, name=f"Cosigner {i}") for i in range(10)]
    db.session.commit()
    adopt_scheme(owner, members[0])
    budget_vote = sealed_vote(owner, members[0], [(owner, ["yes"])], fields=SPENDING)
    budget = treasury.authorise_budget_from_result(budget_vote)
    assert budget is not None
    income = treasury.record_income(admin, "donations", 5_000_000_00, reference="BANK-1")
    db.session.commit()
    request = treasury.draft(members[0], budget.id, 100_00, "owner_care", "Families",
                             "Hospital bills.")
    draft = proposals.create_draft(owner, proposals.Draft(
        kind="general", title="Plant trees by the roads",
        body="A proposal body long enough to be accepted by the rules.", fields={},
        options=[]))
    motion = council.open_motion(members[1], "general", "member:1", "A motion", "Agreed.")
    community = communities.apply(owner, communities.Application(
        name="Owner Doctors", industry="Medicine", description="Doctors who help owners.",
        member_count=40, cosigner_logins=[c.email for c in cosigners],
        documents=[("members.pdf", b"member list")]))
    db.session.commit()
    open_id = make_open_vote(owner, members[0], opens=utcnow() - timedelta(minutes=5))
    w: dict[str, Any] = {
        "draft": draft.id, "open": open_id, "motion": motion.id, "community": community.id,
        "budget": budget.id, "disbursement": request.id, "txn": income.id, "clients": {},
    }
    for who, user in (("owner", owner), ("council", members[0]), ("admin", admin),
                      ("anonymous", None)):
        client = app.test_client()
        if user is not None:
            assert login(client, user).status_code == 302
        page = client.get("/verify")
        w["clients"][who] = (client, csrf_from(page))
    return w


def post(w: dict[str, Any], spec: Spec, path: str, data: dict[str, Any], upload: bytes) -> Any:
    client, token = w["clients"][spec.who]
    body: dict[str, Any] = {**data, "csrf_token": token}
    for name, filename in spec.files.items():
        body[name] = (io.BytesIO(upload), filename)
    return client.post(path, data=body, content_type="multipart/form-data")


# The forms in four groups that share one world each (building a world and emptying the tables
# cost more than the requests). Within a group, forms that end something the others use
# (reject or withdraw the draft, close the motion, sign the visitor in) come last.
GROUPS = {
    "visitors": ["verify", "language", "login", "register"],
    "owners": ["ballot", "token_new", "token_revoke", "stand", "community_apply", "proposal_new",
               "proposal_schedule", "proposal_submit", "proposal_withdraw"],
    "council": ["motion_new", "motion_new_subject", "proposal_motion", "motion_vote",
                "motion_recuse", "motion_close", "call_election", "community_review",
                "community_decide", "disbursement_new",
                "disbursement_approve", "emergency_new", "budget_authorise", "budget_ratify",
                "proposal_cosign", "proposal_accept", "proposal_reject"],
    "administrators": ["income_new", "reverse", "rotate_key"],
}


def check_form(world: dict[str, Any], name: str) -> None:
    spec = SPECS[name]
    client = world["clients"][spec.who][0]
    sums = Checksums(spec.ignore)

    @PROPERTY_SETTINGS
    @given(path=spec.path(world), data=form_data(spec.fields),
           upload=st.one_of(st.binary(max_size=2000), st.sampled_from([b"", b"\x00" * 10])))
    def check(path: str, data: dict[str, Any], upload: bytes) -> None:
        clear_flashes(client)
        before = sums.before()
        response = post(world, spec, path, data, upload)
        sums.forget()
        assert response.status_code < 500, (path, data, response.get_data(as_text=True)[:500])
        assert response.status_code in (200, 302, 303, 308, 400, 403, 404, 405, 409, 413, 422, 429)
        rejected = refused(response, client) and not (
            response.status_code == 200 and spec.ok_on_200(response))
        if rejected:
            assert sums.after() == before, (path, data, flashes(client))
            if response.status_code != 200 or name != "verify":
                assert explains_itself(response, client), (path, data, response.status_code)

    check()


@pytest.mark.parametrize("group", list(GROUPS))
def test_any_input_to_a_form_is_handled_and_a_refusal_writes_nothing(
    world: dict[str, Any], group: str
) -> None:
    failures: list[Exception] = []
    for name in GROUPS[group]:
        try:
            check_form(world, name)
        except Exception as error:  # noqa: BLE001 - every form is checked, then all reported
            error.add_note(f"form: {name}")
            failures.append(error)
    if failures:
        raise ExceptionGroup(f"{len(failures)} form(s) failed in {group}", failures)


def test_every_form_is_in_exactly_one_group() -> None:
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(SPECS)


def test_the_boundary_list_reaches_every_kind_of_field() -> None:
    """The fixed hostile values include empty, NUL, huge numbers and impossible dates."""
    assert {"", "\x00", "9" * 30, "2026-02-30"} <= set(BOUNDARY)


def test_the_checksum_sees_any_change_but_not_the_audit_of_a_refusal(db_session: Any) -> None:
    from app.audit.service import record_refusal
    from tests.web.test_properties_support import snapshot

    empty = snapshot()
    owner = make_owner(0)
    db.session.commit()
    with_owner = snapshot()
    assert with_owner != empty
    record_refusal("props.test", actor_id=owner.id, subject="x")
    assert snapshot() == with_owner
    owner.display_name = owner.display_name + "!"
    db.session.commit()
    assert snapshot() != with_owner
    owner.display_name = "Renamed"
    db.session.commit()
    ignoring_names = snapshot(frozenset({"users.display_name"}))
    owner.display_name = "Renamed again"
    db.session.commit()
    assert snapshot(frozenset({"users.display_name"})) == ignoring_names
    assert snapshot() != ignoring_names
