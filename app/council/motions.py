"""Council motions: opened with a deadline inside the charter's window, voted by seated members
who are not recused, closed by cron at the deadline (or early once the outcome is settled), and
referred to the owners when recusals leave too few members to decide.

Every rule is in ``governance.council``; this module loads the facts and stores the answers.
Opening and closing are both published in the transparency log.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import interests
from app.council.models import Motion, MotionVoteRecord, Recusal
from app.council.seats import active_seats, is_seated, seated_member_ids
from app.translog import kinds
from app.translog import service as translog
from ballots.records import format_time
from governance.council import (
    MotionError,
    MotionVote,
    cast_motion_vote,
    check_close,
    check_motion_window,
    motion_outcome,
    needs_fallback,
    outcome_settled,
    recusal_required,
)
from governance.refusals import N_, cite

# The reason stored (and logged) for an automatic recusal, before the motion's subject.
INTEREST_PREFIX = interests.INTEREST_PREFIX


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


def _recuse_interested(motion: Motion, now: datetime) -> None:
    already = recusals_of(motion)
    supervisors = supervisor_ids(motion.subject, now)
    for member_id in sorted(seated_member_ids(now)):
        if member_id in already:
            continue
        if member_id in supervisors:
            reason = SUPERVISOR_REASON + motion.subject
        elif recusal_required(interests.interests_of(member_id), {motion.subject}):
            reason = INTEREST_PREFIX + motion.subject
        else:
            continue
        db.session.add(Recusal(motion_id=motion.id, member_id=member_id, reason=reason, at=now))
        audit.record(
            "motion.recusal",
            actor_id=None,
            subject=f"motion:{motion.id}",
            member=member_id,
            reason=reason,
        )
    db.session.flush()


# Subjects that are spending, which the charter's supervisors oversee and never vote on.
SUPERVISED = ("disbursement", "budget", "emergency")
SUPERVISOR_REASON = "supervises "


def supervisor_ids(subject: str, now: datetime) -> set[int]:
    """Seated members holding the charter's supervising role, when ``subject`` is spending."""
    role = charter.current_rules().spending.supervising_role
    if not role or subject.partition(":")[0] not in SUPERVISED:
        return set()
    return {s.member_id for s in active_seats(now) if s.role == role}


def open_motion(
    opener: User,
    kind: str,
    subject: str,
    title: str,
    body: str = "",
    now: datetime | None = None,
    closes_at: datetime | None = None,
) -> Motion:
    """Open a motion with its deadline (the charter's shortest window unless one is given).

    Seated members with an interest in its subject are recused at once; if that leaves too few
    to reach the quorum, the charter's fallback applies straight away.
    """
    now = now or utcnow()
    rules = charter.current_rules()
    if not is_seated(opener, now):
        raise MotionError(
            "motion.open_not_seated",
            N_("only a seated council member opens a motion"),
            **cite(rules, "council.members_only"),
        )
    closes_at = closes_at or now + timedelta(hours=rules.council.motion_min_hours)
    check_motion_window(now, closes_at, rules)
    # A general resolution has no subject: two of them at once are two questions, not one.
    already = db.session.scalar(
        select(Motion.id).where(
            Motion.kind == kind, Motion.subject == subject, Motion.state == "open"
        )
    ) if subject else None
    if already is not None:
        raise MotionError(
            "motion.already_open",
            N_("motion %(motion_id)s on this is already open; vote on it instead"),
            motion_id=already,
        )
    motion = Motion(
        kind=kind,
        subject=subject,
        title=title.strip(),
        body=body.strip(),
        opened_by=opener.id,
        opened_at=now,
        closes_at=closes_at,
    )
    db.session.add(motion)
    db.session.flush()
    audit.record(
        "motion.opened",
        actor_id=opener.id,
        subject=f"motion:{motion.id}",
        kind=kind,
        closes_at=format_time(closes_at),
    )
    translog.append(
        "council.motion_opened",
        f"motion:{motion.id}",
        {
            "type": "council.motion_opened",
            "motion": motion.id,
            "kind": kind,
            "subject": subject,
            "title": motion.title,
            "opened_by": opener.display_name,
            "opened_at": format_time(now),
            "closes_at": format_time(closes_at),
        },
        at=now,
    )
    _recuse_interested(motion, now)
    if needs_fallback(seated_member_ids(now), set(recusals_of(motion)), rules):
        _refer(motion, now)
    return motion


def recuse(motion: Motion, member: User, reason: str, now: datetime | None = None) -> None:
    """A member recuses themself, publicly and with the interest; nobody recuses another."""
    now = now or utcnow()
    rules = charter.current_rules()
    if motion.state != "open":
        raise MotionError("motion.closed", N_("the motion is closed"))
    if not is_seated(member, now):
        raise MotionError(
            "motion.recuse_not_seated",
            N_("only a seated council member recuses"),
            **cite(rules, "council.members_only"),
        )
    if not reason.strip():
        raise MotionError(
            "motion.recusal_reason", N_("say what the interest is: recusals are public")
        )
    if member.id in recusals_of(motion):
        raise MotionError("motion.recused_twice", N_("you are already recused from this motion"))
    if any(v.member_id == member.id for v in votes_of(motion)):
        raise MotionError(
            "motion.recuse_after_vote",
            N_("you have already voted on this motion; a recusal comes before voting"),
        )
    db.session.add(Recusal(motion_id=motion.id, member_id=member.id, reason=reason.strip(), at=now))
    audit.record("motion.recusal", actor_id=member.id, subject=f"motion:{motion.id}", reason=reason)
    db.session.flush()
    if needs_fallback(seated_member_ids(now), set(recusals_of(motion)), rules):
        _refer(motion, now)


