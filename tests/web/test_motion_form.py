"""The council's motion form: first the topic, then only that topic's fields; a subject is asked
for only when the motion has one, and only the decisions its state allows are offered. A
decision posted anyway that is not offered is refused at the field and opens nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.communities.models import Community
from app.core.extensions import db
from app.council.models import Motion
from tests.factories import csrf_from, install_charter, login, make_owner, seat_member


@pytest.fixture
def chair(app: Any, db_session: Any) -> Any:
    install_charter()
    members = [make_owner(500, name=f"Member {i}") for i in range(3)]
    for member in members:
        seat_member(member, "asset_committee")
    rep = make_owner(100, name="Rep")
    for name, state in (("Under Review Club", "under_review"), ("Certified Club", "certified"),
                        ("Renewal Club", "renewal_due"), ("Applied Club", "applied"),
                        ("Revoked Club", "revoked")):
        db.session.add(Community(name=name, industry="X", description="d",
                                 representative_id=rep.id, applicant_id=rep.id,
                                 member_count=30, state=state))
    db.session.commit()
    client = app.test_client()
    login(client, members[0])
    return client


def _community(name: str) -> int:
    return db.session.scalar(select(Community.id).where(Community.name == name))


def _options(page: str) -> list[str]:
    select_ = re.search(r'<select[^>]*name="decision".*?</select>', page, re.S)
    return re.findall(r'<option[^>]*value="([^"]+)"', select_.group(0)) if select_ else []


def test_the_first_step_asks_what_the_motion_is_about(chair: Any) -> None:
    page = chair.get("/council/motions/new").get_data(as_text=True)
    for topic in ("general", "community", "proposal", "disbursement", "transaction"):
        assert f"/council/motions/new?about={topic}" in page
    assert 'name="title"' not in page and 'name="decision"' not in page


def test_a_general_resolution_asks_for_no_subject(chair: Any) -> None:
    page = chair.get("/council/motions/new?about=general").get_data(as_text=True)
    assert 'name="title"' in page and 'name="subject"' not in page
    assert 'name="decision"' not in page
    response = chair.post("/council/motions/new?about=general", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new?about=general")),
        "title": "Meet in the spring", "body": "We meet in March."})
    assert response.status_code == 302
    motion = db.session.scalar(select(Motion).where(Motion.title == "Meet in the spring"))
    assert motion is not None and motion.kind == "general" and motion.subject == ""
    shown = chair.get(response.headers["Location"]).get_data(as_text=True)
    assert "Meet in the spring" in shown and " · </p>" not in shown
    # A second general resolution is another question, not "already open".
    again = chair.post("/council/motions/new?about=general", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new?about=general")),
        "title": "Meet in the autumn"})
    assert again.status_code == 302


def test_only_the_decisions_each_community_state_allows_are_offered(chair: Any) -> None:
    page = chair.get("/council/motions/new?about=community").get_data(as_text=True)
    review, certified = _community("Under Review Club"), _community("Certified Club")
    renewal = _community("Renewal Club")
    assert set(_options(page)) == {
        f"certify_community|community:{review}", f"reject_community|community:{review}",
        f"revoke_community|community:{certified}",
        f"renew_community|community:{renewal}", f"revoke_community|community:{renewal}",
    }
    assert "<optgroup" in page and "Under Review Club (under review)" in page
    assert "Applied Club" not in page and "Revoked Club" not in page
    response = chair.post("/council/motions/new?about=community", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new?about=community")),
        "decision": f"certify_community|community:{review}"})
    assert response.status_code == 302
    motion = db.session.scalar(select(Motion).where(Motion.subject == f"community:{review}"))
    assert motion is not None and motion.kind == "certify_community"
    # Once a decision is before the council it is not offered again.
    page = chair.get("/council/motions/new?about=community").get_data(as_text=True)
    assert f"certify_community|community:{review}" not in _options(page)


@pytest.mark.parametrize(("posted", "message"), [
    ("certify_community|community:{certified}",
     "Not a decision the council can take while its subject is certified"),
    ("renew_community|community:{applied}",
     "Not a decision the council can take while its subject is applied"),
    ("certify_community|community:999999", "there is no such subject"),
    ("general|community:{certified}", "that is not a decision about this kind of subject"),
    ("approve_disbursement|community:{certified}", "not a decision about this kind of subject"),
    ("nonsense", "that is not a decision about this kind of subject"),
])
def test_a_decision_not_offered_is_refused_at_the_field(
        chair: Any, posted: str, message: str) -> None:
    posted = posted.format(certified=_community("Certified Club"),
                           applied=_community("Applied Club"))
    before = db.session.scalar(select(func.count()).select_from(Motion))
    response = chair.post("/council/motions/new?about=community", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new?about=community")),
        "decision": posted, "body": "Because."})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and 'id="decision-error"' in page
    assert 'class="error-summary"' in page and "autofocus" in page
    assert db.session.scalar(select(func.count()).select_from(Motion)) == before


def test_a_topic_with_nothing_waiting_says_so(chair: Any) -> None:
    page = chair.get("/council/motions/new?about=disbursement").get_data(as_text=True)
    assert "Nothing waits for this kind of decision now" in page
    assert 'name="decision"' not in page


def test_an_unknown_topic_posted_is_a_bad_request(chair: Any) -> None:
    response = chair.post("/council/motions/new?about=elsewhere", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new"))})
    assert response.status_code == 400


def test_a_submitted_proposal_can_be_accepted_or_rejected_a_draft_not(chair: Any) -> None:
    from app.proposals import service as proposals

    author = make_owner(800, name="Author")
    submitted = proposals.create_draft(author, proposals.Draft(
        kind="general", title="Plant trees at the plant", body="Trees, many of them.",
        fields={}, options=[]))
    proposals.submit(submitted, author)
    draft = proposals.create_draft(author, proposals.Draft(
        kind="general", title="Still a draft here", body="Not yet submitted.", fields={},
        options=[]))
    db.session.commit()
    page = chair.get("/council/motions/new?about=proposal").get_data(as_text=True)
    assert set(_options(page)) == {f"accept_proposal|proposal:{submitted.id}",
                                   f"reject_proposal|proposal:{submitted.id}"}
    refused = chair.post("/council/motions/new?about=proposal", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new?about=proposal")),
        "decision": f"accept_proposal|proposal:{draft.id}"})
    assert "Not a decision the council can take while its subject is draft" in \
        refused.get_data(as_text=True).replace("Draft", "draft")
    opened = chair.post("/council/motions/new?about=proposal", data={
        "csrf_token": csrf_from(chair.get("/council/motions/new?about=proposal")),
        "decision": f"reject_proposal|proposal:{submitted.id}", "body": "Out of scope."})
    assert opened.status_code == 302
    motion = db.session.scalar(select(Motion).where(Motion.subject == f"proposal:{submitted.id}"))
    assert motion is not None and motion.kind == "reject_proposal"
