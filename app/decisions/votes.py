"""What a sealed vote sets in motion: one table, proposal kind -> handler.

`close_and_seal` closes a vote that is still open, seals it (app.results.seal), parses the
sealed result once and hands it to the handler for the proposal's kind. It runs in the caller's
transaction and does not commit: the request or command that called it does, so the seal and
its consequence are written together or not at all.

Each handler is idempotent (running it again on the same seal changes nothing), takes the
sealed vote and returns what it did, one line per act, for the cron and CLI output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.charter import service as charter
from app.core.extensions import db
from app.council import elections, recall
from app.council import service as council
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.results.models import SealedResult
from app.results.reads import current_result
from app.results.seal import SealError, seal
from app.secret import seal as secret_seal
from app.treasury import budgets
from app.treasury.models import Budget


@dataclass(frozen=True)
class SealedVote:
    """A sealed vote as its consequence sees it: the proposal and its result, parsed once."""

    proposal: Proposal
    row: SealedResult
    result: dict[str, Any]

    @property
    def tally(self) -> dict[str, Any]:
        return dict(self.result["tally"])

    @property
    def outcome(self) -> str:
        return str(self.result["tally"]["outcome"])

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass
class Decision:
    """What `close_and_seal` did: the sealed result and the lines of its consequence."""

    row: SealedResult | None  # None: a secret vote closed, waiting for its trustees' shares
    lines: list[str] = field(default_factory=list)


Handler = Callable[[SealedVote], list[str]]


def _nothing(vote: SealedVote) -> list[str]:
    return []


def _authorise_budget(vote: SealedVote) -> list[str]:
    """A passed spending vote becomes a budget in the ledger (app.treasury.budgets)."""
    had = db.session.scalar(select(Budget.id).where(Budget.proposal_id == vote.proposal.id))
    budget = budgets.authorise_budget(vote.proposal, vote.passed, at=vote.row.sealed_at)
    if budget is None or had is not None:
        return []
    return [f"budget {budget.id} authorised by proposal {vote.proposal.id}"]


def _adopt_charter(vote: SealedVote) -> list[str]:
    """A passed charter amendment becomes the next charter version (app.charter.service)."""
    version = charter.adopt_passed_amendment(vote.proposal, vote.passed)
    return [] if version is None else [f"charter version {version.version} adopted"]


def _seat_council(vote: SealedVote) -> list[str]:
    """The winners of a council election take their seats; a tie is reported, never broken
    (app.council.elections)."""
    return elections.seat_winners(vote.proposal, vote.tally, vote.row.digest, vote.row.sealed_at)


def _ratify_emergency(vote: SealedVote) -> list[str]:
    """A passed ratification vote ratifies the emergency budget it names (app.treasury)."""
    return budgets.ratify_by_vote(vote.proposal, vote.passed)


def _call_election(vote: SealedVote) -> list[str]:
    """The owners called an election: it is drafted as the council would (app.council)."""
    return elections.call_by_owners(vote.proposal, vote.passed, vote.row.sealed_at)


def _recall_member(vote: SealedVote) -> list[str]:
    """The owners recalled a member: the seat ends at the seal (app.council.recall)."""
    return recall.carry_out(vote.proposal, vote.passed, vote.row.sealed_at)


def _settle_referral(vote: SealedVote) -> list[str]:
    """The owners decided a question the council could not (recusals): the referred motion
    takes their outcome, and if it passed its own consequence follows (decisions.motions)."""
    from app.decisions import motions as motion_decisions

    motion = council.referral_outcome(vote.proposal.id)
    if motion is None:
        return []
    lines = [f"motion {motion.id} decided by the owners: {motion.state}"]
    if motion.state == "passed":
        lines += motion_decisions.CONSEQUENCES.get(motion.kind, motion_decisions.nothing)(
            motion, vote.row.sealed_at)
    return lines


# Every kind the charter knows (governance.charter.KINDS), and what its sealed result does.
# A test pins this table to the charter's kinds: a new kind needs a row here.
CONSEQUENCES: dict[str, Handler] = {
    # A general resolution or a poll: the published result is the whole decision.
    "general": _nothing,
    "poll": _nothing,
    # The certification scheme in force is read from the latest passed scheme vote's seal.
    "community_scheme": _nothing,
    "spending": _authorise_budget,
    "charter_amendment": _adopt_charter,
    "council_election": _seat_council,
    "emergency_ratification": _ratify_emergency,
    "council_referral": _settle_referral,
    "call_election": _call_election,
    "recall_member": _recall_member,
}


def _consequence(proposal: Proposal, row: SealedResult) -> list[str]:
    vote = SealedVote(proposal, row, json.loads(row.result_json))
    return CONSEQUENCES[proposal.kind](vote)


def close_and_seal(
    proposal: Proposal | str,
    *,
    correction: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> Decision:
    """Close the vote if it is still open, seal it, then run what its kind sets in motion.

    With `correction`, a sealed vote is sealed again from its stored roll and ballots (the new
    result supersedes the old); its consequence, already applied, is not applied twice.
    Raises SealError (nothing sealed) or the lifecycle's refusal if the vote may not close yet.
    """
    if isinstance(proposal, str):
        found = db.session.get(Proposal, proposal)
        if found is None:
            raise SealError(f"no proposal {proposal}")
        proposal = found
    if proposal.state == "voting":
        proposals.close_vote(proposal, now)
    if proposal.secrecy == "secret":
        # Only the decrypted, sealed result sets anything in motion; until k trustees have
        # posted their shares the vote stays closed and nothing follows.
        if correction or proposal.state != "closed":
            raise SealError(f"{proposal.id}: a secret vote is sealed once, by its trustees")
        if not secret_seal.ready_to_seal(proposal.id):
            return Decision(None, [f"{proposal.id}: closed, waiting for the trustees' shares"])
        row = secret_seal.seal_secret(proposal.id, now)
        return Decision(row, _consequence(proposal, row))
    row = seal(proposal.id, correction=correction, reason=reason, now=now)
    return Decision(row, _consequence(proposal, row))


def carry_out(proposal_id: str) -> list[str]:
    """Run a sealed vote's consequence again from its stored seal (idempotent: a repair)."""
    proposal = db.session.get(Proposal, proposal_id)
    row = current_result(proposal_id)
    if proposal is None or row is None:
        return []
    return _consequence(proposal, row)
