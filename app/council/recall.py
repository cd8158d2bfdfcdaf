"""The owners' recall of a seated council member (Art. 11.8 of the demo charter): a
``recall_member`` proposal names the seat and its member; when its vote is sealed as passed the
seat ends at the seal, logged and audited like a resignation, with the vote as its reason."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from app.accounts.models import User
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import seats
from app.council.models import CouncilSeat
from app.proposals.models import Proposal
from governance.nominations import RecallContext, recall_refusal
from governance.refusals import Refusal

REASON_PREFIX = "recalled by owners' vote "


class RecallError(Refusal):
    """A recall that cannot be put to the owners."""


def _context(seat_id: int, member_id: int, at: datetime) -> tuple[CouncilSeat | None,
                                                                  RecallContext]:
    row = db.session.get(CouncilSeat, seat_id)
    active = row is not None and row.term_start <= at < row.term_end and (
        row.vacated_at is None or row.vacated_at > at)
    return row, RecallContext(row.member_id if row else None, member_id, active)


def check(fields: dict[str, object], now: datetime | None = None) -> None:
    """Refuse a recall draft that names no running seat, or the wrong member for it."""
    seat_id, member_id = fields.get("seat"), fields.get("member")
    if type(seat_id) is not int or type(member_id) is not int:
        return  # governance.proposal_fields reports the malformed fields
    _row, ctx = _context(seat_id, member_id, now or utcnow())
    why = recall_refusal(ctx)
    if why is not None:
        raise RecallError.of(why)


def recallable() -> list[tuple[CouncilSeat, str]]:
    """Seats running now, with their member's name, for the recall form."""
    rows = seats.active_seats()
    names = {u.id: u.display_name for u in db.session.scalars(
        select(User).where(User.id.in_({s.member_id for s in rows})))}
    return [(s, names.get(s.member_id, f"#{s.member_id}")) for s in rows]


def carry_out(proposal: Proposal, passed: bool, sealed_at: datetime) -> list[str]:
    """A passed recall vote ends the seat it names at the seal (once; a seat that ended
    meanwhile, by resignation or its term, is reported and left alone)."""
    if proposal.kind != "recall_member" or not passed:
        return []
    fields = json.loads(proposal.payload_json)
    row, ctx = _context(int(fields["seat"]), int(fields["member"]), sealed_at)
    reason = f"{REASON_PREFIX}{proposal.id}"
    if row is not None and row.vacated_reason == reason:
        return []
    why = recall_refusal(ctx)
    if why is not None or row is None:
        return [f"recall {proposal.id} passed but changes nothing: {why}"]
    seats.vacate(row, reason, sealed_at)
    return [f"seat {row.id} ended by owners' recall vote {proposal.id}"]


def recalled_by(seat_row: CouncilSeat) -> str | None:
    """The recall vote that ended this seat, from its published reason."""
    reason = seat_row.vacated_reason or ""
    return reason.removeprefix(REASON_PREFIX) if reason.startswith(REASON_PREFIX) else None
