"""Every kind of leaf the log holds, in one table, and the records of the newer kinds.

Writers elsewhere call ``translog.append(kind, subject, record)``; the kinds and what each
record holds are listed here so that a reader (and docs/verification.md) sees them together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ballots.canonical import canonical_bytes
from ballots.merkle import MerkleTree
from ballots.records import format_time

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
