"""A council seat grants power only as its log leaves record it.

The comparison lives here once: `flask trust audit` runs it over every seat, and the app runs
it over the seats it reads to authorise an act (council pages, approvals, motion votes), so a
row inserted or edited in the database grants nothing even before anyone audits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import String, and_, cast, literal, select

from app.core.extensions import db
from app.council.models import CouncilSeat
from app.translog import kinds
from app.translog.models import LogLeaf
from ballots.records import format_time

SEATED = "council.seated"
VACATED = "council.vacated"


def _time(value: Any) -> str | None:
    return format_time(value) if value is not None else None


def subject_of(seat: CouncilSeat) -> str:
    return f"seat:{seat.id}"


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


def read_with_records(
    *where: Any,
) -> list[tuple[CouncilSeat, dict[str, Any] | None, dict[str, Any] | None]]:
    """The seats matching `where` (by role, then id), each with its last intact seated and
    vacated records, in one statement: the leaves are joined on the indexed subject."""
    subject = literal("seat:", String) + cast(CouncilSeat.id, String)
    rows = db.session.execute(
        select(CouncilSeat, *kinds.LEAF_COLUMNS)
        .outerjoin(LogLeaf, and_(LogLeaf.subject == subject,
                                 LogLeaf.type.in_((SEATED, VACATED))))
        .where(*where)
        .order_by(CouncilSeat.role, CouncilSeat.id, LogLeaf.index)
    )
    found: dict[int, list[Any]] = {}
    for seat, *leaf in rows:
        entry = found.setdefault(seat.id, [seat, None, None])
        if leaf[0] is None:
            continue
        record = kinds.intact_record(tuple(leaf))
        if record is not None:
            entry[1 if leaf[1] == SEATED else 2] = record
    return [(seat, seated, vacated) for seat, seated, vacated in found.values()]
