"""Helpers shared by the council and community tests: sealed votes and log proofs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.translog import service as translog
from app.translog.models import LogLeaf
from app.voting import service as voting
from ballots.canonical import canonical_bytes
from ballots.merkle import leaf_hash, verify_inclusion
from tests.factories import make_open_vote

SCHEME_FIELDS = {"scheme_text": "Communities of 30 owners may apply.", "criteria": ["30 owners"]}


def decided_vote(author: Any, council: Any, voters: list[tuple[Any, list[str]]],
                 **kw: Any) -> tuple[str, list[str]]:
    """A vote that ran over the last four days, with these ballots, closed and sealed through
    the decisions layer: its id and the lines of what its kind set in motion."""
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(author, council, opens=opens, closes=opens + timedelta(days=3),
                                 **kw)
    for i, (owner, selection) in enumerate(voters):
        voting.cast(proposal_id, owner.id, selection, now=opens + timedelta(minutes=i + 1))
    db.session.commit()
    decision = close_and_seal(proposal_id)
    db.session.commit()
    return proposal_id, decision.lines


def sealed_vote(author: Any, council: Any, voters: list[tuple[Any, list[str]]], **kw: Any) -> str:
    return decided_vote(author, council, voters, **kw)[0]


def adopt_scheme(author: Any, council: Any) -> str:
    return sealed_vote(author, council, [(author, ["yes"])], kind="community_scheme",
                       fields=SCHEME_FIELDS, title="Trial community scheme")


def log_entries(type_: str) -> list[LogLeaf]:
    return list(db.session.scalars(select(LogLeaf).where(LogLeaf.type == type_)
                                   .order_by(LogLeaf.index)))


def proven_in_log(row: LogLeaf) -> bool:
    """Check the entry's inclusion proof against the log's root, as an outside verifier would."""
    size = translog.size()
    proof = translog.inclusion(row.index, size)
    leaf = leaf_hash(canonical_bytes(translog.leaf_object(row)))
    return verify_inclusion(leaf, row.index, size, [bytes.fromhex(h) for h in proof["path"]],
                            translog.tree(size).root())
