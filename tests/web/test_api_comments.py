"""The discussion through the API: a public, paginated read with an ETag, and an owner's own
post, edit within the window and report with a Bearer token, refused as the pages refuse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.services import issue_api_token
from app.core.db_types import utcnow
from app.core.extensions import db
from app.discussion import rules
from app.discussion import service as discussion
from app.discussion.models import Comment, CommentReport
from app.proposals import service as proposals
from tests.factories import install_charter, make_open_vote, make_owner


@pytest.fixture
def world(db_session: Any) -> dict[str, Any]:
    install_charter()
    member = make_owner(500, role="council", email="member@example.test")
    owner = make_owner(1200, email="owner@example.test")
    other = make_owner(900, email="other@example.test")
    db.session.commit()
    voting = make_open_vote(owner, member)
    draft = proposals.create_draft(owner, proposals.Draft(
        kind="general", title="My unfinished idea", body="Still thinking about it.",
        fields={}, options=[]))
    db.session.commit()

    def bearer(user: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_api_token(user, 'tests')}"}

    headers = {"owner": bearer(owner), "other": bearer(other)}
    db.session.commit()
    return {"proposal": voting, "draft": draft.id, "headers": headers, "owner": owner,
            "other": other}


def _post(client: Any, world: dict[str, Any], who: str, body: str,
          parent: int | None = None) -> Any:
    data: dict[str, Any] = {"body": body}
    if parent is not None:
        data["parent_id"] = parent
    return client.post(f"/api/proposals/{world['proposal']}/comments", json=data,
                       headers=world["headers"][who])


def test_a_comment_posted_with_a_token_is_in_the_public_thread(
        client: Any, world: dict[str, Any]) -> None:
    first = _post(client, world, "owner", "I support this: **owners** asked for it.")
    assert first.status_code == 201, first.get_json()
    top = first.get_json()
    assert top["author"] == world["owner"].display_name and top["depth"] == 0
    assert top["state"] == "visible" and top["created_at"].endswith("Z")
    reply = _post(client, world, "other", "Which provinces first?", parent=top["id"])
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == top["id"]
    assert reply.get_json()["depth"] == 1

    listing = client.get(f"/api/proposals/{world['proposal']}/comments")
    assert listing.status_code == 200 and listing.headers["ETag"]
    page = listing.get_json()
    assert page["total"] == 2 and [c["id"] for c in page["items"]] == [top["id"],
                                                                      reply.get_json()["id"]]
    assert page["items"][1]["depth"] == 1
    again = client.get(f"/api/proposals/{world['proposal']}/comments",
                       headers={"If-None-Match": listing.headers["ETag"]})
    assert again.status_code == 304
    one = client.get(f"/api/comments/{top['id']}")
    assert one.status_code == 200 and one.get_json()["body"].startswith("I support")


def test_pages_link_to_each_other(client: Any, world: dict[str, Any]) -> None:
    for n in range(3):
        discussion.post(proposals.get(world["proposal"]), world["owner"], f"Comment {n}",
                        now=utcnow() - timedelta(hours=n + 1))
    db.session.commit()
    page = client.get(f"/api/proposals/{world['proposal']}/comments?per_page=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["links"]["next"]
    second = client.get(page["links"]["next"]).get_json()
    assert len(second["items"]) == 1 and second["links"]["next"] is None


def test_only_the_author_edits_and_only_within_the_window(
        client: Any, world: dict[str, Any]) -> None:
    posted = _post(client, world, "owner", "First thoughts.").get_json()
    url = f"/api/comments/{posted['id']}"
    edited = client.patch(url, json={"body": "Second thoughts."},
                          headers=world["headers"]["owner"])
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    assert edited.get_json()["body"] == "Second thoughts."
    other = client.patch(url, json={"body": "Not mine."}, headers=world["headers"]["other"])
    assert other.status_code == 403
    assert other.headers["Content-Type"] == "application/problem+json"
    comment = db.session.get(Comment, posted["id"])
    comment.created_at -= rules.EDIT_WINDOW + timedelta(seconds=1)
    db.session.commit()
    late = client.patch(url, json={"body": "Too late."}, headers=world["headers"]["owner"])
    assert late.status_code == 422 and "minutes" in late.get_json()["detail"]
    assert late.get_json()["errors"] == [{"field": "body", "reason": late.get_json()["detail"]}]
    db.session.expire_all()
    assert db.session.get(Comment, posted["id"]).body == "Second thoughts."


def test_a_report_is_kept_once_and_never_by_the_author(
        client: Any, world: dict[str, Any]) -> None:
    posted = _post(client, world, "owner", "Something contested.").get_json()
    url = f"/api/comments/{posted['id']}/reports"
    first = client.post(url, json={"reason": "Personal attack."},
                        headers=world["headers"]["other"])
    assert first.status_code == 201 and first.get_json() == {"comment_id": posted["id"],
                                                             "reported": True}
    twice = client.post(url, json={"reason": "Again."}, headers=world["headers"]["other"])
    assert twice.status_code == 422
    own = client.post(url, json={"reason": "Mine."}, headers=world["headers"]["owner"])
    assert own.status_code == 422 and own.get_json()["errors"][0]["field"] == "reason"
    assert db.session.scalar(select(func.count()).select_from(CommentReport)) == 1


def test_refusals_change_nothing(client: Any, world: dict[str, Any]) -> None:
    assert client.post(f"/api/proposals/{world['proposal']}/comments",
                       json={"body": "Hi"}).status_code == 401
    assert _post(client, world, "owner", "   ").status_code == 422
    assert _post(client, world, "owner", "x" * (rules.BODY_MAX + 1)).status_code == 400
    assert client.post(f"/api/proposals/{world['proposal']}/comments",
                       json={"body": "Hi", "extra": 1},
                       headers=world["headers"]["owner"]).status_code == 400
    assert _post(client, world, "owner", "Reply to nothing", parent=999999).status_code == 422
    # A draft is its author's: its discussion is no public read, and no comment goes there.
    assert client.get(f"/api/proposals/{world['draft']}/comments").status_code == 404
    assert client.post(f"/api/proposals/{world['draft']}/comments", json={"body": "Hi"},
                       headers=world["headers"]["other"]).status_code == 404
    assert client.get("/api/proposals/nope/comments").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_hidden_comment_keeps_its_place_without_its_text(
        client: Any, world: dict[str, Any]) -> None:
    posted = _post(client, world, "owner", "Rude words.").get_json()
    moderator = make_owner(100, role="council", email="mod@example.test")
    discussion.hide(db.session.get(Comment, posted["id"]), moderator, "Insults another owner.")
    db.session.commit()
    shown = client.get(f"/api/comments/{posted['id']}").get_json()
    assert shown["state"] == "hidden" and shown["body"] is None
    assert shown["hidden_reason"] == "Insults another owner."


def test_the_document_describes_the_discussion(client: Any, db_session: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    paths = document["paths"]
    assert set(paths["/api/proposals/{proposal_id}/comments"]) == {"get", "post"}
    assert set(paths["/api/comments/{comment_id}"]) == {"get", "patch"}
    assert "post" in paths["/api/comments/{comment_id}/reports"]
    assert {"CommentOut", "CommentPage", "CommentRequest", "CommentEdit", "ReportRequest"} <= \
        set(document["components"]["schemas"])


def test_a_drafts_author_discusses_it_through_the_api_and_nobody_else_reads_it(
        client: Any, world: dict[str, Any]) -> None:
    url = f"/api/proposals/{world['draft']}/comments"
    posted = client.post(url, json={"body": "Note to self: cite Art. 23."},
                         headers=world["headers"]["owner"])
    assert posted.status_code == 201, posted.get_json()
    mine = client.get(url, headers=world["headers"]["owner"])
    assert mine.status_code == 200
    assert [c["body"] for c in mine.get_json()["items"]] == ["Note to self: cite Art. 23."]
    # Never kept by a shared cache: the next reader may not be entitled to it.
    assert "public" not in mine.headers["Cache-Control"]
    assert "no-store" in mine.headers["Cache-Control"]
    comment_id = posted.get_json()["id"]
    assert client.get(url, headers=world["headers"]["other"]).status_code == 404
    assert client.get(f"/api/comments/{comment_id}").status_code == 404
    assert client.get(f"/api/comments/{comment_id}",
                      headers=world["headers"]["owner"]).status_code == 200
    # The public thread of a submitted proposal stays a shared, revalidated read.
    public = client.get(f"/api/proposals/{world['proposal']}/comments")
    assert public.headers["Cache-Control"] == "public, no-cache" and public.headers["ETag"]
