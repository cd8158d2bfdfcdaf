"""Notifications end to end: a real worker process, a real SMTP server, both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs.models import Job
from app.notifications import service
from app.notifications.jobs import scan
from app.notifications.models import Notification
from app.voting import service as voting
from tests.factories import install_charter, login, make_open_vote, make_owner, seat_member
from tests.jobs_helpers import running_worker, wait_for
from tests.smtp_helpers import body_of, smtp_server

# Real commits: a worker process reads what the test commits.
pytestmark = pytest.mark.real_commits


def _idle(app: Any) -> bool:
    busy = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.state.in_(("queued", "running")))
    )
    failed = [(j.name, j.last_error) for j in db.session.scalars(
        select(Job).where(Job.state == "failed"))]
    _quiet()
    assert not failed, failed
    return busy == 0


@pytest.fixture
def owners(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council", name="Chair")
    alice = make_owner(3000, name="Alice")
    bob = make_owner(1000, name="Bob")
    dora = make_owner(2000, name="Dora")
    dora.locale = "en"
    carol = make_owner(0, name="Carol")  # no growth value: not on the roll
    db.session.commit()
    people = {"council": council, "alice": alice, "bob": bob, "dora": dora, "carol": carol}
    # Plain values: on SQLite every transaction takes the write lock, so the test must not
    # hold one (by touching an expired ORM object) while the worker process works.
    emails = {name: user.email for name, user in people.items()}
    ids = {name: user.id for name, user in people.items()}
    db.session.commit()
    return {"users": people, "email": emails, "id": ids}


def _quiet() -> None:
    db.session.commit()
    db.session.expunge_all()


def test_vote_opened_mails_every_owner_on_the_roll_once_in_their_language(
    app: Any, client: Any, owners: dict[str, Any]
) -> None:
    users, email, ids = owners["users"], owners["email"], owners["id"]
    service.set_channel(ids["bob"], "vote_opened", "email", False)
    db.session.commit()
    proposal_id = make_open_vote(users["alice"], users["council"],
                                 title="充电桩补贴 charging subsidy")
    _quiet()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url,
                                                       TRUST_BASE_URL="http://trust.test"):
        wait_for(lambda: _idle(app) and inbox.count() >= 3, timeout=60)
    # Alice wrote it: she hears it was accepted, and that the vote opened for her too.
    to_alice = {m["Subject"].split("：")[0]: m for m in inbox.to(email["alice"])}
    assert set(to_alice) == {"投票开始", "你的提案进入投票"}  # Chinese by default
    opened = to_alice["投票开始"]
    body = body_of(opened)
    assert "3,000" in body  # her frozen weight
    assert f"http://trust.test/me/vote/{proposal_id}" in body
    assert opened["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Vote open" in inbox.to(email["dora"])[0]["Subject"]  # English for Dora
    assert inbox.to(email["bob"]) == []  # switched off by email...
    assert inbox.to(email["carol"]) == []  # not on the roll
    assert service.unread_count(ids["bob"]) == 1  # ...but told in the app
    _quiet()
    login(client, SimpleNamespace(email=email["alice"], id=owners["id"]["alice"]))
    page = client.get("/notifications/")
    assert "充电桩补贴" in page.get_data(as_text=True)
    home = client.get("/proposals/").get_data(as_text=True)
    assert re.search(r'class="badge count"[^>]*>2<', home)  # accepted + opened, both unread


def _first_option(proposal_id: str) -> Any:
    from app.proposals.models import Proposal
    from app.proposals.spec import vote_spec

    spec = vote_spec(db.session.get(Proposal, proposal_id))
    return [spec.options[0][0]]


def test_closing_soon_reminds_only_those_who_have_not_voted(
    app: Any, owners: dict[str, Any]
) -> None:
    users, email, ids = owners["users"], owners["email"], owners["id"]
    proposal_id = make_open_vote(users["alice"], users["council"],
                                 opens=utcnow() - timedelta(days=3),
                                 closes=utcnow() + timedelta(hours=5))
    voting.cast(proposal_id, ids["alice"], _first_option(proposal_id))
    db.session.commit()
    scan()
    scan()  # twice in a row: still one reminder each
    _quiet()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url):
        wait_for(lambda: _idle(app) and len(inbox.to(email["bob"])) >= 2)
    to_bob = sorted(m["Subject"].split("：")[0] for m in inbox.to(email["bob"]))
    assert to_bob == ["即将截止，你尚未投票", "投票开始"]
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == ids["alice"])
    ).all()
    assert "vote_closing" not in kinds  # she voted
    assert not [m for m in inbox.to(email["alice"]) if "即将截止" in m["Subject"]]


def test_the_signed_unsubscribe_link_stops_that_kind_of_mail(
    app: Any, client: Any, owners: dict[str, Any]
) -> None:
    users, email, ids = owners["users"], owners["email"], owners["id"]
    make_open_vote(users["alice"], users["council"])
    _quiet()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url,
                                                       TRUST_BASE_URL="http://trust.test"):
        wait_for(lambda: _idle(app) and inbox.to(email["alice"]))
    opened = [m for m in inbox.to(email["alice"]) if m["Subject"].startswith("投票开始")]
    found = re.search(r"http://trust\.test(/notifications/unsubscribe/\S+)", body_of(opened[0]))
    assert found
    path = found.group(1)
    assert client.get(path[:-3] + "xyz").status_code == 404  # a forged token does nothing
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200  # one click, no sign-in, no form token
    table, _ = service.settings_of(ids["alice"])
    assert table[("vote_opened", "email")] is False
    assert table[("vote_opened", "app")] is True
    assert table[("result_sealed", "email")] is True


def test_council_members_hear_of_a_motion_awaiting_their_vote(
    app: Any, owners: dict[str, Any]
) -> None:
    from app.council import service as council

    chair = owners["users"]["council"]
    other = make_owner(100, role="council", name="Member")
    other_email = other.email
    seat_member(chair)
    seat_member(other)
    db.session.commit()
    council.open_motion(chair, "general", "general:1", "Buy a projector", "for meetings")
    db.session.commit()
    _quiet()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url):
        wait_for(lambda: _idle(app) and inbox.to(other_email))
    assert inbox.to(owners["email"]["council"]) == []  # not told of one's own motion
    assert "Buy a projector" in inbox.to(other_email)[0]["Subject"]


def test_a_daily_digest_gathers_mail_into_one(app: Any, owners: dict[str, Any]) -> None:
    users, email, ids = owners["users"], owners["email"], owners["id"]
    service.set_digest(ids["alice"], "daily")
    db.session.commit()
    make_open_vote(users["alice"], users["council"], title="First")
    make_open_vote(users["alice"], users["council"], title="Second")
    _quiet()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url):
        wait_for(lambda: _idle(app))
        assert inbox.to(email["alice"]) == []
        scan()
        _quiet()
        wait_for(lambda: _idle(app) and inbox.to(email["alice"]))
    mails = inbox.to(email["alice"])
    assert len(mails) == 1
    assert "First" in body_of(mails[0]) and "Second" in body_of(mails[0])


def test_an_author_asks_named_owners_to_co_sign(
    app: Any, client: Any, owners: dict[str, Any]
) -> None:
    from app.proposals import service as proposals
    from tests.factories import SPENDING_FIELDS, csrf_from

    users, email = owners["users"], owners["email"]
    draft = proposals.create_draft(users["alice"], proposals.Draft(
        kind="spending", title="Help for flooded owners", body="A body long enough to pass.",
        fields=SPENDING_FIELDS, options=[]))
    proposals.submit(draft, users["alice"])
    db.session.commit()
    draft_id = draft.id
    _quiet()
    login(client, SimpleNamespace(email=email["bob"], id=owners["id"]["bob"]))
    page = client.get(f"/proposals/{draft_id}")
    assert client.post(f"/notifications/ask-cosign/{draft_id}", data={
        "owners": email["dora"], "csrf_token": csrf_from(page)}).status_code == 302  # not his
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, SimpleNamespace(email=email["alice"], id=owners["id"]["alice"]))
    page = client.get(f"/proposals/{draft_id}")
    client.post(f"/notifications/ask-cosign/{draft_id}", data={
        "owners": f"{email['bob']}, nobody@example.test", "csrf_token": csrf_from(page)})
    assert db.session.scalar(select(func.count()).select_from(Job).where(
        Job.name == "notify.event")) == 0  # one unknown name: nobody asked
    client.post(f"/notifications/ask-cosign/{draft_id}", data={
        "owners": f"{email['bob']}, {email['dora']}", "csrf_token": csrf_from(page)})
    _quiet()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url):
        wait_for(lambda: _idle(app) and inbox.to(email["dora"]) and inbox.to(email["bob"]))
    assert "Help for flooded owners" in inbox.to(email["dora"])[0]["Subject"]
    assert inbox.to(email["carol"]) == []


def test_with_no_mail_url_notification_mail_is_held_in_the_outbox(
    app: Any, owners: dict[str, Any]
) -> None:
    """The embedded default has no mail server: notification mail waits in the outbox that
    administrators read, like every other mail, instead of being dropped."""
    from app.mail.models import OutboxMessage

    users, email = owners["users"], owners["email"]
    make_open_vote(users["alice"], users["council"], title="充电桩补贴 charging subsidy")
    _quiet()
    with running_worker(app, MAIL_URL="", TRUST_BASE_URL="http://trust.test"):
        wait_for(lambda: _idle(app) and db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.recipient == email["dora"])), timeout=60)
    held = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == email["dora"])).all()
    assert {m.status for m in held} == {"held"}
    assert any("Vote open" in m.subject and "3,000" not in m.body_text and "2,000" in m.body_text
               for m in held)
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == email["carol"])).all()
