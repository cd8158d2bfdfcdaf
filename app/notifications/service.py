"""Who is told what: bulk fan-out in SQL, per-user settings, the bell's count, signed links."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, and_, case, cast, func, literal, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.accounts.models import User
from app.core.db_types import utcnow
from app.core.extensions import db
from app.notifications.kinds import CHANNELS, DIGESTS, DUTY_KINDS, KINDS, SWITCHABLE
from app.notifications.models import Notification, NotificationPrefs, NotificationSetting

MAIL_BATCH = 500


def fan_out(kind: str, subject: str, recipients: Select[Any], params: dict[str, Any]) -> int:
    """Tell every user id the `recipients` query yields; returns how many were newly told.

    One INSERT ... SELECT whatever the count: 200,000 owners cost one statement, not 200,000
    round trips. Each recipient's settings decide, in the same statement, whether the row counts
    in the bell and whether and when it is mailed.
    """
    assert kind in KINDS
    now = utcnow()
    ids = recipients.subquery("recipients")
    app_off = NotificationSetting.__table__.alias("app_off")
    mail_off = NotificationSetting.__table__.alias("mail_off")
    prefs = NotificationPrefs.__table__
    duty = kind in DUTY_KINDS
    mail_state = case(
        (User.email.is_(None), literal("none")),
        (mail_off.c.enabled.is_(False), literal("none")),
        (prefs.c.digest.in_(("daily", "weekly")), literal("digest")),
        else_=literal("now"),
    ) if not duty else case((User.email.is_(None), literal("none")), else_=literal("now"))
    source = (
        select(
            User.id,
            literal(kind),
            literal(subject),
            literal(json.dumps(params, sort_keys=True)),
            literal(now),
            case((app_off.c.enabled.is_(False), literal(now)), else_=None)
            if not duty else cast(null(), Notification.read_at.type),
            mail_state,
        )
        .select_from(User)
        .join(ids, ids.c[0] == User.id)
        .outerjoin(app_off, and_(app_off.c.user_id == User.id, app_off.c.kind == kind,
                                 app_off.c.channel == "app"))
        .outerjoin(mail_off, and_(mail_off.c.user_id == User.id, mail_off.c.kind == kind,
                                  mail_off.c.channel == "email"))
        .outerjoin(prefs, prefs.c.user_id == User.id)
    )
    if not duty:
        # Someone who switched both channels off is not told at all.
        source = source.where(or_(app_off.c.enabled.is_(None), app_off.c.enabled.is_(True),
                                  mail_state != "none"))
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Notification)
        .from_select(
            ["user_id", "kind", "subject", "params", "created_at", "read_at", "mail_state"],
            source,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "subject"])
    )
    result = db.session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def queue_mail(kind: str, subject: str) -> int:
    """One mail job per MAIL_BATCH recipients of (kind, subject) waiting to be mailed now."""
    from app.jobs import queue

    ids = list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.kind == kind, Notification.subject == subject,
                   Notification.mail_state == "now")
            .order_by(Notification.id)
        )
    )
    jobs = [
        ("notify.mail", {"first": chunk[0], "last": chunk[-1]}, f"mail:{chunk[0]}-{chunk[-1]}")
        for chunk in (ids[i : i + MAIL_BATCH] for i in range(0, len(ids), MAIL_BATCH))
    ]
    queue.enqueue_many(jobs)
    return len(jobs)


def notify(kind: str, subject: str, user_ids: Iterable[int], params: dict[str, Any]) -> int:
    """Tell a short, known list of users (council members, an author)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return 0
    told = fan_out(kind, subject, select(User.id).where(User.id.in_(wanted)), params)
    queue_mail(kind, subject)
    return told


def unread_count(user_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count()).select_from(Notification).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def page_of(user_id: int, before: int | None, size: int) -> list[Notification]:
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(size)
    )
    if before:
        query = query.where(Notification.id < before)
    return list(db.session.scalars(query))


def mark_read(user_id: int, ids: Iterable[int] | None = None) -> None:
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    db.session.execute(stmt.values(read_at=utcnow()))


def settings_of(user_id: int) -> tuple[dict[tuple[str, str], bool], str]:
    chosen = {
        (row.kind, row.channel): row.enabled
        for row in db.session.scalars(
            select(NotificationSetting).where(NotificationSetting.user_id == user_id)
        )
    }
    table = {(k, c): chosen.get((k, c), True) for k in SWITCHABLE for c in CHANNELS}
    prefs = db.session.get(NotificationPrefs, user_id)
    return table, prefs.digest if prefs else "off"


def set_channel(user_id: int, kind: str, channel: str, enabled: bool) -> None:
    if kind not in SWITCHABLE or channel not in CHANNELS:
        raise ValueError(f"unknown notification {kind}/{channel}, or a duty that stays on")
    row = db.session.get(NotificationSetting, (user_id, kind, channel))
    if row is None:
        db.session.add(NotificationSetting(user_id=user_id, kind=kind, channel=channel,
                                           enabled=enabled))
    else:
        row.enabled = enabled


def set_digest(user_id: int, digest: str) -> None:
    if digest not in DIGESTS:
        raise ValueError(f"unknown digest {digest}")
    prefs = db.session.get(NotificationPrefs, user_id)
    if prefs is None:
        db.session.add(NotificationPrefs(user_id=user_id, digest=digest))
    else:
        prefs.digest = digest


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notifications.unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    return _signer().dumps({"u": user_id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in (*SWITCHABLE, "*"):
        return None
    user_id = data.get("u")
    return (user_id, data["k"]) if isinstance(user_id, int) else None


def unsubscribe(user_id: int, kind: str) -> None:
    """Stop the mail of one kind, or ('*') every mail; the bell keeps working. A trustee's
    duty notices stay on."""
    if kind in DUTY_KINDS:
        return
    for each in SWITCHABLE if kind == "*" else (kind,):
        set_channel(user_id, each, "email", False)
    # Mail not yet sent of that kind stays unsent.
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.mail_state.in_(("now", "digest")),
        Notification.kind.not_in(DUTY_KINDS),
    )
    if kind != "*":
        stmt = stmt.where(Notification.kind == kind)
    db.session.execute(stmt.values(mail_state="none"))


def digest_due(prefs: NotificationPrefs, now: datetime) -> bool:
    if prefs.digest == "off":
        return False
    if prefs.last_digest_at is None:
        return True
    days = 1 if prefs.digest == "daily" else 7
    return (now - prefs.last_digest_at).total_seconds() >= days * 86400 - 300
