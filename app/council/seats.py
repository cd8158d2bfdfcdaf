"""Council seats: who is seated (by term window, never by a stored flag), seating and vacating."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import or_, select

from app.accounts.models import User
from app.audit import service as audit
from app.audit import unbacked
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import backing
from app.council.models import CouncilSeat
from app.translog import service as translog
from ballots.records import format_time
from governance.council import Seat, Term, can_stand_for_reelection, vacancies


class SeatError(ValueError):
    """A seat that may not be filled or vacated."""


def _active(at: datetime):  # type: ignore[no-untyped-def]
    return (
        CouncilSeat.term_start <= at,
        CouncilSeat.term_end > at,
        or_(CouncilSeat.vacated_at.is_(None), CouncilSeat.vacated_at > at),
    )


def active_seats(at: datetime | None = None) -> list[CouncilSeat]:
    """Seats active at `at` whose rows reproduce their log leaves; a seat the log does not
    back (inserted or edited in the database) is left out, and the refusal recorded."""
    return _backed(_read(*_active(at or utcnow())))


# Each seat with its last intact council.seated and council.vacated records (or None).
Read = list[tuple[CouncilSeat, Any, Any]]


def _read(*where: object) -> Read:
    return backing.read_with_records(*where)


def _backed(found: Read, actor_id: int | None = None) -> list[CouncilSeat]:
    kept = []
    for seat_row, seated, vacated in found:
        problems = backing.seat_problems(seat_row, seated, vacated,
                                         lambda r=seat_row: _name(r.member_id))
        if problems:
            unbacked.refuse(backing.subject_of(seat_row), "; ".join(problems), actor_id=actor_id)
        else:
            kept.append(seat_row)
    return kept


def _name(member_id: int) -> str | None:
    member = db.session.get(User, member_id)
    return member.display_name if member is not None else None


def seated_member_ids(at: datetime | None = None) -> set[int]:
    return {seat.member_id for seat in active_seats(at)}


def unbacked_seat(user: User, at: datetime | None = None) -> bool:
    """Whether the user holds an active seat row that the log does not back: the pages say so
    rather than a bare "not allowed"."""
    if getattr(user, "id", None) is None:
        return False
    found = _read(CouncilSeat.member_id == user.id, *_active(at or utcnow()))
    return bool(found) and not _backed(found, user.id)


def is_seated(user: User, at: datetime | None = None) -> bool:
    if not getattr(user, "is_authenticated", True) or getattr(user, "id", None) is None:
        return False
    found = _read(CouncilSeat.member_id == user.id, *_active(at or utcnow()))
    return bool(_backed(found, user.id))


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
    return [
        Term(r.term_start, min(r.term_end, r.vacated_at or r.term_end))
        for r in rows
        if (r.vacated_at or r.term_end) > r.term_start
    ]


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
        "member_id": member.id,
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
        raise SeatError(
            gettext(
                "%(name)s has served the most consecutive terms as %(role)s; %(article)s",
                name=member.display_name,
                role=role,
                article=rules.article("council.term_limit"),
            )
        )
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
    translog.append("council.seated", f"seat:{row.id}", _seat_record(row, member), at=term_start)
    _sync_role(member, max(term_start, utcnow()))  # after the leaf: only a logged seat counts
    audit.record(
        "council.seated",
        actor_id=actor_id,
        subject=f"seat:{row.id}",
        role=role,
        member=member.id,
        elected_by=elected_by,
    )
    return row


def vacate(
    seat_row: CouncilSeat, reason: str, at: datetime | None = None, *, actor_id: int | None = None
) -> None:
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
    _sync_role(member, utcnow())
    audit.record(
        "council.vacated",
        actor_id=actor_id,
        subject=f"seat:{seat_row.id}",
        reason=seat_row.vacated_reason,
    )


def resign(member: User, seat_row: CouncilSeat, reason: str, at: datetime | None = None) -> None:
    """A member gives up their own seat, publicly and with the reason; nobody resigns another."""
    at = at or utcnow()
    if seat_row.member_id != member.id:
        raise SeatError(gettext("only the member in a seat resigns from it"))
    if seat_row.vacated_at is not None or seat_row.term_end <= at:
        raise SeatError(gettext("this seat is already vacated"))
    # The member's own words are published as the reason (vacate refuses an empty one).
    vacate(seat_row, reason, at, actor_id=member.id)


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
