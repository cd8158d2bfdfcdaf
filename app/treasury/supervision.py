"""A supervisor's power over spending (Art. 22.4 in the demo): suspend a pending disbursement,
which opens a council motion to lift the suspension; until that motion passes, no approval is
taken and the disbursement cannot be recorded. Supervisors never vote on that motion (they are
recused from every motion about spending: app.council.motions.supervisor_ids)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.translog import service as translog
from app.treasury.ledger import TreasuryError
from app.treasury.models import Disbursement, DisbursementSuspension
from ballots.records import format_time
from governance.refusals import N_

LIFT_KIND = "lift_suspension"
MAX_REASON = 2000


def active_suspension(disbursement_id: int) -> DisbursementSuspension | None:
    return db.session.scalar(
        select(DisbursementSuspension)
        .where(DisbursementSuspension.disbursement_id == disbursement_id,
               DisbursementSuspension.lifted_at.is_(None))
        .order_by(DisbursementSuspension.id.desc()).limit(1))


def is_supervisor(member_id: int, now: datetime | None = None) -> bool:
    role = charter.current_rules().spending.supervising_role
    return bool(role) and any(s.member_id == member_id and s.role == role
                              for s in council.active_seats(now))


def suspend(
    supervisor: User, disbursement_id: int, reason: str, *, now: datetime | None = None
) -> DisbursementSuspension:
    """Hold a pending disbursement and open the council motion that may lift the hold."""
    now = now or utcnow()
    rules = charter.current_rules()
    role = rules.spending.supervising_role
    d = db.session.get(Disbursement, disbursement_id)
    if d is None:
        raise TreasuryError(gettext("There is no disbursement %(id)s.", id=disbursement_id))
    problems = []
    if not role or not is_supervisor(supervisor.id, now):
        problems.append(rules.violation(
            "spending.supervision", N_("only a seated supervisor suspends a disbursement")))
    if d.state != "pending":
        problems.append(rules.violation(
            "spending.supervision", N_("only a pending disbursement can be suspended")))
    if active_suspension(d.id) is not None:
        problems.append(rules.violation(
            "spending.supervision", N_("the disbursement is already suspended")))
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        problems.append(rules.violation(
            "spending.supervision", N_("say why you suspend it, in at most 2000 characters")))
    if problems:
        raise TreasuryError(gettext("The suspension was refused; nothing was recorded."),
                            problems)
    motion = council.open_motion(
        supervisor, LIFT_KIND, f"disbursement:{d.id}",
        f"Lift the suspension of disbursement {d.id}", reason, now=now)
    row = DisbursementSuspension(disbursement_id=d.id, supervisor_id=supervisor.id,
                                 reason=reason, suspended_at=now, motion_id=motion.id)
    db.session.add(row)
    db.session.flush()
    translog.append("disbursement.suspended", f"disbursement:{d.id}", {
        "type": "disbursement.suspended",
        "disbursement": d.id,
        "supervisor": supervisor.display_name,
        "reason": reason,
        "motion": motion.id,
        "suspended_at": format_time(now),
    }, at=now)
    audit.record("treasury.suspended", actor_id=supervisor.id, subject=f"disbursement:{d.id}",
                 motion=motion.id)
    return row


def lift(motion: Motion, at: datetime) -> list[str]:
    """The passed lifting motion's consequence: the suspension ends, approvals go on."""
    kind, _sep, ident = motion.subject.partition(":")
    row = active_suspension(int(ident)) if kind == "disbursement" and ident.isdigit() else None
    if row is None or row.motion_id != motion.id:
        return []
    row.lifted_at = at
    translog.append("disbursement.suspension_lifted", motion.subject, {
        "type": "disbursement.suspension_lifted",
        "disbursement": row.disbursement_id,
        "motion": motion.id,
        "lifted_at": format_time(at),
    }, at=at)
    audit.record("treasury.suspension_lifted", subject=motion.subject, motion=motion.id)
    return [f"{motion.subject}: suspension lifted"]
