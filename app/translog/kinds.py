"""Every kind of leaf the log holds, in one table, and reading the records of one kind.

Writers elsewhere call ``translog.append(kind, subject, record)``; the kinds and what each
record holds are listed here once, so that the audit, the writers and a reader (and
docs/verification.md) agree on them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.translog.models import LogLeaf
from ballots.canonical import canonical_bytes
from ballots.merkle import MerkleTree
from ballots.records import format_time

# ---- audit-all (issue 16): leaves that bind rows of power or money to the log -------------
# The ballots of an open vote so far: count, Merkle root of their records, the tree frontier.
BALLOTS_COMMITTED = "ballots.committed"
# One treasury transaction and every posting in it (income, budgets, disbursements, reversals).
TREASURY_TXN = "treasury.txn"
# One growth-value import batch: its source, time, entry count, points and a root over entries.
GROWTH_BATCH = "growth.batch"
# An account given or relieved of the administrator role.
ACCOUNT_ROLE = "account.role"
# One council member's vote on a motion, as cast (the close's record lists them all again).
MOTION_VOTE = "council.motion_vote"
# One council member's approval of a disbursement, as given.
APPROVAL = "disbursement.approved"
# ---- end audit-all ------------------------------------------------------------------------


def records(type_: str, subject: str | None = None) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(index, subject, record) of every leaf of one kind, optionally about one subject,
    in log order."""
    query = select(LogLeaf.index, LogLeaf.subject, LogLeaf.record_json).where(
        LogLeaf.type == type_
    )
    if subject is not None:
        query = query.where(LogLeaf.subject == subject)
    for index, about, record_json in db.session.execute(query.order_by(LogLeaf.index)):
        yield index, about, json.loads(record_json)


def latest_by_subject(*types: str) -> dict[str, tuple[int, str, dict[str, Any]]]:
    """The last leaf of any of these kinds for each subject: (index, type, record)."""
    found: dict[str, tuple[int, str, dict[str, Any]]] = {}
    rows = db.session.execute(
        select(LogLeaf.index, LogLeaf.type, LogLeaf.subject, LogLeaf.record_json)
        .where(LogLeaf.type.in_(types))
        .order_by(LogLeaf.index)
    )
    for index, type_, subject, record_json in rows:
        found[subject] = (index, type_, json.loads(record_json))
    return found


# kind -> what the leaf records (English; the public log shows the kind itself).
EVENT_KINDS: dict[str, str] = {
    "charter.adopted": "a charter version adopted",
    "proposal.submitted": "a proposal submitted by its author",
    "proposal.accepted": "a proposal accepted onto the ballot (with its voting window)",
    "proposal.rejected": "a proposal rejected, with the reason",
    "proposal.withdrawn": "a proposal withdrawn, with the reason",
    "proposal.opened": "a vote opened, with its frozen roll",
    "result.sealed": "a sealed result (the signed result object itself)",
    "result.corrected": "why a sealed result was corrected (names the new and old digests)",
    "council.seated": "a council seat filled",
    "council.vacated": "a council seat vacated",
    "council.election": "a council election's outcome",
    "council.nominated": "one owner's nomination of a council candidate, as given",
    "council.election_called": "a council election called: who called it, its candidates and "
    "the nominations each had",
    "council.motion_opened": "a council motion opened",
    "council.motion": "a council motion closed, with its votes and outcome",
    "community.certified": "a community certified",
    "community.revoked": "a community's certification revoked",
    "income.recorded": "income received by the treasury",
    "ledger.reversed": "a treasury transaction reversed, with the reason",
    "disbursement.recorded": "a disbursement paid",
    "disbursement.reversed": "a disbursement reversed, with the reason",
    "budget.authorised": "a budget authorised",
    "budget.ratified": "an emergency budget ratified",
    "growth.imported": "a growth-value import batch: its file hash and the totals it changed",
    "key.created": "the trust's first signing key",
    "key.rotated": "a new signing key, endorsed by the key before it",
    # Leaves that bind rows of power or money, so the audit can re-derive them (issue 16).
    "ballots.committed": "the ballots of an open vote so far: count, root and tree frontier",
    "treasury.txn": "one treasury transaction with every posting in it",
    "growth.batch": "one growth-value import batch: source, time, count, points, entries' root",
    "account.role": "an account given or relieved of the administrator role",
    "council.motion_vote": "one council member's vote on a motion, as cast",
    "disbursement.approved": "one council member's approval of a disbursement, as given",
}

# Proposal lifecycle steps that become leaves (opening and sealing have their own records).
PROPOSAL_ACTIONS = {
    "submit": "proposal.submitted",
    "accept": "proposal.accepted",
    "reject": "proposal.rejected",
    "withdraw": "proposal.withdrawn",
}


def proposal_step(
    kind: str, proposal_id: str, from_state: str, to_state: str, reason: str, at: datetime
) -> dict[str, Any]:
    return {
        "type": kind,
        "proposal": proposal_id,
        "from": from_state,
        "to": to_state,
        "reason": reason,
        "at": format_time(at),
    }


def totals_commitment(deltas: Mapping[str, int]) -> tuple[str, int]:
    """A Merkle root over the per-owner changes of one import, and how many owners changed.

    Leaf i is the canonical ``{"owner_sha256": SHA-256(owner id), "points": delta}``, sorted by
    owner_sha256: an owner who knows their id and their change can be shown their leaf
    without the log naming anyone.
    """
    leaves = sorted(
        (hashlib.sha256(owner.encode()).hexdigest(), points) for owner, points in deltas.items()
    )
    tree = MerkleTree.from_leaves(
        canonical_bytes({"owner_sha256": h, "points": p}) for h, p in leaves
    )
    return tree.root().hex(), len(leaves)
