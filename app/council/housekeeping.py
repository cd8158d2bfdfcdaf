"""Time-driven council work, run from cron after sealing: motions at their deadline, questions
the owners decided for the council, ended terms, due renewals, lapses, and passed treasury
motions not yet applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.treasury import service as treasury


def _carry_out(motion: Motion) -> None:
    communities.carry_out(motion)
    treasury.carry_out(motion)


def close_motions(now: datetime | None = None) -> list[str]:
    """Close motions whose deadline passed, then settle referred ones whose owners' vote is
    sealed; each passed motion's consequence follows as if a member had closed it."""
    now = now or utcnow()
    lines = []
    for motion in db.session.scalars(
        select(Motion)
        .where(Motion.state == "open", Motion.closes_at <= now)
        .order_by(Motion.closes_at, Motion.id)
    ).all():
        council.close_motion(motion, None, now)
        _carry_out(motion)
        lines.append(f"motion {motion.id} closed at its deadline: {motion.state}")
    for motion in db.session.scalars(
        select(Motion).where(Motion.state == "referred", Motion.referred_to.is_not(None))
    ).all():
        assert motion.referred_to is not None
        settled = council.referral_outcome(motion.referred_to)
        if settled is not None:
            _carry_out(settled)
            lines.append(f"motion {motion.id} decided by the owners: {settled.state}")
    return lines


def run(now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    lines = close_motions(now)
    lines += council.expire_due(now)
    lines += communities.housekeeping(now)
    # Passed emergency and ratification motions take effect even if no one pressed a button.
    lines += treasury.sync_budgets()
    db.session.commit()
    return lines
