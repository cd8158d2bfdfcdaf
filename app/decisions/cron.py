"""The one time-driven entry point, run from cron by `flask trust seal-due`.

In order: open every scheduled vote whose time has come; close and seal every vote past its
close, with its consequence (votes.close_and_seal); close every council motion at its voting
deadline, with its consequence (motions.close); adopt the passed charter amendments whose
protector's window has run (app.charter.protector); record ended council terms; flag community
certifications entering their renewal window and lapse those that ended. Each vote is its own
transaction, so one failure stops no other; the command boundary here is what commits.

The treasury has no time-driven step of its own: a budget is authorised or ratified when the
vote that decides it is sealed or the motion closed (motions.py), not by a later catch-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app.accounts import purge
from app.charter import protector
from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import elections
from app.council import service as council
from app.council.models import Motion
from app.decisions import motions
from app.decisions.votes import close_and_seal
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.secret import ceremony, qual
from app.secret import seal as secret_seal
from app.translog import notes as translog_notes
from app.translog import service as translog
from app.voting import commitments


def open_due(now: datetime) -> list[str]:
    done: list[str] = []
    due = db.session.scalars(
        select(Proposal.id).where(Proposal.state == "scheduled", Proposal.opens_at <= now)
    ).all()
    for proposal_id in due:
        done.extend(isolated(proposal_id, "open", lambda pid: _open(pid, now)))
    return done


def _open(proposal_id: str, now: datetime) -> list[str]:
    proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None or proposal.state != "scheduled":
        return []
    try:
        proposals.open_vote(proposal, now)
    except proposals.ProposalError as exc:
        # A secret vote with no seated council has no trustees: it stays scheduled, and every
        # run says why, until the council is seated.
        db.session.rollback()
        return [f"could not open {proposal_id}: {exc}"]
    db.session.commit()
    return [f"opened {proposal_id}"]


def seal_due_votes(now: datetime) -> list[str]:
    done: list[str] = []
    due = db.session.scalars(
        select(Proposal.id).where(
            Proposal.state.in_(("voting", "closed")), Proposal.closes_at <= now
        )
    ).all()
    # The key ceremonies' complaint rounds first: a key settled now is in place before a close.
    for proposal_id in qual.due(now):
        done.extend(isolated(proposal_id, "settle the key ceremony of",
                             lambda pid: _settle(pid, now)))
    for proposal_id in due:
        done.extend(isolated(proposal_id, "seal", lambda pid: _seal(pid, now)))
    done.extend(ceremony.mark_overdue(now))
    db.session.commit()
    return done


def _seal(proposal_id: str, now: datetime) -> list[str]:
    proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None or proposal.state not in ("voting", "closed"):
        return []
    if proposal.secrecy == "secret" and proposal.state == "closed" and (
        not secret_seal.ready_to_seal(proposal_id)
    ):
        return []  # still waiting for its trustees; mark_overdue says when time is up
    decision = close_and_seal(proposal, now=now)
    db.session.commit()
    return ([f"sealed {proposal_id}"] if decision.row is not None else []) + decision.lines


def _settle(proposal_id: str, now: datetime) -> list[str]:
    lines = qual.settle_due(proposal_id, now)
    db.session.commit()
    return lines


FAILED = "FAILED"


def isolated(proposal_id: str, step: str, work: Callable[[str], list[str]]) -> list[str]:
    """One proposal's step in its own transaction: a failure is rolled back at once, logged
    with its cause and reported as a FAILED line; the next proposal still runs."""
    try:
        return work(proposal_id)
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("seal-due: could not %s %s", step, proposal_id)
        return [f"{FAILED} to {step} {proposal_id}: {exc}"]


def commit_ballots(now: datetime) -> list[str]:
    """The running commitments of open votes (app/voting/commitments.py), each vote isolated."""
    lines = []
    for outcome in commitments.commit_open_votes(now):
        if outcome.committed:
            lines.append(f"committed {outcome.proposal_id}: {outcome.count} ballots")
        if outcome.problem:
            lines.append(f"{FAILED} to commit {outcome.proposal_id}: {outcome.problem}")
    return lines


def close_due_motions(now: datetime) -> list[str]:
    """Close every council motion whose voting deadline has passed, with its consequence;
    each in its own transaction."""
    done: list[str] = []
    due = db.session.scalars(
        select(Motion.id)
        .where(Motion.state == "open", Motion.closes_at <= now)
        .order_by(Motion.closes_at, Motion.id)
    ).all()
    for motion_id in due:
        motion = db.session.get(Motion, motion_id, with_for_update=True)
        if motion is None or motion.state != "open":
            continue
        closed = motions.close(motion, None, now)
        db.session.commit()
        done.append(f"motion {motion_id} closed at its deadline: {motion.state}")
        done.extend(closed.lines)
    return done


def adopt_due_amendments(now: datetime) -> list[str]:
    """Passed charter amendments whose protector's window (or hold) has run take effect."""
    lines = protector.apply_due(now)
    db.session.commit()
    return lines


def run_due(now: datetime | None = None) -> list[str]:
    """Open the votes that are due; close and seal those past their close; adopt the charter
    amendments whose time has come."""
    now = now or utcnow()
    return (open_due(now) + seal_due_votes(now) + close_due_motions(now)
            + adopt_due_amendments(now))


def housekeeping(now: datetime | None = None) -> list[str]:
    """Ended council terms; owners' election calls that waited for candidates; community
    certifications due for renewal, or lapsed; sign-ups never confirmed, removed."""
    now = now or utcnow()
    lines = council.expire_due(now)
    lines += elections.answer_waiting_calls(now)
    lines += communities.housekeeping(now)
    lines += purge.purge_unconfirmed(now)
    db.session.commit()
    return lines


def run(now: datetime | None = None) -> list[str]:
    """Everything cron does, in order: the ballots of open votes are committed first, so a
    vote sealed just after is covered up to its last minute."""
    now = now or utcnow()
    lines = commit_ballots(now) + run_due(now) + housekeeping(now)
    # A signed checkpoint of the log as it now stands, kept in the database and in the
    # instance folder: `flask trust audit` compares against it, so a later wipe or rollback of
    # the database is named even if nobody fetched a checkpoint by hand.
    if translog.size():
        translog_notes.checkpoint()
    return lines


def report(lines: list[str], now: datetime) -> list[str]:
    """What a run did, headed by when it ran (in UTC), saying so also when nothing was due:
    an operator reading the log must tell a quiet minute from a run that never happened."""
    stamp = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    if not lines:
        return [
            f"{stamp}: nothing was due (no vote to open, close or seal; "
            "no council term or community certification to record)"
        ]
    steps = "1 step" if len(lines) == 1 else f"{len(lines)} steps"
    return [f"{stamp}: {steps} done", *(f"  {line}" for line in lines)]
