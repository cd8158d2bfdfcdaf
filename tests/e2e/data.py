"""Test data for the browser tests, built through the real services and committed.

Every helper commits and closes the session before returning plain values: on SQLite every
transaction takes the write lock, so an open one here would stall the live server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions import votes as decisions
from app.proposals import service as proposals
from app.voting import service as voting
from tests.factories import PASSWORD, install_charter, make_open_vote, make_owner


@dataclass(frozen=True)
class Owner:
    email: str
    password: str
    name: str


@dataclass(frozen=True)
class LiveVote:
    proposal_id: str
    title: str
    voter: Owner


def _charter() -> None:
    if charter.current() is None:
        install_charter()


def live_vote(title: str = "Fund owner meet-ups in every province") -> LiveVote:
    """An open spending vote with one new owner on its roll."""
    _charter()
    council = make_owner(500, role="council")
    author = make_owner(2000)
    voter = make_owner(1500, name="Li Wei")
    db.session.commit()
    owner = Owner(voter.email, PASSWORD, voter.display_name)
    proposal_id = make_open_vote(author, council, title=title)
    db.session.remove()
    return LiveVote(proposal_id, title, owner)


def close_and_seal(proposal_id: str) -> None:
    """What cron's `seal-due` does once the window has passed, with the clock at the close."""
    proposal = proposals.get(proposal_id)
    assert proposal is not None and proposal.closes_at is not None
    decisions.close_and_seal(proposal, now=proposal.closes_at)
    db.session.commit()
    db.session.remove()


def sealed_vote(title: str = "Owner care fund for owners in hardship") -> str:
    """A spending vote that ran in the past, with three ballots, closed and sealed."""
    _charter()
    council = make_owner(500, role="council")
    voters = [make_owner(points) for points in (3000, 2000, 1200)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(
        voters[0], council, opens=opens, closes=opens + timedelta(days=3), title=title
    )
    for minute, (owner, choice) in enumerate(zip(voters, ("yes", "yes", "no"), strict=True)):
        voting.cast(proposal_id, owner.id, [choice], now=opens + timedelta(minutes=minute + 1))
    close_and_seal(proposal_id)
    return proposal_id
