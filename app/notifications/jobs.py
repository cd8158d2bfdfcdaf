"""Notification jobs: fan-out for an event, the 24-hour reminder, mail batches, digests."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from app.accounts.models import User
from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs.registry import handler
from app.notifications import recipients, service
from app.notifications.mailer import Mailer
from app.notifications.models import Notification, NotificationPrefs
from app.notifications.render import describe


@handler("notify.event")
def on_event(payload: dict[str, Any]) -> str:
    told = 0
    for kind, subject, query, params in recipients.for_event(payload):
        told += service.fan_out(kind, subject, query, params)
        service.queue_mail(kind, subject)
    db.session.commit()
    return f"{told} told"


def _locale(user: User) -> str:
    from app.web.i18n import LOCALES

    if user.locale in LOCALES:
        return str(user.locale)
    # The seed community is Chinese: mail to someone who never chose goes in Chinese.
    return str(current_app.config.get("MAIL_DEFAULT_LOCALE") or "zh_Hans_CN")


# Sent mail is recorded every MARK_EVERY messages: a worker killed mid-batch re-sends at most
# that many when the job runs again (at-least-once, as SMTP itself is), instead of paying a
# commit per message.
MARK_EVERY = 50


def _mark_sent(ids: list[int]) -> None:
    if ids:
        db.session.execute(
            update(Notification).where(Notification.id.in_(ids))
            .values(mail_state="sent", mailed_at=utcnow())
        )
        db.session.commit()
        ids.clear()


@handler("notify.mail")
def mail_batch(payload: dict[str, Any]) -> str:
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.id >= int(payload["first"]),
            Notification.id <= int(payload["last"]),
            Notification.mail_state == "now",
        )
        .order_by(Notification.id)
    ).all()
    # Render every mail first, then end the transaction: on SQLite a transaction holds the
    # write lock, and SMTP round trips must not keep the web waiting.
    with _links():
        outgoing = [(note.id, user, _render(user, [note], "notification")) for note, user in rows]
    db.session.commit()
    sent = 0
    done: list[int] = []
    with Mailer() as mailer:
        for note_id, user, mail in outgoing:
            mailer.send(*mail, user=user, template="notification")
            done.append(note_id)
            sent += 1
            if len(done) >= MARK_EVERY:
                _mark_sent(done)
        _mark_sent(done)
    return f"{sent} sent" if mailer.enabled else f"{sent} held in the outbox (MAIL_URL not set)"


def _links() -> contextlib.AbstractContextManager[object]:
    """Links in mail point at TRUST_BASE_URL; a worker has no request to take a host from."""
    if has_request_context():
        return contextlib.nullcontext()
    base = str(current_app.config.get("TRUST_BASE_URL") or "http://localhost")
    return current_app.test_request_context("/", base_url=base)


def _send(mailer: Mailer, user: User, notes: list[Notification], template: str) -> None:
    with _links():
        mail = _render(user, notes, template)
    mailer.send(*mail, user=user, template=template)


def _render(
    user: User, notes: list[Notification], template: str
) -> tuple[str, str, str, str, str, str]:
    """(to, subject, text, html, unsubscribe link, locale) in the recipient's language."""
    from flask import url_for

    from app.notifications.service import unsubscribe_token

    locale = _locale(user)
    kind = notes[0].kind if len(notes) == 1 else "*"
    token = unsubscribe_token(user.id, kind)
    unsubscribe = url_for("notifications.unsubscribe", token=token, _external=True)
    with force_locale(locale):
        messages = [describe(n) for n in notes]
        context = {"messages": messages, "user": user, "unsubscribe_url": unsubscribe,
                   "trust_name": current_app.config.get("TRUST_NAME", "")}
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    assert user.email
    return user.email, subject, text, html, unsubscribe, locale


@handler("notify.closing")
def closing(payload: dict[str, Any]) -> str:
    kind, subject, query, params = recipients.closing_soon(str(payload["proposal"]))
    told = service.fan_out(kind, subject, query, params)
    service.queue_mail(kind, subject)
    db.session.commit()
    return f"{told} reminded"


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
        with Mailer() as mailer:
            _send(mailer, user, notes, "digest")
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_([n.id for n in notes]))
            .values(mail_state="sent", mailed_at=utcnow())
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
    for prefs in db.session.scalars(
        select(NotificationPrefs).where(NotificationPrefs.digest != "off")
    ):
        if service.digest_due(prefs, now):
            stamp = now.strftime("%Y-%m-%d") if prefs.digest == "daily" else now.strftime("%G-W%V")
            queue.enqueue("notify.digest", {"user": prefs.user_id},
                          key=f"digest:{prefs.user_id}:{stamp}")
    db.session.commit()
    return lines
