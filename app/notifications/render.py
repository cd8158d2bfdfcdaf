"""What a notification says, in whichever language is in force when it is rendered."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.extensions import db
from app.notifications.models import Notification

TRUSTEE_KINDS = ("trustee_keygen", "trustee_step", "trustee_reminder", "trustee_decrypt",
                 "result_waiting")


@dataclass
class Message:
    title: str
    lines: list[str] = field(default_factory=list)
    endpoint: str = "notifications.index"
    values: dict[str, Any] = field(default_factory=dict)

    def path(self) -> str:
        return url_for(self.endpoint, **self.values)

    def url(self) -> str:
        base = str(current_app.config.get("TRUST_BASE_URL") or "").rstrip("/")
        if base:
            return base + url_for(self.endpoint, **self.values)
        return url_for(self.endpoint, _external=True, **self.values)


def _weight(proposal_id: str, user_id: int) -> int | None:
    from app.voting.models import RollEntry

    return db.session.scalar(
        select(RollEntry.weight).where(
            RollEntry.proposal_id == proposal_id, RollEntry.owner_id == user_id
        )
    )


def _receipt(proposal_id: str, user_id: int) -> str | None:
    from app.voting.models import Ballot, RollEntry

    return db.session.scalar(
        select(Ballot.receipt)
        .join(RollEntry, RollEntry.live_ballot_id == Ballot.id)
        .where(RollEntry.proposal_id == proposal_id, RollEntry.owner_id == user_id)
    )


# The recipient's own time zone while one mail is rendered (app.notifications.batch sets it).
ZONE: ContextVar[str | None] = ContextVar("notification_zone", default=None)


def when(value: Any) -> str:
    """A time with its zone stated: in the recipient's chosen zone; for someone who never chose,
    Beijing time for Chinese readers and UTC for others in mail, the site's zone in the app."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime
    from flask_babel import get_locale, get_timezone

    if value is None:
        return "—"
    locale = get_locale()
    zone = ZONE.get()
    if zone is None and has_request_context():
        zone = str(get_timezone())
    if zone is None:
        zone = "Asia/Shanghai" if locale and str(locale).startswith("zh") else "UTC"
    return format_datetime(value, "yyyy-MM-dd HH:mm (ZZZZ)", tzinfo=ZoneInfo(zone),
                           locale=locale)


def describe(n: Notification, personal: dict[str, str] | None = None) -> Message:
    """`personal` gives the recipient's own fields (weight, receipt) already looked up, as a
    mail batch does for all its recipients in one query; without it they are read here."""
    p = json.loads(n.params or "{}")
    kind = n.kind
    pid = p.get("proposal", "")
    title = p.get("title", "")
    if kind == "vote_opened":
        if personal is not None and "weight" in personal:
            weight = personal["weight"]
        else:
            weight = f"{_weight(pid, n.user_id) or 0:,}"
        return Message(
            _("Vote open: %(title)s", title=title),
            [
                _("Your frozen weight in this vote: %(weight)s", weight=weight),
                _("Voting closes %(when)s.", when=when(_time(p.get("closes_at")))),
            ],
            "owner.vote", {"proposal_id": pid},
        )
    if kind == "vote_closing":
        return Message(
            _("Closing soon, and you have not voted: %(title)s", title=title),
            [_("Voting closes %(when)s.", when=when(_time(p.get("closes_at"))))],
            "owner.vote", {"proposal_id": pid},
        )
    if kind == "result_sealed":
        receipt = personal.get("receipt") if personal is not None else _receipt(pid, n.user_id)
        lines = [_("The result is signed and in the public log.")]
        if receipt:
            lines.append(_("Check that your ballot was counted as you cast it:"))
            return Message(_("Result sealed: %(title)s", title=title), lines,
                           "owner.receipt", {"proposal_id": pid, "receipt": receipt})
        return Message(_("Result sealed: %(title)s", title=title), lines,
                       "public.result_page", {"proposal_id": pid})
    if kind == "proposal_cosigned":
        return Message(
            _("%(name)s co-signed your proposal: %(title)s", name=p.get("by", ""), title=title),
            [_("Co-signatures so far: %(count)s", count=p.get("count", ""))],
            "proposals.detail", {"proposal_id": pid},
        )
    if kind == "proposal_accepted":
        return Message(_("Your proposal goes to the ballot: %(title)s", title=title),
                       [p.get("reason", "")], "proposals.detail", {"proposal_id": pid})
    if kind == "proposal_rejected":
        return Message(_("Your proposal was rejected: %(title)s", title=title),
                       [p.get("reason", "")], "proposals.detail", {"proposal_id": pid})
    if kind == "cosign_requested":
        return Message(
            _("%(name)s asks you to co-sign: %(title)s", name=p.get("by", ""), title=title),
            [], "proposals.detail", {"proposal_id": pid},
        )
    if kind == "motion_awaiting":
        return Message(_("A council motion awaits your vote: %(title)s", title=title), [],
                       "council.motion", {"motion_id": int(p.get("motion", 0))})
    if kind == "disbursement_awaiting":
        return Message(
            _("A disbursement awaits your approval: %(purpose)s", purpose=title), [],
            "treasury.disbursement", {"disbursement_id": int(p.get("disbursement", 0))},
        )
    if kind == "application_to_review":
        return Message(_("A community applied for certification: %(name)s", name=title), [],
                       "communities.detail", {"community_id": int(p.get("community", 0))})
    if kind == "ceremony_complaint":
        return Message(
            _("Trustee %(accuser)s complains about the share you dealt: %(title)s",
              accuser=p.get("accuser", ""), title=title),
            [_("Run: python -m ballots.trustee answer --proposal %(proposal)s (with your "
               "server, folder and token) before the answers close.", proposal=pid)],
            "secret.trustees_page", {"proposal_id": pid})
    if kind == "ceremony_failed":
        return Message(
            _("The key ceremony failed; this secret vote cannot take ballots: %(title)s",
              title=title),
            [_("Trustees who posted a key share in time: %(count)s of %(n)s; every "
               "trustee's is needed.", count=p["keys"], n=p.get("trustees", ""))
             if "keys" in p else
             _("Dealers qualified: %(count)s; needed: %(k)s.", count=p.get("qualified", ""),
               k=p.get("threshold", ""))],
            "secret.trustees_page", {"proposal_id": pid})
    if kind in TRUSTEE_KINDS:
        from app.secret.notices import describe_duty

        title, lines = describe_duty(kind, p, when)
        return Message(title, lines, "secret.trustees_page", {"proposal_id": pid})
    return Message(kind)


def _time(value: str | None) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None
