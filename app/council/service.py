"""The council: who is seated (by term window, never by a stored flag), seating and vacating,
and motions with their votes and recusals."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import or_, select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council.models import CouncilSeat, Motion, MotionVoteRecord, Recusal
from app.translog import service as translog
from ballots.records import format_time
from governance.council import (
    MotionError,
    MotionVote,
    Seat,
    Term,
    can_stand_for_reelection,
    cast_motion_vote,
    motion_outcome,
    recusal_required,
    vacancies,
)

__all__ = ["MotionError", "SeatError"]

# The reason stored (and logged) for an automatic recusal, before the motion's subject.
INTEREST_PREFIX = "interest in "


class SeatError(ValueError):
    """A seat that may not be filled or vacated."""


def _active(at: datetime):  # type: ignore[no-untyped-def]
    return (
        CouncilSeat.term_start <= at,
        CouncilSeat.term_end > at,
        or_(CouncilSeat.vacated_at.is_(None), CouncilSeat.vacated_at > at),
    )


def active_seats(at: datetime | None = None) -> list[CouncilSeat]:
    at = at or utcnow()
    return list(
        db.session.scalars(
            select(CouncilSeat).where(*_active(at)).order_by(CouncilSeat.role, CouncilSeat.id)
        )
    )


def seated_member_ids(at: datetime | None = None) -> set[int]:
    return {seat.member_id for seat in active_seats(at)}


def is_seated(user: User, at: datetime | None = None) -> bool:
    if not getattr(user, "is_authenticated", True) or getattr(user, "id", None) is None:
        return False
    at = at or utcnow()
    found = db.session.scalar(
        select(CouncilSeat.id).where(CouncilSeat.member_id == user.id, *_active(at)).limit(1)
    )
    return found is not None


def past_seats(at: datetime | None = None) -> list[CouncilSeat]:
    at = at or utcnow()
    return list(
        db.session.scalars(
            select(CouncilSeat)
            .where(or_(CouncilSeat.term_end <= at, CouncilSeat.vacated_at <= at))
            .order_by(CouncilSeat.term_start.desc(), CouncilSeat.id)
        )
    )


def open_vacancies(at: datetime | None = None) -> dict[str, int]:
    at = at or utcnow()
    seats = [Seat(s.member_id, s.role, Term(s.term_start, s.term_end)) for s in active_seats(at)]
    return vacancies(seats, charter.current_rules(), at)


def terms_in_role(member_id: int, role: str) -> list[Term]:
    rows = db.session.scalars(
        select(CouncilSeat).where(CouncilSeat.member_id == member_id, CouncilSeat.role == role)
    )
    # A term cut short still counts as served up to the day it ended.
    return [Term(r.term_start, min(r.term_end, r.vacated_at or r.term_end)) for r in rows
            if (r.vacated_at or r.term_end) > r.term_start]


def may_stand(member_id: int, role: str, term_start: datetime) -> bool:
    return can_stand_for_reelection(
        terms_in_role(member_id, role), charter.current_rules(), term_start
    )


def _sync_role(user: User, at: datetime) -> None:
    # The role flag mirrors the seats for display; powers are checked against the seats.
    if user.role != "admin":
        user.role = "council" if is_seated(user, at) else "owner"


def _seat_record(seat: CouncilSeat, member: User) -> dict[str, object]:
    return {
        "type": "council.seated",
        "seat": seat.id,
        "member": member.display_name,
        "role": seat.role,
        "term_start": format_time(seat.term_start),
        "term_end": format_time(seat.term_end),
        "elected_by": seat.elected_by,
    }


def seat(
    member: User,
    role: str,
    term_start: datetime,
    *,
    elected_by: str | None = None,
    actor_id: int | None = None,
) -> CouncilSeat:
    """Seat a member for one charter term from `term_start`, within the term limit."""
    rules = charter.current_rules()
    if not may_stand(member.id, role, term_start):
        raise SeatError(gettext(
            "%(name)s has served the most consecutive terms as %(role)s; %(article)s",
            name=member.display_name, role=role, article=rules.article("council.term_limit"),
        ))
    term = Term.starting(term_start, rules)
    row = CouncilSeat(
        member_id=member.id,
        role=role,
        term_start=term.start,
        term_end=term.end,
        elected_by=elected_by,
    )
    db.session.add(row)
    db.session.flush()
    _sync_role(member, max(term_start, utcnow()))
    translog.append("council.seated", f"seat:{row.id}", _seat_record(row, member), at=term_start)
    audit.record("council.seated", actor_id=actor_id, subject=f"seat:{row.id}", role=role,
                 member=member.id, elected_by=elected_by)
    return row


def vacate(seat_row: CouncilSeat, reason: str, at: datetime | None = None,
           *, actor_id: int | None = None) -> None:
    """End a seat before (or, for expiry, at) its term's end, publicly and with the reason."""
    at = at or utcnow()
    if seat_row.vacated_at is not None:
        raise SeatError(gettext("this seat is already vacated"))
    if not reason.strip():
        raise SeatError(gettext("say why the seat is vacated: vacancies are public"))
    seat_row.vacated_at = min(at, seat_row.term_end)
    seat_row.vacated_reason = reason.strip()
    member = db.session.get(User, seat_row.member_id)
    assert member is not None
    db.session.flush()
    _sync_role(member, utcnow())
    translog.append(
        "council.vacated",
        f"seat:{seat_row.id}",
        {
            "type": "council.vacated",
            "seat": seat_row.id,
            "member": member.display_name,
            "role": seat_row.role,
            "vacated_at": format_time(seat_row.vacated_at),
            "reason": seat_row.vacated_reason,
        },
        at=seat_row.vacated_at,
    )
    audit.record("council.vacated", actor_id=actor_id, subject=f"seat:{seat_row.id}",
                 reason=seat_row.vacated_reason)


