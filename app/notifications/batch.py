"""Mail for many recipients of one notification: rendered once per language, then made personal.

A vote opening tells 200,000 owners the same thing; only the frozen weight, the receipt link and
the unsubscribe link differ between them. Rendering three templates (and looking up a weight)
per recipient cost more than everything else in sending a mail, so a batch renders each group
of identical notifications (same kind, subject, parameters, language and set of personal fields)
once, with unique markers where each recipient's fields go, and every recipient's mail is that
text with the markers replaced.

The shortcut can never change what anyone receives: the first recipient of every group is also
rendered in full and compared with its substituted mail; any difference (a template that shows a
field in a way plain substitution cannot reproduce, a title that happens to hold a marker) makes
that group render every mail in full. Substituted values are limited to characters that HTML
escaping and URL quoting leave as they are; any other value is rendered in full too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import select

from app.core.extensions import db
from app.notifications.kinds import DUTY_KINDS
from app.notifications.models import Notification
from app.notifications.render import ZONE, describe

log = logging.getLogger("trust.notifications")

# Per process, so that nothing stored (a title, a reason) can be written to contain one.
_MARK = "tf" + secrets.token_hex(8)
_SAFE = re.compile(r"[A-Za-z0-9_.,:~-]*")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    unsubscribe: str
    locale: str


@dataclass(frozen=True)
class Recipient:
    note_id: int
    user_id: int
    email: str
    locale: str
    personal: dict[str, str]
    zone: str | None = None


def locale_of(chosen: str | None) -> str:
    from app.web.i18n import LOCALES

    if chosen in LOCALES:
        return str(chosen)
    # The seed community is Chinese: mail to someone who never chose goes in Chinese.
    return str(current_app.config.get("MAIL_DEFAULT_LOCALE") or "zh_Hans_CN")


def zone_of(chosen: str | None) -> str | None:
    """The recipient's own time zone, if they chose a valid one (else their language's)."""
    from app.web.i18n import valid_timezone

    return chosen if valid_timezone(chosen) else None


def links() -> contextlib.AbstractContextManager[object]:
    """Links in mail point at TRUST_BASE_URL; a worker has no request to take a host from."""
    if has_request_context():
        return contextlib.nullcontext()
    base = str(current_app.config.get("TRUST_BASE_URL") or "http://localhost")
    return current_app.test_request_context("/", base_url=base)


def render(
    to: str, user_id: int, locale: str, notes: list[Notification], template: str,
    personal: dict[str, str] | None = None, token: str | None = None, zone: str | None = None,
) -> Mail:
    """One mail in full, in the recipient's language and time zone (inside `links()`)."""
    from app.notifications.service import unsubscribe_token

    kind = notes[0].kind if len(notes) == 1 else "*"
    token = token if token is not None else unsubscribe_token(user_id, kind)
    # A trustee's duty notice cannot be switched off: it offers no unsubscribe link.
    unsubscribe = ("" if kind in DUTY_KINDS
                   else url_for("notifications.unsubscribe", token=token, _external=True))
    # Someone who never chose a zone reads Beijing time in Chinese and UTC in English.
    chosen = zone or ("Asia/Shanghai" if locale.startswith("zh") else "UTC")
    mark = ZONE.set(chosen)
    try:
        with force_locale(locale):
            messages = [describe(n, personal) for n in notes]
            context = {"messages": messages, "unsubscribe_url": unsubscribe,
                       "trust_name": current_app.config.get("TRUST_NAME", "")}
            subject = render_template(f"mail/{template}.subject.txt", **context).strip()
            text = render_template(f"mail/{template}.txt", **context)
            html = render_template(f"mail/{template}.html", **context)
    finally:
        ZONE.reset(mark)
    return Mail(to, " ".join(subject.split())[:200], text, html, unsubscribe, locale)


