"""The one time-driven entry point, run from cron by `flask trust seal-due`.

In order: open every scheduled vote whose time has come; close and seal every vote past its
close, with its consequence (votes.close_and_seal); close every council motion at its voting
deadline, with its consequence (motions.close); record ended council terms; flag community
certifications entering their renewal window and lapse those that ended. Each vote is its own
transaction, so one failure stops no other; the command boundary here is what commits.

The treasury has no time-driven step of its own: a budget is authorised or ratified when the
vote that decides it is sealed or the motion closed (motions.py), not by a later catch-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.accounts import purge
from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.decisions import motions
from app.decisions.votes import close_and_seal
from app.proposals import service as proposals
from app.proposals.models import Proposal


def open_due(now: datetime) -> list[str]:
    done: list[str] = []
    due = db.session.scalars(
        select(Proposal.id).where(Proposal.state == "scheduled", Proposal.opens_at <= now)
    ).all()
    for proposal_id in due:
        proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
        if proposal is not None and proposal.state == "scheduled":
            proposals.open_vote(proposal, now)
            db.session.commit()
            done.append(f"opened {proposal_id}")
    return done


def seal_due_votes(now: datetime) -> list[str]:
    done: list[str] = []
    due = db.session.scalars(
        select(Proposal.id).where(
            Proposal.state.in_(("voting", "closed")), Proposal.closes_at <= now
        )
    ).all()
    for proposal_id in due:
        proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
        if proposal is None or proposal.state not in ("voting", "closed"):
            continue
        decision = close_and_seal(proposal, now=now)
        db.session.commit()
        done.append(f"sealed {proposal_id}")
        done.extend(decision.lines)
    return done


def close_due_motions(now: datetime) -> list[str]:
    """Close every council motion whose voting deadline has passed, with its consequence;
    each in its own transaction."""
    done: list[str] = []
    due = db.session.scalars(
        select(Motion.id)
        .where(Motion.state == "open", Motion.closes_at <= now)
        .order_by(Motion.closes_at, Motion.id)
    ).all()
    for motion_id in due:
        motion = db.session.get(Motion, motion_id, with_for_update=True)
        if motion is None or motion.state != "open":
            continue
        closed = motions.close(motion, None, now)
        db.session.commit()
        done.append(f"motion {motion_id} closed at its deadline: {motion.state}")
        done.extend(closed.lines)
    return done


def run_due(now: datetime | None = None) -> list[str]:
    """Open the votes that are due; close and seal those past their close."""
    now = now or utcnow()
    return open_due(now) + seal_due_votes(now) + close_due_motions(now)


def housekeeping(now: datetime | None = None) -> list[str]:
    """Ended council terms; community certifications due for renewal, or lapsed; sign-ups never
    confirmed, removed."""
    now = now or utcnow()
    lines = council.expire_due(now)
    lines += communities.housekeeping(now)
    lines += purge.purge_unconfirmed(now)
    db.session.commit()
    return lines


def run(now: datetime | None = None) -> list[str]:
    """Everything cron does, in order."""
    now = now or utcnow()
    return run_due(now) + housekeeping(now)