def expire_due(now: datetime | None = None) -> list[str]:
    """Record every term that has ended: the seat was already inactive (queries use the term
    window); this makes the end public in the log and clears the role flag."""
    now = now or utcnow()
    due = db.session.scalars(
        select(CouncilSeat)
        .where(CouncilSeat.term_end <= now, CouncilSeat.vacated_at.is_(None))
        .order_by(CouncilSeat.id)
    ).all()
    for row in due:
        vacate(row, "term ended", row.term_end)
    return [f"seat {row.id} expired" for row in due]


# Motions -------------------------------------------------------------------------------------


def interests_of(member_id: int) -> set[str]:
    """The tags a member has an interest in, whether they declared it or not."""
    from app.communities.models import CommunityMember

    communities = db.session.scalars(
        select(CommunityMember.community_id).where(CommunityMember.owner_id == member_id)
    )
    return {f"member:{member_id}"} | {f"community:{cid}" for cid in communities}


def get_motion(motion_id: int) -> Motion | None:
    return db.session.get(Motion, motion_id)


def motions(state: str | None = None, limit: int = 200) -> list[Motion]:
    query = select(Motion).order_by(Motion.opened_at.desc(), Motion.id.desc()).limit(limit)
    if state:
        query = query.where(Motion.state == state)
    return list(db.session.scalars(query))


def motions_about(subject: str) -> list[Motion]:
    return list(
        db.session.scalars(
            select(Motion).where(Motion.subject == subject).order_by(Motion.opened_at, Motion.id)
        )
    )


def passed_motion(kind: str, subject: str) -> Motion | None:
    return db.session.scalar(
        select(Motion)
        .where(Motion.kind == kind, Motion.subject == subject, Motion.state == "passed")
        .order_by(Motion.closed_at.desc(), Motion.id.desc())
        .limit(1)
    )


def open_motion(
    opener: User,
    kind: str,
    subject: str,
    title: str,
    body: str = "",
    now: datetime | None = None,
) -> Motion:
    """Open a motion; seated members with an interest in its subject are recused at once."""
    now = now or utcnow()
    if not is_seated(opener, now):
        raise MotionError(gettext(
            "only a seated council member opens a motion; %(article)s",
            article=charter.current_rules().article("council.members_only"),
        ))
    already = db.session.scalar(
        select(Motion.id).where(
            Motion.kind == kind, Motion.subject == subject, Motion.state == "open"
        )
    )
    if already is not None:
        raise MotionError(
            gettext("motion %(id)s on this already is open; vote on it instead", id=already))
    motion = Motion(
        kind=kind, subject=subject, title=title.strip(), body=body.strip(), opened_by=opener.id,
        opened_at=now,
    )
    db.session.add(motion)
    db.session.flush()
    audit.record("motion.opened", actor_id=opener.id, subject=f"motion:{motion.id}", kind=kind)
    translog.append("motion.opened", f"motion:{motion.id}", {
        "type": "motion.opened", "motion": motion.id, "kind": kind, "subject": subject,
        "title": motion.title, "body_sha256": hashlib.sha256(motion.body.encode()).hexdigest(),
        "opened_by": _names({opener.id})[opener.id], "opened_at": format_time(now),
    }, at=now)
    for member_id in sorted(seated_member_ids(now)):
        if recusal_required(interests_of(member_id), {subject}):
            db.session.add(Recusal(motion_id=motion.id, member_id=member_id,
                                   reason=INTEREST_PREFIX + subject, at=now))
            audit.record("motion.recusal", actor_id=None, subject=f"motion:{motion.id}",
                         member=member_id, reason=INTEREST_PREFIX + subject)
    db.session.flush()
    return motion


def recusals_of(motion: Motion) -> dict[int, str]:
    rows = db.session.scalars(select(Recusal).where(Recusal.motion_id == motion.id))
    return {r.member_id: r.reason for r in rows}


def votes_of(motion: Motion) -> list[MotionVote]:
    rows = db.session.scalars(
        select(MotionVoteRecord).where(MotionVoteRecord.motion_id == motion.id)
    )
    return [MotionVote(r.member_id, r.choice) for r in rows]


