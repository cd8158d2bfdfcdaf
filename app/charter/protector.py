"""The protector's delay on passed charter amendments (rules in governance.protector).

A passed amendment whose charter gives the protector a window is not adopted at its seal: it
waits here, and cron (app.decisions.cron) adopts it when its time comes. The seated protector
may hold it once within the window, publishing why, or let it take effect at once. Every step
is in the log and the audit trail; `flask trust audit` (app.integrity.amendments) holds each
adopted version to the earliest time the log allowed.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.charter.models import CharterVersion, PendingAmendment
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council.seats import active_seats
from app.proposals.models import Proposal
from app.translog import service as translog
from ballots.records import format_time
from governance.charter import CharterRules
from governance.protector import (
    ProtectorError,
    check_hold,
    check_release,
    earliest,
    takes_effect,
    window_ends,
)
from governance.refusals import N_

SCHEDULED = "charter.amendment_scheduled"
HELD = "charter.amendment_held"
RELEASED = "charter.amendment_released"


def rules_voted_under(proposal: Proposal) -> CharterRules:
    """The charter the amendment was voted under: its protector rules govern the delay."""
    version = db.session.scalar(
        select(CharterVersion).where(CharterVersion.version == proposal.charter_version)
    )
    return charter.rules_of(version) if version is not None else charter.current_rules()


def _subject(proposal_id: str) -> str:
    return f"proposal:{proposal_id}"


def pending(limit: int = 100) -> list[PendingAmendment]:
    return list(db.session.scalars(
        select(PendingAmendment).order_by(PendingAmendment.passed_at.desc()).limit(limit)))


def get(pending_id: int) -> PendingAmendment | None:
    return db.session.get(PendingAmendment, pending_id)


def of_proposal(proposal_id: str) -> PendingAmendment | None:
    return db.session.scalar(
        select(PendingAmendment).where(PendingAmendment.proposal_id == proposal_id))


def adopt_or_schedule(proposal: Proposal, passed: bool, sealed_at: datetime) -> list[str]:
    """A sealed amendment vote: adopted at once, or scheduled behind the protector's window."""
    if not passed or proposal.kind != "charter_amendment":
        return []
    rules = rules_voted_under(proposal).protector
    effect = takes_effect(sealed_at, rules)
    if effect is None:
        version = charter.adopt_passed_amendment(proposal, passed)
        return [] if version is None else [f"charter version {version.version} adopted"]
    if of_proposal(proposal.id) is not None:
        return []  # scheduled already: a re-run changes nothing
    row = PendingAmendment(
        proposal_id=proposal.id, state="pending", passed_at=sealed_at,
        window_ends_at=window_ends(sealed_at, rules), takes_effect_at=effect,
    )
    db.session.add(row)
    db.session.flush()
    translog.append(SCHEDULED, _subject(proposal.id), {
        "type": SCHEDULED, "proposal": proposal.id, "passed_at": format_time(sealed_at),
        "window_ends_at": format_time(row.window_ends_at),
        "takes_effect_at": format_time(effect), "article": rules.article,
    }, at=sealed_at)
    audit.record(SCHEDULED, subject=_subject(proposal.id), takes_effect_at=format_time(effect))
    return [f"charter amendment {proposal.id} takes effect at {format_time(effect)}"]


def is_protector(user: User | None, now: datetime | None = None, role: str | None = None) -> bool:
    """Does ``user`` hold the protector's seat (the role the charter in force names, unless
    ``role`` is given: the one named by the charter an amendment was voted under)?"""
    if user is None or getattr(user, "id", None) is None:
        return False
    role = charter.current_rules().protector.role if role is None else role
    return bool(role) and any(
        s.member_id == user.id and s.role == role for s in active_seats(now or utcnow()))


def _require_protector(user: User, row: PendingAmendment, now: datetime) -> CharterRules:
    proposal = db.session.get(Proposal, row.proposal_id)
    assert proposal is not None
    rules = rules_voted_under(proposal)
    if not is_protector(user, now, rules.protector.role):
        raise ProtectorError(
            "protector.not_protector",
            N_("only the seated protector holds or releases a charter amendment"),
            article=rules.protector.article,
            article_text=rules.article_text(rules.protector.article),
        )
    return rules


def hold(user: User, row: PendingAmendment, reason: str, now: datetime | None = None) -> None:
    """The protector holds the amendment once, within the window; the reason is published."""
    now = now or utcnow()
    rules = _require_protector(user, row, now)
    p = rules.protector
    check_hold(row.state, row.passed_at, now, reason, p, rules.article_text(p.article))
    row.state = "held"
    row.held_by, row.held_at, row.hold_reason = user.id, now, reason.strip()
    row.takes_effect_at = earliest(row.passed_at, True, None, p)
    translog.append(HELD, _subject(row.proposal_id), {
        "type": HELD, "proposal": row.proposal_id, "protector": user.display_name,
        "reason": row.hold_reason, "held_at": format_time(now),
        "takes_effect_at": format_time(row.takes_effect_at), "article": p.article,
    }, at=now)
    audit.record(HELD, actor_id=user.id, subject=_subject(row.proposal_id), reason=reason,
                 takes_effect_at=format_time(row.takes_effect_at))
    db.session.flush()


def release(user: User, row: PendingAmendment, now: datetime | None = None) -> CharterVersion:
    """The protector lets the amendment take effect now."""
    now = now or utcnow()
    rules = _require_protector(user, row, now)
    check_release(row.state, rules.protector, rules.article_text(rules.protector.article))
    row.released_by, row.released_at = user.id, now
    translog.append(RELEASED, _subject(row.proposal_id), {
        "type": RELEASED, "proposal": row.proposal_id, "protector": user.display_name,
        "released_at": format_time(now),
    }, at=now)
    audit.record(RELEASED, actor_id=user.id, subject=_subject(row.proposal_id))
    return _apply(row, now)


def _apply(row: PendingAmendment, now: datetime) -> CharterVersion:
    proposal = db.session.get(Proposal, row.proposal_id)
    assert proposal is not None
    payload = json.loads(proposal.payload_json)
    version = charter.adopt_amendment(
        proposal.id, payload["new_text"], payload["new_rules"], payload.get("new_text_zh"),
        at=now)
    row.state, row.version = "applied", version.version
    db.session.flush()
    return version


def apply_due(now: datetime | None = None) -> list[str]:
    """Adopt every waiting amendment whose time has come (cron)."""
    now = now or utcnow()
    lines = []
    due = db.session.scalars(
        select(PendingAmendment)
        .where(PendingAmendment.state != "applied", PendingAmendment.takes_effect_at <= now)
        .order_by(PendingAmendment.takes_effect_at, PendingAmendment.id)
    ).all()
    for row in due:
        version = _apply(row, now)
        lines.append(f"charter version {version.version} adopted ({row.proposal_id})")
    return lines
