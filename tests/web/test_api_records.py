"""The API's public records and actions: pagination links, ETag/304, problem details, and
the same role checks and refusals as the pages, with Bearer tokens."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.services import issue_api_token
from app.core.extensions import db
from app.council import service as council
from app.council.models import MotionVoteRecord
from app.proposals import service as proposals
from tests.factories import install_charter, make_open_vote, make_owner, seat_member


@pytest.fixture
def world(db_session: Any) -> dict[str, Any]:
    install_charter()
    member = make_owner(500, role="council", email="member@example.test")
    other = make_owner(500, role="council", email="other@example.test")
    owner = make_owner(1200)
    db.session.commit()
    make_open_vote(owner, member)
    seat_member(other)
    motion = council.open_motion(member, "general", "api:test", "A motion for the API")
    draft = proposals.create_draft(owner, proposals.Draft(
        kind="general", title="My unfinished idea", body="Still thinking about it.",
        fields={}, options=[]))
    db.session.commit()

    def bearer(user: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_api_token(user, 'tests')}"}

    headers = {"owner": bearer(owner), "member": bearer(member), "other": bearer(other)}
    db.session.commit()
    return {"motion": motion.id, "draft": draft.id, "headers": headers}


def _votes(motion_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(MotionVoteRecord)
                             .where(MotionVoteRecord.motion_id == motion_id)) or 0


def test_public_reads_carry_an_etag_and_answer_304(client: Any, world: dict[str, Any]) -> None:
    first = client.get(f"/api/council/motions/{world['motion']}")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(f"/api/council/motions/{world['motion']}",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    client.post(f"/api/council/motions/{world['motion']}/votes", json={"choice": "for"},
                headers=world["headers"]["member"])
    changed = client.get(f"/api/council/motions/{world['motion']}",
                         headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert [v["choice"] for v in changed.get_json()["roll_call"]] == ["for"]


def test_lists_are_pages_with_links(client: Any, world: dict[str, Any]) -> None:
    page = client.get("/api/council/seats?per_page=1").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["links"]["prev"] is None
    second = client.get(page["links"]["next"]).get_json()
    assert second["page"] == 2 and second["links"]["next"] is None
    both = client.get("/api/council/seats").get_json()["items"]
    assert [page["items"][0]["id"], second["items"][0]["id"]] == [s["id"] for s in both]


def test_errors_are_problem_details(client: Any, world: dict[str, Any]) -> None:
    missing = client.get("/api/council/motions/999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    body = missing.get_json()
    assert body["status"] == 404 and body["title"] and body["detail"] == "no such motion"
    bad = client.get("/api/council/seats?per_page=5000")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"][0]["field"] == "per_page"


def test_a_member_votes_on_a_motion_and_an_owner_may_not(
    client: Any, world: dict[str, Any]
) -> None:
    url = f"/api/council/motions/{world['motion']}/votes"
    refused = client.post(url, json={"choice": "for"}, headers=world["headers"]["owner"])
    assert refused.status_code == 403 and _votes(world["motion"]) == 0
    wrong = client.post(url, json={"choice": "yes"}, headers=world["headers"]["member"])
    assert wrong.status_code == 400 and wrong.get_json()["errors"][0]["field"] == "choice"
    done = client.post(url, json={"choice": "for"}, headers=world["headers"]["member"])
    assert done.status_code == 201 and done.get_json()["choice"] == "for"
    twice = client.post(url, json={"choice": "against"}, headers=world["headers"]["member"])
    assert twice.status_code == 422 and twice.mimetype == "application/problem+json"
    assert twice.get_json()["code"] and _votes(world["motion"]) == 1


def test_an_owner_reads_only_their_own_drafts(client: Any, world: dict[str, Any]) -> None:
    mine = client.get("/api/me/drafts", headers=world["headers"]["owner"]).get_json()
    assert [d["id"] for d in mine["items"]] == [world["draft"]]
    theirs = client.get("/api/me/drafts", headers=world["headers"]["member"]).get_json()
    assert theirs["items"] == []
    public = client.get("/api/proposals").get_json()
    assert world["draft"] not in [p["id"] for p in public["items"]]


def test_session_writes_need_the_csrf_header(client: Any, world: dict[str, Any]) -> None:
    from tests.factories import login

    member = db.session.get(__import__("app.accounts.models", fromlist=["User"]).User,
                            council.get_motion(world["motion"]).opened_by)
    login(client, member)
    response = client.post(f"/api/council/motions/{world['motion']}/votes",
                           json={"choice": "for"})
    assert response.status_code == 400 and "CSRF" in response.get_json()["detail"]
    assert _votes(world["motion"]) == 0


def test_an_owner_co_signs_once_through_the_api(client: Any, world: dict[str, Any]) -> None:
    from datetime import timedelta

    from app.communities.models import Community
    from app.core.db_types import utcnow

    applicant = make_owner(900, email="applicant@example.test")
    row = Community(name="车友会", industry="汽车", description="x", representative_id=applicant.id,
                    applicant_id=applicant.id, member_count=20, state="applied",
                    applied_at=utcnow(), cosign_deadline=utcnow() + timedelta(days=7))
    db.session.add(row)
    db.session.commit()
    url = f"/api/communities/{row.id}/cosignatures"
    assert client.post(url, json={}).status_code == 401
    given = client.post(url, json={}, headers=world["headers"]["owner"])
    assert given.status_code == 201 and given.get_json()["cosignatures_given"] == 1
    again = client.post(url, json={}, headers=world["headers"]["owner"])
    assert again.status_code == 422 and again.get_json()["code"] == "community.cosigned_twice"
    detail = client.get(f"/api/communities/{row.id}").get_json()
    assert detail["cosignatures_given"] == 1 and detail["name"] == "车友会"


def test_an_owner_starts_a_draft_and_bad_fields_are_named(
    client: Any, world: dict[str, Any]
) -> None:
    url = "/api/me/drafts"
    good = {"kind": "general", "title": "Owner meet-ups in Chengdu",
            "body": "A meet-up for owners in Chengdu every spring, paid by the brand."}
    made = client.post(url, json=good, headers=world["headers"]["owner"])
    assert made.status_code == 201 and made.get_json()["state"] == "draft"
    mine = client.get(url, headers=world["headers"]["owner"]).get_json()["items"]
    assert made.get_json()["id"] in [d["id"] for d in mine]
    bad = client.post(url, json={**good, "kind": "no-such-kind"},
                      headers=world["headers"]["owner"])
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"][0]["code"] == "proposal.kind_unknown"
    assert client.post(url, json={"title": "x"}, headers=world["headers"]["owner"]
                       ).status_code == 400
    assert len(client.get(url, headers=world["headers"]["owner"]).get_json()["items"]) == len(mine)


def test_nobody_co_signs_someone_elses_draft(client: Any, world: dict[str, Any]) -> None:
    url = f"/api/proposals/{world['draft']}/cosignatures"
    assert client.post(url, json={}, headers=world["headers"]["member"]).status_code == 404
    own = client.post(url, json={}, headers=world["headers"]["owner"])
    assert own.status_code == 422 and own.get_json()["detail"]
