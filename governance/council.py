"""The council: seats, terms, elections and motions.

Terms run ``[start, end)`` with ``end = start + term_days``. Terms in one role are
*consecutive* when the gap between them is shorter than a full term: a member must sit out a
whole term before the count starts again.

Motions: a member may vote only while seated and not recused. The quorum counts members who
voted (abstentions included) against the seated members who are not recused; the majority
compares votes for with votes for + against, needs at least ``motion_majority`` of them and
never passes on a tie. All arithmetic is on integers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from governance.charter import ROLES, CharterRules
from governance.transitions import require_aware

MOTION_KINDS = (
    "certify_community",
    "reject_community",
    "revoke_community",
    "renew_community",
    "approve_disbursement",
    "emergency_spending",
    "ratify_emergency",
    "accept_proposal",
    "reject_proposal",
    "general",
)
CHOICES = ("for", "against", "abstain")


class MotionError(ValueError):
    """A council vote that may not be cast or counted."""


@dataclass(frozen=True)
class Term:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("a term ends after it starts")

    @classmethod
    def starting(cls, start: datetime, rules: CharterRules) -> Term:
        return cls(start, start + timedelta(days=rules.council.term_days))


def seat_status(term: Term, now: datetime) -> str:
    """``upcoming``, ``active`` or ``expired``."""
    require_aware(now, "now")
    if now < term.start:
        return "upcoming"
    return "active" if now < term.end else "expired"


def consecutive_terms(history: Sequence[Term], rules: CharterRules) -> int:
    """How many terms in a row end with the latest one in ``history`` (one member, one role)."""
    terms = sorted(history, key=lambda t: t.start)
    if not terms:
        return 0
    gap = timedelta(days=rules.council.term_days)
    run = 1
    for earlier, later in zip(terms, terms[1:], strict=False):
        run = run + 1 if later.start - earlier.end < gap else 1
    return run


def can_stand_for_reelection(
    history: Sequence[Term], rules: CharterRules, new_term_start: datetime
) -> bool:
    """Would a term starting at ``new_term_start`` stay within the charter's term limit?"""
    proposed = [*history, Term.starting(new_term_start, rules)]
    return consecutive_terms(proposed, rules) <= rules.council.term_limit


@dataclass(frozen=True)
class Seat:
    member_id: int
    role: str
    term: Term


def vacancies(seated: Iterable[Seat], rules: CharterRules, now: datetime) -> dict[str, int]:
    """Empty seats per role at ``now``: the charter's seats minus members actively seated.

    A role may hold more members than the charter now allows (an amendment cut its seats
    mid-term); it then shows 0 vacancies, not a negative number.
    """
    filled: dict[str, set[int]] = {role: set() for role in ROLES}
    for seat in seated:
        if seat.role not in filled:
            raise ValueError(f"unknown council role {seat.role!r}")
        if seat_status(seat.term, now) == "active":
            filled[seat.role].add(seat.member_id)
    return {role: max(0, rules.council.seats_for(role) - len(filled[role])) for role in ROLES}


@dataclass(frozen=True)
class ElectionSeats:
    """Who an election seats. ``tied`` candidates share the last places; they are not seated
    and the seats they compete for stay in ``unfilled`` until a run-off decides."""

    role: str
    seats: int
    elected: tuple[int, ...]
    tied: tuple[int, ...]
    unfilled: int


def seats_from_election(
    totals: Mapping[int, int],
    role: str,
    rules: CharterRules,
    *,
    passed: bool = True,
    seats: int | None = None,
) -> ElectionSeats:
    """Seat the candidates with the most approval weight.

    ``totals`` is each candidate's approval weight from the sealed tally; ``passed`` is false
    when the vote missed its quorum (nobody is then seated). A candidate with no approval is
    never seated. A tie at the last seat is reported, never resolved by order or by id.
    """
    most = rules.council.seats_for(role)
    seats = most if seats is None else seats
    if not 1 <= seats <= most:
        raise ValueError(f"{role} has {most} seats; cannot elect {seats}")
    if any(type(w) is not int or w < 0 for w in totals.values()):
        raise ValueError("approval totals are integers >= 0")
    if not passed:
        return ElectionSeats(role, seats, (), (), seats)
    by_total: dict[int, list[int]] = {}
    for candidate, total in totals.items():
        if total > 0:
            by_total.setdefault(total, []).append(candidate)
    elected: list[int] = []
    tied: list[int] = []
    for total in sorted(by_total, reverse=True):
        group = sorted(by_total[total])
        if len(elected) + len(group) <= seats:
            elected += group
        elif len(elected) < seats:
            tied = group
            break
        if len(elected) == seats:
            break
    return ElectionSeats(role, seats, tuple(elected), tuple(tied), seats - len(elected))