def vote_rows(motion: Motion) -> list[MotionVoteRecord]:
    return list(
        db.session.scalars(
            select(MotionVoteRecord)
            .where(MotionVoteRecord.motion_id == motion.id)
            .order_by(MotionVoteRecord.at, MotionVoteRecord.id)
        )
    )


def recusal_rows(motion: Motion) -> list[Recusal]:
    return list(
        db.session.scalars(
            select(Recusal).where(Recusal.motion_id == motion.id).order_by(Recusal.at, Recusal.id)
        )
    )


def recuse(motion: Motion, member: User, reason: str, now: datetime | None = None) -> None:
    if motion.state != "open":
        raise MotionError(gettext("the motion is closed"))
    if not is_seated(member, now):
        raise MotionError(gettext("only a seated council member recuses"))
    if not reason.strip():
        raise MotionError(gettext("say what the interest is: recusals are public"))
    if member.id in recusals_of(motion):
        raise MotionError(gettext("you are already recused from this motion"))
    if any(v.member_id == member.id for v in votes_of(motion)):
        raise MotionError(
            gettext("you have already voted on this motion; a recusal comes before voting"))
    db.session.add(Recusal(motion_id=motion.id, member_id=member.id, reason=reason.strip(),
                           at=now or utcnow()))
    audit.record("motion.recusal", actor_id=member.id, subject=f"motion:{motion.id}", reason=reason)


def vote(motion: Motion, member: User, choice: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    if motion.state != "open":
        raise MotionError(gettext("the motion is closed"))
    rules = charter.current_rules()
    recused = recusals_of(motion)
    if member.id not in recused and recusal_required(interests_of(member.id), {motion.subject}):
        # An undeclared interest still bars the vote; the recusal is recorded for the public.
        db.session.add(Recusal(motion_id=motion.id, member_id=member.id,
                               reason=INTEREST_PREFIX + motion.subject, at=now))
        audit.record("motion.recusal", actor_id=None, subject=f"motion:{motion.id}",
                     member=member.id, reason=INTEREST_PREFIX + motion.subject)
        db.session.flush()
        raise MotionError(gettext(
            "you have an interest in %(subject)s and are recused; %(article)s",
            subject=motion.subject, article=rules.article("council.recusal"),
        ))
    checked = cast_motion_vote(
        member.id,
        choice,
        seated_ids=seated_member_ids(now),
        recused_ids=set(recused),
        votes_so_far=votes_of(motion),
        rules=rules,
    )
    db.session.add(
        MotionVoteRecord(
            motion_id=motion.id, member_id=checked.member_id, choice=checked.choice, at=now
        )
    )
    audit.record("motion.vote", actor_id=member.id, subject=f"motion:{motion.id}", choice=choice)


def close_motion(motion: Motion, closer: User | None, now: datetime | None = None) -> bool:
    """Count the motion under the charter, publish it in the log; returns whether it passed."""
    now = now or utcnow()
    if motion.state != "open":
        raise MotionError(gettext("the motion is already closed"))
    if closer is not None and not (closer.is_admin or is_seated(closer, now)):
        raise MotionError(gettext("only a seated council member closes a motion"))
    # Choosing when to count is a say in the outcome, which recusal gives up.
    if closer is not None and not closer.is_admin and closer.id in recusals_of(motion):
        raise MotionError(gettext("a member recused from a motion cannot close it"))
    db.session.flush()
    seated = seated_member_ids(now)
    recused = recusals_of(motion)
    # A member whose seat ended while the motion ran no longer counts, nor does their vote.
    votes = [v for v in votes_of(motion) if v.member_id in seated]
    outcome = motion_outcome(seated, votes, set(recused) & seated, charter.current_rules())
    motion.state = "passed" if outcome.passed else "failed"
    motion.closed_at = now
    motion.outcome_json = json.dumps(asdict(outcome))
    names = _names({*recused, *(v.member_id for v in votes)})
    translog.append(
        "council.motion",
        f"motion:{motion.id}",
        {
            "type": "council.motion",
            "motion": motion.id,
            "kind": motion.kind,
            "subject": motion.subject,
            "title": motion.title,
            "opened_at": format_time(motion.opened_at),
            "closed_at": format_time(now),
            "outcome": motion.state,
            "explanation": outcome.explanation,
            "votes": sorted([names[v.member_id], v.choice] for v in votes),
            "recused": sorted(names[m] for m in recused),
        },
        at=now,
    )
    audit.record(
        "motion.closed",
        actor_id=closer.id if closer else None,
        subject=f"motion:{motion.id}",
        outcome=motion.state,
        explanation=outcome.explanation,
    )
    return outcome.passed


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows}


def outcome_of(motion: Motion) -> dict[str, object] | None:
    return json.loads(motion.outcome_json) if motion.outcome_json else None
