"""Discussion: threads, edit window, reports, moderation shown in place and logged, appeals,
amendments accepted by the author, rate limits, and bad input refused with nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.db_types import utcnow
from app.core.extensions import db
from app.discussion.models import Amendment, Comment, CommentAppeal
from app.proposals import service as proposals
from app.translog.models import LogLeaf
from tests.factories import (
    SPENDING_FIELDS,
    csrf_from,
    install_charter,
    login,
    make_open_vote,
    make_owner,
    seat_member,
)


@pytest.fixture
def people(db_session: Any) -> dict[str, Any]:
    install_charter()
    chair = make_owner(500, role="council", name="Chair")
    moderator2 = make_owner(500, role="council", name="Second moderator")
    seat_member(chair)
    seat_member(moderator2)
    author = make_owner(3000, name="Author")
    critic = make_owner(1000, name="Critic")
    troll = make_owner(1000, name="Troll")
    db.session.commit()
    proposal_id = make_open_vote(author, chair)
    draft = proposals.create_draft(author, proposals.Draft(
        kind="spending", title="A draft", body="Original text of the draft, long enough.",
        fields=SPENDING_FIELDS, options=[]))
    db.session.commit()
    return {"chair": chair, "mod2": moderator2, "author": author, "critic": critic,
            "troll": troll, "vote": proposal_id, "draft": draft.id}


def _post(client: Any, proposal_id: str, body: str, parent: int | None = None) -> Any:
    page = client.get(f"/proposals/{proposal_id}")
    data = {"body": body, "csrf_token": csrf_from(page)}
    if parent:
        data["parent_id"] = str(parent)
    return client.post(f"/discussion/{proposal_id}/comments", data=data)


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Comment)) or 0)


def test_owners_comment_in_threads_on_an_open_vote(client: Any, people: dict[str, Any]) -> None:
    login(client, people["critic"])
    posted = _post(client, people["vote"], "Why **this** amount? <script>x</script>")
    assert posted.status_code == 302
    first = db.session.scalar(select(Comment.id))
    _post(client, people["vote"], "A reply", parent=first)
    page = client.get(f"/proposals/{people['vote']}").get_data(as_text=True)
    assert "<strong>this</strong>" in page and "<script>x" not in page  # sanitised Markdown
    assert re.search(r'id="comment-\d+" class="comment depth-1"', page)


def test_edit_window_and_only_the_author_edits(client: Any, people: dict[str, Any]) -> None:
    login(client, people["critic"])
    _post(client, people["vote"], "First words")
    comment = db.session.scalars(select(Comment)).one()
    page = client.get(f"/proposals/{people['vote']}")
    ok = client.post(f"/discussion/comments/{comment.id}/edit",
                     data={"body": "Better words", "csrf_token": csrf_from(page)})
    assert ok.status_code == 302
    comment.created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    late = client.post(f"/discussion/comments/{comment.id}/edit",
                       data={"body": "Too late", "csrf_token": csrf_from(page)})
    assert late.status_code == 400 and "10 minutes" in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body == "Better words"


def test_reported_comment_hidden_by_a_moderator_shows_the_reason_and_is_logged_and_appealed(
    client: Any, people: dict[str, Any]
) -> None:
    login(client, people["troll"])
    _post(client, people["vote"], "Something abusive")
    comment_id = db.session.scalar(select(Comment.id))
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, people["critic"])
    page = client.get(f"/proposals/{people['vote']}")
    client.post(f"/discussion/comments/{comment_id}/report",
                data={"reason": "Insults another owner", "csrf_token": csrf_from(page)})
    # An owner is no moderator.
    assert client.post(f"/discussion/comments/{comment_id}/hide",
                       data={"reason": "x", "csrf_token": csrf_from(page)}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, people["chair"])
    queue = client.get("/discussion/moderation")
    assert "Something abusive" in queue.get_data(as_text=True)
    client.post(f"/discussion/comments/{comment_id}/hide",
                data={"reason": "Personal attack (rule 3)", "csrf_token": csrf_from(queue)})
    public = client.get(f"/proposals/{people['vote']}").get_data(as_text=True)
    assert "Personal attack (rule 3)" in public and "Something abusive" not in public
    leaf = db.session.scalars(select(LogLeaf).where(LogLeaf.type == "comment.hidden")).one()
    assert "Personal attack (rule 3)" in leaf.record_json
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "comment.hidden"))
    # The author appeals; the moderator who hid it may not decide, another one does.
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, people["troll"])
    page = client.get(f"/proposals/{people['vote']}")
    client.post(f"/discussion/comments/{comment_id}/appeal",
                data={"appeal": "It was a joke", "csrf_token": csrf_from(page)})
    appeal_id = db.session.scalar(select(CommentAppeal.id))
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, people["chair"])
    page = client.get("/discussion/moderation")
    refused = client.post(f"/discussion/appeals/{appeal_id}/decide", data={
        "decision": "restore", "reason": "fine", "csrf_token": csrf_from(page)})
    assert refused.status_code == 400
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, people["mod2"])
    page = client.get("/discussion/moderation")
    client.post(f"/discussion/appeals/{appeal_id}/decide", data={
        "decision": "uphold", "reason": "Still an attack", "csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert db.session.get(CommentAppeal, appeal_id).decision == "upheld"
    assert db.session.get(Comment, comment_id).state == "hidden"


def test_a_private_draft_takes_no_comment_or_amendment_from_an_owner_who_cannot_see_it(
    client: Any, people: dict[str, Any]
) -> None:
    login(client, people["critic"])
    page = client.get("/")
    assert client.get(f"/proposals/{people['draft']}").status_code == 404
    commented = client.post(f"/discussion/{people['draft']}/comments", data={
        "body": "Spam on a draft I was never shown", "csrf_token": csrf_from(page)})
    amended = client.post(f"/discussion/{people['draft']}/amendments", data={
        "body": "A text for a draft I was never shown.", "explanation": "",
        "csrf_token": csrf_from(page)})
    assert commented.status_code == amended.status_code == 404
    assert db.session.scalars(select(Comment)).all() == []
    assert db.session.scalars(select(Amendment)).all() == []


def test_an_amendment_by_another_owner_is_accepted_into_the_draft_by_its_author(
    client: Any, people: dict[str, Any]
) -> None:
    # A draft is its author's and the reviewing council's; a council member amends it here.
    login(client, people["mod2"])
    page = client.get(f"/proposals/{people['draft']}")
    assert page.status_code == 200
    client.post(f"/discussion/{people['draft']}/amendments", data={
        "body": "A clearer text for the draft, long enough.", "explanation": "clearer",
        "csrf_token": csrf_from(page)})
    amendment = db.session.scalars(select(Amendment)).one()
    # Only the author decides.
    assert client.post(f"/discussion/amendments/{amendment.id}/decide", data={
        "decision": "accept", "csrf_token": csrf_from(page)}).status_code == 400
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, people["author"])
    page = client.get(f"/proposals/{people['draft']}")
    client.post(f"/discussion/amendments/{amendment.id}/decide", data={
        "decision": "accept", "csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert proposals.get(people["draft"]).body == "A clearer text for the draft, long enough."
    assert db.session.get(Amendment, amendment.id).state == "accepted"


def test_flooding_is_refused(client: Any, people: dict[str, Any]) -> None:
    login(client, people["critic"])
    codes = [_post(client, people["vote"], f"comment {n}").status_code for n in range(7)]
    assert codes[:5] == [302] * 5 and codes[5:] == [400, 400]
    assert _count() == 5


@pytest.mark.parametrize("bad", ["a\x00b", "bell\x07", "rtl\u202eoverride", "x" * 1_000_000, "  "])
def test_bad_comments_are_refused_with_a_reason_and_nothing_stored(
    client: Any, people: dict[str, Any], bad: str
) -> None:
    login(client, people["critic"])
    response = _post(client, people["vote"], bad)
    assert response.status_code == 400
    assert _count() == 0
