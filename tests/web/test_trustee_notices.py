"""A secret vote's trustees are told of their duties (start, reminders, close), and the council
and voters when its result waits for them: real jobs, mail over a real SMTP server, both
databases."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import select

from app.core.extensions import db
from app.jobs.models import Job
from app.jobs.registry import load_handlers
from app.notifications import service
from app.notifications.jobs import scan
from app.notifications.models import Notification
from app.secret.models import SecretElection
from ballots.trustee import KeygenState
from tests.factories import login, make_owner, seat_member
from tests.mailserver import Inbox
from tests.web.secret_helpers import (
    SecretVote,
    bearer,
    close_now,
    open_secret_vote,
    post_decryption,
    run_ceremony,
)


def _run_jobs() -> list[str]:
    """Run every queued job in this process, as a worker would, until none is left."""
    handlers = load_handlers()
    ran = []
    while True:
        job = db.session.scalar(
            select(Job).where(Job.state == "queued").order_by(Job.id).limit(1))
        if job is None:
            return ran
        job.state = "done"
        name, payload = job.name, json.loads(job.payload)
        db.session.commit()
        handlers[name](payload)
        ran.append(name)


def _told(kind: str, proposal_id: str) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == kind, Notification.params.contains(f'"{proposal_id}"'))))


def _time(value: Any, zone: str, locale: str) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm", tzinfo=ZoneInfo(zone), locale=locale)


def encrypt(client: Any, vote_id: str, headers: dict[str, str], choice: list[str]) -> Any:
    from ballots.secret.client import prepare_ballot

    spec = client.get(f"/api/secret/{vote_id}/proposal.json").get_json()
    election = client.get(f"/api/secret/{vote_id}/election.json").get_json()
    token = client.get(f"/api/proposals/{vote_id}/my-weight", headers=headers).get_json()["token"]
    return prepare_ballot(spec, election, token, choice)


def _keygen(client: Any, vote: SecretVote, which: int) -> None:
    t = vote.trustees[which]
    base = f"/api/secret/{vote.id}"
    info = client.get(base + "/ceremony", headers=t.headers).get_json()
    t.state = KeygenState.generate(vote.id, info["you"]["index"], info["threshold"])
    r = client.post(base + "/keygen", json=t.state.post(info["you"]["name"]), headers=t.headers)
    assert r.status_code == 201, r.get_json()


def test_trustees_are_told_at_the_start_in_their_language_and_zone_and_cannot_opt_out(
    app: Any, client: Any, db_session: Any, mail_over_smtp: Inbox
) -> None:
    vote = open_secret_vote(client)
    t1, t2, t3 = (t.user for t in vote.trustees)
    t1.locale, t1.timezone = "en", "America/New_York"  # t2 never chose: Chinese, Beijing time
    # t3 turned every mail off and asked for a weekly digest: a duty still comes, at once.
    service.unsubscribe(t3.id, "*")
    service.set_digest(t3.id, "weekly")
    db.session.commit()
    assert "notify.event" in _run_jobs()
    election = db.session.get(SecretElection, vote.id)
    assert _told("trustee_keygen", vote.id) == {t1.id, t2.id, t3.id}

    (english,) = [m for m in mail_over_smtp.wait_for(t1.email) if "trustee" in m["Subject"]]
    body = Inbox.text(english)
    assert english["Subject"].startswith("You are a trustee of the secret vote")
    assert _time(election.key_due, "America/New_York", "en") in english["Subject"]
    assert f"python -m ballots.trustee keygen --server http://trust.test --proposal {vote.id}" \
        in body
    assert f"/proposals/{vote.id}/trustees" in body
    assert "Any 2 of its 3 trustees" in body
    assert english["List-Unsubscribe"] is None  # a duty offers no way out
    assert "duty notices cannot be switched off" in body

    chinese = [m for m in mail_over_smtp.wait_for(t2.email) if "受托人" in m["Subject"]]
    assert chinese and _time(election.key_due, "Asia/Shanghai", "zh_Hans_CN") \
        in chinese[0]["Subject"]
    assert [m for m in mail_over_smtp.wait_for(t3.email) if "受托人" in m["Subject"]]
    note = db.session.scalar(select(Notification).where(
        Notification.user_id == t3.id, Notification.kind == "trustee_keygen"))
    assert note.read_at is None and note.mail_state == "sent"
    with pytest.raises(ValueError):
        service.set_channel(t3.id, "trustee_keygen", "email", False)

    # The duty shows on the trustee's own page until it is done.
    login(client, t1)
    page = client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your duties as a trustee" in page and "make your key share (keygen)" in page
    assert f"--proposal {vote.id}" in page
    settings = client.get("/notifications/settings").get_data(as_text=True)
    assert 'name="trustee_keygen.email"' not in settings and 'id="duty-notices"' in settings

    # Halfway through a 24-hour key window: one reminder, only to those who have not acted.
    _keygen(client, vote, 0)
    db.session.commit()
    now = db.session.get(SecretElection, vote.id).created_at + timedelta(hours=13)
    assert scan(now) and scan(now + timedelta(hours=1))  # every tick sees it due...
    assert _run_jobs().count("notify.trustee_reminder") == 1  # ...one job runs
    assert _told("trustee_reminder", vote.id) == {t2.id, t3.id}
    reminder = [m for m in mail_over_smtp.wait_for(t2.email, 2) if "提醒" in m["Subject"]]
    assert len(reminder) == 1 and "keygen" in Inbox.text(reminder[0])
    page = client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your duties as a trustee" not in page  # t1 did its step; the others' are theirs


def test_the_close_asks_for_shares_and_a_stalled_result_tells_council_and_voters(
    app: Any, client: Any, db_session: Any, mail_over_smtp: Inbox
) -> None:
    from app.decisions.cron import seal_due_votes

    vote = open_secret_vote(client)
    onlooker = make_owner(name="Council onlooker")
    seat_member(onlooker)  # seated after the vote opened: council, not a trustee
    db.session.commit()
    run_ceremony(client, vote)
    headers = bearer(vote.author)
    db.session.commit()
    ballot = encrypt(client, vote.id, headers, ["yes"])
    cast = client.post(f"/api/secret/{vote.id}/ballots", json=ballot.cast, headers=headers)
    receipt = cast.get_json()
    trustee_ids = {t.user.id for t in vote.trustees}
    _run_jobs()
    closes = close_now(vote.id)
    seal_due_votes(closes + timedelta(seconds=1))
    _run_jobs()
    assert _told("trustee_decrypt", vote.id) == trustee_ids
    decrypt_mail = [m for m in mail_over_smtp.wait_for(vote.trustees[0].user.email, 2)
                    if "解密份额" in m["Subject"]]
    assert decrypt_mail and "ballots.trustee decrypt" in Inbox.text(decrypt_mail[0])

    assert post_decryption(client, vote, vote.trustees[1]).status_code == 201
    late = closes + timedelta(hours=30)  # 48 hours to post; the reminder comes a day before
    scan(late)
    scan(late + timedelta(hours=2))
    _run_jobs()
    assert _told("trustee_reminder", vote.id) == trustee_ids - {vote.trustees[1].user.id}

    lines = seal_due_votes(closes + timedelta(hours=49))
    assert any("sealed-pending" in line for line in lines)
    _run_jobs()
    waiting = _told("result_waiting", vote.id)
    assert waiting == trustee_ids | {onlooker.id, vote.author.id}
    (mail,) = [m for m in mail_over_smtp.wait_for(vote.author.email)
               if "等待受托人" in m["Subject"]]
    body = Inbox.text(mail)
    assert "只收到 1 份" in body and f"/proposals/{vote.id}/trustees" in body
    # A voter may switch this one off: it is news, not a duty.
    service.set_channel(vote.author.id, "result_waiting", "email", False)

    # /verify says where the vote stands: genuine, not sealed, waiting for trustees.
    from tests.factories import csrf_from

    token = csrf_from(client.get("/verify"))
    page = client.post("/verify", data={"receipt": json.dumps(receipt), "csrf_token": token},
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "sealed-pending" in page and receipt["tracker"] in page
    assert "not sealed yet" in page


def test_each_trustee_is_told_when_the_ceremony_waits_for_their_next_step(
    app: Any, client: Any, db_session: Any, mail_over_smtp: Inbox
) -> None:
    from ballots.trustee import deal

    vote = open_secret_vote(client)
    ids = {t.user.id for t in vote.trustees}
    for which in range(3):
        _keygen(client, vote, which)
    _run_jobs()
    assert _told("trustee_step", vote.id) == ids  # every key is in: deal
    first = vote.trustees[0].user
    (mail,) = [m for m in mail_over_smtp.wait_for(first.email, 2) if "轮到你" in m["Subject"]]
    assert "ballots.trustee deal" in Inbox.text(mail)

    base = f"/api/secret/{vote.id}"
    info = client.get(base + "/ceremony").get_json()
    for t in vote.trustees[:2]:
        assert t.state is not None
        client.post(base + "/deal", json=deal(t.state, info["trustees"]), headers=t.headers)
    _run_jobs()
    receive = select(Notification.user_id).where(Notification.subject == f"step:{vote.id}:receive")
    assert not db.session.scalars(receive).all()  # one trustee has still to deal
    login(client, first)
    page = client.get("/notifications/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your duties as a trustee" not in page  # dealt; waits for the third
    last = vote.trustees[2]
    assert last.state is not None
    client.post(base + "/deal", json=deal(last.state, info["trustees"]), headers=last.headers)
    _run_jobs()
    assert set(db.session.scalars(receive)) == ids  # every share is dealt: receive
    page = client.get("/notifications/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your duties as a trustee" in page
    assert "receive and check the shares dealt to you (receive)" in page
    assert "Your turn in the key ceremony of" in page


@pytest.mark.real_commits
def test_a_worker_process_mails_every_trustee_when_a_secret_vote_opens(
    app: Any, client: Any, db_session: Any
) -> None:
    """The whole way: the opening's commit queues the job, a real `flask trust worker` runs it
    and mails each trustee over SMTP."""
    from sqlalchemy import func

    from tests.jobs_helpers import running_worker, wait_for
    from tests.smtp_helpers import body_of, smtp_server

    vote = open_secret_vote(client)
    emails = [t.user.email for t in vote.trustees]
    vote_id = vote.id
    db.session.commit()
    db.session.expunge_all()

    def idle() -> bool:
        busy = db.session.scalar(select(func.count()).select_from(Job).where(
            Job.state.in_(("queued", "running"))))
        db.session.commit()
        return busy == 0

    with smtp_server() as (inbox, url), running_worker(app, MAIL_URL=url,
                                                       TRUST_BASE_URL="http://trust.test"):
        wait_for(lambda: idle() and all(
            any("受托人" in m["Subject"] for m in inbox.to(e)) for e in emails), timeout=60)
    for address in emails:
        (mail,) = [m for m in inbox.to(address) if "受托人" in m["Subject"]]
        assert f"--server http://trust.test --proposal {vote_id}" in body_of(mail)
    failed = db.session.scalars(select(Job.name).where(Job.state == "failed")).all()
    assert not failed
