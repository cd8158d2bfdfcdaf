"""`flask trust relog`: give a database older than the per-row leaves the leaves it lacks.

Leaves binding each row of power or money (treasury transactions, growth batches and holds,
administrators, approvals and motion votes still open) came after the first databases. Such
a database fails `flask trust audit` on every older row, although nothing was edited. This
appends, once, one leaf per such row, built from the row as it stands, each record marked
``"backfill": true``, then one `log.backfill` leaf saying how many of each kind and when.

What that proves is stated in the log itself: these rows were taken as they stood at the
backfill, on the operator's word, not re-derived from anything signed earlier. An edit made
before the backfill is beyond the audit; every edit after it is caught like any other. So
the command refuses to run a second time: a second backfill could launder later edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council.models import Motion, MotionVoteRecord
from app.growth import batches
from app.growth.models import GrowthEntry, HeldGrowthEntry
from app.translog import kinds
from app.translog import service as translog
from app.translog.models import LogLeaf
from app.treasury.ledger import txn_record
from app.treasury.models import Disbursement, DisbursementApproval, LedgerRow, TreasuryTxn
from ballots.records import format_time

MARK = {"backfill": True}


class RelogError(RuntimeError):
    """The log was already backfilled once."""


@dataclass
class Leaf:
    kind: str
    subject: str
    record: dict[str, Any]


@dataclass
class Plan:
    leaves: list[Leaf] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for leaf in self.leaves:
            out[leaf.kind] = out.get(leaf.kind, 0) + 1
        return dict(sorted(out.items()))


def _subjects(kind: str) -> set[str]:
    return set(db.session.scalars(select(LogLeaf.subject).where(LogLeaf.type == kind)))


def _txns() -> Iterator[Leaf]:
    logged = _subjects(kinds.TREASURY_TXN)
    for row in db.session.scalars(select(TreasuryTxn).order_by(TreasuryTxn.seq)):
        if f"txn:{row.id}" in logged:
            continue
        postings = db.session.scalars(
            select(LedgerRow).where(LedgerRow.txn == row.id).order_by(LedgerRow.id)).all()
        yield Leaf(kinds.TREASURY_TXN, f"txn:{row.id}", txn_record(row, postings) | MARK)


def _groups(model: Any, subject_of: Any) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    columns = [c for c in model.__table__.columns if c.name != "id"]
    for row in db.session.execute(select(*columns)):
        entry = row._asdict()
        groups.setdefault(subject_of(entry["source"], entry["recorded_at"]), []).append(entry)
    return groups


def _growth() -> Iterator[Leaf]:
    logged = _subjects(kinds.GROWTH_BATCH)
    for subject, rows in sorted(_groups(GrowthEntry, batches.batch_subject).items()):
        if subject not in logged:
            first = rows[0]
            record = batches.batch_record(first["source"], first["recorded_at"], rows)
            yield Leaf(kinds.GROWTH_BATCH, subject, record | MARK)
    logged = _subjects(kinds.GROWTH_HELD)
    for subject, rows in sorted(_groups(HeldGrowthEntry, batches.held_subject).items()):
        if subject not in logged:
            first = rows[0]
            record = batches.held_batch_record(first["source"], first["recorded_at"],
                                               map(batches.held_record, rows))
            yield Leaf(kinds.GROWTH_HELD, subject, record | MARK)


def _admins() -> Iterator[Leaf]:
    logged = _subjects(kinds.ACCOUNT_ROLE)
    now = utcnow()
    for user in db.session.scalars(select(User).where(User.role == "admin").order_by(User.id)):
        if f"user:{user.id}" not in logged:
            yield Leaf(kinds.ACCOUNT_ROLE, f"user:{user.id}", {
                "type": kinds.ACCOUNT_ROLE, "user": user.id, "role": "admin", "granted": True,
                "at": format_time(now)} | MARK)


def _approvals() -> Iterator[Leaf]:
    """Approvals of disbursements not yet recorded (a recorded one's leaf lists them)."""
    logged = {(int(r["disbursement"]), int(r["member_id"]))
              for _i, _s, r in kinds.records(kinds.APPROVAL)}
    rows = db.session.scalars(
        select(DisbursementApproval).join(
            Disbursement, Disbursement.id == DisbursementApproval.disbursement_id)
        .where(Disbursement.state != "recorded").order_by(DisbursementApproval.id))
    for row in rows:
        if (row.disbursement_id, row.member_id) not in logged:
            yield Leaf(kinds.APPROVAL, f"disbursement:{row.disbursement_id}", {
                "type": kinds.APPROVAL, "disbursement": row.disbursement_id,
                "member_id": row.member_id, "at": format_time(row.at)} | MARK)


def _motion_votes() -> Iterator[Leaf]:
    """Votes on motions still open (a closed motion's leaf lists its votes)."""
    logged = {(int(r["motion"]), int(r["member_id"]))
              for _i, _s, r in kinds.records(kinds.MOTION_VOTE)}
    rows = db.session.scalars(
        select(MotionVoteRecord).join(Motion, Motion.id == MotionVoteRecord.motion_id)
        .where(Motion.state == "open").order_by(MotionVoteRecord.id))
    for row in rows:
        if (row.motion_id, row.member_id) not in logged:
            yield Leaf(kinds.MOTION_VOTE, f"motion:{row.motion_id}", {
                "type": kinds.MOTION_VOTE, "motion": row.motion_id, "member_id": row.member_id,
                "choice": row.choice, "at": format_time(row.at)} | MARK)


def earlier_backfill() -> tuple[int, str] | None:
    found = db.session.execute(
        select(LogLeaf.index, LogLeaf.logged_at).where(LogLeaf.type == kinds.BACKFILL).limit(1)
    ).first()
    if found is None:
        return None
    return int(found[0]), format_time(found[1]) if found[1] else "?"


def plan() -> Plan:
    out = Plan()
    for source in (_txns, _growth, _admins, _approvals, _motion_votes):
        out.leaves.extend(source())
    return out


def relog(*, dry_run: bool, actor: str = "flask trust relog") -> Plan:
    """The leaves a backfill appends (appended unless `dry_run`); the caller commits."""
    earlier = earlier_backfill()
    if earlier is not None:
        raise RelogError(
            f"the log was already backfilled (log leaf {earlier[0]}, {earlier[1]}); a second "
            "backfill would vouch for rows edited since, so it is refused")
    found = plan()
    if dry_run or not found.leaves:
        return found
    now = utcnow()
    for leaf in found.leaves:
        # The row's own time would put the leaf before leaves already in the log.
        translog.append(leaf.kind, leaf.subject, leaf.record, at=now)
    translog.append(kinds.BACKFILL, "log:backfill", {
        "type": kinds.BACKFILL, "by": actor, "at": format_time(now), "counts": found.counts(),
        "note": "rows taken as they stood at this time, not re-derived from earlier leaves",
    }, at=now)
    audit.record("log.backfill", subject="log:backfill", counts=found.counts())
    return found