def personal_fields(
    kind: str, params: dict[str, Any], user_ids: list[int]
) -> dict[int, dict[str, str]]:
    """Each recipient's own fields for a batch, in one query instead of one per mail."""
    from app.voting.models import Ballot, RollEntry

    pid = str(params.get("proposal", ""))
    if kind == "vote_opened":
        rows = db.session.execute(
            select(RollEntry.owner_id, RollEntry.weight)
            .where(RollEntry.proposal_id == pid, RollEntry.owner_id.in_(user_ids))
        ).all()
        weights = {owner: weight for owner, weight in rows}
        return {u: {"weight": f"{weights.get(u) or 0:,}"} for u in user_ids}
    if kind == "result_sealed":
        found = dict(db.session.execute(
            select(RollEntry.owner_id, Ballot.receipt)
            .join(Ballot, RollEntry.live_ballot_id == Ballot.id)
            .where(RollEntry.proposal_id == pid, RollEntry.owner_id.in_(user_ids))
        ).all())
        return {u: ({"receipt": found[u]} if found.get(u) else {}) for u in user_ids}
    return {u: {} for u in user_ids}


class _Group:
    """The mail of one group, rendered once with markers."""

    def __init__(
        self, kind: str, params: str, locale: str, keys: tuple[str, ...], zone: str | None
    ) -> None:
        self.note = Notification(kind=kind, params=params, user_id=0)
        self.locale = locale
        self.keys = keys
        marked = {k: f"{_MARK}{k}" for k in keys}
        self.shape: Mail | None = render("", 0, locale, [self.note], "notification", marked,
                                         token=f"{_MARK}token", zone=zone)
        self.checked = False

    def fill(self, who: Recipient, token: str) -> Mail | None:
        shape = self.shape
        values = {**{f"{_MARK}{k}": who.personal[k] for k in self.keys}, f"{_MARK}token": token}
        if shape is None or not all(_SAFE.fullmatch(v) for v in values.values()):
            return None

        def put(text: str) -> str:
            for marker, value in values.items():
                text = text.replace(marker, value)
            return text

        return Mail(who.email, put(shape.subject), put(shape.text), put(shape.html),
                    put(shape.unsubscribe), self.locale)


def mails(rows: list[tuple[Notification, Recipient]]) -> Iterator[tuple[Recipient, Mail]]:
    """The mail of each (notification, recipient), rendered once per group (call inside
    `links()`)."""
    from app.notifications.service import unsubscribe_token

    groups: dict[tuple[str, str, str, str, str, tuple[str, ...]], _Group] = {}
    for note, who in rows:
        keys = tuple(sorted(who.personal))
        key = (note.kind, note.subject, note.params or "{}", who.locale, who.zone or "", keys)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(note.kind, note.params or "{}", who.locale, keys,
                                         who.zone)
        token = unsubscribe_token(who.user_id, note.kind)
        mail = group.fill(who, token)
        if mail is not None and not group.checked:
            full = render(who.email, who.user_id, who.locale, [note], "notification",
                          who.personal, token=token, zone=who.zone)
            group.checked = True
            if full != mail:
                log.warning("notification %s: mail differs when rendered once for its group; "
                            "rendering each in full", note.kind)
                group.shape = None
                mail = full
        if mail is None:
            mail = render(who.email, who.user_id, who.locale, [note], "notification",
                          who.personal, token=token, zone=who.zone)
        yield who, mail


def load(first: int, last: int) -> list[tuple[Notification, Recipient]]:
    """A mail job's notifications still to be mailed, with their recipients and fields."""
    from app.accounts.models import User

    found = db.session.execute(
        select(Notification, User.email, User.locale, User.timezone)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id >= first, Notification.id <= last,
               Notification.mail_state == "now", User.email.is_not(None))
        .order_by(Notification.id)
    ).all()
    by_subject: dict[tuple[str, str], list[int]] = {}
    for note, _email, _locale, _zone in found:
        by_subject.setdefault((note.kind, note.params or "{}"), []).append(note.user_id)
    personal: dict[tuple[str, str, int], dict[str, str]] = {}
    for (kind, params), users in by_subject.items():
        for user_id, fields in personal_fields(kind, json.loads(params), users).items():
            personal[(kind, params, user_id)] = fields
    return [
        (note, Recipient(note.id, note.user_id, email, locale_of(chosen),
                         personal[(note.kind, note.params or "{}", note.user_id)],
                         zone_of(zone)))
        for note, email, chosen, zone in found
    ]
