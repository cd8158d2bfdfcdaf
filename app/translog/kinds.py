"""Kinds of log leaf, and reading the records of one kind.

Every kind a writer appends is named here once, so the audit and the writers agree on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.translog.models import LogLeaf

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