@dataclass(frozen=True)
class MotionVote:
    member_id: int
    choice: str

    def __post_init__(self) -> None:
        if self.choice not in CHOICES:
            raise MotionError(f"a motion vote is one of {', '.join(CHOICES)}, not {self.choice!r}")


def recusal_required(member_interests: Collection[str], motion_subject: Collection[str]) -> bool:
    """A member declaring an interest in anything the motion is about must recuse.

    Interests and subjects are plain tags the app agrees on, e.g. ``community:12``,
    ``beneficiary:red-cross-wuhan``, ``member:7``.
    """
    return not set(member_interests).isdisjoint(motion_subject)


def cast_motion_vote(
    member_id: int,
    choice: str,
    *,
    seated_ids: Collection[int],
    recused_ids: Collection[int],
    votes_so_far: Iterable[MotionVote],
    rules: CharterRules,
) -> MotionVote:
    """Check a council member's vote on a motion; raise ``MotionError`` quoting the charter."""
    if member_id not in seated_ids:
        raise MotionError(
            f"member {member_id} is not seated on the council; "
            + rules.article("council.members_only")
        )
    if member_id in recused_ids:
        raise MotionError(
            f"member {member_id} is recused from this motion and may not vote; "
            + rules.article("council.recusal")
        )
    if any(v.member_id == member_id for v in votes_so_far):
        raise MotionError(f"member {member_id} has already voted on this motion")
    return MotionVote(member_id, choice)


@dataclass(frozen=True)
class MotionOutcome:
    eligible: int
    voted: int
    votes_for: int
    votes_against: int
    abstentions: int
    quorum_met: bool
    passed: bool
    explanation: str


def motion_outcome(
    seated_member_ids: Collection[int],
    votes: Iterable[MotionVote],
    recusals: Collection[int],
    rules: CharterRules,
) -> MotionOutcome:
    """Count a council motion. Raises ``MotionError`` if any vote should never have been cast."""
    eligible_ids = set(seated_member_ids) - set(recusals)
    seen: set[int] = set()
    counts = dict.fromkeys(CHOICES, 0)
    for vote in votes:
        if vote.member_id in seen:
            raise MotionError(f"member {vote.member_id} voted twice")
        if vote.member_id not in eligible_ids:
            why = "recused" if vote.member_id in recusals else "not seated"
            raise MotionError(f"vote by member {vote.member_id} refused: {why}")
        seen.add(vote.member_id)
        counts[vote.choice] += 1
    voted = len(seen)
    q_num, q_den = rules.council.motion_quorum
    m_num, m_den = rules.council.motion_majority
    yes, no = counts["for"], counts["against"]
    quorum_met = len(eligible_ids) > 0 and voted * q_den >= q_num * len(eligible_ids)
    majority = yes * m_den >= m_num * (yes + no) and yes > no
    passed = quorum_met and majority
    if not quorum_met:
        explanation = (
            f"no quorum: {voted} of {len(eligible_ids)} eligible members voted, "
            f"{q_num}/{q_den} needed"
        )
    else:
        verdict = "passed" if passed else "failed"
        explanation = f"{verdict}: {yes} for, {no} against, {counts['abstain']} abstaining"
    return MotionOutcome(
        eligible=len(eligible_ids),
        voted=voted,
        votes_for=yes,
        votes_against=no,
        abstentions=counts["abstain"],
        quorum_met=quorum_met,
        passed=passed,
        explanation=explanation,
    )
