"""Community certification: scheme, applications, council motions with recusal, the log."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import current_app

from app.communities import service as communities
from app.core.extensions import db
from app.council import service as council
from governance.transitions import TransitionError
from tests.factories import csrf_from, install_charter, login, make_owner, seat_member
from tests.web.council_helpers import adopt_scheme, log_entries, proven_in_log


@pytest.fixture
def trust(db_session: Any) -> dict[str, Any]:
    install_charter()
    members = [make_owner(500, name=f"Member {i}") for i in range(3)]
    for member in members:
        seat_member(member, "asset_committee")
    rep = make_owner(1000, name="Representative")
    cosigners = [make_owner(100, name=f"Cosigner {i}") for i in range(10)]
    db.session.commit()
    return {"members": members, "rep": rep, "cosigners": cosigners}


def _application(trust: dict[str, Any], cosigners: list[Any] | None = None) -> Any:
    return communities.Application(
        name="Owner Doctors", industry="Medicine", description="Doctors who help owners.",
        member_count=40, cosigner_logins=[c.email for c in (cosigners or trust["cosigners"])],
        documents=[("members.pdf", b"member list")],
    )


def _apply(trust: dict[str, Any], cosigners: list[Any] | None = None) -> Any:
    """Apply, then have each named owner give their co-signature in their own account."""
    community = communities.apply(trust["rep"], _application(trust, cosigners))
    for owner in cosigners or trust["cosigners"]:
        communities.give_cosignature(community, owner)
    return community


def _decide(community: Any, action: str, opener: Any, voters: list[Any], reasons: str = "") -> Any:
    motion = communities.open_decision(opener, community, action, reasons)
    for member in voters:
        council.vote(motion, member, "for")
    council.close_motion(motion, opener)
    communities.carry_out(motion)
    db.session.commit()
    return motion


def test_applications_are_refused_while_no_scheme_is_in_force(trust: dict[str, Any]) -> None:
    with pytest.raises(communities.ApplicationError) as refused:
        communities.apply(trust["rep"], _application(trust))
    assert "Art. 30.1" in refused.value.problems[0][1]


def test_certification_by_motion_is_logged_with_verifiable_inclusion(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, c = trust["members"]
    adopt_scheme(trust["rep"], a)
    community = _apply(trust)
    communities.review(community, a)
    db.session.commit()
    _decide(community, "certify", a, [a, b, c])
    assert community.state == "certified" and community.valid_until is not None
    (entry,) = log_entries("community.certified")
    assert json.loads(entry.record_json)["documents"] == [
        hashlib.sha256(b"member list").hexdigest()]
    assert proven_in_log(entry)
    directory = client.get("/communities/").data
    assert b"Owner Doctors" in directory
    # The document is kept privately; the public page shows only its digest.
    digest = hashlib.sha256(b"member list").hexdigest()
    assert (Path(current_app.instance_path) / "documents" / digest).read_bytes() == b"member list"
    page = client.get(f"/communities/{community.id}").data
    assert digest.encode() in page and b"members.pdf" not in page


def test_a_council_member_in_the_community_is_recused_even_without_declaring(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, c = trust["members"]
    adopt_scheme(trust["rep"], a)
    community = _apply(trust, [c, *trust["cosigners"][:9]])
    communities.review(community, a)
    motion = communities.open_decision(a, community, "certify", "")
    assert c.id in council.recusals_of(motion)
    with pytest.raises(council.MotionError, match="Art. 15.3"):
        council.vote(motion, c, "for")
    council.vote(motion, a, "for")
    council.vote(motion, b, "for")
    db.session.commit()
    # Nor may they choose when it is counted: no button, and the service refuses.
    login(client, c)
    page = client.get(f"/council/motions/{motion.id}").data
    assert b"You are recused from this motion." in page
    assert b"Close and count the motion" not in page
    with pytest.raises(council.MotionError, match="recused"):
        council.close_motion(motion, c)
    assert council.close_motion(motion, a) is True
    db.session.commit()
    # The recusal names the community in words, linked, not its internal tag.
    page = client.get(f"/council/motions/{motion.id}").data
    assert f"has an interest in <a href=\"/communities/{community.id}\">".encode() in page
    assert community.name.encode() in page and b"community:" not in page
    communities.carry_out(motion)
    assert community.state == "certified"


def test_revoking_needs_reasons_and_a_passed_motion(trust: dict[str, Any]) -> None:
    a, b, c = trust["members"]
    adopt_scheme(trust["rep"], a)
    community = _apply(trust)
    communities.review(community, a)
    _decide(community, "certify", a, [a, b, c])
    with pytest.raises(TransitionError, match="Art. 31.3"):
        communities.open_decision(a, community, "revoke", "")
    # A failed motion changes nothing.
    motion = communities.open_decision(a, community, "revoke", "Charged fees")
    for member in (a, b, c):
        council.vote(motion, member, "against")
    council.close_motion(motion, a)
    communities.carry_out(motion)
    assert community.state == "certified"
    _decide(community, "revoke", a, [a, b, c], "Charged members fees for certification")
    assert community.state == "revoked"
    (entry,) = log_entries("community.revoked")
    assert json.loads(entry.record_json)["reasons"] == "Charged members fees for certification"


def test_an_owner_applies_in_the_browser_and_sees_it_on_their_dashboard(
    trust: dict[str, Any], client: Any
) -> None:
    adopt_scheme(trust["rep"], trust["members"][0])
    login(client, trust["rep"])
    form = client.get("/communities/apply")
    response = client.post("/communities/apply", data={
        "csrf_token": csrf_from(form), "name": "Owner Chefs", "industry": "Food",
        "description": "Chefs cooking for owner events.", "member_count": "35",
        "cosigners": "\n".join(c.email for c in trust["cosigners"]),
        "documents": [(io.BytesIO(b"menu"), "menu.pdf")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    assert b"Owner Chefs" in client.get("/me/").data


def test_cosignatures_are_given_by_each_owner_and_typed_names_count_for_nothing(
    trust: dict[str, Any], client: Any
) -> None:
    adopt_scheme(trust["rep"], trust["members"][0])
    a, b, c = trust["members"]
    login(client, trust["rep"])
    form = client.get("/communities/apply")
    # The applicant names the whole council and an address with no account: neither is told.
    page = client.post("/communities/apply", data={
        "csrf_token": csrf_from(form), "name": "Owner Chefs", "industry": "Food",
        "description": "Chefs cooking for owner events.", "member_count": "35",
        "cosigners": "\n".join([a.email, b.email, c.email, "nobody@example.test"]),
        "documents": [(io.BytesIO(b"menu"), "menu.pdf")],
    }, content_type="multipart/form-data", follow_redirects=True)
    assert b"nobody@example.test" not in page.data
    [community] = communities.all_communities()
    assert communities.cosigns_given(community) == 0
    # Named is not given: nobody on the council is recused, and the review waits.
    assert all(f"community:{community.id}" not in council.interests_of(m.id) for m in (a, b, c))
    with pytest.raises(communities.TransitionError) as short:
        communities.review(community, a)
    assert short.value.code == "community.cosigns_short" and short.value.article == "Art. 30.4"
    # Each owner gives it in their own account, once, before the deadline.
    owner = client.application.test_client()
    login(owner, trust["cosigners"][0])
    detail = owner.get(f"/communities/{community.id}")
    assert b"Give my co-signature" in detail.data
    owner.post(f"/communities/{community.id}/cosign",
                data={"csrf_token": csrf_from(detail)})
    assert communities.cosigns_given(community) == 1
    with pytest.raises(communities.CosignError) as twice:
        communities.give_cosignature(community, trust["cosigners"][0])
    assert twice.value.code == "community.cosigned_twice"
    late = community.cosign_deadline + timedelta(seconds=1)
    with pytest.raises(communities.CosignError) as too_late:
        communities.give_cosignature(community, trust["cosigners"][1], now=late)
    assert too_late.value.code == "community.cosign_late"
    for owner in trust["cosigners"][1:]:
        communities.give_cosignature(community, owner)
    communities.review(community, a)
    assert community.state == "under_review"


def test_an_owner_cannot_open_a_certification_motion(
    trust: dict[str, Any], client: Any
) -> None:
    adopt_scheme(trust["rep"], trust["members"][0])
    community = _apply(trust)
    db.session.commit()
    login(client, trust["rep"])
    page = client.get(f"/communities/{community.id}")
    response = client.post(f"/communities/{community.id}/decide", data={
        "csrf_token": csrf_from(page), "action": "certify", "reasons": ""})
    assert response.status_code == 403


def test_supporting_documents_open_only_for_seated_reviewers_and_only_if_they_match(
    trust: dict[str, Any], client: Any
) -> None:
    adopt_scheme(trust["rep"], trust["members"][0])
    community = _apply(trust)
    db.session.commit()
    [doc] = communities.documents(community)
    url = f"/communities/{community.id}/documents/{doc.sha256}"
    # The public sees the digest, not the file.
    page = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert doc.sha256 in page and url not in page
    assert client.get(url).status_code in (302, 401, 403)
    owner = client.application.test_client()
    login(owner, trust["rep"])
    assert owner.get(url).status_code == 403
    admin = make_owner(0, role="admin", name="Admin")
    db.session.commit()
    operator = client.application.test_client()
    login(operator, admin)
    assert operator.get(url).status_code == 403  # administrators run operations, not reviews
    reviewer = client.application.test_client()
    login(reviewer, trust["members"][0])
    response = reviewer.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == doc.sha256
    assert "no-store" in response.headers["Cache-Control"]
    # A file swapped on disk is never served under the published digest.
    (Path(current_app.instance_path) / "documents" / doc.sha256).write_bytes(b"forged")
    assert reviewer.get(url).status_code == 409
