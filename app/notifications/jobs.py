"""Notification jobs: fan-out for an event, the 24-hour reminder, mail batches, digests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from app.accounts.models import User
from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs.registry import handler
from app.notifications import batch, recipients, service
from app.notifications.mailer import Mailer, Refused
from app.notifications.models import Notification, NotificationPrefs


@handler("notify.event")
def on_event(payload: dict[str, Any]) -> str:
    told = 0
    for kind, subject, query, params in recipients.for_event(payload):
        told += service.fan_out(kind, subject, query, params)
        service.queue_mail(kind, subject)
    db.session.commit()
    return f"{told} told"


# Sent mail is recorded every MARK_EVERY messages: a worker killed mid-batch re-sends at most
# that many when the job runs again (at-least-once, as SMTP itself is), instead of paying a
# commit per message. The notification rows stay the truth of what is still to send.
MARK_EVERY = 50


def _mark(sent: list[int], refused: list[int], mailer: Mailer) -> None:
    # Held mail (no MAIL_URL) goes into the outbox in the same transaction as its mark: once.
    mailer.flush_held()
    now = utcnow()
    for ids, state in ((sent, "sent"), (refused, "failed")):
        if ids:
            db.session.execute(update(Notification).where(Notification.id.in_(ids))
                               .values(mail_state=state, mailed_at=now))
            ids.clear()
    db.session.commit()


@handler("notify.mail")
def mail_batch(payload: dict[str, Any]) -> str:
    rows = batch.load(int(payload["first"]), int(payload["last"]))
    # Render every mail first (once per group, see app.notifications.batch), then end the
    # transaction: on SQLite a transaction holds the write lock, and SMTP round trips must not
    # keep the web waiting.
    with batch.links():
        outgoing = list(batch.mails(rows))
    db.session.commit()
    sent: list[int] = []
    refused: list[int] = []
    with Mailer() as mailer:
        for who, mail in outgoing:
            try:
                mailer.send(mail, who.user_id)
                sent.append(who.note_id)
            except Refused:
                refused.append(who.note_id)
            if len(sent) + len(refused) >= MARK_EVERY:
                _mark(sent, refused, mailer)
        total = len(outgoing)
        _mark(sent, refused, mailer)
    how = "sent" if mailer.enabled else "held in the outbox (MAIL_URL not set)"
    return f"{total} {how}"


@handler("notify.closing")
def closing(payload: dict[str, Any]) -> str:
    kind, subject, query, params = recipients.closing_soon(str(payload["proposal"]))
    told = service.fan_out(kind, subject, query, params)
    service.queue_mail(kind, subject)
    db.session.commit()
    return f"{told} reminded"


@handler("notify.trustee_reminder")
def trustee_reminder(payload: dict[str, Any]) -> str:
    told = 0
    for kind, subject, query, params in recipients.trustee_reminders(
        str(payload["proposal"]), str(payload["deadline"])
    ):
        told += service.fan_out(kind, subject, query, params)
        service.queue_mail(kind, subject)
    db.session.commit()
    return f"{told} trustees reminded"


@handler("notify.digest")
def digest(payload: dict[str, Any]) -> str:
    user = db.session.get(User, int(payload["user"]))
    prefs = db.session.get(NotificationPrefs, int(payload["user"]))
    if user is None or prefs is None or not user.email:
        return "no one to mail"
    notes = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.mail_state == "digest")
            .order_by(Notification.id)
            .limit(200)
        )
    )
    prefs.last_digest_at = utcnow()
    if notes:
        with batch.links():
            mail = batch.render(user.email, user.id, batch.locale_of(user.locale), notes,
                                "digest", zone=batch.zone_of(user.timezone))
        state = "sent"
        with Mailer() as mailer:
            try:
                mailer.send(mail, user.id, "digest")
            except Refused:
                state = "failed"
            mailer.flush_held()
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_([n.id for n in notes]))
            .values(mail_state=state, mailed_at=utcnow())
        )
    db.session.commit()
    return f"{len(notes)} in the digest"


def scan(now: Any = None) -> list[str]:
    """Called by each cron tick: queue due reminders and digests (keys make each once)."""
    from app.jobs import queue
    from app.proposals.models import Proposal

    now = now or utcnow()
    lines = []
    soon = db.session.scalars(
        select(Proposal.id).where(
            Proposal.state == "voting",
            Proposal.closes_at > now,
            Proposal.closes_at <= now + timedelta(hours=24),
        )
    ).all()
    for proposal_id in soon:
        queue.enqueue("notify.closing", {"proposal": proposal_id}, key=f"closing:{proposal_id}")
        lines.append(f"closing reminder {proposal_id}")
    from app.secret.notices import reminders_due

    for proposal_id, deadline, _end in reminders_due(now):
        # Keyed by vote and deadline: one reminder however many ticks fall in the window.
        queue.enqueue("notify.trustee_reminder", {"proposal": proposal_id, "deadline": deadline},
                      key=f"trustee-reminder:{proposal_id}:{deadline}")
        lines.append(f"trustee reminder {proposal_id} ({deadline} deadline)")
    for prefs in db.session.scalars(
        select(NotificationPrefs).where(NotificationPrefs.digest != "off")
    ):
        if service.digest_due(prefs, now):
            stamp = now.strftime("%Y-%m-%d") if prefs.digest == "daily" else now.strftime("%G-W%V")
            queue.enqueue("notify.digest", {"user": prefs.user_id},
                          key=f"digest:{prefs.user_id}:{stamp}")
    db.session.commit()
    return lines
