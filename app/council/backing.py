"""A council seat grants power only as its log leaves record it.

The comparison lives here once: `flask trust audit` runs it over every seat, and the app runs
it over the seats it reads to authorise an act (council pages, approvals, motion votes), so a
row inserted or edited in the database grants nothing even before anyone audits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.council.models import CouncilSeat
from app.translog import kinds
from ballots.records import format_time

SEATED = "council.seated"
VACATED = "council.vacated"


def _time(value: Any) -> str | None:
    return format_time(value) if value is not None else None


def subject_of(seat: CouncilSeat) -> str:
    return f"seat:{seat.id}"


def content_key(seat: CouncilSeat) -> tuple[Any, ...]:
    return (seat.id, seat.member_id, seat.role, seat.term_start, seat.term_end,
            seat.elected_by, seat.vacated_at)


def seat_problems(
    seat: CouncilSeat,
    seated: dict[str, Any] | None,
    vacated: dict[str, Any] | None,
    member_name: Callable[[], str | None],
) -> list[str]:
    """What in this row its `council.seated` / `council.vacated` records do not say (empty:
    the row reproduces them). `member_name` is read only for leaves older than `member_id`."""
    if seated is None:
        return ["no council.seated leaf seated it: the row was inserted"]
    found = {
        "role": seat.role,
        "term_start": _time(seat.term_start),
        "term_end": _time(seat.term_end),
        "elected_by": seat.elected_by,
    }
    changed = [k for k, v in found.items() if seated.get(k) != v]
    if "member_id" in seated:
        if seated["member_id"] != seat.member_id:
            changed.append("member")
    elif seated.get("member") != member_name():
        changed.append("member")
    problems = []
    if changed:
        problems.append(f"{', '.join(changed)} differ from the logged seating")
    if vacated is not None and _time(seat.vacated_at) != vacated.get("vacated_at"):
        problems.append("was vacated in the log but the row says otherwise")
    if vacated is None and seat.vacated_at is not None:
        problems.append("is marked vacated but no council.vacated leaf says so")
    return problems


def logged_records(
    seats: Iterable[CouncilSeat],
) -> dict[int, tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """Each seat's last intact seated and vacated records, read in one indexed query."""
    seats = list(seats)
    leaves = kinds.intact_records([subject_of(s) for s in seats], (SEATED, VACATED))
    out: dict[int, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    for seat in seats:
        seated = vacated = None
        for type_, record in leaves[subject_of(seat)]:
            if type_ == SEATED:
                seated = record
            else:
                vacated = record
        out[seat.id] = (seated, vacated)
    return out
