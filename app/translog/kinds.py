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
from app.translog.service import leaf_object
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.merkle import MerkleTree, leaf_hash
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
# ---- audit-3 (issue 16): held growth entries and backfilled leaves --------------------------
# Growth entries held for an owner number no account has proved yet, one leaf per hold.
GROWTH_HELD = "growth.held"
# Held entries a confirmed claim released to its account, as they were held.
GROWTH_RELEASED = "growth.released"
# `flask trust relog`: leaves appended afterwards for rows older than their kind. The leaves
# themselves carry "backfill": true; this one says when, by which command, and how many.
BACKFILL = "log.backfill"

# Kinds once written and still read: the facts they held now live in the kind named, whose
# record carries the same members (a `growth.batch` of an import has the `growth.imported`
# file hash and totals; `treasury.txn` has every posting of income and reversals alike).
# Old leaves keep their kind and hash forever; nothing rewrites them.
SUPERSEDED: dict[str, str] = {
    "income.recorded": TREASURY_TXN,
    "ledger.reversed": TREASURY_TXN,
    "disbursement.reversed": TREASURY_TXN,
    "growth.imported": GROWTH_BATCH,
}


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
    "disbursement.recorded": "a disbursement paid",
    "budget.authorised": "a budget authorised",
    "budget.ratified": "an emergency budget ratified",
    "key.created": "the trust's first signing key",
    "key.rotated": "a new signing key, endorsed by the key before it",
    # Leaves that bind rows of power or money, so the audit can re-derive them (issue 16).
    "ballots.committed": "the ballots of an open vote so far: count, root and tree frontier",
    "treasury.txn": "one treasury transaction (income, budget, disbursement or reversal, with "
    "its reason) and every posting in it",
    "growth.batch": "one growth-value batch (an import, a claim's release, a transfer): source, "
    "time, count, points, entries' root; an import's also its file hash and a root over the "
    "per-owner changes",
    "growth.held": "growth entries held for owner numbers no account has proved: source, time, "
    "count, points, entries' root",
    "growth.released": "held entries a confirmed claim released to its account, as held",
    "log.backfill": "flask trust relog appended leaves for rows older than their kind",
    "account.role": "an account given or relieved of the administrator role",
    "council.motion_vote": "one council member's vote on a motion, as cast",
    "disbursement.approved": "one council member's approval of a disbursement, as given",
    # dkg-complaints: a secret vote's key ceremony, complaint round.
    "secret.complaint": "a trustee's complaint that a dealer's share failed (or, filed at the "
    "deadline, that nothing was dealt)",
    "secret.answer": "a dealer's public answer to a complaint: the share in the clear, and "
    "whether it checks against the dealer's commitments",
    "secret.failed": "a secret vote's key ceremony failed: fewer dealers qualified than needed "
    "(none, when a key share was missing at the deadline or voting closed first)",
    "secret.election": "a secret vote's election key settled: trustees, threshold, the key and "
    "the digest of election.json",
    "secret.pending": "a secret vote closed without enough decryption shares in the charter's "
    "time: shares posted and the threshold",
    "community.applied": "a community's application for certification",
    "community.rejected": "a community's application rejected, with the reason",
    "community.renewed": "a community's certification renewed for a new term",
    "community.lapsed": "a community's certification lapsed at the end of its term",
    "council.interest": "a council member's declared interest (a tag they must recuse on)",
    "council.motion_referred": "a council motion referred to the owners' vote",
    "charter.amendment_scheduled": "a passed charter amendment waiting out the protector's "
    "window",
    "charter.amendment_held": "a charter amendment held by the protector, with the reason",
    "charter.amendment_released": "a held charter amendment let through by the protector",
    "disbursement.suspended": "a disbursement suspended by a supervisor, with the reason",
    "disbursement.suspension_lifted": "a supervisor's suspension of a disbursement lifted",
    "owner.bound": "an owner number bound to an account by a confirmed claim, with the points "
    "moved",
    "owner.contacts": "the brand's owner contact list replaced: source, count, table digest",
    "comment.hidden": "a comment hidden by a moderator, with the reason",
    "comment.appeal_restored": "an appeal against a hidden comment granted: the comment restored",
    "comment.appeal_upheld": "an appeal against a hidden comment refused: it stays hidden",
}

def without_backfill(record: dict[str, Any]) -> dict[str, Any]:
    """The record as its writer builds it: a backfilled leaf's record also says "backfill"."""
    return {k: v for k, v in record.items() if k != "backfill"}


# Superseded kinds are still read (and shown) wherever they appear.
EVENT_KINDS.update({
    "income.recorded": "income received by the treasury (superseded by treasury.txn)",
    "ledger.reversed": "a treasury transaction reversed (superseded by treasury.txn)",
    "disbursement.reversed": "a disbursement reversed (superseded by treasury.txn)",
    "growth.imported": "an import's file hash and totals (superseded by growth.batch)",
})

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


# The columns a leaf is checked from, in the order `intact_record` takes them.
LEAF_COLUMNS = (LogLeaf.index, LogLeaf.type, LogLeaf.at, LogLeaf.logged_at, LogLeaf.subject,
                LogLeaf.sha256, LogLeaf.record_json, LogLeaf.leaf_hash)


def intact_records(
    subjects: list[str], types: tuple[str, ...]
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """(type, record) of the intact leaves about these subjects, in log order, in one indexed
    query (see `intact_record`)."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {s: [] for s in subjects}
    if not subjects:
        return found
    rows = db.session.execute(
        select(*LEAF_COLUMNS)
        .where(LogLeaf.subject.in_(subjects), LogLeaf.type.in_(types))
        .order_by(LogLeaf.index)
    )
    for row in rows:
        record = intact_record(tuple(row))
        if record is not None:
            found[row.subject].append((row.type, record))
    return found


def intact_record(row: tuple[Any, ...]) -> dict[str, Any] | None:
    """The record of a leaf read as `LEAF_COLUMNS`, or None if its record or leaf hash no
    longer recomputes: a leaf edited in place backs nothing (the audit names it; a check at
    request time treats it as absent). The verdict is kept by the leaf's full stored content,
    so an unchanged leaf is hashed once a process."""
    key = (*row[:7], bytes(row[7]))
    record = _INTACT.get(key, _UNSEEN)
    if record is _UNSEEN:
        record = _intact(key)
        if len(_INTACT) >= _INTACT_MAX:
            _INTACT.clear()
        _INTACT[key] = record
    return record  # type: ignore[no-any-return]


_UNSEEN: Any = object()
_INTACT: dict[tuple[Any, ...], dict[str, Any] | None] = {}
_INTACT_MAX = 50_000


def _intact(key: tuple[Any, ...]) -> dict[str, Any] | None:
    index, type_, at, logged_at, subject, sha256, record_json, stored_hash = key
    record: dict[str, Any] = json.loads(record_json)
    if canonical_sha256(record) != sha256:
        return None
    leaf = LogLeaf(index=index, type=type_, at=at, logged_at=logged_at, subject=subject,
                   sha256=sha256)
    if leaf_hash(canonical_bytes(leaf_object(leaf))) != stored_hash:
        return None
    return record
