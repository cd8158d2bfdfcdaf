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
from governance.refusals import N_, Refusal, cite
from governance.transitions import require_aware

MOTION_KINDS = (
    "certify_community",
    "reject_community",
    "revoke_community",
    "renew_community",
    "approve_disbursement",
    "lift_suspension",
    "reverse_transaction",
    "correct_result",
    "emergency_spending",
    "ratify_emergency",
    "accept_proposal",
    "reject_proposal",
    "general",
)
CHOICES = ("for", "against", "abstain")


class MotionError(Refusal):
    """A council motion step that is refused: opening, voting, recusing or closing."""


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
            raise MotionError(
                "motion.unknown_choice",
                N_("a motion vote is for, against or abstain"),
            )


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
            "motion.not_seated",
            N_("only seated council members vote on motions"),
            **cite(rules, "council.members_only"),
        )
    if member_id in recused_ids:
        raise MotionError(
            "motion.recused",
            N_("you are recused from this motion and may not vote"),
            **cite(rules, "council.recusal"),
        )
    if any(v.member_id == member_id for v in votes_so_far):
        raise MotionError("motion.voted_twice", N_("you have already voted on this motion"))
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
            raise MotionError(
                "motion.counted_twice",
                N_("member %(member)s voted twice"),
                member=vote.member_id,
            )
        if vote.member_id not in eligible_ids:
            code = "motion.recused" if vote.member_id in recusals else "motion.not_seated"
            raise MotionError(
                code, N_("the vote of member %(member)s may not count"), member=vote.member_id
            )
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


def check_motion_window(opened_at: datetime, closes_at: datetime, rules: CharterRules) -> None:
    """Raise ``MotionError`` unless the voting deadline lies within the charter's window."""
    require_aware(opened_at, "opened_at")
    require_aware(closes_at, "closes_at")
    low, high = rules.council.motion_min_hours, rules.council.motion_max_hours
    if not timedelta(hours=low) <= closes_at - opened_at <= timedelta(hours=high):
        raise MotionError(
            "motion.window",
            N_("a motion is open for %(low)s to %(high)s hours"),
            low=low,
            high=high,
            **cite(rules, "council.motion_window"),
        )


def needs_fallback(
    seated_ids: Collection[int], recused_ids: Collection[int], rules: CharterRules
) -> bool:
    """Do recusals leave fewer members able to vote than the quorum of the seated council?

    The quorum is counted against the whole seated council here: otherwise a council recused
    down to one member would decide alone.
    """
    seated = set(seated_ids)
    eligible = len(seated - set(recused_ids))
    num, den = rules.council.motion_quorum
    return eligible == 0 or eligible * den < num * len(seated)


def outcome_settled(
    seated_member_ids: Collection[int],
    votes: Sequence[MotionVote],
    recusals: Collection[int],
    rules: CharterRules,
) -> bool:
    """May the motion close before its deadline: has every eligible member voted, or can the
    outcome no longer change whatever the others do?

    Passing is monotone: more votes for only help, more against only hurt, and fewer voters only
    hurt the quorum. So the three extremes (the rest all for, all against, none voting) bound
    every way the remaining members could vote.
    """
    eligible = set(seated_member_ids) - set(recusals)
    voted = {v.member_id for v in votes}
    remaining = sorted(eligible - voted)
    if not remaining:
        return True
    results = {
        motion_outcome(seated_member_ids, [*votes, *extra], recusals, rules).passed
        for extra in (
            [MotionVote(m, "for") for m in remaining],
            [MotionVote(m, "against") for m in remaining],
            [],
        )
    }
    return len(results) == 1


def check_close(
    closer_id: int | None,
    *,
    now: datetime,
    closes_at: datetime,
    seated_ids: Collection[int],
    recused_ids: Collection[int],
    settled: bool,
    rules: CharterRules,
) -> None:
    """May ``closer_id`` (None: the system, i.e. cron) close the motion at ``now``?

    The system closes at the deadline. Before it, only a seated, non-recused member closes, and
    only once the outcome is settled; choosing when to count is a say in the outcome.
    """
    require_aware(now, "now")
    if closer_id is None:
        if now < closes_at:
            raise MotionError(
                "motion.not_due",
                N_("the motion is open for voting until %(deadline)s"),
                deadline=closes_at,
                **cite(rules, "council.motion_window"),
            )
        return
    if closer_id not in seated_ids:
        raise MotionError(
            "motion.close_not_seated",
            N_("only a seated council member closes a motion"),
            **cite(rules, "council.members_only"),
        )
    if closer_id in recused_ids:
        raise MotionError(
            "motion.close_recused",
            N_("a member recused from a motion cannot close it"),
            **cite(rules, "council.recusal"),
        )
    if now < closes_at and not settled:
        raise MotionError(
            "motion.close_early",
            N_(
                "the motion is open until %(deadline)s; it closes earlier only when every member "
                "able to vote has voted or the outcome can no longer change"
            ),
            deadline=closes_at,
            **cite(rules, "council.motion_window"),
        )
