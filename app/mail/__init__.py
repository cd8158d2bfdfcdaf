"""Mail and text messages, one interface for every part of the trust.

Call it inside the transaction that causes the message; it goes out only if that transaction
commits (a rolled-back sign-up sends nothing):

    from app import mail

    mail.send(user, "verify_email", code="123456", link=url)    # user.email, user's language
    mail.send_to("a@b.example", "signup_attempt", locale="en")  # an address with no account
    mail.send_sms(user, "claim_code", code="123456")            # user.phone
    db.session.commit()                                           # delivery happens here

Each message is rendered from templates in the recipient's language (user.locale, else
MAIL_DEFAULT_LOCALE): `templates/mail/NAME.subject.txt`, `NAME.txt` and `NAME.html` for email
(plain text plus HTML), `templates/sms/NAME.txt` for text messages. Pass every link whole
(`mail.external_url(endpoint, **values)` builds one from TRUST_BASE_URL).

Every message is a row of `outbox_messages`:

* MAIL_URL unset (the embedded default): email is *held* there; administrators read it at
  /admin/outbox, `flask mail outbox` prints it, and the `flask demo` server also prints each
  message on its console as it is held (MAIL_ECHO), so a visitor can read a sign-up code.
  SMS_URL unset: the same for text messages.
* MAIL_URL set: the row is *pending* and is sent over SMTP right after the commit; once sent,
  its body is blanked (it may hold a sign-in code or a reset link that a database reader must not
  be able to use). A failed delivery stays *failed* with its error; `flask mail send-pending`
  (or a background job: `mail.deliver_pending()`) retries it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import Session

from app.core.db_types import utcnow
from app.core.extensions import db
from app.mail import transport
from app.mail.models import OutboxMessage

__all__ = ["OutboxMessage", "deliver", "deliver_pending", "external_url", "hold_many",
           "hold_rendered", "send", "send_sms", "send_to", "send_sms_to"]

_QUEUE_KEY = "outbox_ids"
_ECHO_KEY = "outbox_echo"
MAX_ATTEMPTS = 5


def recipient_locale(user: Any) -> str:
    locale = getattr(user, "locale", None)
    if locale in ("zh_Hans_CN", "en"):
        return str(locale)
    return str(current_app.config.get("MAIL_DEFAULT_LOCALE", "zh_Hans_CN"))


def external_url(endpoint: str, **values: Any) -> str:
    base = str(current_app.config.get("TRUST_BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send(user: Any, template: str, **context: Any) -> OutboxMessage | None:
    """Email `user` (nothing when the account has no email address)."""
    if not getattr(user, "email", None):
        return None
    return send_to(user.email, template, locale=recipient_locale(user), user=user, **context)


def send_to(
    address: str, template: str, *, locale: str | None = None, user: Any = None, **context: Any
) -> OutboxMessage:
    locale = locale or recipient_locale(user)
    with force_locale(locale):
        context.setdefault("trust_name", current_app.config.get("TRUST_NAME", ""))
        context["recipient"] = user
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    held = not current_app.config.get("MAIL_URL")
    return _queue(
        "email", address, user, template, locale, " ".join(subject.split())[:200], text, html, held
    )


def send_sms(user: Any, template: str, **context: Any) -> OutboxMessage | None:
    """Text `user` (nothing when the account has no phone number)."""
    if not getattr(user, "phone", None):
        return None
    return send_sms_to(user.phone, template, locale=recipient_locale(user), user=user, **context)


def send_sms_to(
    phone: str, template: str, *, locale: str | None = None, user: Any = None, **context: Any
) -> OutboxMessage:
    locale = locale or recipient_locale(user)
    with force_locale(locale):
        context.setdefault("trust_name", current_app.config.get("TRUST_NAME", ""))
        text = render_template(f"sms/{template}.txt", **context).strip()
    held = not current_app.config.get("SMS_URL")
    return _queue("sms", phone, user, template, locale, "", text, "", held)


def hold_rendered(
    recipient: str, user: Any, template: str, locale: str, subject: str, text: str, html: str
) -> OutboxMessage:
    """Hold one email another part rendered itself in the outbox, as every mail is held with no
    MAIL_URL: administrators read it at /admin/outbox. The caller commits. (Notification
    batches, which send over SMTP themselves with an unsubscribe header, use `hold_many`.)"""
    return _queue("email", recipient, user, template, locale, subject, text, html, held=True)


def hold_many(mails: list[tuple[str, int | None, str, str, str, str, str]]) -> None:
    """`hold_rendered` for a whole batch (recipient, user id, template, locale, subject, text,
    html) in one INSERT: a fan-out on the embedded default holds thousands at a time."""
    from sqlalchemy import insert

    now = utcnow()
    rows = [
        {"channel": "email", "recipient": to[:254], "user_id": user_id, "template": template,
         "locale": locale, "subject": subject, "body_text": text, "body_html": html,
         "status": "held", "attempts": 0, "last_error": "", "created_at": now}
        for to, user_id, template, locale, subject, text, html in mails
    ]
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
    if current_app.config.get("MAIL_ECHO"):
        echo = db.session.info.setdefault(_ECHO_KEY, [])
        for row in rows:
            echo.append(f"--- held email to {row['recipient']}: {row['subject']}\n"
                        + str(row["body_text"]).rstrip())


def _queue(
    channel: str, recipient: str, user: Any, template: str, locale: str, subject: str,
    text: str, html: str, held: bool,
) -> OutboxMessage:
    row = OutboxMessage(
        channel=channel,
        recipient=recipient[:254],
        user_id=getattr(user, "id", None),
        template=template,
        locale=locale,
        subject=subject,
        body_text=text,
        body_html=html,
        status="held" if held else "pending",
    )
    db.session.add(row)
    if held and current_app.config.get("MAIL_ECHO"):
        # `flask demo` serves with no mail server: show each message on its console too.
        where = f"{channel} to {recipient}" + (f": {subject}" if subject else "")
        db.session.info.setdefault(_ECHO_KEY, []).append(f"--- held {where}\n{text.rstrip()}")
    if not held:
        db.session.flush()
        db.session.info.setdefault(_QUEUE_KEY, []).append(row.id)
    return row


def _transmit(channel: str, recipient: str, subject: str, text: str, html: str) -> str | None:
    """Hand one message to its transport; the error in one line, or None when accepted."""
    config = current_app.config
    try:
        if channel == "email":
            settings = transport.parse_mail_url(str(config["MAIL_URL"]), config.get("MAIL_CA_FILE"))
            sender = str(config.get("MAIL_FROM") or f"{config.get('TRUST_NAME')} <trust@localhost>")
            message = transport.build_email(
                sender=sender, to=recipient, subject=subject, text=text, html=html
            )
            transport.send_email(settings, message)
        else:
            transport.send_sms(str(config["SMS_URL"]), recipient, text)
    except (transport.TransportError, KeyError, ValueError) as exc:
        return str(exc)[:300] or type(exc).__name__
    return None


def _outcome(error: str | None, attempts: int) -> dict[str, Any]:
    if error is not None:
        return {"status": "failed", "attempts": attempts + 1, "last_error": error}
    return {"status": "sent", "attempts": attempts + 1, "last_error": "", "sent_at": utcnow(),
            "body_text": "", "body_html": ""}


def deliver(row: OutboxMessage) -> bool:
    """Send one pending or failed row now (the caller commits); True when it was accepted."""
    error = _transmit(row.channel, row.recipient, row.subject, row.body_text, row.body_html)
    for key, value in _outcome(error, row.attempts).items():
        setattr(row, key, value)
    return error is None


def deliver_pending(limit: int = 500) -> tuple[int, int]:
    """Send what waits (pending, or failed fewer than MAX_ATTEMPTS times): (sent, failed)."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("pending", "failed")),
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for row in rows:
        if deliver(row):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for text in session.info.pop(_ECHO_KEY, []):
        print(text, flush=True)  # noqa: T201 - the demo's console is its mail reader
    ids = session.info.pop(_QUEUE_KEY, None)
    if not ids:
        return
    # The committed session cannot run SQL inside this hook: a connection of its own does.
    table = OutboxMessage.__table__
    bind = db.engine
    if isinstance(bind, Connection):
        # The tests' isolation hands every session one connection inside an outer transaction
        # (tests/conftest.py); use it as it is, without committing that transaction.
        _deliver_rows(bind, table, ids)
        return
    with bind.connect() as conn:
        _deliver_rows(conn, table, ids, commit=True)


def _deliver_rows(conn: Connection, table: Any, ids: list[int], commit: bool = False) -> None:
    rows = conn.execute(
        select(table).where(table.c.id.in_(ids), table.c.status == "pending")
    ).all()
    for row in rows:
        error = _transmit(row.channel, row.recipient, row.subject, row.body_text, row.body_html)
        conn.execute(update(table).where(table.c.id == row.id)
                     .values(**_outcome(error, row.attempts)))
        if commit:
            conn.commit()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUE_KEY, None)
    session.info.pop(_ECHO_KEY, None)
