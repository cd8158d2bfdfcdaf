"""`flask trust audit`, votes part: what the log said at opening and while voting ran.

A sealed result is checked against its own signature (records.py). These checks bind the rest
of a vote to the log: the proposal's frozen fields and roll to the `proposal.opened` leaf, the
ballots of a vote still open to its running commitments (and each later ballot to its
receipt and signature), a sealed vote's ballots tree to those commitments, and every
`result.sealed` leaf to a stored result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from app.core.extensions import db
from app.integrity.findings import Finding
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.results import seal_checks
from app.results import service as results
from app.results.models import SealedResult
from app.translog import kinds
from app.voting import commitments as running
from app.voting.models import RollEntry
from ballots.keys import KeyRing
from ballots.merkle import MerkleTree
from ballots.result import result_digest
from ballots.roll import RollError

VOTING_STATES = ("voting", "closed", "sealed")


def audit_votes(_keyring: KeyRing) -> Iterator[Finding]:
    opened = {s: r for _i, s, r in kinds.records(running.OPENED_TYPE)}
    proposals = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    for proposal in proposals:
        where = f"proposal {proposal.id}"
        record = opened.get(proposal.id)
        if record is None:
            if proposal.state in VOTING_STATES:
                yield Finding(where, f"is {proposal.state} but its opening is not in the log")
            continue
        yield from _frozen_fields(where, proposal, record)
        sealed = results.current_result(proposal.id)
        if sealed is None:
            if proposal.state == "sealed":
                yield Finding(where, "is sealed but has no sealed result")
            yield from _open_vote(where, proposal.id)
        else:
            yield from _sealed_vote(where, proposal.id, sealed, record)
    yield from _logged_results_stored()


def _frozen_fields(where: str, proposal: Proposal, record: dict[str, Any]) -> Iterator[Finding]:
    """Title, options, window, weight rule, quorum and threshold are frozen at opening."""
    try:
        now = vote_spec(proposal).to_json()
    except (ValueError, TypeError, KeyError) as exc:
        yield Finding(where, f"its stored fields no longer make a valid vote: {exc}")
        return
    logged = record.get("proposal", {})
    changed = sorted(k for k in set(now) | set(logged) if now.get(k) != logged.get(k))
    if changed:
        yield Finding(
            where, f"{', '.join(changed)} changed since the vote opened (logged at opening)"
        )
    if record.get("charter_version") != proposal.charter_version:
        yield Finding(where, "its charter version changed since the vote opened")


def _open_vote(where: str, proposal_id: str) -> Iterator[Finding]:
    """A vote not yet sealed: its roll and ballots against the log, as the seal will check."""
    try:
        root = results.roll_root(proposal_id)
    except (RollError, ValueError) as exc:
        yield Finding(where, f"its roll cannot be read: {exc}")
        return
    size, weight = db.session.execute(
        select(func.count(), func.coalesce(func.sum(RollEntry.weight), 0)).where(
            RollEntry.proposal_id == proposal_id
        )
    ).one()
    for problem in seal_checks.roll_problems(proposal_id, root, int(size), int(weight)):
        yield Finding(where, problem)
    tree = MerkleTree()
    ids = []
    for seq, row in enumerate(running.ballot_rows(proposal_id), start=1):
        try:
            tree.append_leaf_hash(running.leaf_of(seq, row))
        except (ValueError, TypeError) as exc:
            yield Finding(where, f"ballot id {row[0]} cannot be read: {exc}")
            return
        ids.append(row[0])
    problems, vouched = seal_checks.commitment_problems(proposal_id, tree.size, tree.root)
    problems.extend(seal_checks.unproven_ballots(proposal_id, ids[vouched:]))
    for problem in problems:
        yield Finding(where, problem)


def _sealed_vote(
    where: str, proposal_id: str, sealed: SealedResult, record: dict[str, Any]
) -> Iterator[Finding]:
    signed = json.loads(sealed.result_json)
    roll = record.get("roll", {})
    if signed["roll"]["root"] != roll.get("root"):
        yield Finding(where, "its sealed roll root differs from the root logged at opening")
    if signed.get("proposal") != record.get("proposal"):
        yield Finding(where, "its sealed vote differs from the vote logged at opening")
    blob = db.session.scalar(
        select(SealedResult.ballots_tree).where(SealedResult.id == sealed.id)
    )
    if not blob:
        return
    tree = seal_checks.PackedTree(blob)
    try:
        problems, _vouched = seal_checks.commitment_problems(proposal_id, tree.size, tree.root)
    finally:
        tree.release()
    for problem in problems:
        yield Finding(where, problem)


def _logged_results_stored() -> Iterator[Finding]:
    """Every `result.sealed` leaf has its stored result: a deleted seal is named."""
    stored = set(db.session.scalars(select(SealedResult.digest)))
    for index, subject, record in kinds.records("result.sealed"):
        try:
            digest = result_digest(record)
        except (KeyError, ValueError):
            continue  # records.audit_log names a record that no longer matches its leaf
        if digest not in stored:
            yield Finding(
                f"result {subject} ({digest[:12]})",
                f"sealed in log leaf {index} but no longer stored: it was deleted",
            )
