"""The council: who is seated now, and motions with their votes and recusals."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select

from governance.council import MotionError, MotionVote, cast_motion_vote, motion_outcome

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.council.models import CouncilSeat, Motion, MotionVoteRecord, Recusal
from app.db_types import utcnow
from app.extensions import db

__all__ = ["MotionError"]


def active_seats(at: datetime | None = None) -> list[CouncilSeat]:
    at = at or utcnow()
    return list(
        db.session.scalars(
            select(CouncilSeat)
            .where(
                CouncilSeat.term_start <= at,
                CouncilSeat.term_end > at,
                CouncilSeat.vacated_at.is_(None),
            )
            .order_by(CouncilSeat.role, CouncilSeat.id)
        )
    )


def seated_member_ids(at: datetime | None = None) -> set[int]:
    return {seat.member_id for seat in active_seats(at)}


def is_seated(user: User, at: datetime | None = None) -> bool:
    return user.id in seated_member_ids(at)


def open_motion(opener: User, kind: str, subject: str, title: str, body: str = "") -> Motion:
    if not is_seated(opener):
        raise MotionError("only a seated council member opens a motion")
    motion = Motion(kind=kind, subject=subject, title=title, body=body, opened_by=opener.id)
    db.session.add(motion)
    db.session.flush()
    audit.record("motion.opened", actor_id=opener.id, subject=f"motion:{motion.id}", kind=kind)
    return motion


def recusals_of(motion: Motion) -> dict[int, str]:
    rows = db.session.scalars(select(Recusal).where(Recusal.motion_id == motion.id))
    return {r.member_id: r.reason for r in rows}


def votes_of(motion: Motion) -> list[MotionVote]:
    rows = db.session.scalars(
        select(MotionVoteRecord).where(MotionVoteRecord.motion_id == motion.id)
    )
    return [MotionVote(r.member_id, r.choice) for r in rows]


def recuse(motion: Motion, member: User, reason: str) -> None:
    if motion.state != "open":
        raise MotionError("the motion is closed")
    if not reason.strip():
        raise MotionError("say what the interest is: recusals are public")
    if any(v.member_id == member.id for v in votes_of(motion)):
        raise MotionError("you have already voted on this motion; a recusal comes before voting")
    db.session.add(Recusal(motion_id=motion.id, member_id=member.id, reason=reason.strip()))
    audit.record("motion.recusal", actor_id=member.id, subject=f"motion:{motion.id}", reason=reason)


def vote(motion: Motion, member: User, choice: str) -> None:
    if motion.state != "open":
        raise MotionError("the motion is closed")
    checked = cast_motion_vote(
        member.id,
        choice,
        seated_ids=seated_member_ids(),
        recused_ids=set(recusals_of(motion)),
        votes_so_far=votes_of(motion),
        rules=charter.current_rules(),
    )
    db.session.add(
        MotionVoteRecord(motion_id=motion.id, member_id=checked.member_id, choice=checked.choice)
    )
    audit.record("motion.vote", actor_id=member.id, subject=f"motion:{motion.id}", choice=choice)


def close_motion(motion: Motion, closer: User | None) -> bool:
    """Count the motion under the charter; returns whether it passed."""
    if motion.state != "open":
        raise MotionError("the motion is already closed")
    outcome = motion_outcome(
        seated_member_ids(), votes_of(motion), set(recusals_of(motion)), charter.current_rules()
    )
    motion.state = "passed" if outcome.passed else "failed"
    motion.closed_at = utcnow()
    motion.outcome_json = json.dumps(asdict(outcome))
    audit.record(
        "motion.closed",
        actor_id=closer.id if closer else None,
        subject=f"motion:{motion.id}",
        outcome=motion.state,
        explanation=outcome.explanation,
    )
    return outcome.passed
