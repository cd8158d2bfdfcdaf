"""`flask trust audit`, ledger part: every treasury transaction reproduces its log leaf.

Balanced edits (both legs of a transaction changed alike, or a whole balanced transaction
inserted) pass the ledger's own balance checks; only the log can say what was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from sqlalchemy import select

from app.core.extensions import db
from app.integrity.findings import Finding
from app.translog import kinds
from app.treasury import disbursements
from app.treasury import service as treasury
from app.treasury.ledger import txn_record
from app.treasury.models import (
    Budget,
    Disbursement,
    DisbursementApproval,
    LedgerRow,
    TreasuryTxn,
)
from ballots.keys import KeyRing


class Posting(NamedTuple):
    txn: str
    account: str
    amount_fen: int
    kind: str
    reference: str


def audit_ledger_txns(_keyring: KeyRing) -> Iterator[Finding]:
    logged = {subject: record for _i, subject, record in kinds.records(kinds.TREASURY_TXN)}
    # Raw rows, not treasury.ledger(): that refuses a malformed posting, which is exactly what
    # this check must name.
    by_txn: dict[str, list[Posting]] = {}
    for row in db.session.execute(
        select(LedgerRow.txn, LedgerRow.account, LedgerRow.amount_fen, LedgerRow.kind,
               LedgerRow.reference).order_by(LedgerRow.id)
    ):
        by_txn.setdefault(row.txn, []).append(Posting(*row))
    stored = set()
    for row in db.session.scalars(select(TreasuryTxn).order_by(TreasuryTxn.seq)):
        subject = f"txn:{row.id}"
        stored.add(subject)
        where = f"treasury transaction {row.id} ({row.kind})"
        record = logged.get(subject)
        if record is None:
            yield Finding(where, "is not in the log: the transaction was inserted")
        elif txn_record(row, by_txn.get(row.id, [])) != kinds.without_backfill(record):
            yield Finding(where, "its postings or fields differ from the logged transaction")
    for subject in sorted(set(logged) - stored):
        yield Finding(f"treasury transaction {subject[4:]}", "logged but deleted")


def audit_budgets(_keyring: KeyRing) -> Iterator[Finding]:
    authorised = {s: r for _i, s, r in kinds.records("budget.authorised")}
    for budget in db.session.scalars(select(Budget).order_by(Budget.id)):
        record = authorised.get(f"budget:{budget.id}")
        where = f"budget {budget.id}"
        if record is None:
            if budget.authorised_at is not None:
                yield Finding(where, "is authorised but its budget.authorised leaf is missing")
            continue
        found = {
            "amount_fen": budget.amount_fen, "category": budget.category,
            "source": budget.source, "proposal": budget.proposal_id, "motion": budget.motion_id,
            "beneficiary": budget.beneficiary, "purpose": budget.purpose,
        }
        changed = sorted(k for k, v in found.items() if record.get(k) != v)
        if changed:
            yield Finding(where, f"{', '.join(changed)} differ from the logged authorisation "
                                 f"({record.get('amount_fen')} fen logged)")


def audit_approvals(_keyring: KeyRing) -> Iterator[Finding]:
    """Every approval row has its leaf, and every logged approval its row."""
    logged = {
        (int(r["disbursement"]), int(r["member_id"]))
        for _i, _s, r in kinds.records(kinds.APPROVAL)
    }
    recorded = {
        int(r["id"]): r for _i, _s, r in kinds.records("disbursement.recorded") if "id" in r
    }
    stored = set()
    for row in db.session.scalars(select(DisbursementApproval).order_by(DisbursementApproval.id)):
        key = (row.disbursement_id, row.member_id)
        stored.add(key)
        if key not in logged and row.disbursement_id not in recorded:
            yield Finding(f"disbursement {row.disbursement_id}",
                          f"an approval by user {row.member_id} is not in the log: inserted")
    for disbursement_id, member_id in sorted(logged - stored):
        yield Finding(f"disbursement {disbursement_id}",
                      f"user {member_id}'s logged approval was deleted")
    for disbursement_id, record in sorted(recorded.items()):
        d = db.session.get(Disbursement, disbursement_id)
        names = sorted(disbursements.approver_name(a.member_id)
                       for a in treasury.approvals_of(d)) if d else []
        if "approvals" in record and sorted(record["approvals"]) != names:
            yield Finding(f"disbursement {disbursement_id}",
                          "its approvals differ from those logged when it was recorded")
