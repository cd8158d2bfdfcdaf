"""An owner hears of a vote by mail, follows the link, votes, and is not reminded; a reported
comment hidden by a moderator shows its reason in its place. A real worker process and a real
SMTP server, in the browser."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.discussion import service as discussion
from app.jobs.models import Job
from app.notifications.jobs import scan
from app.proposals.models import Proposal
from tests.e2e.browse import sign_in
from tests.e2e.data import Owner
from tests.factories import PASSWORD, install_charter, make_open_vote, make_owner, seat_member
from tests.jobs_helpers import running_worker, wait_for
from tests.smtp_helpers import body_of, smtp_server


def _idle() -> bool:
    busy = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.state.in_(("queued", "running"))))
    db.session.commit()
    return busy == 0


def test_the_vote_opened_mail_leads_to_a_vote_and_no_reminder_follows(
    app: Any, db_session: Any, page: Any, live_server: str, shot: Any
) -> None:
    install_charter()
    council, author = make_owner(500, role="council"), make_owner(2000)
    voter = make_owner(1500, name="Li Wei")
    other = make_owner(1200, name="Wang Fang")
    voter.locale = "en"
    db.session.commit()
    who = Owner(voter.email, PASSWORD, voter.display_name)
    voter_email, other_email = voter.email, other.email
    proposal_id = make_open_vote(author, council, opens=utcnow() - timedelta(days=3),
                                 closes=utcnow() + timedelta(hours=6), title="Roadside help")
    db.session.commit()
    db.session.remove()
    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url,
                                                       TRUST_BASE_URL=live_server):
        wait_for(lambda: _idle() and inbox.to(voter_email), timeout=90)
        mail = inbox.to(voter_email)[0]
        assert mail["Subject"] == "Vote open: Roadside help"
        link = re.search(r"(http://127\.0\.0\.1:\d+/\S+)", body_of(mail))
        assert link and link.group(1).endswith(f"/me/vote/{proposal_id}")
        page.goto(link.group(1))  # not signed in: the link leads through sign-in to the vote
        page.get_by_label("Email or phone").fill(who.email)
        page.get_by_label("Password", exact=True).fill(who.password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("radio", name="Yes").check()
        shot(page, "vote-from-mail")
        page.get_by_role("button", name="Cast my vote").click()
        page.get_by_role("heading", level=1, name="Your ballot receipt").wait_for()
        scan()  # cron's reminder step: the vote closes within 24 hours
        db.session.remove()
        wait_for(lambda: _idle() and len(inbox.to(other_email)) >= 2, timeout=90)
    assert [m["Subject"] for m in inbox.to(voter_email)] == ["Vote open: Roadside help"]
    assert any("即将截止" in m["Subject"] for m in inbox.to(other_email))


def test_a_reported_comment_hidden_by_a_moderator_shows_its_reason(
    db_session: Any, page: Any, shot: Any
) -> None:
    install_charter()
    chair = make_owner(500, role="council", name="Chair Zhao")
    seat_member(chair)
    author, troll, critic = make_owner(2000), make_owner(900), make_owner(900)
    db.session.commit()
    proposal_id = make_open_vote(author, chair, title="Charging subsidy")
    proposal = db.session.get(Proposal, proposal_id)
    comment = discussion.post(proposal, troll, "You are all idiots")
    discussion.report(comment, critic, "An insult")
    db.session.commit()
    chair_login = Owner(chair.email, PASSWORD, chair.display_name)
    db.session.remove()
    sign_in(page, chair_login)
    page.goto("/discussion/moderation")
    page.get_by_label("Reason, shown in the comment's place and in the public log").fill(
        "Insults other owners (house rule 2)")
    page.get_by_role("button", name="Hide").click()
    page.wait_for_url(re.compile(rf"/proposals/{proposal_id}"))
    shot(page, "hidden-comment")
    text = page.locator("#discussion").inner_text()
    assert "Insults other owners (house rule 2)" in text
    assert "You are all idiots" not in text
