"""What a closed council motion sets in motion: one table, motion kind -> handler.

`close` counts the motion under the charter (app.council.service.close_motion, which also
decides who may close it) and, if it passed, hands it to the handler for its kind. Each kind
acts on one kind of subject, named in the table. Like `votes.close_and_seal` it runs in the
caller's transaction and does not commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.accounts.models import User
from app.communities import service as communities
from app.core.db_types import utcnow
from app.council import service as council
from app.council.models import Motion
from app.treasury import budgets, supervision

Handler = Callable[[Motion, datetime], list[str]]


@dataclass
class Closed:
    passed: bool
    lines: list[str] = field(default_factory=list)


def nothing(motion: Motion, at: datetime) -> list[str]:
    return []


_nothing = nothing


def _community_step(motion: Motion, at: datetime) -> list[str]:
    """Subject `community:<id>`: the community takes the step the motion decided."""
    event = communities.carry_out(motion, now=at)
    return [] if event is None else [f"{motion.subject}: {event.action}"]


def _treasury(motion: Motion, at: datetime) -> list[str]:
    """Subject `emergency:<budget id>`: the emergency budget is authorised, or ratified."""
    return budgets.carry_out(motion)


def _lift_suspension(motion: Motion, at: datetime) -> list[str]:
    return supervision.lift(motion, at)


# Every motion kind (governance.council.MOTION_KINDS) and what passing it does at once.
# A test pins this table to those kinds: a new kind needs a row here.
CONSEQUENCES: dict[str, Handler] = {
    "certify_community": _community_step,
    "reject_community": _community_step,
    "renew_community": _community_step,
    "revoke_community": _community_step,
    "emergency_spending": _treasury,
    # Kept for motions recorded before the charter put ratification to the owners: a passed
    # one changes nothing now (app.treasury.budgets.carry_out ignores it).
    "ratify_emergency": _nothing,
    # Subject `proposal:<id>`: the passed motion is the permission; the accept step (which sets
    # the voting window) or the reject step is then taken on the proposal's page.
    "accept_proposal": _nothing,
    "reject_proposal": _nothing,
    # The approvals themselves are recorded on the disbursement; the motion is the discussion.
    "approve_disbursement": _nothing,
    # Subject `txn:<id>`: the passed motion is the permission no administrator has alone; the
    # reversal is then written from the ledger page, citing it (app.treasury.ledger.reverse).
    "reverse_transaction": _nothing,
    # Subject `proposal:<id>`: the passed motion is the permission to seal that vote again;
    # the correction cites it (app.results.seal.seal, `flask trust seal --correction`).
    "correct_result": _nothing,
    # Subject `disbursement:<id>`: a supervisor's suspension ends; approvals may go on.
    "lift_suspension": _lift_suspension,
    "general": _nothing,
}


def close(motion: Motion, closer: User | None, now: datetime | None = None) -> Closed:
    """Count a motion, publish it, and carry out what it decided if it passed."""
    now = now or utcnow()
    passed = council.close_motion(motion, closer, now)
    if not passed:
        return Closed(False)
    return Closed(True, CONSEQUENCES.get(motion.kind, _nothing)(motion, now))
