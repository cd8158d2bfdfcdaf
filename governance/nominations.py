"""Nominating council candidates, and the owners' recall of a seated member: pure rules.

A candidacy is pending until the charter's number of owners (``council.nominations_required``)
have each given their nomination in their own account, within ``council.nomination_days`` of
the candidacy; only then does the candidate stand and go on the next election's ballot. A
charter that sets no number (0) lets every candidate stand at once, as before nominations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from governance.charter_rules import CharterRules
from governance.refusals import N_, Reason, cite
from governance.transitions import require_aware


def nomination_deadline(registered_at: datetime, rules: CharterRules) -> datetime:
    """When nominations for a candidacy registered at ``registered_at`` stop counting."""
    require_aware(registered_at, "registered_at")
    return registered_at + timedelta(days=rules.council.nomination_days)


def required(rules: CharterRules) -> int:
    return rules.council.nominations_required


def stands(given_in_time: int, rules: CharterRules) -> bool:
    """Does a candidate with ``given_in_time`` nominations (given by the deadline) stand?"""
    return given_in_time >= rules.council.nominations_required


@dataclass(frozen=True)
class NominationContext:
    """Facts the app loads before an owner nominates a candidate."""

    candidate_id: int
    nominator_id: int
    now: datetime
    deadline: datetime
    # Still open: not yet on an election's ballot and not withdrawn.
    open: bool
    # Would the nominator be on a roll frozen now?
    on_roll: bool
    already_given: bool

    def __post_init__(self) -> None:
        require_aware(self.now, "now")
        require_aware(self.deadline, "deadline")


def nomination_refusal(ctx: NominationContext, rules: CharterRules) -> Reason | None:
    """Why this owner may not nominate this candidate now, or None."""
    if not ctx.open:
        return Reason("nomination.closed",
                      N_("this candidacy is no longer open for nominations"))
    if rules.council.nominations_required == 0:
        return Reason("nomination.not_needed",
                      N_("the charter lets candidates stand without nominations"))
    where = cite(rules, "council.nominations")
    if ctx.now > ctx.deadline:
        return Reason("nomination.late", N_("nominations closed at %(deadline)s"),
                      {"deadline": ctx.deadline}, **where)
    if ctx.nominator_id == ctx.candidate_id:
        return Reason("nomination.own", N_("a candidate does not nominate themselves"), {},
                      **where)
    if not ctx.on_roll:
        return Reason("nomination.not_on_roll", N_("only owners on the roll nominate"), {},
                      **where)
    if ctx.already_given:
        return Reason("nomination.twice", N_("you have already nominated this candidate"))
    return None


@dataclass(frozen=True)
class RecallContext:
    """Facts about the seat a recall proposal names, loaded when it is drafted or applied."""

    seat_member_id: int | None  # None: no such seat
    named_member_id: int
    seat_active: bool


def recall_refusal(ctx: RecallContext) -> Reason | None:
    """Why a recall of this seat cannot be put (or carried out), or None."""
    if ctx.seat_member_id is None:
        return Reason("recall.no_seat", N_("there is no such council seat"))
    if ctx.seat_member_id != ctx.named_member_id:
        return Reason("recall.wrong_member", N_("the member named does not hold that seat"))
    if not ctx.seat_active:
        return Reason("recall.seat_ended", N_("that seat's term has already ended"))
    return None