def vote(motion: Motion, member: User, choice: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    if motion.state != "open":
        raise MotionError("motion.closed", N_("the motion is closed"))
    rules = charter.current_rules()
    if motion.closes_at is not None and now >= motion.closes_at:
        raise MotionError(
            "motion.deadline_passed",
            N_("voting on this motion ended at %(deadline)s"),
            deadline=motion.closes_at,
            **cite(rules, "council.motion_window"),
        )
    recused = recusals_of(motion)
    if member.id not in recused and recusal_required(
        interests.interests_of(member.id), {motion.subject}
    ):
        # An undeclared interest still bars the vote; the recusal is recorded for the public.
        _recuse_interested(motion, now)
        raise MotionError(
            "motion.interest",
            N_("you have an interest in %(subject)s and are recused"),
            subject=interests.subject_words(motion.subject),
            **cite(rules, "council.recusal"),
        )
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
    # Each vote is in the log as it is cast, so an edit before the close is named too.
    translog.append(kinds.MOTION_VOTE, f"motion:{motion.id}", {
        "type": kinds.MOTION_VOTE, "motion": motion.id, "member_id": checked.member_id,
        "choice": checked.choice, "at": format_time(now),
    }, at=now)
    audit.record("motion.vote", actor_id=member.id, subject=f"motion:{motion.id}", choice=choice)
    db.session.flush()


def is_settled(motion: Motion, now: datetime | None = None) -> bool:
    """Has every member able to vote voted, or can the outcome no longer change?"""
    now = now or utcnow()
    seated = seated_member_ids(now)
    votes = [v for v in votes_of(motion) if v.member_id in seated]
    return outcome_settled(
        seated, votes, set(recusals_of(motion)) & seated, charter.current_rules()
    )


def close_motion(motion: Motion, closer: User | None, now: datetime | None = None) -> bool:
    """Count the motion under the charter and publish it; returns whether it passed.

    ``closer`` None is the system (cron, at the deadline). A member closes early only once
    the outcome is settled; an administrator who is not seated cannot close at all.
    """
    now = now or utcnow()
    if motion.state != "open":
        raise MotionError("motion.closed", N_("the motion is already closed"))
    rules = charter.current_rules()
    db.session.flush()
    seated = seated_member_ids(now)
    recused = recusals_of(motion)
    # A member whose seat ended while the motion ran no longer counts, nor does their vote.
    votes = [v for v in votes_of(motion) if v.member_id in seated]
    deadline = motion.closes_at or motion.opened_at
    check_close(
        closer.id if closer is not None else None,
        now=now,
        closes_at=deadline,
        seated_ids=seated,
        recused_ids=set(recused),
        settled=outcome_settled(seated, votes, set(recused) & seated, rules),
        rules=rules,
    )
    if needs_fallback(seated, set(recused) & seated, rules):
        _refer(motion, now)
        return False
    outcome = motion_outcome(seated, votes, set(recused) & seated, rules)
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
            "vote_ids": sorted([v.member_id, v.choice] for v in votes),
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


def _refer(motion: Motion, now: datetime) -> None:
    """The charter's fallback: the council cannot decide, so the owners vote on the question."""
    from app.proposals import service as proposals

    rules = charter.current_rules()
    opener = db.session.get(User, motion.opened_by)
    assert opener is not None
    proposal = proposals.create_draft(
        opener,
        proposals.Draft(
            kind="council_referral",
            title=motion.title[:200],
            body=motion.body or motion.title,
            fields={"motion": motion.id},
            options=[],
        ),
        now=now,
    )
    proposals.submit(proposal, opener, now=now)
    # The vote opens within the hour and runs the charter's shortest period.
    opens = now + timedelta(hours=1)
    proposals.schedule_referral(
        proposal, opens, opens + timedelta(hours=rules.voting.min_hours), now=now
    )
    motion.state = "referred"
    motion.closed_at = now
    motion.referred_to = proposal.id
    translog.append(
        "council.motion_referred",
        f"motion:{motion.id}",
        {
            "type": "council.motion_referred",
            "motion": motion.id,
            "kind": motion.kind,
            "subject": motion.subject,
            "title": motion.title,
            "referred_at": format_time(now),
            "proposal": proposal.id,
            "recused": sorted(_names(set(recusals_of(motion))).values()),
            "article": rules.article_ref("council.recusal_fallback"),
        },
        at=now,
    )
    audit.record(
        "motion.referred", actor_id=None, subject=f"motion:{motion.id}", proposal=proposal.id
    )


def referral_outcome(proposal_id: str) -> Motion | None:
    """After the owners' vote on a referred question is sealed: the motion it decides, marked
    passed or failed as the owners voted (its consequence then follows as for a council vote).
    Returns None when the proposal is no referral or is not sealed yet."""
    from app.proposals.models import Proposal
    from app.results import service as results

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.kind != "council_referral":
        return None
    row = results.current_result(proposal_id)
    if row is None:
        return None
    motion = db.session.get(Motion, json.loads(proposal.payload_json)["motion"])
    if motion is None or motion.state != "referred":
        return None
    passed = json.loads(row.result_json)["tally"]["outcome"] == "passed"
    motion.state = "passed" if passed else "failed"
    motion.outcome_json = json.dumps(
        {"referred_to": proposal_id, "passed": passed, "explanation": f"owners' vote {proposal_id}"}
    )
    return motion


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows}


def outcome_of(motion: Motion) -> dict[str, object] | None:
    return json.loads(motion.outcome_json) if motion.outcome_json else None
